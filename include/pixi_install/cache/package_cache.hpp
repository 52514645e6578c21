// The package cache: extracted conda packages under <root>/pkgs/<name>-<version>-<build>/,
// each populated in a temporary directory and renamed into place, with a marker
// holding the archive's sha256 so a stale or half-written entry is never used.
//
// <root>/CACHEDIR.TAG marks the cache for backup tools. Layout below <root>/pkgs:
//   <dir>/                          the extracted package (payload + info/)
//   .pixi-install/<dir>.complete    the sha256 (hex) of the archive <dir>/ was made from;
//                                   written after the rename, removed before any replacement
//   .pixi-install/<dir>.lock        per-entry lock (base::FileLock) serializing population
//   .pixi-install/tmp/<dir>-XXXXXX  extraction in progress, or an old entry being removed
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "pixi_install/archive/extract.hpp"
#include "pixi_install/base/result.hpp"

namespace pixi_install::cache {

/// What ensure() found or made.
struct CacheEntry {
    std::filesystem::path dir;  ///< the complete extracted package
    bool extracted = false;     ///< true when this call extracted it (false: reused)
};

class PackageCache {
public:
    /// `root` is the cache directory (--cache-dir); packages live in root/pkgs.
    explicit PackageCache(std::filesystem::path root);

    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path pkgs_dir() const { return root_ / "pkgs"; }

    /// The extracted directory for `dir_name` ("zlib-1.3.1-hb9d3cd8_2") when it
    /// is complete and was made from an archive with `sha256`; else nullopt.
    std::optional<std::filesystem::path> lookup(const std::string& dir_name,
                                                const std::string& sha256) const;

    /// lookup(), or extract `archive` (already verified to have `sha256`) into a
    /// temporary directory and rename it into place. Safe against concurrent
    /// processes populating the same entry. `dir_name` is validated (no '/', no '..').
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

    /// Where the marker of `dir_name` lives (for tools and tests).
    std::filesystem::path marker_path(const std::string& dir_name) const;

private:
    std::filesystem::path state_dir() const { return pkgs_dir() / ".pixi-install"; }

    std::filesystem::path root_;
};

}  // namespace pixi_install::cache
