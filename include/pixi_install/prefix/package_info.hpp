// What an extracted conda package says about itself: info/index.json,
// info/paths.json (or the legacy files/has_prefix/no_link reconstruction) and
// info/link.json (noarch: python entry points). Parsers take strings; the
// loader reads one extracted package directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::prefix {

/// The directory at the top of a prefix that belongs to the installer while it works: the
/// kept previous environment. No package or wheel file may be placed below it.
inline constexpr std::string_view kRollbackDirName = ".pixi-install-rollback";
/// Why a prefix-relative path may not be installed (below that directory), or empty.
std::string_view installer_owned_path(std::string_view path);

enum class PathType {
    hardlink,                 ///< a regular file
    softlink,                 ///< a symbolic link
    directory,                ///< an (empty) directory the package wants to exist
    unix_python_entry_point,  ///< a script generated from link.json (not in the archive)
    pyc_file,                 ///< bytecode compiled in the prefix (--compile-bytecode)
};
const char* path_type_name(PathType t) noexcept;
std::optional<PathType> parse_path_type(std::string_view s) noexcept;

enum class FileMode { text, binary };

enum class NoArch { none, python, generic };

/// One entry of info/paths.json.
struct PathEntry {
    std::string path;  ///< package-relative, '/'-separated
    PathType type = PathType::hardlink;
    bool no_link = false;
    std::string prefix_placeholder;  ///< empty when the file holds no placeholder
    FileMode file_mode = FileMode::text;
    std::string sha256;  ///< lower-case hex of the file as stored in the package, or empty
    std::optional<std::uint64_t> size;

    bool has_placeholder() const { return !prefix_placeholder.empty(); }
};

/// The fields of info/index.json the installer and conda-meta use.
struct IndexJson {
    std::string name;
    std::string version;
    std::string build;
    std::uint64_t build_number = 0;
    std::vector<std::string> depends;
    std::vector<std::string> constrains;
    std::string subdir;
    std::string arch;
    std::string platform;
    NoArch noarch = NoArch::none;
    bool noarch_legacy_true = false;  ///< `"noarch": true` (legacy generic)
    std::string license;
    std::string license_family;
    std::optional<std::int64_t> timestamp;  ///< milliseconds (seconds in old packages are scaled)
    std::vector<std::string> track_features;
    std::string features;
    std::optional<std::string> python_site_packages_path;
};

/// One console script of a noarch: python package: `command = module:function`.
struct NoarchEntryPoint {
    std::string command;
    std::string module;
    std::string function;  ///< dotted; the import takes its first segment
};

struct PackageInfo {
    IndexJson index;
    std::vector<PathEntry> paths;
    bool legacy_paths = false;  ///< reconstructed from info/files (no paths.json)
    std::vector<NoarchEntryPoint> entry_points;
    /// Seconds since the epoch of info/about.json (else index.json): patched files get this + 1.
    std::int64_t reference_mtime = 0;
};

base::Result<IndexJson> parse_index_json(std::string_view text);
base::Result<std::vector<PathEntry>> parse_paths_json(std::string_view text);
/// info/link.json: the noarch: python entry points (empty for other packages).
base::Result<std::vector<NoarchEntryPoint>> parse_link_json(std::string_view text);
/// "cmd = pkg.mod:func" with the validation rattler applies (no separators, dotted identifiers).
base::Result<NoarchEntryPoint> parse_entry_point(std::string_view spec);

/// One line of legacy info/has_prefix: placeholder, mode and path.
struct HasPrefixEntry {
    std::string placeholder;
    FileMode mode = FileMode::text;
    std::string path;
};
/// Legacy info/has_prefix (`<placeholder> <text|binary> <path>` or `<path>`; tokens may be quoted).
base::Result<std::vector<HasPrefixEntry>> parse_has_prefix(std::string_view text);

/// Reads index.json, paths.json (or the legacy reconstruction, which inspects the
/// extracted files for their type) and, for noarch: python, link.json from an
/// extracted package directory. Every path is checked to be relative and clean.
base::Result<PackageInfo> read_package_info(const std::filesystem::path& package_dir);

}  // namespace pixi_install::prefix
