// The version-independent model of a pixi.lock: what installation needs.
//
// Records are shared (shared_ptr<const>) between the environments/platforms
// that select them, so a 4000-record lock holds each record once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pixi_install::lockfile {

/// v7 `run_exports` of a conda record (absent = unknown).
struct RunExports {
    std::vector<std::string> weak;
    std::vector<std::string> strong;
    std::vector<std::string> noarch;
    std::vector<std::string> weak_constrains;
    std::vector<std::string> strong_constrains;
};

/// A conda binary archive (.conda / .tar.bz2).
struct CondaRecord {
    std::string name;
    std::string version;
    std::string build;
    std::uint64_t build_number = 0;
    std::string subdir;                 ///< "linux-64", "noarch", ...
    std::string noarch;                 ///< "" (not noarch), "python" or "generic"
    std::string location;               ///< as written in the lock (URL or path)
    std::string url;                    ///< absolute URL when the location is a URL, else ""
    std::filesystem::path path;         ///< resolved local path (against the lock's directory), else empty
    std::string file_name;              ///< archive file name ("zlib-1.3.1-hb9d3cd8_2.conda")
    std::string channel;                ///< channel URL or name when known
    std::optional<std::string> sha256;  ///< lower-case hex
    std::optional<std::string> md5;     ///< lower-case hex
    std::optional<std::uint64_t> size;
    std::vector<std::string> depends;
    std::vector<std::string> constrains;
    std::vector<std::string> track_features;
    std::optional<std::string> python_site_packages_path;
    std::optional<std::int64_t> timestamp;  ///< milliseconds since the epoch
    std::optional<std::string> license;
    std::optional<std::string> license_family;
    std::optional<RunExports> run_exports;  ///< v7 only
    /// PyPI packages the record provides (`pkg:pypi/name@version`); absent when the lock has no `purls`.
    std::optional<std::vector<std::string>> purls;
    std::map<std::string, std::vector<std::string>> extra_depends;  ///< extra group -> depends
};

/// A PyPI distribution (wheel, sdist, git, directory).
struct PypiRecord {
    std::string name;
    std::optional<std::string> version;  ///< optional in v7 (source trees)
    std::string location;                ///< as written in the lock
    std::string url;                     ///< absolute URL (git+..., https://...) when a URL, else ""
    std::filesystem::path path;          ///< resolved local path when a path, else empty
    std::optional<std::string> sha256;
    std::optional<std::string> md5;
    std::optional<std::string> requires_python;
    std::vector<std::string> requires_dist;
    bool editable = false;
    std::optional<std::string> index;  ///< v7 `index`; absent: the environment's first index (else https://pypi.org/simple)
};

/// A conda package built from source (v6 non-archive location, v7 `conda_source`).
/// Kept and reported; never installable by this tool.
struct SourceRecord {
    std::string name;
    std::optional<std::string> version;
    std::optional<std::string> build;
    std::string location;  ///< the location string as written (v7: the id string)
    std::string subdir;    ///< "" when not known (v7 partial records)
    std::vector<std::string> depends;
    std::vector<std::string> constrains;
    /// Where the source of a dependency comes from (`sources:`): dependency name ->
    /// its location keys as written (`path`, `git`, `url`, `branch`, `tag`, `rev`, `subdirectory`).
    std::map<std::string, std::map<std::string, std::string>> sources;
    /// `package_build_source:` keys as written (an out-of-tree build's source location).
    std::map<std::string, std::string> package_build_source;
    /// The manifest location: v6 the `conda:` path, v7 the part after ` @ ` of the id.
    std::string manifest_location;
    std::map<std::string, std::vector<std::string>> extra_depends;  ///< extra group -> depends
};

enum class PackageKind { conda, conda_source, pypi };
const char* kind_name(PackageKind k) noexcept;

/// One selected package: exactly one of the pointers is set, matching `kind`.
struct Package {
    PackageKind kind = PackageKind::conda;
    std::shared_ptr<const CondaRecord> conda;
    std::shared_ptr<const PypiRecord> pypi;
    std::shared_ptr<const SourceRecord> source;

    const std::string& name() const;
    const std::string& location() const;
    /// version string, or empty when unknown.
    std::string version() const;
};

/// v7 `platforms:` entry (synthesised for v1–v6: name == subdir, no virtual packages).
struct PlatformEntry {
    std::string name;    ///< key used under environments.*.packages ("linux-64", "p1")
    std::string subdir;  ///< conda subdir ("linux-64")
    std::vector<std::string> virtual_packages;  ///< "__cuda=12", "__glibc=2.28", as written
};

/// The environment's `options:` (the solver settings the lock was made with).
struct SolveOptions {
    std::string strategy = "highest";           ///< highest | lowest-version | lowest-version-direct
    std::string channel_priority = "strict";    ///< strict | disabled (| flexible)
    std::optional<std::string> exclude_newer;   ///< RFC 3339 timestamp as written
    std::string pypi_prerelease_mode = "if-necessary-or-explicit";
};

struct Environment {
    std::string name;
    std::vector<std::string> channels;    ///< channel URLs (or names) in order
    SolveOptions options;
    bool has_indexes = false;             ///< the lock writes `indexes:` for this environment
    std::vector<std::string> indexes;     ///< PyPI index URLs
    std::vector<std::string> find_links;  ///< find-links entries (url or path, as written)
    /// platform name -> packages in lock order
    std::map<std::string, std::vector<Package>> packages;
};

struct LockFile {
    int version = 0;
    std::filesystem::path path;      ///< the file it was read from (empty for strings)
    std::filesystem::path base_dir;  ///< relative locations resolve against this
    std::vector<PlatformEntry> platforms;
    std::map<std::string, Environment> environments;

    const PlatformEntry* platform(const std::string& name) const;
};

/// The records of one environment for one platform: what an install works from.
struct Selection {
    std::string environment;
    std::string platform;  ///< platform name as in the lock ("linux-64", "p1")
    std::string subdir;    ///< conda subdir of that platform
    std::vector<std::string> virtual_packages;  ///< v7 platform virtual packages, as written
    std::vector<std::string> channels;
    std::vector<std::string> indexes;
    std::vector<std::shared_ptr<const CondaRecord>> conda;
    std::vector<std::shared_ptr<const PypiRecord>> pypi;
    std::vector<std::shared_ptr<const SourceRecord>> sources;
};

}  // namespace pixi_install::lockfile
