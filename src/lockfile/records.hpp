// Private to lockfile: turning type-checked raw records into model records,
// the shared parts of the environment section, and location helpers.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/lockfile/model.hpp"
#include "raw_record.hpp"
#include "yaml_tree.hpp"

namespace pixi_install::lockfile::detail {

/// What every version's reader needs.
struct Context {
    std::string_view origin;
    std::filesystem::path base_dir;
    int version = 0;
};

/// The parsed document: the top-level mapping (records removed) and the records.
struct Document {
    YNode top;
    std::vector<RawRecord> records;
};

/// `scheme://...` or `scheme:...` with a scheme of two or more characters
/// (so `C:\dir` is a path).
bool is_url(std::string_view location);
/// The last path segment of a location (query/fragment of URLs removed); "" when
/// it ends in a separator.
std::string file_name_of(std::string_view location);
/// The location in the form used for lookups: `file://` URLs become paths and
/// paths are normalised lexically (`./a/../b` -> `b`); other URLs unchanged.
std::string normalize_location(std::string_view location);
/// Sets url/path of a record from its location.
void resolve_location(const Context& cx, const std::string& location, std::string& url,
                      std::filesystem::path& path);

/// How a conda record's missing fields are filled.
enum class Derive {
    from_location,  ///< v1-3, v6, v7: name/version/build/subdir/noarch from the location
    explicit_only,  ///< v4/v5: fields are written; only build_number/channel derived
};

/// A binary conda record from a raw record whose location is `location`.
base::Result<CondaRecord> make_conda(const Context& cx, const RawRecord& r, const std::string& location,
                                     Derive derive);
/// A pypi record (`name` required).
base::Result<PypiRecord> make_pypi(const Context& cx, const RawRecord& r, const std::string& location);
/// A source conda record (v6 non-archive location, v7 `conda_source`).
base::Result<SourceRecord> make_source(const Context& cx, const RawRecord& r, const std::string& location,
                                       std::string name);

/// Reads `channels`, `indexes` and `find-links` of an environment mapping.
base::Result<void> read_env_sources(const Context& cx, const YNode& env, Environment& out);
/// Reads v1-3 `metadata.channels`.
base::Result<std::vector<std::string>> read_channels(const Context& cx, const YNode& channels);

/// One entry of an environment's platform list.
struct Selector {
    enum class Kind { conda, conda_source, pypi } kind = Kind::conda;
    std::string location;
    const std::string* name = nullptr;
    const std::string* version = nullptr;
    const std::string* build = nullptr;
    const std::string* subdir = nullptr;
    const YNode* node = nullptr;
};
base::Result<Selector> read_selector(const Context& cx, const YNode& n);

/// Iterates `environments` (v4+): calls f(env name, env node, Environment&) and
/// stores the result in `lock.environments`.
using PlatformListFn = std::function<base::Result<void>(const std::string& platform, const YNode& list,
                                                        std::vector<Package>& out,
                                                        const std::string& env)>;
base::Result<void> read_environments(const Context& cx, const Document& doc, LockFile& lock,
                                     const PlatformListFn& read_list);

/// Every environment name is pixi's `[a-z0-9-]+`, and no platform of an environment lists
/// two records of one name (conda and conda source names together, PyPI names normalized).
base::Result<void> check_environments(const Context& cx, const Document& doc, const LockFile& lock);

/// "environment `e` platform `p` refers to a package that is not in the lock: loc".
base::Error missing_package(const Context& cx, const YNode& at, const std::string& env,
                            const std::string& platform, const std::string& location);

/// Wheels and sdists by normalized location, as `pypi:` selectors refer to them (v4+).
using PypiByLocation = std::unordered_map<std::string, std::shared_ptr<const PypiRecord>>;

/// Resolves a `pypi:` selector into `p`, or says which package the lock lacks.
base::Result<void> resolve_pypi_selector(const Context& cx, const YNode& at, const std::string& env,
                                         const std::string& platform, const Selector& s,
                                         const PypiByLocation& by_location, Package& p);

/// v4-v6: one PlatformEntry per platform key used by an environment (key == subdir).
base::Result<void> synthesize_platforms(const Context& cx, const Document& doc, LockFile& lock);

// One reader per format generation; each fills lock.environments and lock.platforms.
base::Result<void> read_v1(const Context& cx, const Document& doc, LockFile& lock);  ///< versions 1-3
base::Result<void> read_v4(const Context& cx, const Document& doc, LockFile& lock);  ///< versions 4-5
base::Result<void> read_v6(const Context& cx, const Document& doc, LockFile& lock);
base::Result<void> read_v7(const Context& cx, const Document& doc, LockFile& lock);

}  // namespace pixi_install::lockfile::detail
