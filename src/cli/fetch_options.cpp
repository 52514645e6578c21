#include "fetch_options.hpp"

#include <CLI/CLI.hpp>

#include "common.hpp"
#include "pixi_install/manifest/config.hpp"
#include "signals.hpp"

namespace pixi_install::cli {

void add_fetch_flags(CLI::App& sub, FetchFlags& f, bool with_bundle) {
    sub.add_option("--cache-dir", f.cache_dir,
                   "Artifact cache (default: $PIXI_INSTALL_CACHE_DIR, else $XDG_CACHE_HOME/pixi-install)");
    sub.add_option("--mirror", f.mirrors, "Fetch locations starting with FROM from TO instead (FROM=TO; repeatable)");
    if (with_bundle) sub.add_option("--bundle", f.bundles, "Take artifacts from a bundle made by `pack` (repeatable)");
    sub.add_flag("--offline", f.offline, "Never use the network: only the cache, bundles and local files");
    sub.add_option("-j,--jobs", f.jobs, "Concurrent downloads (default: concurrent-downloads from the config, else 16)")
        ->check(CLI::PositiveNumber);
    sub.add_option("--config", f.config,
                   "Config file with [mirrors] and [bearer-tokens] (default: $PIXI_INSTALL_CONFIG, else "
                   "~/.config/pixi-install/config.toml when present)");
    sub.add_option("--connect-timeout", f.connect_timeout_s, "Seconds to wait for a connection")
        ->capture_default_str()->check(CLI::PositiveNumber);
    sub.add_option("--low-speed-timeout", f.low_speed_timeout_s,
                   "Abort (and retry) a transfer slower than 1 KiB/s for this many seconds")
        ->capture_default_str()->check(CLI::PositiveNumber);
    sub.add_option("--retries", f.retries, "Attempts per artifact")->capture_default_str()->check(CLI::PositiveNumber);
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

base::Result<fetch::FetchOptions> make_fetch_options(const Globals& g, const FetchFlags& f) {
    fetch::FetchOptions o;
    o.cache_dir = resolve_cache_dir(g, f.cache_dir);
    for (const auto& b : f.bundles) o.bundles.emplace_back(b);
    o.offline = f.offline;
    manifest::Config config;
    if (std::string path = resolve_config_path(g, f.config); !path.empty()) {
        PI_TRY(config, manifest::load_config(path));
    }
    o.max_parallel = f.jobs ? f.jobs : config.concurrent_downloads.value_or(16);
    for (const auto& m : f.mirrors) {
        PI_TRY(fetch::Mirror mirror, fetch::parse_mirror(m));
        o.mirrors.push_back(std::move(mirror));
    }
    for (const auto& [from, to] : config.mirrors) {
        auto parsed = fetch::parse_mirror(from + "=" + to);
        if (!parsed.ok()) return std::move(parsed).error().with_context("in " + config.path.string());
        o.mirrors.push_back(std::move(*parsed));  // after the command line's: those win on equal prefixes
    }
    o.bearer_tokens = config.bearer_tokens;
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
            std::string host = item.substr(0, eq);
            for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            o.bearer_tokens[host] = item.substr(eq + 1);
        }
    }
    if (const auto* v = g.getenv("NETRC"); v && !v->empty()) o.netrc = *v;
    auto env = [&](const char* name) {
        const auto* v = g.getenv(name);
        return v ? *v : std::string();
    };
    o.aws.access_key_id = env("AWS_ACCESS_KEY_ID");
    o.aws.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    o.aws.session_token = env("AWS_SESSION_TOKEN");
    if (!env("AWS_REGION").empty()) o.aws.region = env("AWS_REGION");
    else if (!env("AWS_DEFAULT_REGION").empty()) o.aws.region = env("AWS_DEFAULT_REGION");
    o.aws.endpoint = !env("AWS_ENDPOINT_URL_S3").empty() ? env("AWS_ENDPOINT_URL_S3") : env("AWS_ENDPOINT_URL");
    o.timeouts.connect_ms = static_cast<long>(f.connect_timeout_s * 1000);
    o.timeouts.low_speed_seconds = std::max(1L, static_cast<long>(f.low_speed_timeout_s));
    o.retries.attempts = f.retries;
    o.cancel = &interrupted_flag();
    return o;
}

}  // namespace pixi_install::cli
