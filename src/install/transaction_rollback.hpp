// Private to install: what makes an update a transaction. Before the prefix changes,
// the whole prefix is snapshotted into <prefix>/.pixi-install-rollback/ by hard links
// (same file system, no data copied; a copy where a link is refused). Nothing the
// install does writes into an existing file (every write is a new file or a rename),
// so the snapshot keeps the previous environment byte for byte until the new state is
// complete. On failure the snapshot is moved back; after a crash the next install does.
//
// Layout of <prefix>/.pixi-install-rollback/:
//   snapshot/   the previous prefix (without the prefix lock file and this directory)
//   names       the top-level names and conda-meta names the snapshot holds, each ended by a
//               NUL byte (a name may hold any other byte), with the mode of a directory that
//               its owner may not write (the snapshot holds it writable: a directory moved to
//               another parent has its `..` written); written last: no `names`, no snapshot.
//               A file of one name a line (an earlier version's) is read too.
#pragma once

#include <filesystem>
#include <string>

#include "pixi_install/base/result.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/prefix/package_info.hpp"

namespace pixi_install::install {

inline constexpr const char* kRollbackDir = prefix::kRollbackDirName.data();

/// Takes the snapshot of `prefix` (replacing a stale one). Fails, with nothing changed
/// in the prefix, when it cannot be made (no space for the directories, ...).
base::Result<void> take_snapshot(const std::filesystem::path& prefix, base::ThreadPool* pool = nullptr);

/// True when `prefix` holds a snapshot directory, complete or not (one lstat).
bool has_snapshot_dir(const std::filesystem::path& prefix);

/// True when `prefix` holds a complete snapshot.
bool has_snapshot(const std::filesystem::path& prefix);

/// Puts the snapshot back: the prefix is again exactly what it was when the snapshot was
/// taken. Safe to run again after a crash part-way (entries still in the snapshot are the
/// ones not yet moved back). Removes the snapshot at the end.
base::Result<void> restore_snapshot(const std::filesystem::path& prefix, base::ThreadPool* pool = nullptr);

/// Forgets the snapshot (the new state is complete, or no snapshot was finished).
base::Result<void> discard_snapshot(const std::filesystem::path& prefix, base::ThreadPool* pool = nullptr);

}  // namespace pixi_install::install
