// fetch_all: make every artifact available as a verified file.
//
// Sources, in order: the artifact store (cache) -> bundles -> a local path or
// file:// URL -> the network (http(s), s3), after mirror rewriting. Bytes are
// hashed while they stream (sha256, or md5 when no sha256 is known), written to a
// unique temporary file and renamed into the store only once the digest (and the
// size, when known) matched. Local files and bundle entries are copied into the
// store the same way (one read, hashed while copying), so every returned path is a
// store path whose content was verified; later runs find it there offline.
//
// Progress goes to the reporter's fetch_* methods (the caller announces the phase).
// Threads: the calling thread runs the one curl-multi loop (every CURL handle lives
// on it; up to `max_parallel` transfers); copies from bundles and local paths run on
// a small pool at the same time. Reporter methods and `on_ready` are called from
// both, so they must be thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pixi_install/base/reporter.hpp"
#include "pixi_install/base/result.hpp"
#include "pixi_install/fetch/mirrors.hpp"

namespace pixi_install::fetch {

/// One file the lock names.
struct Artifact {
    std::string name;             ///< file name, for messages and the store suffix
    std::string url;              ///< http(s)://, s3:// or file:// location; may be empty
    std::filesystem::path path;   ///< local source, if any (resolved against the lock)
    std::string sha256;           ///< lower-case hex, or empty
    std::string md5;              ///< lower-case hex, or empty (used when sha256 is empty)
    std::optional<std::uint64_t> size;
};

struct AwsCredentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  ///< optional
    std::string region = "us-east-1";
    std::string endpoint;       ///< e.g. "http://127.0.0.1:9000" for S3-compatible stores; empty = AWS
};

struct Timeouts {
    long connect_ms = 30000;
    /// A transfer slower than `low_speed_bytes` per second for `low_speed_seconds`
    /// is aborted (and retried). There is deliberately no total timeout.
    long low_speed_bytes = 1024;
    long low_speed_seconds = 60;
};

struct RetryPolicy {
    unsigned attempts = 5;           ///< tries per artifact, the first included
    long initial_backoff_ms = 500;   ///< doubled after each failure
    long max_backoff_ms = 15000;
};

struct FetchOptions {
    std::filesystem::path cache_dir;               ///< required: the store lives here
    std::vector<std::filesystem::path> bundles;    ///< directories or .tar files from `pack`
    bool offline = false;                          ///< never touch the network
    unsigned max_parallel = 16;                    ///< concurrent transfers (and copy workers, up to 4)
    std::vector<Mirror> mirrors;
    std::map<std::string, std::string> bearer_tokens;  ///< host -> token, sent to that host only
    std::optional<std::filesystem::path> netrc;    ///< netrc file; unset = libcurl's default (~/.netrc)
    AwsCredentials aws;
    Timeouts timeouts;
    RetryPolicy retries;
    std::string user_agent = "pixi-install";
    const std::atomic<bool>* cancel = nullptr;     ///< set -> stop, ErrorKind::interrupted
    /// Called once per artifact as soon as its verified file is ready (any thread).
    std::function<void(std::size_t index, const std::filesystem::path& path)> on_ready;
};

/// Makes every artifact available as a verified file and returns the paths in input
/// order. On failure the error lists every artifact that failed (not just the first);
/// its kind is interrupted, integrity (digest/size mismatch), unavailable (offline miss,
/// HTTP 4xx, retries exhausted) or failure (local I/O), in that priority.
base::Result<std::vector<std::filesystem::path>> fetch_all(const std::vector<Artifact>& artifacts,
                                                           const FetchOptions& options,
                                                           base::Reporter& reporter);

}  // namespace pixi_install::fetch
