// `pixi-install pack`: collect and verify every artifact (conda archives and
// wheels) of chosen environments/platforms of a lock, and write them with the lock
// and a manifest into an offline bundle (a directory or an uncompressed .tar) that
// `pixi-install --offline --bundle BUNDLE` installs from.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "pixi_install/base/reporter.hpp"
#include "pixi_install/base/result.hpp"
#include "pixi_install/fetch/fetch.hpp"
#include "pixi_install/install/inject.hpp"
#include "pixi_install/lockfile/model.hpp"

namespace pixi_install::install {

struct PackOptions {
    std::filesystem::path lock = "pixi.lock";   ///< a lock file, or a directory holding pixi.lock
    std::vector<std::string> environments;      ///< empty = {"default"}
    std::vector<std::string> platforms;         ///< empty = every platform each environment has
    std::filesystem::path output;               ///< "*.tar" = tar file, otherwise a directory
    /// git PyPI entries and conda source packages cannot be bundled: an error lists
    /// them, unless this is set, in which case each is reported as a warning and left
    /// out (with sdists and local directories too). Sdists are bundled (they are built
    /// at install time); local directories are the project itself and travel with it.
    bool ignore_non_wheels = false;
    /// Wheel directories whose wheels are bundled as build dependencies of source
    /// entries (listed in the bundle's build-wheels.tsv; install takes them from there).
    std::vector<std::filesystem::path> find_links;
    /// Artifacts built elsewhere, bundled in place of the records they match (see inject.hpp).
    std::vector<std::filesystem::path> inject;
    fetch::FetchOptions fetch;                  ///< cache, mirrors, auth, parallelism, offline
};

/// What the bundle will hold: one artifact per distinct file, with the lock
/// locations it serves.
struct PackPlan {
    std::vector<fetch::Artifact> artifacts;
    std::vector<std::vector<std::string>> locations;  ///< parallel to `artifacts`
    std::vector<std::string> left_out;                ///< "name (location): why"
    std::vector<std::string> notes;                   ///< local directories: not bundled, not refused
    std::vector<std::string> sdists;                  ///< sha256 of the bundled sdists (their built wheels go too)
};

/// The top-level bundle file listing build-dependency wheels: "sha256 TAB file name" lines.
inline constexpr const char* kBuildWheelsFile = "build-wheels.tsv";
/// The top-level bundle file listing wheels built from bundled sdists (taken from the
/// packing machine's built-wheel cache): "wheel sha256 TAB file name TAB sdist sha256".
inline constexpr const char* kBuiltWheelsFile = "built-wheels.tsv";

struct PackSummary {
    std::size_t artifacts = 0;
    std::size_t build_wheels = 0;
    std::size_t built_wheels = 0;
    std::uint64_t bytes = 0;
    std::vector<std::string> left_out;
};

/// Pure: the artifacts of `environments` x `platforms` of `lock` (defaults as in PackOptions).
base::Result<PackPlan> plan_pack(const lockfile::LockFile& lock, const std::vector<std::string>& environments,
                                 const std::vector<std::string>& platforms, bool ignore_non_wheels,
                                 const std::vector<Injection>& injections = {});

/// Loads the lock, plans, fetches (verifying every hash) and writes the bundle.
base::Result<PackSummary> pack(const PackOptions& options, base::Reporter& reporter);

}  // namespace pixi_install::install
