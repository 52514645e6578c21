// Precedence of the network settings: flags > environment > config layers > system.
#include "network_settings.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace pixi_install;
using namespace pixi_install::cli;

namespace {

struct Disk {
    std::set<std::string> files, dirs;
    PathProbe is_file() const {
        return [this](const std::filesystem::path& p) { return files.count(p.string()) > 0; };
    }
    PathProbe is_dir() const {
        return [this](const std::filesystem::path& p) { return dirs.count(p.string()) > 0; };
    }
};

NetworkSettings resolve(const NetworkFlags& f, const std::map<std::string, std::string>& env,
                        const std::vector<ConfigLayer>& layers, const Disk& d) {
    auto r = resolve_network(f, env, layers, d.is_file(), d.is_dir());
    REQUIRE(r.ok());
    return *r;
}

const SettingLine* line(const NetworkSettings& s, const std::string& key) {
    for (const auto& l : s.lines)
        if (l.key == key) return &l;
    return nullptr;
}

}  // namespace

TEST_CASE("CA trust: flag > SSL_CERT_FILE/SSL_CERT_DIR > config > the first system bundle found") {
    Disk d;
    d.files = {"/flag.pem", "/env.pem", "/cfg.pem", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"};
    d.dirs = {"/envdir", "/etc/pki/tls/certs"};
    manifest::Config cfg;
    cfg.tls_ca_cert = "/cfg.pem";
    std::vector<ConfigLayer> layers = {{"config /c.toml", &cfg}};
    std::map<std::string, std::string> env = {{"SSL_CERT_FILE", "/env.pem"}, {"SSL_CERT_DIR", "/envdir"}};

    NetworkFlags flag;
    flag.tls_ca_cert = "/flag.pem";
    auto s = resolve(flag, env, layers, d);
    CHECK(s.tls.ca_file == "/flag.pem");
    CHECK(s.tls.ca_dir.empty());
    CHECK(line(s, "tls-ca-certs")->origin == "--tls-ca-cert");

    s = resolve({}, env, layers, d);
    CHECK(s.tls.ca_file == "/env.pem");
    CHECK(s.tls.ca_dir == "/envdir");
    CHECK(s.tls.source == "SSL_CERT_FILE and SSL_CERT_DIR");

    s = resolve({}, {}, layers, d);
    CHECK(s.tls.ca_file == "/cfg.pem");
    CHECK(line(s, "tls-ca-certs")->origin == "config /c.toml (tls-ca-cert)");

    s = resolve({}, {}, {}, d);
    CHECK(s.tls.ca_file == "/etc/pki/tls/certs/ca-bundle.crt");  // Fedora's comes before Alpine's
    CHECK(s.tls.ca_dir == "/etc/pki/tls/certs");
    CHECK(s.tls.source == "system");
    CHECK(s.tls.searched.empty());
    CHECK_FALSE(s.tls.no_verify);
    CHECK(s.warnings.empty());
}

TEST_CASE("no CA anywhere: every place searched is kept for the error; missing paths are problems, not errors") {
    Disk none;
    auto s = resolve({}, {}, {}, none);
    CHECK(s.tls.ca_file.empty());
    CHECK(s.tls.ca_dir.empty());
    CHECK(s.tls.problem.empty());
    CHECK(s.tls.searched.size() == system_ca_files().size() + system_ca_dirs().size());
    CHECK(s.tls.searched.front() == "/etc/ssl/certs/ca-certificates.crt");

    // A path named by a flag or a variable that is not there: the settings resolve (so
    // offline installs, list, check and info work), https transfers refuse to start.
    Disk system_only;
    system_only.files = {"/etc/ssl/certs/ca-certificates.crt"};
    system_only.dirs = {"/etc/ssl/certs"};
    NetworkFlags flag;
    flag.tls_ca_cert = "/missing.pem";
    auto r = resolve_network(flag, {}, {}, system_only.is_file(), system_only.is_dir());
    REQUIRE(r.ok());
    CHECK(r->tls.problem.find("--tls-ca-cert names /missing.pem") != std::string::npos);
    CHECK(r->tls.ca_file.empty());  // never the system's bundle instead of the one asked for
    CHECK(r->tls.ca_dir.empty());
    REQUIRE(line(*r, "tls-ca-certs"));
    CHECK(line(*r, "tls-ca-certs")->problem == r->tls.problem);
    CHECK(line(*r, "tls-ca-certs")->origin == "--tls-ca-cert");
    REQUIRE(r->warnings.size() == 1);
    CHECK(r->warnings[0].find("/missing.pem") != std::string::npos);

    auto e = resolve_network({}, {{"SSL_CERT_FILE", "/missing.pem"}}, {}, system_only.is_file(), system_only.is_dir());
    REQUIRE(e.ok());
    CHECK(e->tls.problem.find("SSL_CERT_FILE names /missing.pem, which is not a file") == 0);
    CHECK(e->tls.source == "SSL_CERT_FILE");
    auto d = resolve_network({}, {{"SSL_CERT_DIR", "/etc/ssl/certs"}, {"SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt"}},
                             {}, none.is_file(), none.is_dir());
    REQUIRE(d.ok());
    CHECK(d->tls.problem.find("SSL_CERT_") == 0);
    CHECK(d->tls.source == "SSL_CERT_FILE and SSL_CERT_DIR");
    // With verification off nothing needs the certificates: no warning about them.
    NetworkFlags off;
    off.tls_no_verify = true;
    auto o = resolve_network(off, {{"SSL_CERT_DIR", "/nowhere"}}, {}, none.is_file(), none.is_dir());
    REQUIRE(o.ok());
    CHECK(o->warnings.size() == 1);  // only the "not verified" one
}

TEST_CASE("tls-no-verify from the flag or the first config that sets it, always with a warning") {
    Disk d;
    manifest::Config high, low;
    low.tls_no_verify = true;
    std::vector<ConfigLayer> layers = {{"config high", &high}, {"pixi low", &low}};
    auto s = resolve({}, {}, layers, d);
    CHECK(s.tls.no_verify);
    CHECK(line(s, "tls-no-verify")->origin == "pixi low (tls-no-verify)");
    REQUIRE(s.warnings.size() == 1);
    high.tls_no_verify = false;
    s = resolve({}, {}, layers, d);
    CHECK_FALSE(s.tls.no_verify);
    NetworkFlags flag;
    flag.tls_no_verify = true;
    s = resolve(flag, {}, layers, d);
    CHECK(s.tls.no_verify);
    CHECK(line(s, "tls-no-verify")->origin == "--tls-no-verify");
}

TEST_CASE("proxies as curl reads the environment; --proxy wins; config only when the environment names none") {
    Disk d;
    manifest::Config cfg;
    cfg.proxy.https = "http://cfg:3128";
    cfg.proxy.non_proxy_hosts = {"internal", ".corp"};
    std::vector<ConfigLayer> layers = {{"pixi /p.toml", &cfg}};

    auto s = resolve({}, {}, layers, d);
    CHECK(s.proxy.https == "http://cfg:3128");
    CHECK(s.proxy.http.empty());
    CHECK(s.proxy.no_proxy == "internal,.corp");

    // HTTP_PROXY in upper case is ignored (as curl does); HTTPS_PROXY and ALL_PROXY are not.
    s = resolve({}, {{"HTTP_PROXY", "http://upper:1"}}, layers, d);
    CHECK(s.proxy.https == "http://cfg:3128");
    s = resolve({}, {{"HTTPS_PROXY", "http://up:2"}, {"no_proxy", "a.b"}}, layers, d);
    CHECK(s.proxy.https == "http://up:2");
    CHECK(s.proxy.http.empty());
    CHECK(s.proxy.no_proxy == "a.b");
    s = resolve({}, {{"ALL_PROXY", "http://all:3"}, {"http_proxy", "http://h:4"}}, layers, d);
    CHECK(s.proxy.https == "http://all:3");
    CHECK(s.proxy.http == "http://h:4");
    CHECK(line(s, "http-proxy")->origin == "http_proxy");

    NetworkFlags flag;
    flag.proxy = "http://user:pw@flag:5";
    s = resolve(flag, {{"https_proxy", "http://env:6"}, {"NO_PROXY", "x"}}, layers, d);
    CHECK(s.proxy.https == "http://user:pw@flag:5");
    CHECK(s.proxy.http == "http://user:pw@flag:5");
    CHECK(s.proxy.no_proxy == "x");
    CHECK(line(s, "https-proxy")->value == "http://user:***@flag:5");
}

