#include "pixi_install/cache/package_cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <system_error>
#include <thread>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/strings.hpp"

namespace pixi_install::cache {

namespace fs = std::filesystem;
using base::ErrorKind;

namespace {

constexpr std::size_t kTempSuffix = 7;  // "-XXXXXX" of mkdtemp

/// The marker's content for `sha256`, or empty when the marker is missing/unreadable.
std::string read_marker(const fs::path& marker) {
    auto content = base::read_file(marker);
    if (!content) return {};
    std::string s = std::move(*content);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

/// Leftovers of an interrupted population of `dir_name`: `<dir_name>-XXXXXX` in tmp/.
/// Only called while holding the entry's lock, so no live extraction owns them.
void remove_stale_temps(const fs::path& tmp_dir, const std::string& dir_name) {
    std::error_code ec;
    for (fs::directory_iterator it(tmp_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() == dir_name.size() + kTempSuffix && name.compare(0, dir_name.size(), dir_name) == 0 &&
            name[dir_name.size()] == '-')
            (void)base::remove_tree(it->path());
    }
}

/// An entry is immutable and may be linked from by other users: nothing in it may be
/// writable by group or others (whatever the archive or the umask said); its top
/// directory is readable as the umask allows, keeping a setgid parent's bit.
base::Result<void> seal_entry(const fs::path& dir) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0 || S_ISLNK(st.st_mode)) continue;
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
            ::chmod(it->path().c_str(), st.st_mode & 07777 & ~mode_t(S_IWGRP | S_IWOTH)) != 0)
            return base::fail_errno("cannot set the mode of", it->path().string(), errno);
    }
    if (ec) return base::fail(ErrorKind::failure, "cannot read " + dir.string() + ": " + ec.message());
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return base::fail_errno("cannot stat", dir.string(), errno);
    const mode_t mode = (0755 & ~static_cast<mode_t>(base::current_umask())) | (st.st_mode & S_ISGID);
    if (::chmod(dir.c_str(), mode) != 0) return base::fail_errno("cannot set the mode of", dir.string(), errno);
    return {};
}

/// Whether files of an entry may share an inode with a prefix: it belongs to this user
/// (or root) and neither it nor its index is writable by group or others.
bool is_trusted(const struct stat& st) {
    return (st.st_uid == ::geteuid() || st.st_uid == 0) && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/// Marks the cache root for backup tools (https://bford.info/cachedir/), once.
base::Result<void> tag_cache_dir(const fs::path& root) {
    const fs::path tag = root / "CACHEDIR.TAG";
    struct stat st {};
    if (::stat(tag.c_str(), &st) == 0) return {};
    return base::write_file_atomic(tag,
                                   "Signature: 8a477f597d28d172789f06886806bc55\n"
                                   "# This file is a cache directory tag created by pixi-install.\n");
}

}  // namespace

PackageCache::PackageCache(fs::path root) : root_(std::move(root)) {}

base::Result<void> PackageCache::validate_dir_name(const std::string& dir_name) {
    auto bad = [&](std::string_view why) {
        return base::fail(ErrorKind::integrity, "invalid package cache entry name '" + base::printable(dir_name) +
                                                    "': " + std::string(why) +
                                                    " (the record's name, version or build is malformed)");
    };
    if (auto problem = base::segment_problem(dir_name); !problem.empty()) return bad(problem);
    if (dir_name.find("..") != std::string::npos) return bad("contains '..'");
    if (dir_name.front() == '.') return bad("starts with '.'");
    if (dir_name.size() > 200) return bad("is longer than 200 characters");
    return {};
}

std::string PackageCache::entry_name(const std::string& dir_name, const std::string& sha256) {
    return dir_name + "-" + base::normalize_hex(sha256).substr(0, 16);
}

fs::path PackageCache::marker_path(const std::string& dir_name, const std::string& sha256) const {
    return state_dir() / (entry_name(dir_name, sha256) + ".complete");
}

std::optional<CacheEntry> PackageCache::check_entry(const std::string& entry, const std::string& sha256) const {
    if (read_marker(state_dir() / (entry + ".complete")) != base::normalize_hex(sha256)) return std::nullopt;
    const fs::path dir = pkgs_dir() / entry;
    struct stat dst {}, ist {};
    if (::lstat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode)) return std::nullopt;
    if (::lstat((dir / "info" / "index.json").c_str(), &ist) != 0 || !S_ISREG(ist.st_mode)) return std::nullopt;
    CacheEntry e;
    e.dir = dir;
    e.trusted = is_trusted(dst) && is_trusted(ist);
    return e;
}

std::optional<CacheEntry> PackageCache::lookup(const std::string& dir_name, const std::string& sha256) const {
    if (!validate_dir_name(dir_name) || !base::is_hex_digest(sha256, 32)) return std::nullopt;
    const std::string entry = entry_name(dir_name, sha256);
    // A cache this user cannot write may have no lock file to take: a complete entry is
    // immutable, so it is read without one.
    auto lock = base::FileLock::open_if_possible(state_dir() / (entry + ".lock"));
    if (!lock.ok()) return std::nullopt;
    if (*lock && !(*lock)->lock_blocking(/*shared=*/true).ok()) return std::nullopt;
    auto hit = check_entry(entry, sha256);
    if (hit && *lock) hit->lock = std::move(**lock);
    return hit;
}

