// Building what a lock pins as source (sdists, local directories, editable
// projects) into wheels through the project's own PEP 517 / PEP 660 backend,
// run by the environment's interpreter. Build dependencies come from the
// environment itself (no build isolation) or are chosen from local wheel
// directories and installed into a temporary prefix of their own; the set
// used is recorded with the built wheel. Built wheels are cached by the
// source's identity, the interpreter, the platform and the build settings.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/spec/python_info.hpp"
#include "pixi_install/spec/wheel_tags.hpp"

namespace pixi_install::build {

/// What kind of source is built.
enum class SourceKind { sdist, directory };

/// One package of a build environment, as recorded with the wheel built in it.
struct BuildDependency {
    std::string name;     ///< as in the wheel's METADATA
    std::string version;
    std::string file_name;
    std::string location;  ///< where it was taken from (path or URL), for the record
    std::string sha256;
};

/// A page of a package index, as served.
struct IndexPage {
    long status = 200;         ///< 404/410: the index does not have the project
    std::string url;           ///< after redirects
    std::string content_type;
    std::string body;
};

/// One file a package index lists (PEP 691 JSON or PEP 503 HTML).
struct IndexFile {
    std::string file_name;
    std::string url;           ///< absolute
    std::string sha256;        ///< "" when the index gives none
    std::optional<std::string> requires_python;
    bool yanked = false;
};

/// The files of a project page: JSON (PEP 691) when the content type or the body says
/// so, else HTML anchors (PEP 503: `#sha256=` fragments, `data-requires-python`,
/// `data-yanked`), relative links resolved against the page's URL. ErrorKind::unavailable
/// for a page that is neither.
base::Result<std::vector<IndexFile>> parse_index_page(const IndexPage& page);

/// How builds reach package indexes (the caller owns the network).
struct IndexAccess {
    std::vector<std::string> indexes;  ///< simple-API base URLs, in order
    /// A project page (`<index>/<normalized name>/`).
    std::function<base::Result<IndexPage>(const std::string& url)> get_page;
    /// A verified local file for a listed file (checked against `sha256`).
    std::function<base::Result<std::filesystem::path>(const IndexFile& file)> download;
};

/// The build of one source entry.
struct BuildRequest {
    std::string name;                     ///< the lock's name, for messages and the cache
    SourceKind kind = SourceKind::sdist;
    std::filesystem::path source;         ///< the sdist archive (verified) or the project directory
    std::string sdist_file_name;          ///< the archive's own name (the store names files by hash)
    bool editable = false;                ///< PEP 660 build_editable (directories)
    bool isolated = true;                 ///< false: the backend runs in the target environment
    std::filesystem::path prefix;         ///< the target environment (absolute)
    spec::PythonInfo python;              ///< its python
    std::string python_version;           ///< the locked python's full version ("3.11.4"), for markers
    std::string subdir;                   ///< the conda platform ("linux-64"), for markers
    spec::TagPlatform platform;           ///< for choosing build dependencies
    /// Local directories of wheels to take build dependencies from, in order.
    std::vector<std::filesystem::path> find_links;
    /// Package indexes for build dependencies no local wheel meets (none: local only).
    const IndexAccess* index = nullptr;
    /// The base environment of the backend (KEY=VALUE); activation is added.
    std::vector<std::string> env;
    std::string environment_name;         ///< for activation (CONDA_DEFAULT_ENV)
    std::filesystem::path cache_dir;      ///< built wheels, logs and build directories live below it
    std::optional<std::int64_t> source_date_epoch;
    const std::atomic<bool>* cancel = nullptr;
    /// Called once the backend is known, before it runs ("setuptools.build_meta").
    std::function<void(const std::string& backend)> on_start;
};

struct BuiltWheel {
    std::filesystem::path wheel;          ///< in the built-wheel cache
    std::string file_name;                ///< the wheel's name
    std::string name;                     ///< the lock's name of what was built
    std::string identity;                 ///< the source identity it was built from
    std::string backend;
    std::vector<BuildDependency> build_set;
    bool from_cache = false;
};

/// The identity of a source: "sha256:<hex>" of an sdist, or for a directory a
/// digest of its metadata files (editable: pyproject.toml, setup.py, setup.cfg,
/// as uv keys editables) or of every file in it (not editable), skipping
/// version-control and build output directories.
base::Result<std::string> source_identity(const BuildRequest& request, const std::string& sdist_sha256);

/// The built-wheel cache key of a request whose source identity is `identity`.
std::string cache_key(const BuildRequest& request, const std::string& identity);

/// The wheel built earlier for `key`, if the cache has it.
std::optional<BuiltWheel> cached_wheel(const std::filesystem::path& cache_dir, const std::string& key);

/// Every intact wheel of the built-wheel cache built from the sdist with this sha256
/// (whatever environment it was built in), for `pack`.
std::vector<BuiltWheel> built_from_sdist(const std::filesystem::path& cache_dir, const std::string& sdist_sha256);

/// Builds (or takes from the cache) the wheel of `request`. A backend that fails
/// is ErrorKind::build, with the backend's last lines and the path of the full
/// log; nothing is written outside the cache and the temporary build directories.
base::Result<BuiltWheel> build_wheel(const BuildRequest& request, const std::string& identity,
                                     bool ignore_cache = false);

/// A `git+` location of a lock: `git+https://host/repo?branch=main&subdirectory=pkg#<commit>`.
struct GitSource {
    std::string url;                       ///< the repository, without `git+`, query or fragment
    std::string commit;                    ///< 40 hex digits
    std::optional<std::string> requested;  ///< branch, tag or rev as locked
    std::string subdirectory;              ///< "" for the repository's top
};
/// Parses a lock's git location. ErrorKind::lockfile when it names no full commit.
base::Result<GitSource> parse_git_location(std::string_view location);

/// How git checkouts reach the network (the caller's settings).
struct GitOptions {
    bool offline = false;
    std::string proxy;             ///< "" = none
    std::string ca_file, ca_dir;   ///< "" = libgit2's defaults
    bool tls_verify = true;
};

/// Whether this build can check out git entries (libgit2 linked in).
bool git_supported();
/// "libgit2 1.5.1", or "not built in" (for --version).
std::string git_library_version();

/// The tree of `source.commit`, checked out once into `<cache>/git/checkouts/<commit>/`
/// (complete or absent), fetched into `<cache>/git/db/<digest of url>` (a bare repository;
/// the commit from the locked branch/tag first, else every branch and tag). Tree entry
/// names go through the safe-path checks; a symlink must stay inside the tree; submodules
/// are refused, and so are Git LFS pointer files (the objects are not fetched). Returns
/// the checkout (with the subdirectory applied).
base::Result<std::filesystem::path> git_checkout(const GitSource& source, const std::filesystem::path& cache_dir,
                                                 const GitOptions& options);

/// The hook runner's text (Python), as written next to each build.
std::string_view hook_runner_source();

}  // namespace pixi_install::build
