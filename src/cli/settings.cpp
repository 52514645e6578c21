#include "settings.hpp"

#include "fetch_options.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/manifest/auth_file.hpp"
#include "pixi_install/manifest/aws_config.hpp"

namespace pixi_install::cli {

namespace fs = std::filesystem;

namespace {

bool is_file(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

bool is_dir(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec);
}

fs::path home_path(const Globals& g, const char* rest) {
    const auto* h = g.getenv("HOME");
    return h && !h->empty() ? fs::path(*h) / rest : fs::path();
}

std::string mask(const std::string& secret) {
    return secret.size() < 16 ? std::string("****") : secret.substr(0, 4) + "****";
}

fetch::Credential to_fetch(const manifest::AuthEntry& a) {
    fetch::Credential c;
    switch (a.kind) {
        case manifest::AuthEntry::Kind::bearer: c.kind = fetch::Credential::Kind::bearer; break;
        case manifest::AuthEntry::Kind::basic: c.kind = fetch::Credential::Kind::basic; break;
        case manifest::AuthEntry::Kind::conda_token: c.kind = fetch::Credential::Kind::conda_token; break;
        case manifest::AuthEntry::Kind::s3: c.kind = fetch::Credential::Kind::s3; break;
    }
    c.token = a.token;
    c.username = a.username;
    c.password = a.password;
    c.access_key_id = a.access_key_id;
    c.secret_access_key = a.secret_access_key;
    c.session_token = a.session_token;
    return c;
}

std::string describe(const manifest::AuthEntry& a) {
    std::string kind(manifest::auth_kind_name(a.kind));
    switch (a.kind) {
        case manifest::AuthEntry::Kind::basic: return kind + " " + a.username + ":****";
        case manifest::AuthEntry::Kind::s3: return kind + " " + mask(a.access_key_id) + " / ****";
        default: return kind + " " + mask(a.token);
    }
}

/// rattler's auth files, highest precedence first; a key found in an earlier file wins.
base::Result<void> read_auth_files(const Globals& g, EffectiveSettings& e) {
    std::vector<std::pair<fs::path, std::string>> files;
    if (const auto* v = g.getenv("RATTLER_AUTH_FILE"); v && !v->empty()) files.emplace_back(*v, "RATTLER_AUTH_FILE");
    for (const auto& layer : e.layers)
        if (layer.config->authentication_override_file) {
            files.emplace_back(*layer.config->authentication_override_file,
                               layer.origin + " (authentication-override-file)");
            break;
        }
    if (fs::path d = home_path(g, ".rattler/credentials.json"); !d.empty()) files.emplace_back(d, "");
    for (const auto& [path, named_by] : files) {
        if (!is_file(path)) {
            if (!named_by.empty()) e.warnings.push_back("the authentication file " + path.string() + " (" + named_by +
                                                        ") does not exist; no credentials read from it");
            continue;
        }
        PI_TRY(auto entries, manifest::load_auth_file(path));
        for (const auto& [key, entry] : entries) {
            if (e.credentials.count(key) || e.bearer_tokens.count(key)) continue;  // shadowed
            e.credentials[key] = to_fetch(entry);
            e.lines.push_back({"credentials " + key, describe(entry), path.string()});
        }
    }
    return {};
}

/// The default AWS credentials, region and endpoint, as the AWS CLI finds them.
base::Result<void> resolve_aws(const Globals& g, EffectiveSettings& e) {
    auto env = [&](const char* name) {
        const auto* v = g.getenv(name);
        return v ? *v : std::string();
    };
    std::string named = env("AWS_PROFILE");
    std::string named_by = "AWS_PROFILE";
    if (named.empty()) {
        named = env("AWS_DEFAULT_PROFILE");
        named_by = "AWS_DEFAULT_PROFILE";
    }
    std::string profile = named.empty() ? std::string("default") : named;
    fs::path creds = env("AWS_SHARED_CREDENTIALS_FILE").empty() ? home_path(g, ".aws/credentials")
                                                                : fs::path(env("AWS_SHARED_CREDENTIALS_FILE"));
    fs::path config = env("AWS_CONFIG_FILE").empty() ? home_path(g, ".aws/config") : fs::path(env("AWS_CONFIG_FILE"));
    auto loaded = manifest::load_aws_profile(profile, creds, config);
    bool explicit_files = !env("AWS_SHARED_CREDENTIALS_FILE").empty() || !env("AWS_CONFIG_FILE").empty();
    if (!loaded && named.empty() && !explicit_files) {
        // Nobody asked for the AWS files: a broken one must not stop installs that need no S3.
        e.warnings.push_back("ignoring the AWS files: " + loaded.error().message);
        loaded = std::optional<manifest::AwsProfile>();
    }
    PI_TRY(std::optional<manifest::AwsProfile> p, std::move(loaded));
    if (!p && !named.empty())
        return base::fail(base::ErrorKind::usage,
                          named_by + "=" + named + " names no profile: neither " + creds.string() + " ([" + named +
                              "]) nor " + config.string() + " ([profile " + named +
                              "]) has it; create it (aws configure --profile " + named + ") or unset " + named_by);
    fetch::AwsCredentials& a = e.aws;
    if (!env("AWS_ACCESS_KEY_ID").empty()) {
        a.access_key_id = env("AWS_ACCESS_KEY_ID");
        a.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
        a.session_token = env("AWS_SESSION_TOKEN");
        a.source = "AWS_ACCESS_KEY_ID";
        if (a.secret_access_key.empty())
            return base::fail(base::ErrorKind::usage,
                              "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both (or neither)");
    } else if (p && !p->access_key_id.empty()) {
        a.access_key_id = p->access_key_id;
        a.secret_access_key = p->secret_access_key;
        a.session_token = p->session_token;
        a.source = p->credentials_origin;
        if (a.secret_access_key.empty())
            return base::fail(base::ErrorKind::usage, "the " + p->credentials_origin +
                                                          " has aws_access_key_id but no aws_secret_access_key");
    }
    if (!a.access_key_id.empty())
        e.lines.push_back({"s3 credentials",
                           mask(a.access_key_id) + " / ****" + (a.session_token.empty() ? "" : " + session token"),
                           a.source});
    std::string region_origin = "default";
    if (!env("AWS_REGION").empty()) {
        a.region = env("AWS_REGION");
        region_origin = "AWS_REGION";
    } else if (!env("AWS_DEFAULT_REGION").empty()) {
        a.region = env("AWS_DEFAULT_REGION");
        region_origin = "AWS_DEFAULT_REGION";
    } else if (p && !p->region.empty()) {
        a.region = p->region;
        region_origin = p->region_origin;
    }
    if (!a.access_key_id.empty() || region_origin != "default") e.lines.push_back({"s3 region", a.region, region_origin});
    for (const char* v : {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"})
        if (a.endpoint.empty() && !env(v).empty()) e.lines.push_back({"s3 endpoint", a.endpoint = env(v), v});
    if (a.endpoint.empty() && p && !p->endpoint_url.empty())
        e.lines.push_back({"s3 endpoint", a.endpoint = p->endpoint_url, p->endpoint_origin});
    return {};
}

}  // namespace

std::vector<fs::path> pixi_global_config_paths(const Globals& g) {
    std::vector<fs::path> out = {"/etc/pixi/config.toml"};
    if (const auto* x = g.getenv("XDG_CONFIG_HOME"); x && !x->empty()) out.push_back(fs::path(*x) / "pixi/config.toml");
    else if (fs::path p = home_path(g, ".config/pixi/config.toml"); !p.empty()) out.push_back(p);
    if (const auto* h = g.getenv("PIXI_HOME"); h && !h->empty()) out.push_back(fs::path(*h) / "config.toml");
    else if (fs::path p = home_path(g, ".pixi/config.toml"); !p.empty()) out.push_back(p);
    return out;
}

base::Result<EffectiveSettings> effective_settings(const Globals& g, const SettingsRequest& r) {
    EffectiveSettings e;
    std::vector<std::string> kinds;
    if (std::string path = resolve_config_path(g, r.config_flag); !path.empty()) {
        PI_TRY(manifest::Config own, manifest::load_config(path));
        e.configs.push_back(std::move(own));
        e.layers.push_back({"config " + path, nullptr});
        kinds.push_back("pixi-install config");
    }
    std::vector<std::pair<fs::path, std::string>> pixi_files;
    pixi_files.emplace_back((r.workspace.empty() ? fs::path(".") : r.workspace) / ".pixi" / "config.toml",
                            "pixi workspace ");
    auto globals = pixi_global_config_paths(g);
    for (auto it = globals.rbegin(); it != globals.rend(); ++it) pixi_files.emplace_back(*it, "pixi global ");
    for (const auto& [path, what] : pixi_files) {
        if (!is_file(path)) continue;
        PI_TRY(manifest::Config c, manifest::load_pixi_config(path));
        e.configs.push_back(std::move(c));
        e.layers.push_back({what + path.string(), nullptr});
        kinds.push_back(what.substr(0, what.size() - 1) + " config");
    }
    for (std::size_t i = 0; i < e.layers.size(); ++i) {
        e.layers[i].config = &e.configs[i];
        e.lines.push_back({"config file", e.configs[i].path.string(), kinds[i]});
        for (const auto& w : e.configs[i].warnings) e.warnings.push_back(w);
    }
    PI_TRY(e.network, resolve_network(r.network, g.env, e.layers, is_file, is_dir));
    e.lines.insert(e.lines.end(), e.network.lines.begin(), e.network.lines.end());
    e.warnings.insert(e.warnings.end(), e.network.warnings.begin(), e.network.warnings.end());

    // Mirrors: on equal prefixes the first one wins, so flags come first.
    for (const auto& m : r.mirror_flags) {
        PI_TRY(fetch::Mirror mirror, fetch::parse_mirror(m));
        e.lines.push_back({"mirror " + mirror.from, mirror.to, "--mirror"});
        e.mirrors.push_back(std::move(mirror));
    }
    for (const auto& layer : e.layers)
        for (const auto& [from, to] : layer.config->mirrors) {
            auto parsed = fetch::parse_mirror(from + "=" + to);
            if (!parsed.ok()) return std::move(parsed).error().with_context("in " + layer.config->path.string());
            bool shadowed = false;
            for (const auto& m : e.mirrors) shadowed = shadowed || m.from == parsed->from;
            if (!shadowed) e.lines.push_back({"mirror " + parsed->from, parsed->to, layer.origin});
            e.mirrors.push_back(std::move(*parsed));
        }

    e.concurrent_downloads = 16;
    std::string jobs_origin = "default";
    if (r.jobs) {
        e.concurrent_downloads = r.jobs;
        jobs_origin = "-j";
    } else {
        for (const auto& layer : e.layers)
            if (layer.config->concurrent_downloads) {
                e.concurrent_downloads = *layer.config->concurrent_downloads;
                jobs_origin = layer.origin;
                break;
            }
    }
    e.lines.push_back({"concurrent-downloads", std::to_string(e.concurrent_downloads), jobs_origin});

    // Bearer tokens: the environment over pixi-install's config.
    if (const auto* v = g.getenv("PIXI_INSTALL_BEARER_TOKENS")) {
        std::size_t p = 0;
        while (p <= v->size()) {
            std::size_t comma = v->find(',', p);
            if (comma == std::string::npos) comma = v->size();
            std::string item = v->substr(p, comma - p);
            p = comma + 1;
            if (item.empty()) continue;
            auto eq = item.find('=');
            if (eq == std::string::npos || eq == 0)
                return base::fail(base::ErrorKind::usage,
                                  "invalid PIXI_INSTALL_BEARER_TOKENS entry (expected host=token,host2=token2)");
            std::string host = base::ascii_lower(item.substr(0, eq));
            if (e.bearer_tokens.emplace(host, item.substr(eq + 1)).second)
                e.lines.push_back({"credentials " + host, "bearer " + mask(item.substr(eq + 1)), "PIXI_INSTALL_BEARER_TOKENS"});
        }
    }
    for (const auto& layer : e.layers)
        for (const auto& [host, token] : layer.config->bearer_tokens)
            if (e.bearer_tokens.emplace(host, token).second)
                e.lines.push_back({"credentials " + host, "bearer " + mask(token), layer.origin});
    PI_TRY_VOID(read_auth_files(g, e));

    // pixi's s3-options: a bucket's options come whole from the highest layer naming it.
    for (const auto& layer : e.layers)
        for (const auto& [bucket, o] : layer.config->s3_options)
            if (e.s3_options.emplace(bucket, o).second)
                e.lines.push_back({"s3-options " + bucket,
                                   "endpoint-url " + o.endpoint_url + ", region " + o.region +
                                       (o.force_path_style ? ", force-path-style" : ""),
                                   layer.origin});
    PI_TRY_VOID(resolve_aws(g, e));
    return e;
}

}  // namespace pixi_install::cli
