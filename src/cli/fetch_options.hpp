// Private to cli: the download-related flags shared by the commands that fetch
// (pack, install), and how they and the environment become fetch::FetchOptions.
#pragma once

#include <string>
#include <vector>

#include "command.hpp"
#include "network_settings.hpp"
#include "pixi_install/fetch/fetch.hpp"

namespace pixi_install::cli {

struct FetchFlags {
    std::string cache_dir;                 ///< --cache-dir
    std::vector<std::string> mirrors;      ///< --mirror FROM=TO (repeatable)
    std::vector<std::string> bundles;      ///< --bundle PATH (repeatable)
    bool offline = false;                  ///< --offline
    bool require_hashes = false;           ///< --require-hashes
    unsigned jobs = 0;                     ///< -j: concurrent downloads (0: the config's, else 16)
    std::string config;                    ///< --config: pixi-install's config file
    double connect_timeout_s = 30;         ///< --connect-timeout
    double low_speed_timeout_s = 60;       ///< --low-speed-timeout: abort below 1 KiB/s for this long
    unsigned retries = 5;                  ///< --retries: attempts per artifact
    NetworkFlags network;                  ///< --tls-ca-cert, --tls-no-verify, --proxy
};

/// Registers --config, --tls-ca-cert, --tls-no-verify and --proxy (also used by `info`).
void add_network_flags(CLI::App& sub, std::string& config, NetworkFlags& flags);



/// Registers --cache-dir, --mirror, -j, --offline, --require-hashes, --connect-timeout, --low-speed-timeout,
/// --retries, the network flags and (when `with_bundle`) --bundle on `sub`.
void add_fetch_flags(CLI::App& sub, FetchFlags& flags, bool with_bundle);

/// The cache directory: --cache-dir, else default_cache_dir() (common.hpp).
std::string resolve_cache_dir(const Globals& g, const std::string& flag);

/// The config file to read: --config, else $PIXI_INSTALL_CONFIG, else
/// $XDG_CONFIG_HOME/pixi-install/config.toml (~/.config/...) when it exists; empty = none.
std::string resolve_config_path(const Globals& g, const std::string& flag);

/// Flags + environment + config files (settings.hpp: what is read, in which order)
/// -> options; prints the settings' warnings (such as --tls-no-verify's) to stderr.
/// `workspace`: the lock's directory, whose .pixi/config.toml is read. Reads NETRC, and
/// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION /
/// AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL.
base::Result<fetch::FetchOptions> make_fetch_options(const Globals& g, const FetchFlags& flags,
                                                     const std::filesystem::path& workspace);

}  // namespace pixi_install::cli
