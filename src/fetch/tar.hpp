// Private to fetch: the minimal ustar/pax writer and reader used for bundles.
// Only what bundles need: regular files and directories, pax `path`/`size` records.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <utility>

#include "pixi_install/base/result.hpp"

namespace pixi_install::fetch::tar {

/// Appends entries to an open file; every header is deterministic (mtime 0, uid/gid 0).
class Writer {
public:
    explicit Writer(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    base::Result<void> add_directory(const std::string& name);
    base::Result<void> add_file(const std::string& name, const std::filesystem::path& source);
    base::Result<void> add_bytes(const std::string& name, const std::string& content);
    /// Writes the two zero blocks that end the archive.
    base::Result<void> finish();

private:
    base::Result<void> header(const std::string& name, char type, std::uint64_t size, unsigned mode);
    base::Result<void> write_all(const void* data, std::size_t n);
    base::Result<void> pad(std::uint64_t size);
    int fd_;
    std::string path_;
};

/// name -> (data offset, size) of every regular file in the archive at `path`.
/// Names are returned as written (never used as filesystem paths by callers).
base::Result<std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>> index(const std::filesystem::path& path);

}  // namespace pixi_install::fetch::tar
