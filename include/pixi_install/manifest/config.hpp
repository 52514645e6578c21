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

struct Config {
    std::filesystem::path path;  ///< where it was read from (empty for strings)
    std::vector<std::pair<std::string, std::string>> mirrors;  ///< FROM -> TO, file order
    std::map<std::string, std::string> bearer_tokens;          ///< lower-case host -> token
    std::optional<unsigned> concurrent_downloads;
};

/// Parses config text; errors (ErrorKind::usage) name the origin, the line and the key.
base::Result<Config> parse_config(std::string_view text, std::string_view origin);
/// Loads a config file.
base::Result<Config> load_config(const std::filesystem::path& path);

}  // namespace pixi_install::manifest
