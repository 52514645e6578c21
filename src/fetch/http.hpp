// Private to fetch: the curl-multi transfer loop.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "pixi_install/base/reporter.hpp"
#include "pixi_install/base/result.hpp"
#include "pixi_install/fetch/fetch.hpp"
#include "pixi_install/fetch/store.hpp"

namespace pixi_install::fetch {

/// One artifact to download.
struct HttpJob {
    std::size_t index = 0;            ///< the caller's index, passed back to `done`
    const Artifact* artifact = nullptr;
    std::string url;                  ///< the http(s) URL actually requested
    bool s3 = false;                  ///< sign the request with AWS SigV4
};

using HttpDone = std::function<void(std::size_t index, base::Result<std::filesystem::path> result)>;

/// Runs every job on the calling thread's curl-multi loop (at most
/// `options.max_parallel` at once, largest first), retrying and resuming as the
/// options say; each verified download is committed to `store` and reported
/// through `done` exactly once.
void run_http(const std::vector<HttpJob>& jobs, const ArtifactStore& store, const FetchOptions& options,
              base::Reporter& reporter, const HttpDone& done);

}  // namespace pixi_install::fetch
