// Two packages owning one path ("clobbering"), resolved before anything is
// linked so that packages can then be linked in parallel.
//
// The caller gathers, for the final state of the environment, the paths every
// package claims: packages that stay installed (from their conda-meta record,
// `from_record`) and packages about to be linked (`target_paths`, link.hpp).
// `resolve_clobbers` orders all of them as rattler does (topological order of
// `depends`, dependencies first; ties between independent packages broken by
// name so that the alphabetically first one ends up last) and lets the package
// latest in that order own a contested path. A path also conflicts when it
// lies below another package's file, or when another package's file lies
// below it (file/directory conflicts). The losers' copies live under
// `__clobbers__/<package>/<path>`.
//
// Pipeline order (install module):
//   1. installed = read_prefix_records(prefix); plan keep / remove / install.
//   2. per new package: read_package_info(cache dir), target_paths(info, python).
//   3. plan = resolve_clobbers(from_record(kept...) + from_package(new...)) -> report plan.clobbers.
//   4. unlink_package() every removed or changed record (parallel is fine).
//   5. apply_clobber_moves(prefix, plan, claims): files of staying packages whose
//      ownership changed move between the real path and __clobbers__, records rewritten.
//   6. link_package() every new package in parallel with
//      LinkOptions::clobbered = plan.redirects_for(name), one shared LinkProbe;
//      then make_prefix_record + write_prefix_record.
//   7. post-link scripts (only when asked) in topological_order, run_link_script.
// No two links write the same file, the outcome does not depend on the order
// links finish in, and removing a winner later hands the path to the next one.
// Removals that are part of a change (old version out, new in) are not "kept":
// pass only the records that stay untouched.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/prefix/conda_meta.hpp"

namespace pixi_install::prefix {

struct PackagePaths {
    std::string name;
    std::vector<std::string> depends;  ///< match specs; only the name (first token) matters
    std::vector<std::string> paths;    ///< claimed prefix-relative paths (files, symlinks, entry points; no directories)
    /// For a package that stays installed: its record (files may already sit under __clobbers__).
    PrefixRecord* installed = nullptr;
};

/// The claims of an installed package (original paths of its files and symlinks).
PackagePaths from_record(PrefixRecord& record);
/// The claims of a package about to be linked: its targets (from target_paths)
/// without `directory` entries; name and depends from index.json.
PackagePaths from_package(const PackageInfo& info, const std::vector<std::string>& targets);

struct ClobberedPath {
    std::string path;
    std::string winner;               ///< the package whose file is at `path`
    std::vector<std::string> losers;  ///< packages whose copy is under __clobbers__/<loser>/
};

/// A file of an installed package that changes place (real path <-> __clobbers__).
struct ClobberMove {
    std::string package;
    std::string from;
    std::string to;
};

struct ClobberPlan {
    /// New package name -> the targets it lost (pass as LinkOptions::clobbered).
    std::map<std::string, std::unordered_set<std::string>> redirected;
    std::vector<ClobberedPath> clobbers;  ///< sorted by path: for the report
    std::vector<ClobberMove> moves;       ///< to apply before linking (apply_clobber_moves)

    const std::unordered_set<std::string>* redirects_for(const std::string& name) const;
};

/// rattler's deterministic topological order (dependencies first) of packages given as
/// (name, depends); returns indices into the input. Packages in a cycle still appear once.
std::vector<std::size_t> topological_order(const std::vector<std::pair<std::string, std::vector<std::string>>>& packages);

ClobberPlan resolve_clobbers(const std::vector<PackagePaths>& packages);

/// Moves the files of installed packages named in `plan.moves` and rewrites their
/// conda-meta records (`packages[i].installed`, updated in place).
base::Result<void> apply_clobber_moves(const std::filesystem::path& prefix, const ClobberPlan& plan,
                                       const std::vector<PackagePaths>& packages);

}  // namespace pixi_install::prefix
