// Private to cli: every download setting in one merged value, read where
// pixi-install's own config is read, with the origin of each for `info`.
//
// Precedence, highest first: command-line flags > environment variables >
// pixi-install's config (--config / $PIXI_INSTALL_CONFIG / ~/.config/pixi-install) >
// the workspace's .pixi/config.toml (next to the lock) > pixi's global configs
// ($PIXI_HOME/config.toml or ~/.pixi/config.toml, then $XDG_CONFIG_HOME/pixi/config.toml
// or ~/.config/pixi/config.toml, then /etc/pixi/config.toml) > defaults.
// Credentials: PIXI_INSTALL_BEARER_TOKENS > bearer-tokens of pixi-install's config >
// rattler's auth files ($RATTLER_AUTH_FILE, then pixi's authentication-override-file,
// then ~/.rattler/credentials.json) > ~/.netrc (read by curl).
// S3: rattler's S3Credentials for a bucket > AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/
// AWS_SESSION_TOKEN > the profile (AWS_PROFILE, else "default") in
// $AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), then $AWS_CONFIG_FILE (~/.aws/config);
// region: the bucket's s3-options > AWS_REGION > AWS_DEFAULT_REGION > the profile's > us-east-1.
#pragma once

#include <deque>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "command.hpp"
#include "network_settings.hpp"
#include "pixi_install/fetch/fetch.hpp"
#include "pixi_install/manifest/config.hpp"

namespace pixi_install::cli {

struct EffectiveSettings {
    std::deque<manifest::Config> configs;  ///< highest precedence first
    std::vector<ConfigLayer> layers;       ///< one per config, same order
    NetworkSettings network;
    std::vector<fetch::Mirror> mirrors;    ///< flags first, then each layer's
    unsigned concurrent_downloads = 16;
    std::map<std::string, std::string> bearer_tokens;
    std::map<std::string, fetch::Credential> credentials;
    std::map<std::string, manifest::S3Options> s3_options;  ///< bucket -> options (pixi's s3-options)
    fetch::AwsCredentials aws;             ///< AWS_* variables over the AWS profile's files
    std::vector<SettingLine> lines;        ///< for `info`: every setting, secrets masked
    std::vector<std::string> warnings;
};

/// What the command line says; the rest comes from the environment and the files.
struct SettingsRequest {
    std::string config_flag;                 ///< --config
    NetworkFlags network;
    std::vector<std::string> mirror_flags;   ///< --mirror FROM=TO
    unsigned jobs = 0;                       ///< -j (0: not given)
    std::filesystem::path workspace;         ///< the lock's directory ("" = the current one)
};

/// The config files pixi reads, lowest precedence first, for this environment.
std::vector<std::filesystem::path> pixi_global_config_paths(const Globals& g);

base::Result<EffectiveSettings> effective_settings(const Globals& g, const SettingsRequest& request);

}  // namespace pixi_install::cli
