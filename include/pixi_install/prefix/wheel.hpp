// Installing a wheel into an environment's site-packages (the binary
// distribution format: purelib/platlib, .data/{scripts,purelib,platlib,headers,data},
// #!python shebangs, console/gui launchers, INSTALLER/REQUESTED/direct_url.json,
// a rewritten RECORD), listing what a prefix holds, and RECORD-based uninstall.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/spec/python_info.hpp"

namespace pixi_install::prefix {

/// The installer name written to INSTALLER (no trailing newline).
inline constexpr const char* kWheelInstaller = "pixi-install";

/// What a direct reference was, for `direct_url.json` (PEP 610, the shapes uv writes).
struct DirectUrl {
    enum class Kind { archive, directory, vcs };
    Kind kind = Kind::archive;
    std::string url;                        ///< no credentials; file: URLs absolute
    std::optional<bool> editable;           ///< directory: written when known
    std::string vcs = "git";                ///< vcs
    std::string commit_id;                  ///< vcs
    std::optional<std::string> requested_revision;  ///< vcs
    std::optional<std::string> subdirectory;
    std::optional<std::string> sha256;      ///< archive: "hashes":{"sha256":...} when given
};

/// The compact JSON text of `direct_url.json`.
std::string direct_url_json(const DirectUrl& d);

struct WheelInstallOptions {
    /// The wheel's file name ("numpy-2.2.1-cp312-cp312-manylinux_2_17_x86_64.whl") when
    /// `wheel_file` is stored under another name (a content-addressed cache); empty: its own name.
    std::string file_name;
    std::string installer = kWheelInstaller;
    bool requested = true;                  ///< write an empty REQUESTED
    std::optional<DirectUrl> direct_url;    ///< write direct_url.json (URL/path installs)
    /// The identity of the source a built wheel came from: written to the dist-info's
    /// `PIXI_INSTALL_SOURCE` (recorded in RECORD), read back by list_installed_dists.
    std::optional<std::string> source_identity;
    /// Prefix-relative paths ("lib/python3.12/site-packages/x.py", "bin/tool") owned by
    /// conda packages; a wheel file landing on one is allowed and reported.
    const std::unordered_set<std::string>* conda_owned = nullptr;
    /// Check that the dist-info name and version match the file name (uv's default).
    bool check_file_name = true;
    /// Refuse (ErrorKind::integrity) a wheel unpacking to more bytes than this; 0 = no limit.
    std::uint64_t max_unpacked_bytes = 0;
    /// Polled while unpacking; the install stops with ErrorKind::interrupted when set.
    const std::atomic<bool>* cancel = nullptr;
};

struct WheelInstallResult {
    std::string name;                       ///< from METADATA (or the dist-info name)
    std::string version;
    std::filesystem::path dist_info;        ///< absolute
    /// Every installed file, prefix-relative, sorted (dist-info files included).
    std::vector<std::string> files;
    /// Files (prefix-relative) that existed before and were replaced.
    std::vector<std::string> overwritten;
    /// Installed files that are in options.conda_owned (a wheel replacing a conda file).
    std::vector<std::string> conda_overwritten;
    /// Generated launchers and installed scripts, prefix-relative ("bin/black").
    std::vector<std::string> scripts;
    std::uint64_t bytes = 0;
};

/// Installs `wheel_file` into `prefix` laid out as `python` says. Its file name (or
/// options.file_name) must be a wheel name (it is checked against the .dist-info and
/// decides the directory headers go to). Safe to call for several wheels at once. A corrupt or unsafe
/// wheel (not a zip, no or several .dist-info, no WHEEL, a member missing from
/// RECORD, a path escaping the environment) is refused with ErrorKind::integrity
/// before anything is moved into the prefix.
base::Result<WheelInstallResult> install_wheel(const std::filesystem::path& wheel_file,
                                               const std::filesystem::path& prefix,
                                               const spec::PythonInfo& python,
                                               const WheelInstallOptions& options = {});

/// `install_wheel` in three steps, so that the files of one large wheel can be written by
/// several threads at once:
///   - `prepare` reads and checks the whole wheel and plans where each file goes (nothing is
///     written but the prefix directory itself; its refusals are install_wheel's);
///   - `place(begin, end)` writes the planned files [begin, end) (sorted by destination);
///     calls for disjoint ranges may run at the same time on different threads, and every
///     file must be placed by exactly one call;
///   - `finish` writes RECORD and returns what install_wheel returns.
/// When a `place` fails, `roll_back` (once no `place` runs) removes what every part wrote.
/// `options.conda_owned` and `options.cancel` must outlive the object.
class WheelInstall {
public:
    static base::Result<WheelInstall> prepare(const std::filesystem::path& wheel_file,
                                              const std::filesystem::path& prefix, const spec::PythonInfo& python,
                                              const WheelInstallOptions& options = {});
    WheelInstall(WheelInstall&&) noexcept;
    WheelInstall& operator=(WheelInstall&&) noexcept;
    ~WheelInstall();

    /// The number of planned files (RECORD, written by finish, not counted).
    std::size_t size() const;
    /// The estimated cost of writing each planned file: one, plus its size in 16 KiB units.
    std::vector<std::uint64_t> weights() const;
    base::Result<void> place(std::size_t begin, std::size_t end);
    /// Gives back the wheel's mapping until the first `place` (the file stays open): for
    /// many wheels prepared before any is written, so that their pages are not all held.
    void set_aside();
    void roll_back();
    base::Result<WheelInstallResult> finish();

    struct State;  ///< private to wheel.cpp

private:
    explicit WheelInstall(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

/// One `*.dist-info` directory found in site-packages.
struct InstalledDist {
    std::string name;                       ///< METADATA Name (dist-info stem when absent)
    std::string normalized_name;            ///< PEP 503
    std::string version;
    std::filesystem::path dist_info;        ///< absolute
    std::string installer;                  ///< INSTALLER, trimmed; "" when absent
    std::optional<std::string> requires_python;  ///< METADATA Requires-Python
    std::optional<std::string> direct_url;  ///< direct_url.json text when present
    std::optional<std::string> source_identity;  ///< PIXI_INSTALL_SOURCE, trimmed, when present
};

/// The distributions in the prefix's site-packages, sorted by normalized name.
/// A missing site-packages gives an empty list.
base::Result<std::vector<InstalledDist>> list_installed_dists(const std::filesystem::path& prefix,
                                                              const spec::PythonInfo& python);

struct UninstallResult {
    std::vector<std::string> removed;       ///< prefix-relative files removed
    std::vector<std::string> missing;       ///< listed in RECORD but already gone
    std::vector<std::string> pruned_dirs;   ///< prefix-relative directories removed
};

/// Removes the files listed in `dist_info_dir`/RECORD (paths relative to the
/// directory holding the dist-info), their `__pycache__` and the directories left
/// empty. No RECORD: ErrorKind::failure. A row leaving the prefix (or reaching out
/// through a symlink): ErrorKind::integrity, and nothing is removed.
/// Paths in `keep_files` (prefix-relative: files other packages own) are left in place.
base::Result<UninstallResult> uninstall_wheel(const std::filesystem::path& prefix,
                                              const std::filesystem::path& dist_info_dir,
                                              const std::unordered_set<std::string>* keep_files = nullptr);

/// The files `dist_info_dir`/RECORD lists, prefix-relative, each checked to stay inside
/// the prefix (as uninstall_wheel checks them).
base::Result<std::vector<std::string>> installed_dist_files(const std::filesystem::path& prefix,
                                                            const std::filesystem::path& dist_info_dir);

}  // namespace pixi_install::prefix
