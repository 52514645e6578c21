// File helpers: reading, atomic writes, temporary directories and file locks.
// All return Result; none throws.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"

namespace pixi_install::base {

namespace fs = std::filesystem;

Result<std::string> read_file(const fs::path& path);

/// Writes `content` to a unique temporary file next to `path`, fsyncs it when
/// `durable`, then renames it over `path`: readers see the old or the new file, never half.
/// Writes all of `data` to `fd` (retrying short writes and EINTR); `what` names
/// the file in the error.
Result<void> write_all(int fd, std::string_view data, std::string_view what);

Result<void> write_file_atomic(const fs::path& path, std::string_view content, bool durable = false,
                               unsigned mode = 0644);

/// Creates `dir` and its parents; an existing directory is fine.
Result<void> make_dirs(const fs::path& dir);

/// A unique name next to `target` for a temporary sibling (same filesystem, so rename is atomic).
fs::path unique_sibling(const fs::path& target, std::string_view tag = "tmp");

/// Removes a tree, ignoring a missing one.
Result<void> remove_tree(const fs::path& path);

/// Sets the access and modification times of `path` (a symlink itself, not its target)
/// to `seconds` after the epoch.
Result<void> set_path_time(const fs::path& path, std::int64_t seconds);
/// The same for `root` and everything below it, without following symlinks; every
/// directory after its content (so creating nothing more leaves the times as set).
Result<void> set_tree_time(const fs::path& root, std::int64_t seconds);

/// A temporary directory removed (recursively) when the object dies, unless released.
class TempDir {
public:
    /// Creates a fresh directory under `parent` (the system temp dir when empty).
    static Result<TempDir> create(const fs::path& parent = {}, std::string_view prefix = "pixi-install-");
    TempDir() = default;
    TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
    TempDir& operator=(TempDir&& o) noexcept;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    const fs::path& path() const { return path_; }
    /// Keeps the directory; the caller now owns it.
    fs::path release();

private:
    explicit TempDir(fs::path p) : path_(std::move(p)) {}
    fs::path path_;
};

/// The process's file mode creation mask (read once; pixi-install never changes it).
unsigned current_umask();

/// Raises the soft limit of open files towards the hard limit (one lock per package may
/// stay open for a whole install); failures are ignored.
void raise_open_file_limit();

/// An advisory lock (flock) on a lock file, exclusive or shared, released on destruction.
/// Locks across processes; it also works on NFS v4 (flock is emulated with fcntl there).
/// A lock file that cannot be opened for writing (another user's, a read-only cache) is
/// opened read-only: flock needs no write access.
class FileLock {
public:
    /// Blocks until the lock is held. `on_wait` is called once if the lock is busy.
    template <class F>
    static Result<FileLock> acquire(const fs::path& lock_path, F&& on_wait) {
        PI_TRY(FileLock l, open(lock_path));
        PI_TRY(bool got, l.try_lock());
        if (!got) {
            on_wait();
            PI_TRY_VOID(l.lock_blocking());
        }
        return l;
    }
    static Result<FileLock> acquire(const fs::path& lock_path) {
        return acquire(lock_path, [] {});
    }
    /// Opens (creating, mode 0666 less the umask) the lock file without locking.
    static Result<FileLock> open(const fs::path& lock_path);
    /// Opens an existing lock file, creating it only where that is allowed; nullopt
    /// (no error) when it is missing and cannot be created (a read-only directory).
    static Result<std::optional<FileLock>> open_if_possible(const fs::path& lock_path);
    Result<bool> try_lock(bool shared = false);
    Result<void> lock_blocking(bool shared = false);
    /// Turns a held lock into a shared one (others may then share it).
    Result<void> downgrade();
    void unlock();
    bool is_open() const { return fd_ >= 0; }

    FileLock() = default;
    FileLock(FileLock&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
    FileLock& operator=(FileLock&& o) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

private:
    int fd_ = -1;
    fs::path path_;
};

/// Lexically normalizes `p` and makes it absolute against the current directory.
fs::path absolute_normal(const fs::path& p);

}  // namespace pixi_install::base
