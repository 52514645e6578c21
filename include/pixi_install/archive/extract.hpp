// Reading .conda, .tar.bz2 and .whl archives into a directory. Every entry
// name goes through safe_join(); links, devices and escapes are refused.
// Knows nothing of YAML, network or package metadata.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"

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
};

struct ExtractStats {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
};

/// Extracts a conda package (.conda: both info-*.tar.zst and pkg-*.tar.zst;
/// .tar.bz2) into `dest`, which must be an empty or missing directory.
/// Unsafe or corrupt archives give ErrorKind::integrity; on any error `dest`
/// may hold partial content and the caller discards it.
base::Result<ExtractStats> extract_conda_package(const std::filesystem::path& archive,
                                                 const std::filesystem::path& dest,
                                                 const ExtractOptions& options = {});

/// Extracts a zip archive (a wheel) into `dest` with the same guarantees.
base::Result<ExtractStats> extract_zip(const std::filesystem::path& archive,
                                       const std::filesystem::path& dest,
                                       const ExtractOptions& options = {});

}  // namespace pixi_install::archive
