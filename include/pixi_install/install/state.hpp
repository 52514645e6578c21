// The prefix's install-state marker (conda-meta/pixi-install-state): whether
// the last install completed, and the fingerprint of what it installed.
// Lets an up-to-date prefix be detected without parsing conda-meta, and an
// interrupted install be detected (state "installing") and repaired.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/lockfile/model.hpp"

namespace pixi_install::install {

enum class PrefixState { absent, installing, complete };

struct StateMarker {
    PrefixState state = PrefixState::absent;
    std::string fingerprint;  ///< 16 hex digits (xxh3-64)
};

/// Everything besides the records that changes what an install produces.
struct FingerprintInputs {
    std::string prefix;      ///< absolute prefix path (placeholders depend on it)
    std::string link_mode;
    std::vector<std::string> skip;
    std::vector<std::string> only;
    bool no_pypi = false;
    bool run_post_link_scripts = false;
    bool compile_bytecode = false;
    /// SOURCE_DATE_EPOCH / --reproducible: every time the install writes is this one.
    std::optional<std::int64_t> source_date_epoch;
    /// The identities of local source directories (their content is not in the lock).
    std::vector<std::string> source_identities;
    /// How source entries are built (wheel directories, isolation, editables).
    std::string build_settings;
};

/// xxh3 over the tool version, the platform, the selected records (identity,
/// hashes, locations) and the inputs. Pure.
std::string fingerprint(const lockfile::Selection& selection, const FingerprintInputs& inputs);

std::filesystem::path state_path(const std::filesystem::path& prefix);

/// Reads the marker; a missing file is `absent`, an unreadable/garbled one is
/// treated as `installing` (so the next run repairs rather than trusts it).
StateMarker read_state(const std::filesystem::path& prefix);
base::Result<void> write_state(const std::filesystem::path& prefix, const StateMarker& marker);

/// What the commands that use an installed prefix (verify, run, shell-hook, info) say of
/// an unfinished one: an integrity error (exit 4) when its state is "installing" (an install
/// was interrupted or failed part-way) or when a first install was cut short before it
/// linked anything (conda-meta/ holds only the prefix lock), naming the command that
/// finishes or repairs it; fine for a complete prefix and for one this tool did not make.
base::Result<void> require_finished(const std::filesystem::path& prefix);

// ---- the no-op memo: "this prefix is complete for these exact inputs", without parsing the lock.
//
// The memo lives in the cache directory, not in the prefix: what it holds (stat values of the
// prefix, a digest of the host's virtual packages) is specific to this machine, and the prefix
// must stay the same on every machine (reproducible installs). A missing or stale memo only
// costs the ordinary path (parse the lock, compare the record fingerprint), which writes it anew.

/// What stat() says of conda-meta/ and of the state file: any entry added to or removed
/// from conda-meta, and any rewrite of the state file, changes it ("" when either is missing).
std::string prefix_stamp(const std::filesystem::path& prefix);

/// A local source directory as the install saw it.
struct LocalSource {
    std::filesystem::path path;
    bool editable = false;
    std::string identity;  ///< build::source_identity
};

struct NoopMemo {
    std::string key;          ///< xxh3 of the raw lock and every input (computed by the caller)
    std::string fingerprint;  ///< the record fingerprint the state file said "complete" for
    std::string stamp;        ///< prefix_stamp() after that install
    std::string platform;     ///< the lock platform that was installed
    std::uint64_t packages = 0;         ///< conda + PyPI records of the environment
    std::vector<std::string> warnings;  ///< what the full run warned about (replayed)
    /// Local source directories of the environment: the memo holds only while each still
    /// has the identity it had (their content is not in the lock).
    std::vector<LocalSource> sources;
};

/// `<cache>/noop/<xxh3 of the prefix path>`.
std::filesystem::path noop_memo_path(const std::filesystem::path& cache_dir, const std::filesystem::path& prefix);
/// nullopt when absent or unreadable.
std::optional<NoopMemo> read_noop_memo(const std::filesystem::path& path);
base::Result<void> write_noop_memo(const std::filesystem::path& path, const NoopMemo& memo);
/// True when `memo` is for `key`, the prefix's stamp is unchanged, its state file
/// still says "complete" with the memo's fingerprint, and every local source directory
/// still has its identity.
bool noop_memo_holds(const NoopMemo& memo, const std::string& key, const std::filesystem::path& prefix);

}  // namespace pixi_install::install
