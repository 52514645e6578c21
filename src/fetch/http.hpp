// Private to fetch: the curl-multi transfer loop.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pixi_install/base/reporter.hpp"
#include "pixi_install/base/result.hpp"
#include "pixi_install/fetch/fetch.hpp"
#include "pixi_install/fetch/oci.hpp"
#include "pixi_install/fetch/sigv4.hpp"
#include "pixi_install/fetch/store.hpp"

namespace pixi_install::fetch {

/// How an S3 request is signed.
struct S3Signing {
    SigV4Key key;
    std::string session_token;
    std::string source;  ///< where the keys came from, for messages
};

/// One artifact to download.
struct HttpJob {
    std::size_t index = 0;            ///< the caller's index, passed back to `done`
    const Artifact* artifact = nullptr;
    std::string url;                  ///< the http(s) URL actually requested
    std::optional<S3Signing> s3;      ///< sign the request with AWS SigV4
    std::string bearer;               ///< a registry token for this request only (OCI)
    std::string origin;               ///< what the URL stands for, for messages (the OCI tag), or empty
};

using HttpDone = std::function<void(std::size_t index, base::Result<std::filesystem::path> result)>;

/// A host given up during a run: it could not be resolved or connected to.
struct UnreachableHost {
    std::string host;                 ///< "conda.anaconda.org", or "through proxy http://host:port"
    std::string why;                  ///< the last failure
    unsigned attempts = 0;
    std::vector<std::size_t> indices; ///< the jobs' indices whose artifacts it held
};

/// Runs every job on the calling thread's curl-multi loop (at most
/// `options.max_parallel` at once, largest first), retrying and resuming as the
/// options say; each verified download is committed to `store` and reported
/// through `done` exactly once. A host that cannot be reached is retried as a
/// whole (fetch/host_health.hpp) and then given up for all its jobs, which are
/// returned grouped by host (their `done` results say so too).
std::vector<UnreachableHost> run_http(const std::vector<HttpJob>& jobs, const ArtifactStore& store,
                                      const FetchOptions& options, base::Reporter& reporter, const HttpDone& done);

}  // namespace pixi_install::fetch

namespace pixi_install::fetch {

/// Answer of a server about a failed request, from its body: S3's XML
/// (<Code>, <Message>) or an OCI registry's JSON ({"errors":[{"code","message"}]}).
/// Empty when the body says nothing recognisable. Never contains request headers.
std::string server_error_detail(const std::string& body);

/// An artifact to fetch from an OCI registry (a mirror's oci:// target).
struct OciPending {
    std::size_t index = 0;
    const Artifact* artifact = nullptr;
    OciReference ref;
    std::string url;  ///< the oci:// location, for messages
};

/// Pulls each pending artifact's manifest (anonymously, or after a 401's Bearer
/// challenge with a token from the registry's token server; one manifest and one
/// token per repository, concurrently), checks its layer digest against the lock's
/// sha256 and returns the blob download, or why there is none (the registry,
/// repository and tag named).
std::vector<base::Result<HttpJob>> resolve_oci(const std::vector<OciPending>& pending, const FetchOptions& options);

}  // namespace pixi_install::fetch
