#include "pixi_install/cache/package_cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

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

/// Removes `path` if it exists: errors other than "missing" are reported.
base::Result<void> remove_file(const fs::path& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return base::fail_errno("cannot remove", path.string(), errno);
    return {};
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

fs::path PackageCache::marker_path(const std::string& dir_name) const {
    return state_dir() / (dir_name + ".complete");
}

std::optional<fs::path> PackageCache::lookup(const std::string& dir_name, const std::string& sha256) const {
    if (!validate_dir_name(dir_name) || !base::is_hex_digest(sha256, 32)) return std::nullopt;
    if (read_marker(marker_path(dir_name)) != base::normalize_hex(sha256)) return std::nullopt;
    fs::path dir = pkgs_dir() / dir_name;
    struct stat st {};
    if (::stat((dir / "info" / "index.json").c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return dir;
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
    if (auto hit = lookup(dir_name, sha256)) return CacheEntry{*hit, false};

    const fs::path tmp_dir = state_dir() / "tmp";
    PI_TRY_VOID(base::make_dirs(tmp_dir));
    PI_TRY_VOID(tag_cache_dir(root_));
    // One populator per entry, across threads and processes; the others wait and reuse.
    PI_TRY(base::FileLock lock, base::FileLock::acquire(state_dir() / (dir_name + ".lock")));
    if (auto hit = lookup(dir_name, sha256)) return CacheEntry{*hit, false};

    const fs::path dir = pkgs_dir() / dir_name;
    const fs::path marker = marker_path(dir_name);
    PI_TRY_VOID(remove_file(marker));  // from here on the old entry (if any) is invalid
    remove_stale_temps(tmp_dir, dir_name);
    std::error_code ec;
    if (fs::symlink_status(dir, ec).type() != fs::file_type::not_found) {
        // Move the stale entry out of the way in one rename, then delete it at leisure.
        PI_TRY(base::TempDir trash, base::TempDir::create(tmp_dir, dir_name + "-"));
        if (::rename(dir.c_str(), (trash.path() / "old").c_str()) != 0)
            return base::fail_errno("cannot move stale cache entry", dir.string(), errno);
    }

    PI_TRY(base::TempDir staging, base::TempDir::create(tmp_dir, dir_name + "-"));
    auto extracted = archive::extract_conda_package(archive, staging.path(), options);
    if (!extracted)
        return std::move(extracted).error().with_context("while extracting " + archive.filename().string() +
                                                         " into the package cache " + pkgs_dir().string());
    if (::rename(staging.path().c_str(), dir.c_str()) != 0)
        return base::fail_errno("cannot move extracted package into place", dir.string(), errno);
    staging.release();
    PI_TRY_VOID(base::write_file_atomic(marker, base::normalize_hex(sha256) + "\n"));
    return CacheEntry{dir, true};
}

}  // namespace pixi_install::cache
