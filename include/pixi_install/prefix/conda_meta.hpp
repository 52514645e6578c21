// conda-meta: one `<name>-<version>-<build>.json` record per installed conda
// package, in the format conda, micromamba and pixi read (rattler's field set),
// plus conda-meta/history. Writing is atomic; reading all records back is what
// the planner and `verify` start from.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/prefix/package_info.hpp"

namespace pixi_install::base {
class ThreadPool;
}

namespace pixi_install::prefix {

/// The lock's facts about one conda package (the caller fills it from its lock
/// record; prefix does not know the lockfile module). Empty/absent fields are
/// completed from info/index.json by `complete_from_index`.
struct PackageRecord {
    std::string name;
    std::string version;
    std::string build;
    std::uint64_t build_number = 0;
    std::string subdir;
    std::string noarch;  ///< "", "python", "generic"
    std::string url;
    std::string channel;
    std::string fn;  ///< archive file name; derived from url when empty
    std::string sha256;
    std::string md5;
    std::optional<std::uint64_t> size;
    std::vector<std::string> depends;
    std::vector<std::string> constrains;
    std::vector<std::string> track_features;
    std::string features;
    std::optional<std::int64_t> timestamp;  ///< milliseconds
    std::string license;
    std::string license_family;
    std::string arch;
    std::string platform;
    std::optional<std::string> python_site_packages_path;
};

/// Fills what `record` lacks (license, timestamp, depends when none, arch, platform, ...) from index.json.
void complete_from_index(PackageRecord& record, const IndexJson& index);

/// One `paths_data.paths[]` entry: a file as it lies in the prefix.
struct PrefixPath {
    std::string path;           ///< `_path`: where it is (maybe under __clobbers__/<pkg>/)
    std::string original_path;  ///< where it belongs, when clobber-redirected; else empty
    PathType type = PathType::hardlink;
    bool no_link = false;
    std::string sha256;            ///< of the file in the package (paths.json), may be empty
    std::string sha256_in_prefix;  ///< when the prefix copy differs (patched, symlink link text)
    std::optional<std::uint64_t> size;
    std::string prefix_placeholder;
    FileMode file_mode = FileMode::text;

    /// The path the owning package claims (original_path when redirected).
    const std::string& owned_path() const { return original_path.empty() ? path : original_path; }
    /// The hash expected in the prefix: sha256_in_prefix, else sha256 (may be empty).
    const std::string& expected_sha256() const { return sha256_in_prefix.empty() ? sha256 : sha256_in_prefix; }
};

/// conda's link types for `link.type`.
enum class CondaLinkType { hardlink = 1, softlink = 2, copy = 3, directory = 4 };

struct PrefixRecord {
    PackageRecord package;
    std::vector<std::string> files;  ///< every `_path`, sorted
    std::vector<PrefixPath> paths;   ///< sorted by `_path`
    std::string extracted_package_dir;      ///< empty: `extracted_package_dir` and `link` are left out
    std::string package_tarball_full_path;  ///< empty when the archive was not kept
    CondaLinkType link_type = CondaLinkType::hardlink;
    std::string requested_spec;
    std::vector<std::string> requested_specs;

    /// "<name>-<version>-<build>.json"
    std::string file_name() const;
};

/// The record for a freshly linked package.
PrefixRecord make_prefix_record(PackageRecord package, std::vector<PrefixPath> paths, CondaLinkType link_type,
                                std::string extracted_package_dir, std::string package_tarball_full_path = {});

/// Pretty JSON (2-space indent, alphabetical repodata fields as rattler writes them).
std::string record_to_json(const PrefixRecord& record);
base::Result<PrefixRecord> record_from_json(std::string_view text);

/// Creates <prefix>/conda-meta and conda-meta/history (if absent).
base::Result<void> prepare_conda_meta(const std::filesystem::path& prefix);
/// Writes conda-meta/<file_name()> atomically (temp file + rename; fsync when `durable`).
base::Result<void> write_prefix_record(const std::filesystem::path& prefix, const PrefixRecord& record,
                                       bool durable = false);
base::Result<void> remove_prefix_record(const std::filesystem::path& prefix, const PrefixRecord& record);

/// What the planner and verify need from conda-meta.
enum class ReadDepth {
    identity,  ///< name, version, build, hashes, url, noarch, python_site_packages_path (skips paths_data)
    full,      ///< everything, including files and paths_data
};

/// Every conda-meta/*.json record of a prefix, sorted by name (parsed on `pool` when given).
/// A missing prefix or conda-meta directory gives an empty list.
base::Result<std::vector<PrefixRecord>> read_prefix_records(const std::filesystem::path& prefix,
                                                            ReadDepth depth = ReadDepth::full,
                                                            base::ThreadPool* pool = nullptr);

}  // namespace pixi_install::prefix
