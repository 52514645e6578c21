// The artifact store: verified archives in the cache directory, keyed by their
// digest, so identical artifacts from different channels share one file.
//
// Layout under <cache>/artifacts/:
//   sha256/<2 hex>/<sha256><ext>   artifacts whose sha256 is known (the usual case)
//   md5/<2 hex>/<md5><ext>         artifacts the lock only gives an md5 for
//   tmp/                           downloads in progress (unique names)
//   .lock                          held while stale temporaries are cleaned
// <ext> is the archive suffix of the file name (".conda", ".tar.bz2", ".whl"...),
// kept so readers can tell the format from the path.
//
// A file enters the store only by rename() from tmp/ after its digest matched,
// so every file at a digest path is complete and verified; concurrent processes
// sharing a cache never see half-written files.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/result.hpp"

namespace pixi_install::fetch {

/// A content digest: which algorithm and its lower-case hex.
struct Digest {
    base::HashAlgo algo = base::HashAlgo::sha256;
    std::string hex;
};

/// ".conda", ".tar.bz2", ".whl", ".tar.gz", ".zip" or "" for `file_name`.
std::string archive_suffix(std::string_view file_name);

class ArtifactStore {
public:
    /// Opens (creating) the store under `cache_dir`.
    static base::Result<ArtifactStore> open(const std::filesystem::path& cache_dir);

    const std::filesystem::path& root() const { return root_; }
    /// Where an artifact with `digest` and `file_name` lives (whether present or not).
    std::filesystem::path path_for(const Digest& digest, std::string_view file_name) const;
    /// The stored file when present (and of `size` bytes when a size is given).
    std::optional<std::filesystem::path> find(const Digest& digest, std::string_view file_name,
                                              std::optional<std::uint64_t> size = {}) const;
    /// A fresh, unique path in tmp/ for a download of `file_name`, named by the store
    /// (`.download<suffix>.part-…`); only archive_suffix(file_name) is taken from the name.
    std::filesystem::path temp_path(std::string_view file_name) const;
    /// Renames a verified temporary file into place (atomic), replacing any file already
    /// at that digest (another process's identical copy, or a damaged one).
    base::Result<std::filesystem::path> commit(const std::filesystem::path& temp, const Digest& digest,
                                               std::string_view file_name) const;
    /// Removes temporaries older than `age` (left by killed processes), under the store lock.
    /// Returns how many were removed.
    base::Result<std::size_t> clean_temporaries(std::chrono::seconds age) const;

private:
    std::filesystem::path root_;
};

}  // namespace pixi_install::fetch
