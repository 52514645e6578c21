// Removing an installed conda package from a prefix: exactly the files its
// conda-meta record lists, then the directories that became empty.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/prefix/conda_meta.hpp"

namespace pixi_install::prefix {

struct UnlinkOptions {
    /// Directories (prefix-relative) never pruned: those other records list as `directory`.
    const std::unordered_set<std::string>* keep_dirs = nullptr;
    /// Files (prefix-relative) never deleted: those another installed package (a conda
    /// record that stays, or a wheel's RECORD) also owns.
    const std::unordered_set<std::string>* keep_files = nullptr;
    /// Also remove the record file conda-meta/<name>-<version>-<build>.json.
    bool remove_record = true;
};

struct UnlinkStats {
    std::uint64_t removed = 0;       ///< files and symlinks deleted
    std::uint64_t missing = 0;       ///< recorded but already gone
    std::uint64_t dirs_removed = 0;  ///< directories pruned
};

/// Deletes the record's files (a missing one is fine; one in keep_files stays), prunes the directories that
/// became empty (deepest first, never the prefix; for noarch: python a directory
/// holding only `__pycache__` counts as empty) and removes the record. Clobbered
/// files of other packages are put back by resolve_clobbers/apply_clobber_moves.
/// Safe to run for several packages at once.
base::Result<UnlinkStats> unlink_package(const std::filesystem::path& prefix, const PrefixRecord& record,
                                         const UnlinkOptions& options = {});

/// Removes each of `dirs` (prefix-relative) and then its parents while they are
/// empty, stopping at the prefix or at `keep`. Returns how many were removed.
std::uint64_t prune_empty_dirs(const std::filesystem::path& prefix, std::vector<std::string> dirs,
                               bool pycache_is_empty = false,
                               const std::unordered_set<std::string>* keep = nullptr);

}  // namespace pixi_install::prefix
