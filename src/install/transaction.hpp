// Private to install: one run of the install transaction (see pipeline.hpp).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/build/build.hpp"
#include "pixi_install/cache/package_cache.hpp"
#include "pixi_install/fetch/bundle.hpp"
#include "pixi_install/install/pipeline.hpp"
#include "pixi_install/prefix/conda_meta.hpp"
#include "pixi_install/prefix/package_info.hpp"
#include "pixi_install/prefix/wheel.hpp"
#include "pixi_install/spec/python_info.hpp"

namespace pixi_install::install {

/// A conda package about to be linked: its lock record, then where it was
/// extracted and what it contains.
struct Staged {
    CondaPtr record;
    std::string dir_name;             ///< <name>-<version>-<build>
    std::filesystem::path package_dir;
    prefix::PackageInfo info;
    /// The cache entry's shared lock, held until the transaction ends, and whether its
    /// files may share inodes with the prefix (else they are copied).
    base::FileLock entry_lock;
    bool trusted = true;
};

/// Whether every file of an extracted cache entry still has the sha256 its paths.json
/// records: a hard-linked prefix file edited in place changes the cache's copy too.
bool cache_entry_intact(const std::filesystem::path& dir);

/// Whether a wheel URL was served by one of the environment's package indexes
/// (same host as an index, or PyPI's file host) rather than named directly.
bool is_registry_url(const std::string& url, const std::vector<std::string>& indexes);

/// Whether a PyPI entry is installed editable (the lock or the manifest says so).
bool is_editable(const lockfile::PypiRecord& r, const InstallOptions& o);
/// The kind of a PyPI entry that is built from source; nullopt for wheels (and for
/// what cannot be built: git, unknown locations).
std::optional<spec::PypiSourceKind> source_kind(const lockfile::PypiRecord& r, const InstallOptions& o);
/// The build options as text, for the fingerprint.
std::string build_settings_text(const InstallOptions& o);

class Transaction {
public:
    Transaction(const lockfile::Selection& selection, const InstallOptions& options, base::Reporter& reporter);
    base::Result<InstallReport> run();

private:
    base::Result<void> lock_prefix();
    base::Result<void> make_plan_now(bool repair);
    base::Result<void> acquire_artifacts();
    base::Result<void> apply();
    base::Result<void> unlink_old(std::map<std::string, prefix::PrefixRecord>& records);
    base::Result<void> link_new(std::map<std::string, prefix::PrefixRecord>& records);
    /// Adds the files of the installed wheels (their RECORDs) to `files`.
    base::Result<void> add_wheel_files(std::unordered_set<std::string>& files) const;
    /// Installs the wheels plan.wheel_install[i] for every i in `which`.
    base::Result<void> install_wheels(const std::map<std::string, prefix::PrefixRecord>& records,
                                      const std::vector<std::size_t>& which);
    /// The fetch options of this run for one-off downloads (index pages, bundle entries).
    fetch::FetchOptions fetch_options() const;
    // Source entries (transaction_sources.cpp).
    build::BuildRequest source_request(const lockfile::PypiRecord& r) const;
    /// The identities of the selected source entries (directories are digested).
    base::Result<void> prepare_source_ids();
    /// Which wheel_install entries are sources; the indexes that need an artifact go to `artifact_wheels`.
    base::Result<void> plan_sources(std::vector<std::size_t>& artifact_wheels);
    /// The build-dependency wheels the bundles carry, as one wheel directory in the cache
    /// (named by its content, so built-wheel cache keys stay the same from run to run).
    base::Result<std::optional<std::filesystem::path>> bundle_wheel_dir();
    /// A wheel the bundles carry, built from the sdist with this sha256, that fits the
    /// environment (its verified file and name); nullopt when none does.
    base::Result<std::optional<std::pair<std::filesystem::path, std::string>>> bundle_built_wheel(
        const std::string& sdist_sha256);
    /// After fetching: the sdists' archives, and the wheels the cache already built.
    base::Result<void> find_built_sources();
    base::Result<void> build_source(std::size_t i);
    /// The wheel for plan.wheel_install[i] (built, cached or bundled) has its name and version.
    base::Result<void> check_built(std::size_t i, const std::string& file_name, const std::string& from) const;
    base::Result<void> build_isolated_sources();
    base::Result<void> install_unisolated_sources(const std::map<std::string, prefix::PrefixRecord>& records);
    base::Result<void> finish();
    /// Recovers from a killed install: rolls its snapshot back (true) or discards it.
    base::Result<bool> recover_interrupted();
    base::Result<void> check_before_change();
    /// The test hook of InstallOptions::fault.
    base::Result<void> fault(const char* step) const;
    base::Result<void> compile_bytecode();
    bool cancelled() const;
    /// Places the work of several packages (or wheels) in parts on the pool: `weights[p]` the
    /// cost of each entry of package p (cut only where `splittable[p]`), `place(p, begin, end)`
    /// one part, and `finish(p)` once, by the part that placed p's last entries.
    base::Result<void> place_in_parts(const std::vector<std::vector<std::uint64_t>>& weights,
                                      const std::vector<bool>& splittable,
                                      const std::function<base::Result<void>(std::size_t, std::size_t, std::size_t)>& place,
                                      const std::function<base::Result<void>(std::size_t)>& finish,
                                      const std::string& what);
    /// Runs f(i) for every i on the pool and returns all errors, sorted.
    base::Result<void> for_all(std::size_t n, const std::function<base::Result<void>(std::size_t)>& f,
                               const std::string& what);

