#include "pixi_install/manifest/config.hpp"

#include "toml.hpp"

#include <sstream>

#include "pixi_install/base/fs.hpp"

namespace pixi_install::manifest {

namespace {

base::Error bad(std::string_view origin, const toml::source_region& where, const std::string& what) {
    std::ostringstream m;
    m << origin << ":" << where.begin.line << ":" << where.begin.column << ": " << what;
    return base::fail(base::ErrorKind::usage, m.str());
}

base::Result<ProxyConfig> parse_proxy_config(const toml::node& node, std::string_view origin) {
    const toml::table* t = node.as_table();
    if (!t) return bad(origin, node.source(), "`proxy-config` must be a table (https, http, non-proxy-hosts)");
    ProxyConfig p;
    for (const auto& [key, value] : *t) {
        std::string k(key.str());
        if (k == "https" || k == "http") {
            auto s = value.value<std::string>();
            if (!s || s->find("://") == std::string::npos)
                return bad(origin, value.source(), "`proxy-config." + k + "` must be a proxy URL (http://host:port)");
            (k == "https" ? p.https : p.http) = *s;
        } else if (k == "non-proxy-hosts") {
            const toml::array* a = value.as_array();
            if (!a) return bad(origin, value.source(), "`proxy-config.non-proxy-hosts` must be a list of hosts");
            for (const auto& h : *a) {
                auto s = h.value<std::string>();
                if (!s) return bad(origin, h.source(), "`proxy-config.non-proxy-hosts` entries must be strings");
                p.non_proxy_hosts.push_back(*s);
            }
        } else {
            return bad(origin, value.source(),
                       "unknown key `proxy-config." + k + "` (known: https, http, non-proxy-hosts)");
        }
    }
    return p;
}

base::Result<void> parse_mirrors(const toml::node& node, std::string_view origin, Config& c) {
    const toml::table* t = node.as_table();
    if (!t) return bad(origin, node.source(), "`mirrors` must be a table of FROM = TO");
    for (const auto& [from, to] : *t) {
        std::string target;
        if (auto s = to.value<std::string>()) {
            target = *s;
        } else if (const toml::array* a = to.as_array(); a && !a->empty() && a->front().is_string()) {
            target = *a->front().value<std::string>();
        } else {
            return bad(origin, to.source(), "mirror for `" + std::string(from.str()) + "` must be a URL or a list of URLs");
        }
        c.mirrors.emplace_back(std::string(from.str()), target);
    }
    return {};
}

base::Result<bool> parse_tls_no_verify(const toml::node& node, std::string_view origin) {
    auto v = node.value<bool>();
    if (!v) return bad(origin, node.source(), "`tls-no-verify` must be true or false");
    return *v;
}

base::Result<unsigned> parse_downloads(const toml::node& node, std::string_view origin, const std::string& key) {
    auto n = node.value<std::int64_t>();
    if (!n || *n < 1 || *n > 1000) return bad(origin, node.source(), "`" + key + "` must be a number from 1 to 1000");
    return static_cast<unsigned>(*n);
}

base::Result<std::map<std::string, S3Options>> parse_s3_options(const toml::node& node, std::string_view origin) {
    const toml::table* t = node.as_table();
    if (!t) return bad(origin, node.source(), "`s3-options` must be a table of bucket = { endpoint-url, region, force-path-style }");
    std::map<std::string, S3Options> out;
    for (const auto& [bucket, value] : *t) {
        const toml::table* b = value.as_table();
        std::string where = "s3-options." + std::string(bucket.str());
        if (!b) return bad(origin, value.source(), "`" + where + "` must be a table (endpoint-url, region, force-path-style)");
        S3Options o;
        for (const auto& [key, v] : *b) {
            std::string k(key.str());
            if (k == "endpoint-url" || k == "region") {
                auto s = v.value<std::string>();
                if (!s) return bad(origin, v.source(), "`" + where + "." + k + "` must be a string");
                (k == "region" ? o.region : o.endpoint_url) = *s;
            } else if (k == "force-path-style") {
                auto f = v.value<bool>();
                if (!f) return bad(origin, v.source(), "`" + where + ".force-path-style` must be true or false");
                o.force_path_style = *f;
            } else {
                return bad(origin, v.source(),
                           "unknown key `" + where + "." + k + "` (known: endpoint-url, region, force-path-style)");
            }
        }
        if (o.endpoint_url.empty() || o.region.empty())
            return bad(origin, value.source(), "`" + where + "` needs endpoint-url and region (as pixi requires)");
        out[std::string(bucket.str())] = o;
    }
    return out;
}

base::Result<toml::table> parse_toml(std::string_view text, std::string_view origin) {
    try {
        return toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        return bad(origin, e.source(), std::string(e.description()));
    }
}

/// The keys pixi-install's config shares with pixi's; false when `k` is not one of them.
base::Result<bool> parse_shared_key(const std::string& k, const toml::node& node, std::string_view origin, Config& c) {
    if (k == "mirrors") {
        PI_TRY_VOID(parse_mirrors(node, origin, c));
    } else if (k == "proxy-config") {
        PI_TRY(c.proxy, parse_proxy_config(node, origin));
    } else if (k == "tls-no-verify") {
        PI_TRY(c.tls_no_verify, parse_tls_no_verify(node, origin));
    } else {
        return false;
    }
    return true;
}

/// Parses `text`: the shared keys here, every other key through `other(key, node, config)`.
template <class Other>
base::Result<Config> parse_with(std::string_view text, std::string_view origin, Other&& other) {
    PI_TRY(toml::table root, parse_toml(text, origin));
    Config c;
    for (const auto& [key, node] : root) {
        std::string k(key.str());
        PI_TRY(bool shared, parse_shared_key(k, node, origin, c));
        if (!shared) PI_TRY_VOID(other(k, node, c));
    }
    return c;
}

}  // namespace

base::Result<Config> parse_config(std::string_view text, std::string_view origin) {
    return parse_with(text, origin, [&](const std::string& k, const toml::node& node, Config& c) -> base::Result<void> {
        if (k == "bearer-tokens") {
            const toml::table* t = node.as_table();
            if (!t) return bad(origin, node.source(), "`bearer-tokens` must be a table of host = token");
            for (const auto& [host, token] : *t) {
                auto s = token.value<std::string>();
                if (!s) return bad(origin, token.source(), "token for `" + std::string(host.str()) + "` must be a string");
                std::string h(host.str());
                for (auto& ch : h) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                c.bearer_tokens[h] = *s;
            }
        } else if (k == "concurrent-downloads") {
            PI_TRY(c.concurrent_downloads, parse_downloads(node, origin, k));
        } else if (k == "tls-ca-cert") {
            auto v = node.value<std::string>();
            if (!v || v->empty()) return bad(origin, node.source(), "`tls-ca-cert` must be the path of a PEM file");
            c.tls_ca_cert = std::filesystem::path(*v);
        } else {
            return bad(origin, node.source(),
                       "unknown key `" + k +
                           "` (known: mirrors, bearer-tokens, concurrent-downloads, tls-ca-cert, tls-no-verify, proxy-config)");
        }
        return {};
    });
}

base::Result<Config> load_config(const std::filesystem::path& path) {
    PI_TRY(std::string text, base::read_file(path));
    PI_TRY(Config c, parse_config(text, path.string()));
    c.path = path;
    if (c.tls_ca_cert && c.tls_ca_cert->is_relative()) c.tls_ca_cert = path.parent_path() / *c.tls_ca_cert;
    return c;
}

base::Result<Config> parse_pixi_config(std::string_view text, std::string_view origin) {
    return parse_with(text, origin, [&](const std::string& k, const toml::node& node, Config& c) -> base::Result<void> {
        if (k == "s3-options") {
            PI_TRY(c.s3_options, parse_s3_options(node, origin));
        } else if (k == "concurrency") {
            const toml::table* t = node.as_table();
            if (!t) return bad(origin, node.source(), "`concurrency` must be a table (downloads, solves)");
            if (const toml::node* d = t->get("downloads")) {
                PI_TRY(c.concurrent_downloads, parse_downloads(*d, origin, "concurrency.downloads"));
            }
        } else if (k == "concurrent-downloads" && !c.concurrent_downloads) {
            // Deprecated by pixi for concurrency.downloads, which wins (keys come sorted: it is read first).
            PI_TRY(c.concurrent_downloads, parse_downloads(node, origin, k));
        } else if (k == "authentication-override-file") {
            auto v = node.value<std::string>();
            if (!v || v->empty())
                return bad(origin, node.source(), "`authentication-override-file` must be the path of a file");
            c.authentication_override_file = std::filesystem::path(*v);
        }
        // Everything else (default-channels, pypi-config, shell, ...) is pixi's own business.
        return {};
    });
}

base::Result<Config> load_pixi_config(const std::filesystem::path& path) {
    PI_TRY(std::string text, base::read_file(path));
    PI_TRY(Config c, parse_pixi_config(text, path.string()));
    c.path = path;
    return c;
}

}  // namespace pixi_install::manifest
