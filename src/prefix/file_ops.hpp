// File primitives of the linker: replace, clone (FICLONE), copy. Private to prefix.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::prefix::detail {

/// Closes its descriptor on destruction.
struct FdGuard {
    int fd = -1;
    ~FdGuard();
};

/// Removes whatever is at `dst` (a file, a symlink or an empty directory); ENOENT is fine.
base::Result<void> remove_existing(const std::string& dst);
/// Clones `src` to `dst` (replacing it) with permissions and times; false when the
/// file system cannot clone (nothing is left at `dst` then).
base::Result<bool> try_reflink(const std::string& src, const std::string& dst);
/// Copies `src` to `dst` (replacing it) with copy_file_range, permissions and times.
base::Result<void> copy_file(const std::string& src, const std::string& dst);

/// What a child process said and how it ended (128 + N for signal N).
struct ProcessOutcome {
    int exit_code = 0;
    std::string output;  ///< stdout and stderr together
};

/// Runs `argv` (argv[0] is the executable's path) with exactly `env`, in `cwd`, stdin from
/// /dev/null, stdout and stderr captured together. `what` names it in errors.
base::Result<ProcessOutcome> run_captured(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                          const std::filesystem::path& cwd, const std::string& what);

}  // namespace pixi_install::prefix::detail
