// Private to cli: the network settings handed to fetch (TLS trust, proxies), decided
// from the flags, the environment and the config files, each with where it came from.
// Pure: the environment is a map and the file system is asked through two callbacks,
// so the precedence is unit-tested without touching the process.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/fetch/fetch.hpp"
#include "pixi_install/manifest/config.hpp"

namespace pixi_install::cli {

/// The network flags of one command line.
struct NetworkFlags {
    std::string tls_ca_cert;     ///< --tls-ca-cert FILE (or a directory of hashed certificates)
    bool tls_no_verify = false;  ///< --tls-no-verify
    std::string proxy;           ///< --proxy URL (for http and https; "" = not given)
};

/// One config file, highest precedence first in the list handed to resolve_network.
struct ConfigLayer {
    std::string origin;          ///< for `info`: "config /path/config.toml"
    const manifest::Config* config = nullptr;
};

/// One effective setting for `info`: the value (secrets masked) and its origin.
struct SettingLine {
    std::string key;
    std::string value;
    std::string origin;
    std::string problem;  ///< why the setting cannot be used as given ("" = fine)
};

struct NetworkSettings {
    fetch::TlsOptions tls;
    fetch::ProxyOptions proxy;
    std::vector<SettingLine> lines;
    std::vector<std::string> warnings;  ///< e.g. that certificates are not verified
};

/// Where statically linked curl and Go look for the system's CA certificates, in order.
const std::vector<std::string>& system_ca_files();
const std::vector<std::string>& system_ca_dirs();

using PathProbe = std::function<bool(const std::filesystem::path&)>;

/// Decides the settings. Precedence: flags > environment (SSL_CERT_FILE, SSL_CERT_DIR,
/// *_proxy) > config layers in the order given > the system's CA locations.
/// A CA file or directory that does not exist is no error here: it is recorded in
/// `tls.problem` (and a warning), and only https transfers refuse to start for it.
base::Result<NetworkSettings> resolve_network(const NetworkFlags& flags, const std::map<std::string, std::string>& env,
                                              const std::vector<ConfigLayer>& configs, const PathProbe& is_file,
                                              const PathProbe& is_dir);

}  // namespace pixi_install::cli
