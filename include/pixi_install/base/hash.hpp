// Streaming digests (sha256, md5 through OpenSSL EVP) and xxh3 fingerprints.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"

namespace pixi_install::base {

enum class HashAlgo { sha256, md5 };

/// Incremental hasher; feed bytes as they stream by, then `finish()` once.
class Hasher {
public:
    explicit Hasher(HashAlgo algo);
    ~Hasher();
    Hasher(Hasher&&) noexcept;
    Hasher& operator=(Hasher&&) noexcept;
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    void update(const void* data, std::size_t size);
    void update(std::string_view s) { update(s.data(), s.size()); }
    /// Lower-case hex digest. The hasher must not be used afterwards.
    std::string finish_hex();
    /// Raw digest bytes (32 for sha256, 16 for md5).
    std::string finish_raw();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Lower-case hex of raw bytes.
std::string to_hex(std::string_view raw);
/// True when `s` is a hex string of exactly `bytes` bytes (either case).
bool is_hex_digest(std::string_view s, std::size_t bytes);
/// Lower-cases a hex string (hashes from lock files are compared case-insensitively).
std::string normalize_hex(std::string_view s);

std::string sha256_hex(std::string_view data);
/// HMAC-SHA256 of `data` under `key` (raw 32 bytes), as AWS SigV4 chains them.
std::string hmac_sha256(std::string_view key, std::string_view data);
/// Hashes a file by streaming it; returns lower-case hex.
Result<std::string> hash_file(const std::filesystem::path& path, HashAlgo algo);
/// Hashes a file with both algorithms in one read: {sha256, md5}.
Result<std::pair<std::string, std::string>> hash_file_both(const std::filesystem::path& path);

/// urlsafe base64 without padding, as wheel RECORD files use ("sha256=...").
std::string base64_urlsafe_nopad(std::string_view raw);

/// xxh3-64 of data, as 16 hex characters: fingerprints, not security.
std::string xxh3_hex(std::string_view data);

/// Streaming xxh3-64 (for fingerprints over many pieces).
class Xxh3 {
public:
    Xxh3();
    ~Xxh3();
    Xxh3(const Xxh3&) = delete;
    Xxh3& operator=(const Xxh3&) = delete;
    void update(std::string_view s);
    /// Adds a length-prefixed field, so ("ab","c") and ("a","bc") differ.
    void field(std::string_view s);
    std::string hex() const;

private:
    void* state_;
};

}  // namespace pixi_install::base
