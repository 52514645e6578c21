// Linking one extracted conda package into a prefix.
//
// Two phases so that packages can be linked in parallel without racing on
// shared paths:
//   1. `target_paths(info, python)` for every package (cheap: paths.json plus
//      noarch: python relocation) -> `resolve_clobbers` (clobber.hpp) decides,
//      centrally and deterministically, which package owns each contested path.
//   2. `link_package(...)` per package, on any thread, with the set of its
//      targets that lost (written under `__clobbers__/<name>/`). No two calls
//      then write the same file. A large package can be linked in parts on
//      several threads at once (`PackageLink`), so that one package with most
//      of an environment's files does not leave the other threads idle.
// The caller writes the conda-meta record from the result (conda_meta.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/prefix/conda_meta.hpp"
#include "pixi_install/prefix/package_info.hpp"
#include "pixi_install/spec/python_info.hpp"

namespace pixi_install::prefix {

enum class LinkMode {
    automatic,  ///< reflink, else hardlink (same device), else copy
    reflink,    ///< copy-on-write clones only (error where unsupported)
    hardlink,   ///< hard links only (error across devices)
    copy,       ///< independent copies (no shared inodes: what image layers want)
};
base::Result<LinkMode> parse_link_mode(std::string_view s);
const char* link_mode_name(LinkMode m) noexcept;

/// What the file systems allow, learnt from the first attempt and shared by
/// every package linked from one cache into one prefix (thread-safe). Reusing
/// one probe avoids a failing clone per package on file systems without reflinks.
struct LinkProbe {
    enum : int { unknown = 0, yes = 1, no = 2 };
    std::atomic<int> reflink{unknown};
    std::atomic<int> hardlink{unknown};
};

/// The directory clobbered files go to: `__clobbers__/<package name>/<path>`.
inline constexpr std::string_view clobbers_dir = "__clobbers__";

/// Where each entry of `info.paths` lands in the prefix (same order), after
/// noarch: python relocation (`site-packages/` -> python's site-packages,
/// `python-scripts/` -> `bin/`). A noarch: python package without `python` is an error.
base::Result<std::vector<std::string>> target_paths(const PackageInfo& info,
                                                    const std::optional<spec::PythonInfo>& python);

struct LinkOptions {
    LinkMode mode = LinkMode::automatic;
    /// The environment's python (required for noarch: python packages).
    std::optional<spec::PythonInfo> python;
    /// The prefix baked into rewritten files; empty = the prefix linked into.
    std::string placeholder_prefix;
    /// Targets (as from target_paths) this package lost to another: written under __clobbers__/<name>/.
    const std::unordered_set<std::string>* clobbered = nullptr;
    /// Shared capability cache; a private one is used when null.
    LinkProbe* probe = nullptr;
};

struct LinkStats {
    std::uint64_t reflinked = 0, hardlinked = 0, copied = 0, patched = 0, symlinks = 0, directories = 0,
                  entry_points = 0;
};

struct LinkResult {
    std::vector<PrefixPath> paths;  ///< sorted by path: the conda-meta `paths_data`
    CondaLinkType link_type = CondaLinkType::hardlink;
    std::string post_link_script;   ///< prefix-relative `bin/.<name>-post-link.sh`, or empty
    std::string pre_unlink_script;  ///< prefix-relative `bin/.<name>-pre-unlink.sh`, or empty
    std::vector<std::string> warnings;
    LinkStats stats;
};

/// Links the extracted package at `package_dir` (described by `info`) into
/// `prefix`. Placeholder and no_link files are always written, never linked;
/// symlinks are recreated; executable bits kept; entry points generated.
/// Existing files at the targets are replaced. Errors name the package and file.
base::Result<LinkResult> link_package(const std::filesystem::path& package_dir, const PackageInfo& info,
                                      const std::filesystem::path& prefix, const LinkOptions& options = {});

/// `link_package` in three steps, so that the entries of one package can be placed by
/// several threads at once:
///   - `prepare` checks the package (its targets, none below one of its own symlinks) and
///     makes every directory its entries go into;
///   - `link(begin, end)` places the entries [begin, end) of `info.paths`; calls for
///     disjoint ranges may run at the same time on different threads, and every entry must
///     be placed by exactly one call;
///   - `finish` writes the entry points and returns what `link_package` returns.
/// Errors are those of `link_package`, with the same context. `info`, and what `options`
/// points to, must outlive the object.
class PackageLink {
public:
    static base::Result<PackageLink> prepare(const std::filesystem::path& package_dir, const PackageInfo& info,
                                             const std::filesystem::path& prefix, const LinkOptions& options = {});
    PackageLink(PackageLink&&) noexcept;
    PackageLink& operator=(PackageLink&&) noexcept;
    ~PackageLink();

    /// The number of entries (`info.paths.size()`).
    std::size_t size() const;
    /// The estimated cost of placing each entry (link_weight; bytes count unless the mode
    /// only links).
    std::vector<std::uint64_t> weights() const;
    /// Whether the entries may be placed in parts: no two of them land on the same path (a
    /// package that lists a path twice is placed in its listed order, by one thread).
    bool splittable() const;
    base::Result<void> link(std::size_t begin, std::size_t end);
    base::Result<LinkResult> finish();

    struct State;  ///< private to link.cpp

private:
    explicit PackageLink(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

/// A part of the link work of several packages: the entries [begin, end) of package
/// `package`, and what they are estimated to cost.
struct LinkPart {
    std::size_t package = 0;
    std::size_t begin = 0;
    std::size_t end = 0;
    std::uint64_t weight = 0;
};

/// The estimated cost of placing one entry: one, plus its size in 16 KiB units when its
/// bytes are written (`copying`), since creating a file costs about as much as writing
/// that much here.
std::uint64_t link_weight(const PathEntry& e, bool copying);

/// Cuts the link work of packages (`weights[p][i]`: the cost of entry i of package p) into
/// parts for `workers` threads taking them in the order returned (heaviest first). A package
/// heavier than an even share (an eighth of the total per worker, at least 64) is cut into
/// as many contiguous parts of about equal weight as that takes, at most `workers`, when
/// `splittable[p]`; every other package is one part. Every entry is in exactly one part.
std::vector<LinkPart> plan_link_parts(const std::vector<std::vector<std::uint64_t>>& weights,
                                      const std::vector<bool>& splittable, std::size_t workers);

// ---- building blocks (exposed for tests and tools) ----

/// Text-mode rewrite: every occurrence of `placeholder` becomes `new_prefix`;
/// a leading shebang that becomes longer than 127 bytes, or (when the placeholder
/// is in it) gets a space, is rewritten to `#!/bin/sh` + `'''exec'` (python) or
/// `#!/usr/bin/env <name>`. The trampoline quotes by `base/shell_quote`; a prefix
/// holding NUL, LF or CR there is refused (ErrorKind::usage).
base::Result<std::string> replace_text_placeholder(std::string_view content, std::string_view placeholder,
                                                   std::string_view new_prefix);
/// Binary-mode rewrite: inside each NUL-terminated string holding the placeholder,
/// all occurrences are replaced and the string is NUL-padded: length unchanged.
/// ErrorKind::failure when `new_prefix` is longer than `placeholder`.
base::Result<std::string> replace_binary_placeholder(std::string_view content, std::string_view placeholder,
                                                     std::string_view new_prefix);
/// The script written for a noarch: python entry point, with `interpreter` (absolute) in its shebang.
/// A path a `#!` line cannot hold gets `base::sh_python_trampoline`.
base::Result<std::string> entry_point_script(const NoarchEntryPoint& ep, std::string_view interpreter);

}  // namespace pixi_install::prefix
