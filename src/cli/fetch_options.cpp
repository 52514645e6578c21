#include "fetch_options.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "common.hpp"
#include "noop.hpp"
#include "pixi_install/base/redact.hpp"
#include "settings.hpp"
#include "pixi_install/manifest/config.hpp"
#include "signals.hpp"
#include "usage.hpp"

namespace pixi_install::cli {

void add_fetch_flags(CLI::App& sub, FetchFlags& f, bool with_bundle) {
    sub.add_option("--cache-dir", f.cache_dir,
                   "Artifact cache (default: $PIXI_INSTALL_CACHE_DIR, else $XDG_CACHE_HOME/pixi-install)");
    sub.add_option("--mirror", f.mirrors, "Fetch locations starting with FROM from TO instead (FROM=TO; repeatable)");
    if (with_bundle) sub.add_option("--bundle", f.bundles, "Take artifacts from a bundle made by `pack` (repeatable)");
    sub.add_flag("--offline", f.offline, "Never use the network: only the cache, bundles and local files");
    sub.add_flag("--require-hashes", f.require_hashes,
                 "Refuse to download an artifact the lock gives no sha256 or md5 for (exit 4) instead of using it "
                 "unverified with a warning (also PIXI_INSTALL_REQUIRE_HASHES=1)");
    sub.add_option("-j,--jobs", f.jobs, "Concurrent downloads (default: concurrent-downloads from the config, else 16)")
        ->check(whole_number_at_least(1));
    add_network_flags(sub, f.config, f.network);
    sub.add_option("--connect-timeout", f.connect_timeout_s, "Seconds to wait for a connection")
        ->capture_default_str()->check(positive_number());
    sub.add_option("--low-speed-timeout", f.low_speed_timeout_s,
                   "Abort (and retry) a transfer slower than 1 KiB/s for this many seconds")
        ->capture_default_str()->check(positive_number());
    sub.add_option("--retries", f.retries, "Attempts per host and per artifact")
        ->capture_default_str()
        ->check(whole_number_at_least(1));
}

void add_network_flags(CLI::App& sub, std::string& config, NetworkFlags& n) {
    sub.add_option("--config", config,
                   "Config file with [mirrors] and [bearer-tokens] (default: $PIXI_INSTALL_CONFIG, else "
                   "~/.config/pixi-install/config.toml when present)");
    sub.add_option("--tls-ca-cert", n.tls_ca_cert,
                   "Trust the CA certificates in this PEM file (or directory) instead of the system's "
                   "(default: $SSL_CERT_FILE / $SSL_CERT_DIR, else tls-ca-cert from the config, else the system bundle)");
    sub.add_flag("--tls-no-verify", n.tls_no_verify,
                 "Do not verify TLS certificates (insecure: only the lock's hashes protect the downloads)");
    sub.add_option("--proxy", n.proxy,
                   "Send http and https downloads through this proxy (http://[user:password@]host:port; default: "
                   "https_proxy/http_proxy/all_proxy, else proxy-config from the config)");
}

std::string resolve_cache_dir(const Globals& g, const std::string& flag) {
    if (!flag.empty()) return flag;
    return default_cache_dir(g).string();
}

std::string resolve_config_path(const Globals& g, const std::string& flag) {
    if (!flag.empty()) return flag;
    if (const auto* v = g.getenv("PIXI_INSTALL_CONFIG"); v && !v->empty()) return *v;
    std::filesystem::path dir;
    if (const auto* x = g.getenv("XDG_CONFIG_HOME"); x && !x->empty()) dir = *x;
    else if (const auto* h = g.getenv("HOME"); h && !h->empty()) dir = std::filesystem::path(*h) / ".config";
    if (dir.empty()) return {};
    auto p = dir / "pixi-install" / "config.toml";
    std::error_code ec;
    return std::filesystem::exists(p, ec) ? p.string() : std::string();
}

base::Result<fetch::FetchOptions> make_fetch_options(const Globals& g, const FetchFlags& f,
                                                     const std::filesystem::path& workspace) {
    fetch::FetchOptions o;
    o.cache_dir = resolve_cache_dir(g, f.cache_dir);
    for (const auto& b : f.bundles) o.bundles.emplace_back(b);
    o.offline = f.offline;
    PI_TRY(bool require_env, env_flag(g, "PIXI_INSTALL_REQUIRE_HASHES"));
    o.require_hashes = f.require_hashes || require_env;
    SettingsRequest request{f.config, f.network, f.mirrors, f.jobs, workspace};
    PI_TRY(EffectiveSettings eff, effective_settings(g, request));
    o.max_parallel = eff.concurrent_downloads;
    o.tls = std::move(eff.network.tls);
    o.proxy = std::move(eff.network.proxy);
    o.mirrors = std::move(eff.mirrors);
    o.bearer_tokens = std::move(eff.bearer_tokens);
    o.credentials = std::move(eff.credentials);
    for (const auto& w : eff.warnings) std::cerr << "warning: " << base::redact(w) << "\n";
    if (const auto* v = g.getenv("NETRC"); v && !v->empty()) o.netrc = *v;
    o.aws = std::move(eff.aws);
    for (const auto& [bucket, s3] : eff.s3_options)
        o.s3_buckets[bucket] = fetch::S3Bucket{s3.endpoint_url, s3.region, s3.force_path_style};
    o.timeouts.connect_ms = static_cast<long>(f.connect_timeout_s * 1000);
    o.timeouts.low_speed_seconds = std::max(1L, static_cast<long>(f.low_speed_timeout_s));
    o.retries.attempts = f.retries;
    o.cancel = &interrupted_flag();
    return o;
}

}  // namespace pixi_install::cli
