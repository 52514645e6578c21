// Installing one selected environment into a prefix: the transaction.
//
//   filter (--skip/--only, installability) -> fingerprint fast path -> prefix lock
//   -> plan against conda-meta and dist-infos -> fetch (verified) + extract into the
//   package cache, overlapped, on one pool -> state "installing" -> unlink / remove
//   wheels -> resolve clobbers -> link in parallel + conda-meta -> wheels ->
//   activation scripts -> state "complete <fingerprint>".
//
// Nothing in the prefix changes before every artifact is verified and extracted.
// A run that finds the state "installing" (crash, kill -9) relinks every package.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pixi_install/base/reporter.hpp"
#include "pixi_install/base/result.hpp"
#include "pixi_install/fetch/fetch.hpp"
#include "pixi_install/install/plan.hpp"
#include "pixi_install/install/state.hpp"
#include "pixi_install/lockfile/model.hpp"
#include "pixi_install/prefix/clobber.hpp"
#include "pixi_install/prefix/link.hpp"
#include "pixi_install/spec/wheel_tags.hpp"

namespace pixi_install::install {

struct InstallOptions {
    std::filesystem::path prefix;      ///< absolute
    std::filesystem::path cache_dir;   ///< package cache and artifact store
    prefix::LinkMode link_mode = prefix::LinkMode::automatic;
    unsigned jobs = 0;                 ///< worker threads for extraction/linking; 0 = hardware
    bool dry_run = false;
    bool run_post_link_scripts = false;
    bool no_pypi = false;
    std::vector<std::string> skip;     ///< package names left out
    std::vector<std::string> only;     ///< when not empty: these packages and their dependencies
    /// Install into an existing directory that is neither empty nor an environment.
    bool allow_non_env_prefix = false;
    /// Relink every package and reinstall every wheel from the cache, even when up to date.
    bool reinstall = false;
    /// Relink these packages (conda or PyPI names) even when up to date.
    std::vector<std::string> reinstall_packages;
    /// Compile the .py files of noarch: python packages and wheels with the environment's
    /// own interpreter after linking (the caller checks the target is this machine).
    bool compile_bytecode = false;
    /// Reproducible install (SOURCE_DATE_EPOCH / --reproducible): every file, directory and
    /// symlink gets this mtime, conda-meta records leave out the package cache's location,
    /// and compiled bytecode is checked-hash.
    std::optional<std::int64_t> source_date_epoch;
    fetch::FetchOptions fetch;         ///< sources, offline, mirrors, auth (cache_dir is set from above)
    const std::atomic<bool>* cancel = nullptr;
    /// Environment variables for link scripts (KEY=VALUE).
    std::vector<std::string> script_env;
    /// For activation scripts.
    std::string environment_name;
    std::string project_name;
    std::filesystem::path project_root;
    /// Called once when another process holds the prefix lock and this one waits.
    std::function<void()> on_wait;
    /// How source entries (sdists, local directories) are built.
    struct SourceBuilds {
        /// Local directories of wheels for build dependencies (--find-links, the lock's
        /// and the manifest's find-links that are paths), in order.
        std::vector<std::filesystem::path> find_links;
        /// no-build-isolation: every source package, or these (normalized names).
        bool no_isolation_all = false;
        std::vector<std::string> no_isolation;
        /// Local directories installed editable (normalized names): the manifest's
        /// `editable = true` path dependencies; v6 locks may say so themselves.
        std::vector<std::string> editable;
        /// Leave out the local packages (PyPI sources at a path: directories, editables,
        /// local sdists; local wheels stay), for the dependencies-only Docker layer.
        bool no_install_local = false;
        /// The target's tags (from the host facts); needed to choose build dependencies.
        std::optional<spec::TagPlatform> platform;
        /// The environment builds start from (KEY=VALUE); activation is added.
        std::vector<std::string> env;
    } builds;
    /// For tests of the transaction (PIXI_INSTALL_FAULT): "<step>:kill" or "<step>:fail"
    /// stops the install after that step (see docs/ARCHITECTURE.md); empty in real use.
    std::string fault;
};

struct InstallReport {
    bool up_to_date = false;   ///< nothing to do (fingerprint matched)
    bool waited = false;       ///< another install held the prefix lock
    bool repaired = false;     ///< an interrupted install was found and repaired
    Plan plan;
    std::uint64_t bytes_downloaded = 0;
    std::vector<prefix::ClobberedPath> clobbers;
    std::vector<std::string> post_link_skipped;   ///< packages whose post-link script did not run
    std::vector<std::string> wheel_conda_overwrites;  ///< "wheel: path" replacing conda files
    std::vector<std::string> warnings;
    std::size_t bytecode_compiled = 0;  ///< .pyc files written by --compile-bytecode
    std::size_t built = 0;              ///< source packages built (not taken from the built-wheel cache)
    std::vector<LocalSource> local_sources;  ///< the environment's local source directories, as seen
};

/// Records that can't be installed (conda source records, git entries), after
/// --skip/--only/--no-pypi; each with its location and a remedy. Empty = fine.
/// (preflight.hpp: everything refused before the prefix changes.)
std::vector<std::string> not_installable(const lockfile::Selection& selection, const InstallOptions& options);

/// The selection reduced by --skip/--only/--no-pypi: with --only, the named packages and
/// everything they depend on (conda depends, PyPI requires_dist, python for PyPI packages),
/// less the skipped ones (their dependencies stay, as in pixi).
lockfile::Selection filter_selection(const lockfile::Selection& selection, const InstallOptions& options);

/// Runs `preflight` (refusing before anything changes), then the transaction.
/// `selection` should already be filtered and host-checked.
base::Result<InstallReport> install_environment(const lockfile::Selection& selection,
                                                const InstallOptions& options, base::Reporter& reporter);

}  // namespace pixi_install::install