    const lockfile::Selection& sel_;
    const InstallOptions& opt_;
    base::Reporter& rep_;
    InstallReport report_;
    std::string fingerprint_;
    base::FileLock lock_;
    bool created_prefix_ = false;     ///< this run's mkdir made the prefix
    bool created_conda_meta_ = false;  ///< this run's mkdir made conda-meta/
    bool modified_ = false;
    bool snapshot_ = false;  ///< the previous environment is kept for a rollback

    std::optional<spec::PythonInfo> new_python_;
    std::optional<spec::PythonInfo> old_python_;
    std::vector<Staged> staged_;                       ///< install + change, largest first
    std::vector<std::filesystem::path> wheel_files_;   ///< verified files for plan.wheel_install
    std::vector<std::string> wheel_names_;             ///< their wheel file names
    /// A PyPI entry built from source: how, and whether its wheel is in wheel_files_.
    struct SourceBuild {
        build::BuildRequest request;
        std::string identity;   ///< the cache key's (an sdist's sha256 once fetched)
        std::string recorded;   ///< what the dist-info records and the plan compares
        std::optional<prefix::DirectUrl> direct_url;
        std::optional<build::GitSource> git;  ///< a git+ entry
        bool built = false;
    };
    std::vector<std::optional<SourceBuild>> sources_;  ///< parallel to plan.wheel_install
    std::map<std::string, std::string> source_ids_;    ///< normalized name -> source identity @ environment
    std::string environment_digest_;  ///< the selection's conda records and locked wheels, for builds
    /// The environment's indexes, for build dependencies no local wheel meets.
    std::unique_ptr<build::IndexAccess> index_;
    std::map<std::string, build::IndexPage> pages_;    ///< index pages read in this run
    std::vector<std::filesystem::path> find_links_;    ///< for builds: the bundles' wheels, then the options'
    std::optional<std::vector<fetch::BundleLine>> built_lines_;  ///< the bundles' built-wheels.tsv, once read
    std::map<std::string, std::string> wheel_dist_info_;  ///< normalized name -> dist-info (installed)
    cache::PackageCache cache_;
    std::unique_ptr<base::ThreadPool> pool_;
};

}  // namespace pixi_install::install
