// Private to cli: helpers shared by the commands that read a lock and check the
// host (check, info, install): overrides from the environment, the host probe,
// lock and manifest discovery, the per-environment host check, the cache dir.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "pixi_install/host/check.hpp"
#include "pixi_install/host/detect.hpp"
#include "pixi_install/install/pipeline.hpp"
#include "pixi_install/spec/wheel_tags.hpp"
#include "pixi_install/lockfile/model.hpp"
#include "pixi_install/manifest/manifest.hpp"
#include "pixi_install/satisfy/satisfy.hpp"

namespace pixi_install::cli {

/// CONDA_OVERRIDE_* from the process environment.
host::Overrides overrides_from(const Globals& g);

/// Probes the machine (skipping the NVIDIA driver when CONDA_OVERRIDE_CUDA is set)
/// and computes its virtual packages.
struct HostView {
    host::HostFacts facts;
    host::VirtualPackages packages;
};
base::Result<HostView> probe_and_detect(const Globals& g);

/// The default cache directory: $PIXI_INSTALL_CACHE_DIR, else
/// $XDG_CACHE_HOME/pixi-install, else ~/.cache/pixi-install.
std::filesystem::path default_cache_dir(const Globals& g);

/// `-l` as given: a directory means its pixi.lock.
std::filesystem::path resolve_lock_path(const std::string& arg);

/// The manifest for a lock: `explicit_path` when given (errors are fatal), else
/// pixi.toml / pyproject.toml next to the lock (a broken one is ignored with a
/// warning appended to `warnings`); nullopt when there is none.
base::Result<std::optional<manifest::Manifest>> load_manifest_for(const std::filesystem::path& lock_path,
                                                                  const std::string& explicit_path,
                                                                  std::vector<std::string>& warnings);

/// `--locked`: checks the whole lock against its manifest (`explicit_path`, else
/// the one next to the lock). No manifest is a usage error. Returns the report;
/// the caller decides how to print it.
base::Result<satisfy::Report> check_locked(const lockfile::LockFile& lock, const std::filesystem::path& lock_path,
                                           const std::string& explicit_path);
/// The error (ErrorKind::stale, exit 7) for a report that is not ok.
base::Error stale_error(const satisfy::Report& report);
/// `{"environment", "platform", "reasons"}` per stale entry.
nlohmann::json stale_json(const satisfy::Report& report);

/// The outcome of the host check for one environment.
/// The wheel tags of the target, from the platform and the (possibly overridden) virtual
/// packages; nullopt for platforms without wheel tags.
std::optional<spec::TagPlatform> tag_platform(const host::VirtualPackages& host);

/// How the source entries of `environment` are built: wheel directories (`find_links`
/// from the command line, then the lock's and the manifest's local find-links),
/// no-build-isolation and editables from the workspace manifest (when there is one).
install::InstallOptions::SourceBuilds source_builds_for(const lockfile::LockFile& lock, const std::string& environment,
                                                       const std::filesystem::path& lock_path,
                                                       const std::optional<std::filesystem::path>& manifest_path,
                                                       const std::vector<std::string>& find_links,
                                                       const host::VirtualPackages& host,
                                                       const std::map<std::string, std::string>& env,
                                                       std::vector<std::string>& warnings);

struct EnvironmentCheck {
    std::string environment;
    std::string platform;  ///< platform name in the lock ("linux-64", "p1")
    std::string subdir;
    bool skipped = false;  ///< cross-platform target or --no-host-check
    std::vector<std::string> warnings;
    host::CheckReport report;
    /// Wheels whose tags this platform and the environment's python cannot use.
    std::vector<std::string> wheel_problems;

    bool ok() const { return skipped || (report.ok() && wheel_problems.empty()); }
};

/// Chooses the platform (`platform_arg` when given, else host::choose_platform over
/// the environment's platforms), decides whether the check runs, and checks the
/// selected records' `__*` requirements plus the manifest's system requirements.
base::Result<EnvironmentCheck> check_environment(const lockfile::LockFile& lock, const std::string& environment,
                                                 const std::string& platform_arg,
                                                 const std::optional<manifest::Manifest>& manifest,
                                                 const host::VirtualPackages& host, bool no_host_check);

/// The error (ErrorKind::host) for a failed check: unmet requirements, then wheels.
base::Error environment_error(const EnvironmentCheck& check);

/// The platform to install an environment on: `platform_arg`, else the host's
/// choice (host::choose_platform). Returns (name, subdir, declared_runnable).
base::Result<host::PlatformChoice> resolve_platform(const lockfile::LockFile& lock, const std::string& environment,
                                                    const std::string& platform_arg,
                                                    const host::VirtualPackages& host);

}  // namespace pixi_install::cli
