// The package cache: extracted conda packages under <root>/pkgs/<name>-<version>-<build>/,
// each populated in a temporary directory and renamed into place, with a marker
// holding the archive's sha256 so a stale or half-written entry is never used.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "pixi_install/archive/extract.hpp"
#include "pixi_install/base/result.hpp"

namespace pixi_install::cache {

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

private:
    std::filesystem::path root_;
};

}  // namespace pixi_install::cache
