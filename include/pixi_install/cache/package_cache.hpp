// The package cache: extracted conda packages under <root>/pkgs/<entry>/, where <entry>
// is <name>-<version>-<build>-<first 16 hex digits of the archive's sha256>: two archives
// with the same name, version and build but other content are two entries. Each entry is
// populated in a temporary directory and renamed into place, and proves its origin with
// a marker holding the archive's full sha256; a stale or half-written entry is never used.
// A complete entry is immutable: it is replaced only when it is invalid (no marker, no
// info/index.json), and then by renames, under the entry's exclusive lock.
//
// <root>/CACHEDIR.TAG marks the cache for backup tools. Layout below <root>/pkgs:
//   <entry>/                          the extracted package (payload + info/); no file or
//                                     directory in it is writable by group or others
//   .pixi-install/<entry>.complete    the sha256 (hex) of the archive <entry>/ was made from;
//                                     written after the rename
//   .pixi-install/<entry>.lock        per-entry lock (base::FileLock): shared while an entry
//                                     is read or linked from, exclusive while it is populated
//   .pixi-install/tmp/<entry>-XXXXXX  extraction in progress, or an invalid entry being removed
// Directories of the cache honour the umask (and a setgid parent's group), so one cache
// can serve a group; a cache that cannot be written (a read-only mount, another user's)
// still serves its complete entries, without a lock file where none can be made.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "pixi_install/archive/extract.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/result.hpp"

namespace pixi_install::cache {

/// What lookup() or ensure() found or made. Holds the entry's shared lock (when the
/// lock file could be opened): the entry stays as it is while this object lives.
struct CacheEntry {
    std::filesystem::path dir;  ///< the complete extracted package
    bool extracted = false;     ///< true when this call extracted it (false: reused)
    /// false when the entry belongs to another user (not root) or is writable by group or
    /// others: its files must then be copied, never hard-linked or cloned, into a prefix.
    bool trusted = true;
    base::FileLock lock;
};

class PackageCache {
public:
    /// `root` is the cache directory (--cache-dir); packages live in root/pkgs.
    explicit PackageCache(std::filesystem::path root);

    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path pkgs_dir() const { return root_ / "pkgs"; }

    /// The entry of `dir_name` ("zlib-1.3.1-hb9d3cd8_2") made from the archive with
    /// `sha256` when it is complete, under its shared lock; else nullopt.
    std::optional<CacheEntry> lookup(const std::string& dir_name, const std::string& sha256) const;

    /// lookup(), or extract `archive` (already verified to have `sha256`) into a
    /// temporary directory and rename it into place. Safe against concurrent
    /// processes populating the same entry. `dir_name` is validated (no '/', no '..').
    /// ensure() returns the entry under its shared lock.
    base::Result<std::filesystem::path> ensure_extracted(const std::filesystem::path& archive,
                                                         const std::string& sha256,
                                                         const std::string& dir_name,
                                                         const archive::ExtractOptions& options = {});

    /// ensure_extracted(), also saying whether this call did the extraction.
    base::Result<CacheEntry> ensure(const std::filesystem::path& archive, const std::string& sha256,
                                    const std::string& dir_name,
                                    const archive::ExtractOptions& options = {});

    /// Checks a cache entry name: not empty, no '/', NUL or leading '.', not "..".
    static base::Result<void> validate_dir_name(const std::string& dir_name);

    /// The entry's directory name: `dir_name` and the first 16 hex digits of `sha256`.
    static std::string entry_name(const std::string& dir_name, const std::string& sha256);
    /// Where the marker of `dir_name`'s entry for `sha256` lives (for tools and tests).
    std::filesystem::path marker_path(const std::string& dir_name, const std::string& sha256) const;

private:
    std::filesystem::path state_dir() const { return pkgs_dir() / ".pixi-install"; }
    /// The entry, checked while holding `lock` (shared or exclusive), or nullopt.
    std::optional<CacheEntry> check_entry(const std::string& entry, const std::string& sha256) const;
    base::Result<CacheEntry> populate(const std::filesystem::path& archive, const std::string& sha256,
                                      const std::string& entry, const archive::ExtractOptions& options);

    std::filesystem::path root_;
};

}  // namespace pixi_install::cache
