// Reading .conda, .tar.bz2 and .whl archives into a directory. Every entry
// name goes through the safe-path check (safe_path.hpp); links, devices and
// escapes are refused. Knows nothing of YAML, network or package metadata.
//
// What an extraction guarantees (each violation is ErrorKind::integrity naming
// the archive and the entry, and nothing is written outside `dest`):
//  * no absolute names, no `..` components, no hardlink to a path outside the
//    archive's own earlier entries, no device nodes, FIFOs or sockets;
//  * symlinks are recreated as symlinks with their target unchanged (a target
//    leaving the package may exist, as conda packages sometimes have them; the
//    linker applies the prefix policy), but no later entry is ever written
//    through any symlink (a duplicate member replaces the link instead);
//  * a symlink member with an empty target becomes an empty file (as bsdtar does);
//  * permissions: rwx bits kept (owner read/write added), setuid/setgid/sticky
//    dropped; mtimes kept, clamped to >= 1980-01-01; a zip member's bits come
//    from `external_attr >> 16` whenever its type bits say "regular file",
//    whatever system made the zip (as pip and pypa/installer read them);
//  * .tar.bz2 must be bzip2, the inner .conda members zstd, and zips must have a
//    sound central directory (no overlapping or duplicate members, none encrypted);
//  * the files and symlinks of a conda package go into `dest` as in the archive;
//    a package without info/index.json is refused.
// Each call owns its libarchive objects and works relative to a directory
// descriptor, so any number of extractions may run in parallel threads. One archive
// is one compressed stream, decompressed by the calling thread; the files it holds
// may be written by other threads (ExtractOptions::helpers).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"
#include "pixi_install/base/thread_pool.hpp"

namespace pixi_install::archive {

enum class Format { conda, tar_bz2, wheel };

/// The format from an archive file name (".conda", ".tar.bz2", ".whl"), or nullopt.
std::optional<Format> format_from_name(std::string_view file_name);

struct ExtractOptions {
    /// Refuse (ErrorKind::integrity) when the unpacked bytes exceed this; 0 = no limit.
    /// Callers pass a generous multiple of the record's size to stop decompression bombs.
    std::uint64_t max_unpacked_bytes = 0;
    /// Polled between entries; extraction stops with ErrorKind::interrupted when set.
    const std::atomic<bool>* cancel = nullptr;
    /// Workers that may write files of this archive while the calling thread goes on
    /// decompressing it. Files of a tar stream up to 1 MiB are handed to the pool's idle
    /// workers (never more than 16 MiB waiting per archive, 64 MiB in all); the others, and
    /// all of them while no worker is idle, are written by the calling thread, which makes
    /// every check as without helpers. Every file is written (or dropped, on failure) before
    /// the call returns. nullptr, or a pool of one: the calling thread writes everything.
    base::ThreadPool* helpers = nullptr;
};

struct ExtractStats {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
    /// Of `files`, those handed to `ExtractOptions::helpers` (written by a worker, or by the
    /// calling thread when it waited for them).
    std::uint64_t handed_off = 0;
};

/// Extracts a conda package (.conda: both info-*.tar.zst and pkg-*.tar.zst;
/// .tar.bz2) into `dest`, which must be an empty or missing directory.
/// Unsafe or corrupt archives give ErrorKind::integrity; on any error `dest`
/// may hold partial content and the caller discards it.
base::Result<ExtractStats> extract_conda_package(const std::filesystem::path& archive,
                                                 const std::filesystem::path& dest,
                                                 const ExtractOptions& options = {});

/// Extracts a zip archive (a wheel) into `dest` with the same guarantees. A zip
/// symlink member becomes a regular file holding the link text, as the Python
/// zipfile-based installers produce.
base::Result<ExtractStats> extract_zip(const std::filesystem::path& archive,
                                       const std::filesystem::path& dest,
                                       const ExtractOptions& options = {});

/// The archive library and its compression libraries as libarchive names them
/// ("libarchive 3.6.2 zlib/1.2.13 bz2lib/1.0.8 libzstd/1.5.4"), for --version.
/// Unpacks a source distribution (`file_name` ends in .tar.gz, .tgz, .tar.bz2,
/// .tar.xz, .tar or .zip) into `dest` through the same checks as packages, and
/// more: a symlink must point inside the tree (relative, never above the root),
/// and hard links, devices and FIFOs are refused (ErrorKind::integrity).
base::Result<ExtractStats> extract_source_archive(const std::filesystem::path& archive, std::string_view file_name,
                                                  const std::filesystem::path& dest,
                                                  const ExtractOptions& options = {});

std::string archive_library_versions();

}  // namespace pixi_install::archive