base::Result<fs::path> PackageCache::ensure_extracted(const fs::path& archive, const std::string& sha256,
                                                      const std::string& dir_name,
                                                      const archive::ExtractOptions& options) {
    PI_TRY(CacheEntry entry, ensure(archive, sha256, dir_name, options));
    return std::move(entry.dir);
}

base::Result<CacheEntry> PackageCache::ensure(const fs::path& archive, const std::string& sha256,
                                              const std::string& dir_name,
                                              const archive::ExtractOptions& options) {
    PI_TRY_VOID(validate_dir_name(dir_name));
    if (!base::is_hex_digest(sha256, 32))
        return base::fail(ErrorKind::integrity, "invalid sha256 '" + sha256 + "' for " + dir_name +
                                                    " (expected 64 hex digits)");
    const std::string entry = entry_name(dir_name, sha256);
    for (;;) {
        if (auto hit = lookup(dir_name, sha256)) return std::move(*hit);
        PI_TRY_VOID(base::make_dirs(state_dir() / "tmp"));
        PI_TRY_VOID(tag_cache_dir(root_));
        PI_TRY(base::FileLock lock, base::FileLock::open(state_dir() / (entry + ".lock")));
        // One populator per entry, across threads and processes. Never block for the
        // exclusive lock: readers hold shared locks for a whole install, and one of them
        // may be waiting for an entry this process reads. Wait as a reader instead.
        PI_TRY(bool mine, lock.try_lock());
        if (!mine) {
            PI_TRY_VOID(lock.lock_blocking(/*shared=*/true));
            if (auto hit = check_entry(entry, sha256)) {
                hit->lock = std::move(lock);
                return std::move(*hit);
            }
            lock.unlock();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
        }
        if (auto hit = check_entry(entry, sha256)) {
            PI_TRY_VOID(lock.downgrade());
            hit->lock = std::move(lock);
            return std::move(*hit);
        }
        PI_TRY(CacheEntry made, populate(archive, sha256, entry, options));
        PI_TRY_VOID(lock.downgrade());
        made.lock = std::move(lock);
        return made;
    }
}

base::Result<CacheEntry> PackageCache::populate(const fs::path& archive, const std::string& sha256,
                                                const std::string& entry, const archive::ExtractOptions& options) {
    const fs::path tmp_dir = state_dir() / "tmp";
    const fs::path dir = pkgs_dir() / entry;
    const fs::path marker = state_dir() / (entry + ".complete");
    remove_stale_temps(tmp_dir, entry);

    PI_TRY(base::TempDir staging, base::TempDir::create(tmp_dir, entry + "-"));
    auto extracted = archive::extract_conda_package(archive, staging.path(), options);
    if (!extracted)
        return std::move(extracted).error().with_context("while extracting " + archive.filename().string() +
                                                         " into the package cache " + pkgs_dir().string());
    PI_TRY_VOID(seal_entry(staging.path()));
    // Only an invalid entry (no marker, no index) is ever replaced: moved aside in one
    // rename, the new one renamed in, and the old one deleted at leisure.
    std::error_code ec;
    std::optional<base::TempDir> trash;
    if (fs::symlink_status(dir, ec).type() != fs::file_type::not_found) {
        PI_TRY(base::TempDir t, base::TempDir::create(tmp_dir, entry + "-"));
        if (::rename(dir.c_str(), (t.path() / "old").c_str()) != 0)
            return base::fail_errno("cannot move the invalid cache entry aside", dir.string(), errno);
        trash = std::move(t);
    }
    // A marker left by an entry someone deleted by hand would make this one look complete
    // before its own marker is written (to readers without a lock: a read-only cache).
    if (::unlink(marker.c_str()) != 0 && errno != ENOENT)
        return base::fail_errno("cannot remove the stale completion marker", marker.string(), errno);
    if (::rename(staging.path().c_str(), dir.c_str()) != 0)
        return base::fail_errno("cannot move extracted package into place", dir.string(), errno);
    staging.release();
    if (auto marked = base::write_file_atomic(marker, base::normalize_hex(sha256) + "\n"); !marked.ok()) {
        // (A full disk can refuse the marker after the files fitted.) Without it the entry is
        // invalid, passed by and replaced later; it goes now instead of staying as litter.
        (void)base::remove_tree(dir);
        return std::move(marked).error().with_context("while recording the cache entry " + dir.string() +
                                                      " as complete");
    }
    auto made = check_entry(entry, sha256);
    if (!made) return base::fail(ErrorKind::failure, "the cache entry " + dir.string() + " vanished after it was made");
    made->extracted = true;
    return std::move(*made);
}

}  // namespace pixi_install::cache
