// pixi-install's own configuration file (TOML): mirrors and credentials that
// should not be typed on every command line.
//
//   # $PIXI_INSTALL_CONFIG, else $XDG_CONFIG_HOME/pixi-install/config.toml,
//   # else ~/.config/pixi-install/config.toml (or --config PATH)
//   [mirrors]                 # FROM = TO, or FROM = [TO, ...] as pixi writes it (first entry used)
//   "https://conda.anaconda.org/conda-forge" = "https://mirror.example.org/conda-forge"
//   [bearer-tokens]           # host = token, sent to that host only
//   "prefix.dev" = "pfx_..."
//   concurrent-downloads = 16
//   tls-ca-cert = "/etc/company/ca.pem"   # PEM bundle to trust (relative: to this file)
//   tls-no-verify = false                 # true: accept any certificate (insecure)
//   [proxy-config]                        # as pixi writes it
//   https = "http://proxy.example.org:3128"
//   http = "http://proxy.example.org:3128"
//   non-proxy-hosts = [".internal.example.org", "localhost"]
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::manifest {

/// pixi's `[proxy-config]`.
struct ProxyConfig {
    std::optional<std::string> https;
    std::optional<std::string> http;
    std::vector<std::string> non_proxy_hosts;
};

/// pixi's `[s3-options.<bucket>]`.
struct S3Options {
    std::string endpoint_url;
    std::string region;
    bool force_path_style = false;
};

struct Config {
    std::filesystem::path path;  ///< where it was read from (empty for strings)
    std::vector<std::pair<std::string, std::string>> mirrors;  ///< FROM -> TO, file order
    std::map<std::string, std::string> bearer_tokens;          ///< lower-case host -> token
    std::optional<unsigned> concurrent_downloads;
    std::optional<std::filesystem::path> tls_ca_cert;  ///< made absolute against the file's directory
    std::optional<bool> tls_no_verify;
    ProxyConfig proxy;
    // Read from pixi's config files only:
    std::map<std::string, S3Options> s3_options;                     ///< bucket -> options
    std::optional<std::filesystem::path> authentication_override_file;  ///< rattler auth file to use
    std::vector<std::string> warnings;  ///< keys of a pixi config that were ignored, and why
};

/// Parses config text; errors (ErrorKind::usage) name the origin, the line and the key.
base::Result<Config> parse_config(std::string_view text, std::string_view origin);
/// Loads a config file.
base::Result<Config> load_config(const std::filesystem::path& path);

/// Parses one of pixi's config files (`config.toml`) as pixi does: the keys that
/// concern downloads are read (`mirrors`, `proxy-config`, `tls-no-verify`,
/// `s3-options`, `concurrency.downloads`, `authentication-override-file`; the
/// deprecated top-level `concurrent-downloads` too), every other key of pixi's is
/// ignored. A known key of the wrong type is an error (ErrorKind::usage) naming the
/// origin, the line and the key; of a mirror entry's list of URLs the first is used
/// (as by pixi-install's own config).
base::Result<Config> parse_pixi_config(std::string_view text, std::string_view origin);
/// Loads a pixi config file.
base::Result<Config> load_pixi_config(const std::filesystem::path& path);

}  // namespace pixi_install::manifest
