// The text formats inside a wheel's .dist-info: RECORD (CSV), WHEEL and
// METADATA headers, entry_points.txt, and the launchers and shebangs written
// for scripts. Pure string functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::prefix {

struct RecordRow {
    std::string path;  ///< as written (relative to site-packages, '/' separators)
    std::string hash;  ///< "sha256=..." or ""
    std::string size;  ///< decimal or ""
};

/// Parses RECORD (CSV as Python's csv module writes it; \n or \r\n line ends).
/// ErrorKind::integrity on a malformed line.
base::Result<std::vector<RecordRow>> parse_record(std::string_view text);
/// Writes rows sorted by path, quoting a field only when it needs it, '\n' line ends.
std::string format_record(std::vector<RecordRow> rows);
/// "sha256=" + urlsafe base64 without padding of a raw 32-byte digest.
std::string record_hash(std::string_view raw_sha256);

/// RFC 822 style "Key: value" headers (WHEEL, METADATA): keys as written,
/// values trimmed, repeated keys kept in order; stops at the first blank line.
std::vector<std::pair<std::string, std::string>> parse_headers(std::string_view text);
/// The first value for `key` (case-insensitive), or nullopt.
std::optional<std::string> header_value(const std::vector<std::pair<std::string, std::string>>& headers,
                                        std::string_view key);

struct EntryPoint {
    std::string name;      ///< script name
    std::string module;    ///< "black"
    std::string attr;      ///< "patched_main" or "a.b.c"
    bool gui = false;
};

/// console_scripts and gui_scripts of entry_points.txt. ErrorKind::integrity on
/// an entry without `module:attr` or with characters outside the grammar.
base::Result<std::vector<EntryPoint>> parse_entry_points(std::string_view text);

/// The shebang line (with its newline) for interpreter `exe`: `#!exe\n` when short
/// enough (127 bytes) and free of spaces and tabs, else `base::sh_python_trampoline`.
/// ErrorKind::usage when `exe` holds NUL, LF or CR.
base::Result<std::string> script_shebang(std::string_view exe);
/// The full launcher text for an entry point.
base::Result<std::string> launcher_script(const EntryPoint& ep, std::string_view exe);

/// Names that must never be installed as scripts (they would shadow the
/// environment's interpreter): python, python3, python3.12, pythonw, pypy...
bool is_reserved_script_name(std::string_view name);

/// Why a wheel may not write `dest` (prefix-relative, clean), whatever scheme it comes
/// from: the environment's records (`conda-meta/`), its interpreter (`<bin_dir>/python…`),
/// the installer's own files (`activate.sh`, `activate.fish`, `CACHEDIR.TAG`,
/// `__clobbers__/`). Empty when it may.
std::string_view reserved_prefix_path(std::string_view dest, std::string_view bin_dir);

}  // namespace pixi_install::prefix
