// Private to build: the pieces build_wheel is made of.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/build/build.hpp"
#include "pixi_install/spec/pep508.hpp"
#include "pixi_install/spec/wheel_tags.hpp"

namespace pixi_install::build {

std::filesystem::path built_dir(const std::filesystem::path& cache_dir);

/// Moves `wheel` into the built-wheel cache under `key` with its build record.
base::Result<BuiltWheel> store_built(const std::filesystem::path& cache_dir, const std::string& key,
                                     const std::filesystem::path& wheel, const std::string& backend,
                                     const std::vector<BuildDependency>& build_set, const std::string& name,
                                     const std::string& identity);

/// A build dependency chosen from a wheel directory: its record and its file.
struct ChosenWheel {
    BuildDependency dep;
    std::filesystem::path path;
};

/// Chooses, for `requirements` (PEP 508 strings) and everything they require in
/// turn, the newest wheel in `find_links` whose tags `tags` supports and whose
/// version meets every requirement on it — or, when none does and `index` is given, the
/// newest such wheel its indexes list with a sha256 (downloaded and verified), in index
/// order; `chosen` holds what earlier rounds
/// took and is extended. Not a resolver: a requirement that the chosen version
/// does not meet is a conflict (ErrorKind::build), as is a requirement no wheel meets
/// (ErrorKind::unavailable).
base::Result<void> choose_build_set(const std::vector<std::string>& requirements,
                                    const std::vector<std::filesystem::path>& find_links, const IndexAccess* index,
                                    const spec::TagSet& tags, const spec::pep508::MarkerEnvironment& markers,
                                    const std::string& for_what, std::vector<ChosenWheel>& chosen);

/// What a finished child process left.
struct ProcessResult {
    int exit_code = 0;  ///< 128 + signal when killed
};

/// Runs argv in `cwd` with `env`, its output appended to `log`, in a process group
/// of its own that is killed when `cancel` is set (ErrorKind::interrupted).
base::Result<ProcessResult> run_logged(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                       const std::filesystem::path& cwd, const std::filesystem::path& log,
                                       const std::atomic<bool>* cancel);

}  // namespace pixi_install::build
