// Private to lockfile: one entry of the `packages:`/`package:` list with every
// key any format version uses, type-checked but not yet interpreted.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/lockfile/model.hpp"
#include "yaml_tree.hpp"

namespace pixi_install::lockfile::detail {

struct RawRecord {
    int line = 0;
    int col = 0;
    // Discriminators: v6/v7 location keys, v4/v5 `kind`, v1-3 `manager`.
    std::optional<std::string> conda, pypi, conda_source, kind, manager;
    std::optional<std::string> url, path;
    std::optional<std::string> name, version, build, subdir, noarch, channel, file_name;
    std::optional<std::string> platform;  ///< v1-3: the platform the entry belongs to
    std::optional<std::uint64_t> build_number, size;
    std::optional<std::int64_t> timestamp;  ///< as written (seconds or milliseconds)
    std::optional<std::string> sha256, md5;
    std::optional<std::string> license, license_family, python_site_packages_path;
    std::optional<std::string> requires_python, index;
    std::vector<std::string> depends, constrains, track_features, requires_dist;
    std::optional<RunExports> run_exports;
    std::optional<std::vector<std::string>> purls;
    std::map<std::string, std::vector<std::string>> extra_depends;
    std::map<std::string, std::map<std::string, std::string>> sources;
    std::map<std::string, std::string> package_build_source;
    bool editable = false;
};

/// Type-checks one record mapping. Unknown keys are ignored.
base::Result<RawRecord> to_raw_record(const YNode& n, std::string_view origin);

// Helpers for the non-record parts of the document.

/// A scalar's text; an error naming `what` when the node is not a scalar.
base::Result<std::string> scalar_of(const YNode& n, std::string_view origin, std::string_view what);
/// A list of scalars (a single scalar is taken as a one-item list; null as empty).
base::Result<std::vector<std::string>> strings_of(const YNode& n, std::string_view origin,
                                                  std::string_view what);

}  // namespace pixi_install::lockfile::detail
