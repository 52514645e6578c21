// Private to fetch: a temporary file that hashes what is written to it, and the
// digest/size check shared by every source.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/result.hpp"
#include "pixi_install/fetch/fetch.hpp"
#include "pixi_install/fetch/store.hpp"

namespace pixi_install::fetch {

/// The digest an artifact is verified against (sha256, else md5); an empty hex
/// means the lock gives none, and sha256 is computed to key the store.
Digest expected_digest(const Artifact& a);

/// A unique temporary file plus a streaming hasher over everything written.
class FileSink {
public:
    static base::Result<FileSink> create(const std::filesystem::path& path, base::HashAlgo algo);
    FileSink() = default;
    FileSink(FileSink&& o) noexcept;
    FileSink& operator=(FileSink&& o) noexcept;
    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;
    ~FileSink();  ///< removes the file unless finished and released

    /// Appends and hashes; false on an I/O error (see `error()`).
    bool write(const char* data, std::size_t size);
    /// Starts over: truncates the file and resets the hasher (a server ignored a range).
    base::Result<void> restart();
    std::uint64_t bytes() const { return bytes_; }
    const std::filesystem::path& path() const { return path_; }
    /// Closes the file and returns the hex digest of everything written.
    base::Result<std::string> finish();
    /// The file is kept on destruction (it was renamed into the store or handed on).
    void release() { path_.clear(); }
    base::Error error() const;

private:
    int fd_ = -1;
    std::filesystem::path path_;
    base::HashAlgo algo_ = base::HashAlgo::sha256;
    std::optional<base::Hasher> hasher_;
    std::uint64_t bytes_ = 0;
    int errno_ = 0;
};

/// Fails with ErrorKind::integrity when `actual_hex`/`bytes` do not match what the
/// artifact expects; `source` says where the bytes came from.
base::Result<void> check_content(const Artifact& a, const Digest& expected, const std::string& actual_hex,
                                 std::uint64_t bytes, const std::string& source);

/// Copies `length` bytes (all when unset) of `src` from `offset` into the store,
/// verifying the digest and size on the way; returns the store path.
base::Result<std::filesystem::path> copy_into_store(const ArtifactStore& store, const Artifact& a,
                                                    const std::filesystem::path& src, std::uint64_t offset,
                                                    std::optional<std::uint64_t> length,
                                                    const std::string& source, base::Reporter& reporter,
                                                    const std::atomic<bool>* cancel);

}  // namespace pixi_install::fetch
