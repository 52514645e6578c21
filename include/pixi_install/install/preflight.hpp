// What an install refuses before the prefix or the network is touched. `install` and
// `check` both ask these, so a lock that `check` approves is one `install` accepts.
//
//   check_package_names   --skip/--only name packages of the lock, never the same one twice
//   filter_selection      (pipeline.hpp) --only = the named packages and their dependencies
//   preflight             sources that cannot be built, python needs, the target directory
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/install/pipeline.hpp"
#include "pixi_install/lockfile/model.hpp"

namespace pixi_install::install {

/// A usage error when a name of `wanted` (given to `flag`) is no package of any of
/// `selections` (conda, PyPI or source; PyPI names compared normalized), listing the
/// nearest names.
base::Result<void> check_known_names(const std::vector<const lockfile::Selection*>& selections,
                                     const std::vector<std::string>& wanted, const std::string& flag);

/// `check_known_names` for --skip and --only, and a usage error when one name is in both.
base::Result<void> check_package_names(const std::vector<const lockfile::Selection*>& selections,
                                       const std::vector<std::string>& skip, const std::vector<std::string>& only);

/// What a filtered selection cannot be installed without: records that cannot be installed
/// from the lock (`not_installable`), PyPI packages or noarch: python packages without a
/// python record. An error (exit 1) listing every problem; nothing is changed.
base::Result<void> check_installable(const lockfile::Selection& filtered, const InstallOptions& options);

/// A usage error when `prefix` exists but is not a directory, or is a directory that is
/// neither empty nor an environment (no conda-meta/), unless `allow_non_env` is set.
base::Result<void> check_target_directory(const std::filesystem::path& prefix, bool allow_non_env);

/// Both of the above: everything `install_environment` checks before it starts.
base::Result<void> preflight(const lockfile::Selection& filtered, const InstallOptions& options);

}  // namespace pixi_install::install
