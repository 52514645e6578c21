// The one choke point that turns untrusted names (archive entries, record
// names, RECORD paths, paths.json entries) into paths below a root.
// Archive extraction checks every entry with safe_relative() and, instead of
// re-reading the disk per entry, refuses to write through any symlink it
// created itself (the destination starts empty, so those are the only ones).
#pragma once

#include <filesystem>
#include <string_view>

#include "pixi_install/base/result.hpp"

namespace pixi_install::base {

/// `root / entry` when `entry` is relative, has no `..` component, no NUL,
/// is not empty, and no existing component below `root` is a symlink that
/// leads outside `root`. Otherwise ErrorKind::integrity naming the entry.
base::Result<std::filesystem::path> safe_join(const std::filesystem::path& root,
                                              std::string_view entry);

/// The lexical part of safe_join (no file-system access): a relative, clean,
/// non-empty path without `..`. Used for checking names before anything exists.
base::Result<std::filesystem::path> safe_relative(std::string_view entry);

/// True when `entry` is already in the form safe_relative() returns: relative,
/// non-empty, no NUL, no empty, `.` or `..` component, no trailing '/'. A cheap
/// test (no allocation) for callers handling many names; anything else goes
/// through safe_relative().
bool is_clean_relative(std::string_view entry);

/// Why `entry` is not a clean relative path ("absolute path", "'..' component", ...),
/// or an empty view when it is fine: the reason safe_relative() gives, for callers that
/// word their own error.
std::string_view path_problem(std::string_view entry);

/// Why `entry` is not a clean relative path of printable names: path_problem(), or
/// "contains a control character" for a byte below 0x20 or 0x7f in any component.
/// For paths a lock or a package's metadata names (`python_site_packages_path`).
std::string_view relative_name_problem(std::string_view entry);

/// Why `name` cannot be one path segment (a file or directory name made from a lock field
/// or package metadata: archive file names, package name/version/build), or an empty view
/// when it can: not empty, not `.` or `..`, no '/', '\\', NUL or other control character.
std::string_view segment_problem(std::string_view name);

/// Whether a symlink at `rel` (a clean path relative to a tree's root) with the text
/// `target` points inside that tree, as text: relative, no NUL, never climbing above the
/// root. (Links on the way are not followed here; see archive::extract_source_archive.)
bool link_target_inside(std::string_view rel, std::string_view target);

/// Why `name` is not an environment name, or an empty view: pixi allows only `[a-z0-9-]+`.
std::string_view env_name_problem(std::string_view name);

}  // namespace pixi_install::base
