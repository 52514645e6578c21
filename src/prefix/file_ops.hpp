// File primitives of the linker: replace, clone (FICLONE), copy. Private to prefix.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::prefix::detail {

/// Closes its descriptor on destruction.
struct FdGuard {
    int fd = -1;
    ~FdGuard();
};

/// Removes whatever is at `leaf` in the directory `dir` (a file, a symlink or an empty
/// directory); ENOENT is fine. `shown` names it in errors.
base::Result<void> remove_existing(int dir, const std::string& leaf, const std::string& shown);
/// The permission bits that new files in one directory are known to get exactly as asked
/// (neither the umask nor a default ACL of the directory takes any away): a copy with one of
/// them needs no check of its mode. Valid for one directory; cleared when the caller moves on.
struct ExactModes {
    std::vector<unsigned> modes;
    bool has(unsigned mode) const;
};

/// Clones the open regular file `src`, whose status is `st` (the caller's lstat of it), to
/// `leaf` in `dir` (replacing it) with permissions and times; false when the file system
/// cannot clone (nothing is left there then).
base::Result<bool> try_reflink(int src, const struct stat& st, int dir, const std::string& leaf,
                               const std::string& shown);
/// Copies the open regular file `src`, whose status is `st` (the caller's lstat of it), to
/// `leaf` in `dir` (replacing it) with copy_file_range: `st.st_size` bytes, its permissions
/// and times. `exact` (may be null) holds what is known of new files' modes in `dir`, and
/// learns from this one.
base::Result<void> copy_file(int src, const struct stat& st, int dir, const std::string& leaf,
                             const std::string& shown, ExactModes* exact = nullptr);
/// Creates `leaf` in `dir` afresh (replacing what is there, never through a link) with
/// `content`, permissions `mode` and both times `mtime` (when not negative).
base::Result<void> write_new_file(int dir, const std::string& leaf, const std::string& shown, std::string_view content,
                                  unsigned mode, long long mtime);
/// The sha256 (hex) of the open file `fd`, read from its start.
base::Result<std::string> sha256_of(int fd, const std::string& shown);

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
