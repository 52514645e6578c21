// fetch_all: make every artifact available as a verified file.
//
// Sources, in order: the artifact store (cache) -> bundles -> a local path or
// file:// URL -> the network (http(s), s3, oci registries), after mirror rewriting. Bytes are
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
    std::string url;              ///< http(s)://, s3://, oci:// or file:// location; may be empty
    std::filesystem::path path;   ///< local source, if any (resolved against the lock)
    std::string sha256;           ///< lower-case hex, or empty
    std::string md5;              ///< lower-case hex, or empty (used when sha256 is empty)
    std::optional<std::uint64_t> size;
};

/// The default AWS credentials and S3 location (from the environment or an AWS
/// profile, decided by the caller); a bucket's s3-options and rattler's
/// S3Credentials for it take precedence.
struct AwsCredentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  ///< optional
    std::string region = "us-east-1";
    std::string endpoint;       ///< e.g. "https://minio.internal:9000" for S3-compatible stores; empty = AWS
    std::string source;         ///< where the keys came from, for messages ("AWS_ACCESS_KEY_ID", "profile x ...")
};

/// pixi's `s3-options.<bucket>`: where a bucket lives and how it is addressed.
struct S3Bucket {
    std::string endpoint_url;       ///< empty: AWS (https://<bucket>.s3.<region>.amazonaws.com)
    std::string region;             ///< empty: AwsCredentials::region
    bool force_path_style = false;  ///< <endpoint>/<bucket>/<key> instead of <bucket>.<endpoint host>/<key>
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

/// Which certificates TLS trusts. `fetch` reads no environment and probes no files:
/// the caller decides (flags, SSL_CERT_FILE/SSL_CERT_DIR, config, the system's bundle)
/// and passes the outcome, so a statically linked binary never depends on the paths
/// compiled into the libcurl it was built with.
struct TlsOptions {
    std::filesystem::path ca_file;   ///< PEM bundle (CURLOPT_CAINFO); empty = none
    std::filesystem::path ca_dir;    ///< hashed certificate directory (CURLOPT_CAPATH); empty = none
    bool no_verify = false;          ///< accept any certificate and host name (insecure)
    std::string source;              ///< where the choice came from, for messages ("--tls-ca-cert", ...)
    /// When neither ca_file nor ca_dir is set: the places that were searched, named in
    /// the error an https download then gets.
    std::vector<std::string> searched;
    /// Set when the CA setting names a path that is not there ("SSL_CERT_DIR names /x,
    /// which is not a directory; ..."). Only transfers that need certificates fail for it,
    /// before any of them starts (ErrorKind::usage); everything else goes on.
    std::string problem;
};

/// The proxy for each scheme, as curl would take it from https_proxy/http_proxy/
/// all_proxy/no_proxy, but decided by the caller and set explicitly on every transfer.
struct ProxyOptions {
    std::string https;     ///< proxy URL for https:// transfers (may hold user:password@); empty = direct
    std::string http;      ///< proxy URL for http:// transfers; empty = direct
    std::string no_proxy;  ///< comma-separated hosts/domains/addresses reached directly ("*" = all)
    std::string source;    ///< where the choice came from, for messages
};

/// A credential from rattler's authentication file, for the hosts its key names.
struct Credential {
    enum class Kind { bearer, basic, conda_token, s3 };
    Kind kind = Kind::bearer;
    std::string token;               ///< bearer: "Authorization: Bearer"; conda_token: "/t/<token>" path prefix
    std::string username, password;  ///< basic
    std::string access_key_id, secret_access_key, session_token;  ///< s3
};

struct FetchOptions {
    std::filesystem::path cache_dir;               ///< required: the store lives here
    std::vector<std::filesystem::path> bundles;    ///< directories or .tar files from `pack`
    bool offline = false;                          ///< never touch the network
    bool require_hashes = false;                   ///< a remote artifact without sha256/md5: integrity error
    unsigned max_parallel = 16;                    ///< concurrent transfers (and copy workers, up to 4)
    std::vector<Mirror> mirrors;
    std::map<std::string, std::string> bearer_tokens;  ///< host -> token, sent to that host only
    /// "host", "*.domain" or "s3://bucket[/prefix]" -> credential (find_credential picks
    /// one as rattler does); bearer_tokens win for their hosts.
    std::map<std::string, Credential> credentials;
    std::optional<std::filesystem::path> netrc;    ///< netrc file; unset = libcurl's default (~/.netrc)
    AwsCredentials aws;
    std::map<std::string, S3Bucket> s3_buckets;    ///< bucket name -> its s3-options
    TlsOptions tls;
    ProxyOptions proxy;
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

/// A small text resource (a package index page) as it was served.
struct Page {
    long status = 200;         ///< 200, or 404/410 (not there: not an error)
    std::string url;           ///< after redirects (relative links resolve against it)
    std::string content_type;  ///< as the server said
    std::string body;
};

/// GETs `url` with `Accept: accept`, with the host's credentials, proxies, TLS and
/// retries as for downloads; 404 and 410 come back as pages with that status; offline,
/// a failed transfer or another status is ErrorKind::unavailable (the message names the
/// status and the server's detail).
base::Result<Page> fetch_page(const std::string& url, const std::string& accept, const FetchOptions& options);

/// The HTTP library and what it was built with, as libcurl names them
/// ("libcurl/7.88.1 OpenSSL/3.0.20 zlib/1.2.13 zstd/1.5.4 nghttp2/1.52.0"), for --version.
std::string http_library_versions();

}  // namespace pixi_install::fetch
