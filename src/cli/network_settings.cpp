#include "network_settings.hpp"

#include "pixi_install/base/redact.hpp"

namespace pixi_install::cli {

namespace fs = std::filesystem;

const std::vector<std::string>& system_ca_files() {
    static const std::vector<std::string> files = {
        "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu, Gentoo, Arch
        "/etc/pki/tls/certs/ca-bundle.crt",                   // Fedora, RHEL 6
        "/etc/ssl/ca-bundle.pem",                             // openSUSE
        "/etc/pki/tls/cacert.pem",                            // OpenELEC
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // CentOS, RHEL 7
        "/etc/ssl/cert.pem",                                  // Alpine, macOS
    };
    return files;
}

const std::vector<std::string>& system_ca_dirs() {
    static const std::vector<std::string> dirs = {"/etc/ssl/certs", "/etc/pki/tls/certs"};
    return dirs;
}

namespace {

const std::string* env_value(const std::map<std::string, std::string>& env, const std::string& name) {
    auto it = env.find(name);
    return it == env.end() || it->second.empty() ? nullptr : &it->second;
}

/// The first of `names` set (non-empty) in `env`, with its name.
std::pair<std::string, std::string> first_env(const std::map<std::string, std::string>& env,
                                              std::initializer_list<const char*> names) {
    for (const char* n : names)
        if (const auto* v = env_value(env, n)) return {n, *v};
    return {};
}

void resolve_tls(NetworkSettings& s, const NetworkFlags& f, const std::map<std::string, std::string>& env,
                               const std::vector<ConfigLayer>& configs, const PathProbe& is_file,
                               const PathProbe& is_dir) {
    fetch::TlsOptions& tls = s.tls;
    std::string verify_origin = "default";
    if (f.tls_no_verify) {
        tls.no_verify = true;
        verify_origin = "--tls-no-verify";
    } else {
        for (const auto& layer : configs)
            if (layer.config->tls_no_verify) {
                tls.no_verify = *layer.config->tls_no_verify;
                verify_origin = layer.origin + " (tls-no-verify)";
                break;
            }
    }
    if (tls.no_verify)
        s.warnings.push_back("TLS certificates are NOT verified (" + verify_origin +
                             "): anyone between this machine and the server can change what is downloaded; the "
                             "lock's hashes are the only protection left");

    // A path that is not there is not an error yet: commands that make no TLS connection
    // (offline installs, list, check, info) must still work in a root that lacks it.
    auto missing = [&](const std::string& what, const std::string& value, const char* expected,
                       const char* remedy) {
        tls.problem = what + " names " + value + ", which is not " + expected + "; " + remedy;
    };
    auto explicit_path = [&](const fs::path& p, const std::string& what) {
        tls.source = what;
        if (is_file(p)) tls.ca_file = p;
        else if (is_dir(p)) tls.ca_dir = p;
        else missing(what, p.string(), "a file or a directory", "give the PEM file of the CA to trust");
    };
    if (!f.tls_ca_cert.empty()) {
        explicit_path(f.tls_ca_cert, "--tls-ca-cert");
    } else if (env_value(env, "SSL_CERT_FILE") || env_value(env, "SSL_CERT_DIR")) {
        tls.source = env_value(env, "SSL_CERT_FILE") && env_value(env, "SSL_CERT_DIR") ? "SSL_CERT_FILE and SSL_CERT_DIR"
                     : env_value(env, "SSL_CERT_FILE")                                 ? "SSL_CERT_FILE"
                                                                                       : "SSL_CERT_DIR";
        if (const auto* dir = env_value(env, "SSL_CERT_DIR")) {
            if (is_dir(*dir)) tls.ca_dir = *dir;
            else missing("SSL_CERT_DIR", *dir, "a directory", "point it at a directory of hashed certificates or unset it");
        }
        if (const auto* file = env_value(env, "SSL_CERT_FILE")) {
            if (is_file(*file)) tls.ca_file = *file;
            else missing("SSL_CERT_FILE", *file, "a file", "point it at a PEM bundle or unset it");
        }
    } else {
        for (const auto& layer : configs)
            if (layer.config->tls_ca_cert) {
                explicit_path(*layer.config->tls_ca_cert, layer.origin + " (tls-ca-cert)");
                break;
            }
    }
    if (tls.source.empty()) {
        for (const auto& c : system_ca_files()) {
            if (is_file(c)) {
                tls.ca_file = c;
                break;
            }
        }
        for (const auto& d : system_ca_dirs()) {
            if (is_dir(d)) {
                tls.ca_dir = d;
                break;
            }
        }
        tls.source = "system";
        if (tls.ca_file.empty() && tls.ca_dir.empty()) {
            tls.searched = system_ca_files();
            tls.searched.insert(tls.searched.end(), system_ca_dirs().begin(), system_ca_dirs().end());
        }
    }
    std::string trust;
    if (!tls.ca_file.empty()) trust = tls.ca_file.string();
    if (!tls.ca_dir.empty()) trust += (trust.empty() ? "" : " + ") + tls.ca_dir.string();
    if (!tls.problem.empty()) {
        // The named certificates are not there: trusting anything else instead (the system's)
        // would not be what was asked for, so https transfers refuse to start.
        tls.ca_file.clear();
        tls.ca_dir.clear();
        trust = "unusable (https downloads will fail)";
        if (!tls.no_verify)
            s.warnings.push_back(tls.problem + " (https downloads will fail until it is fixed)");
    }
    if (trust.empty()) trust = "none found (https downloads will fail)";
    s.lines.push_back({"tls-ca-certs", trust, tls.source, tls.problem});
    s.lines.push_back({"tls-no-verify", tls.no_verify ? "true" : "false", verify_origin});
}

void resolve_proxy(NetworkSettings& s, const NetworkFlags& f, const std::map<std::string, std::string>& env,
                   const std::vector<ConfigLayer>& configs) {
    fetch::ProxyOptions& p = s.proxy;
    std::string https_origin, http_origin, no_origin;
    // As curl (and pixi) read them: http_proxy has no upper-case form (a CGI program
    // would take it from the request's "Proxy:" header); all_proxy covers both schemes.
    auto https_env = first_env(env, {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"});
    auto http_env = first_env(env, {"http_proxy", "all_proxy", "ALL_PROXY"});
    auto no_env = first_env(env, {"no_proxy", "NO_PROXY"});
    if (!f.proxy.empty()) {
        p.https = p.http = f.proxy;
        https_origin = http_origin = "--proxy";
        if (!no_env.second.empty()) {
            p.no_proxy = no_env.second;
            no_origin = no_env.first;
        }
    } else if (!https_env.second.empty() || !http_env.second.empty()) {
        p.https = https_env.second;
        p.http = http_env.second;
        https_origin = https_env.first;
        http_origin = http_env.first;
        p.no_proxy = no_env.second;
        no_origin = no_env.first;
    } else {
        // The first config layer that names a proxy decides all three (as pixi: the
        // environment, when it names one, replaces the whole proxy-config).
        for (const auto& layer : configs) {
            const auto& pc = layer.config->proxy;
            if (!pc.https && !pc.http) continue;
            p.https = pc.https.value_or("");
            p.http = pc.http.value_or("");
            https_origin = http_origin = no_origin = layer.origin;
            std::string joined;
            for (const auto& h : pc.non_proxy_hosts) joined += (joined.empty() ? "" : ",") + h;
            p.no_proxy = joined;
            break;
        }
        if (p.no_proxy.empty() && !no_env.second.empty()) {
            p.no_proxy = no_env.second;
            no_origin = no_env.first;
        }
    }
    p.source = https_origin.empty() ? http_origin : https_origin;
    s.lines.push_back({"https-proxy", p.https.empty() ? "none" : base::redact(p.https),
                       p.https.empty() ? "default" : https_origin});
    s.lines.push_back({"http-proxy", p.http.empty() ? "none" : base::redact(p.http),
                       p.http.empty() ? "default" : http_origin});
    s.lines.push_back({"no-proxy", p.no_proxy.empty() ? "none" : p.no_proxy, p.no_proxy.empty() ? "default" : no_origin});
}

}  // namespace

base::Result<NetworkSettings> resolve_network(const NetworkFlags& flags, const std::map<std::string, std::string>& env,
                                              const std::vector<ConfigLayer>& configs, const PathProbe& is_file,
                                              const PathProbe& is_dir) {
    NetworkSettings s;
    resolve_tls(s, flags, env, configs, is_file, is_dir);
    resolve_proxy(s, flags, env, configs);
    return s;
}

}  // namespace pixi_install::cli
