#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "http.hpp"
#include "pixi_install/base/redact.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/fetch/bundle.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/fetch/fetch.hpp"
#include "pixi_install/fetch/hosts.hpp"
#include "pixi_install/fetch/store.hpp"
#include "sink.hpp"
#include "transfer_options.hpp"

namespace pixi_install::fetch {

namespace fs = std::filesystem;

namespace {

bool is_file(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// A copy from a local file or a bundle entry.
struct LocalJob {
    std::size_t index;
    fs::path file;
    std::uint64_t offset = 0;
    std::optional<std::uint64_t> length;
    std::string source;  ///< for messages
};

/// The request for an s3:// location: the bucket's s3-options over the defaults, and
/// rattler's S3Credentials for it (by s3://bucket[/prefix]) over the AWS credentials.
base::Result<HttpJob> s3_job(std::size_t index, const Artifact& a, const std::string& url, const FetchOptions& o) {
    std::string bucket = s3_bucket(url);
    auto b = o.s3_buckets.find(bucket);
    const S3Bucket* opts = b == o.s3_buckets.end() ? nullptr : &b->second;
    std::string region = opts && !opts->region.empty() ? opts->region : o.aws.region;
    std::string endpoint = opts && !opts->endpoint_url.empty() ? opts->endpoint_url : o.aws.endpoint;
    // s3-options say how the bucket is addressed; an endpoint from the environment is addressed
    // as the AWS SDK (and so rattler) does: virtual-host style, but path style for localhost and
    // addresses, which cannot carry a bucket in front.
    std::string host = url_host(endpoint);
    bool address = host.empty() || host.front() == '[' || host.find_first_not_of("0123456789.") == std::string::npos;
    bool path_style = opts && !opts->endpoint_url.empty() ? opts->force_path_style : (address || host == "localhost");
    PI_TRY(std::string https, s3_to_https(url, region, endpoint, path_style));
    HttpJob job{index, &a, https, std::nullopt, {}, url};
    if (region.empty()) region = "us-east-1";
    for (const auto& k : credential_keys(url)) {
        auto c = o.credentials.find(k);
        if (c == o.credentials.end() || c->second.kind != Credential::Kind::s3) continue;
        job.s3 = S3Signing{{c->second.access_key_id, c->second.secret_access_key, region, "s3"},
                           c->second.session_token,
                           "the S3Credentials for " + k + " in rattler's auth file"};
        return job;
    }
    if (!o.aws.access_key_id.empty())
        job.s3 = S3Signing{{o.aws.access_key_id, o.aws.secret_access_key, region, "s3"}, o.aws.session_token,
                           o.aws.source.empty() ? std::string("AWS credentials") : o.aws.source};
    return job;  // no credentials: an anonymous request (a public bucket)
}

int severity(base::ErrorKind k) {
    switch (k) {
        case base::ErrorKind::interrupted: return 4;
        case base::ErrorKind::integrity: return 3;
        case base::ErrorKind::unavailable: return 2;
        default: return 1;
    }
}

/// One error for every failed artifact: a line per host that could not be reached (with the
/// count of its artifacts, every artifact in `details`), then a line per other failure.
base::Error combine(std::vector<base::Error> errors, const std::vector<UnreachableHost>& unreachable,
                    const std::vector<Artifact>& artifacts, std::size_t failed, base::Reporter& reporter) {
    if (unreachable.empty() && errors.size() == 1) return std::move(errors.front());
    base::ErrorKind kind = base::ErrorKind::unavailable;
    if (!errors.empty()) {
        auto worst = std::max_element(errors.begin(), errors.end(), [](const auto& a, const auto& b) {
            return severity(a.kind) < severity(b.kind);
        });
        if (unreachable.empty() || severity(worst->kind) > severity(kind)) kind = worst->kind;
    }
    std::string msg = std::to_string(failed) + " of " + std::to_string(artifacts.size()) +
                      " artifacts could not be fetched:";
    for (const auto& u : unreachable) {
        msg += "\n  " + u.host + ": " + u.why + " (gave up after " + std::to_string(u.attempts) + " attempt" +
               (u.attempts == 1 ? "" : "s") + "); " + std::to_string(u.indices.size()) + " artifact" +
               (u.indices.size() == 1 ? "" : "s") + " not downloaded";
        for (std::size_t i : u.indices)
            reporter.fetch_given_up(u.host, artifacts[i].name, base::redact(artifacts[i].url));
    }
    // A full disk fails every download alike: the first one's line, then the count.
    std::size_t full = 0;
    for (const auto& e : errors) {
        if (e.is_disk_full() && full++ > 0) continue;
        msg += "\n  " + e.message;
    }
    if (full > 1)
        msg += "\n  (and " + std::to_string(full - 1) + " more artifact(s) for the same reason: the file system of "
               "the package cache is full; free space there or choose another --cache-dir)";
    if (!unreachable.empty())
        msg += "\n(no network here? install from what is at hand: --offline uses the cache only, --bundle PATH "
               "takes a bundle made by `pixi-install pack` on a connected machine, --mirror FROM=TO or a [mirrors] "
               "config sends the downloads to a reachable mirror; -v lists every artifact)";
    return base::fail(kind, std::move(msg));
}

}  // namespace

base::Result<std::vector<fs::path>> fetch_all(const std::vector<Artifact>& artifacts, const FetchOptions& o,
                                              base::Reporter& reporter) {
    PI_TRY(ArtifactStore store, ArtifactStore::open(o.cache_dir));
    // Temporaries of killed runs: a live download touches its file continuously, so
    // anything untouched for a day is garbage. Failure to clean is not an error.
    (void)store.clean_temporaries(std::chrono::hours(24));
    std::vector<Bundle> bundles;
    for (const auto& b : o.bundles) {
        PI_TRY(Bundle opened, Bundle::open(b));
        bundles.push_back(std::move(opened));
    }

    const std::size_t n = artifacts.size();
    std::vector<std::optional<base::Result<fs::path>>> results(n);
    std::mutex mu;  // guards `results` and on_ready ordering against the pool
    auto complete = [&](std::size_t i, base::Result<fs::path> r) {
        if (r && o.on_ready) o.on_ready(i, *r);
        std::lock_guard<std::mutex> lock(mu);
        results[i] = std::move(r);
    };

    // Artifacts with the same digest are fetched once; the others follow the leader.
    std::vector<std::size_t> leader(n);
    std::map<std::string, std::size_t> first_by_digest;
    std::vector<LocalJob> local;
    std::vector<HttpJob> http;
    std::vector<OciPending> oci;
    std::vector<std::string> offline_missing;
    std::vector<base::Error> errors;

    for (std::size_t i = 0; i < n; ++i) {
        const Artifact& a = artifacts[i];
        leader[i] = i;
        Digest want = expected_digest(a);
        if (!want.hex.empty()) {
            std::string key = (want.algo == base::HashAlgo::sha256 ? "sha256:" : "md5:") + want.hex;
            auto [it, fresh] = first_by_digest.emplace(key, i);
            if (!fresh) {
                leader[i] = it->second;
                continue;
            }
            // 1. The store: files there were verified before they were renamed in.
            if (auto p = store.find(want, a.name, a.size)) {
                reporter.fetch_finished(a.name, a.size.value_or(0), false);
                complete(i, *p);
                continue;
            }
            // 2. Bundles.
            const BundleEntry* hit = nullptr;
            for (const auto& b : bundles) {
                hit = want.algo == base::HashAlgo::sha256 ? b.find_sha256(want.hex) : b.find_md5(want.hex);
                if (hit) {
                    local.push_back({i, hit->file, hit->offset, hit->size, "bundle " + b.path().string()});
                    break;
                }
            }
            if (hit) continue;
        } else {
            const bool local_file = (!a.path.empty() && is_file(a.path)) || !file_url_path(a.url).empty() ||
                                    (!a.url.empty() && is_plain_path(a.url));
            if (o.require_hashes && !local_file) {
                complete(i, base::fail(base::ErrorKind::integrity,
                                       "the lock gives no sha256 or md5 for " + a.name + " (" + base::redact(a.url) +
                                           "), and --require-hashes refuses a download it cannot verify "
                                           "(relock with hashes, or leave out --require-hashes)"));
                continue;
            }
            reporter.warning("the lock gives no sha256 or md5 for " + a.name + "; it is used unverified");
        }
        // 3. Local paths and file:// URLs (also after mirror rewriting).
        if (!a.path.empty() && is_file(a.path)) {
            local.push_back({i, a.path, 0, std::nullopt, a.path.string()});
            continue;
        }
        std::string url = apply_mirrors(a.url, o.mirrors);
        if (url.empty()) {
            complete(i, base::fail(base::ErrorKind::unavailable,
                                   "cannot find " + a.name + ": no file at " + a.path.string() +
                                       " (check the path in the lock, or pass --bundle)"));
            continue;
        }
        std::string local_path = file_url_path(url);
        if (local_path.empty() && is_plain_path(url)) local_path = url;
        if (!local_path.empty()) {
            if (is_file(local_path)) local.push_back({i, local_path, 0, std::nullopt, local_path});
            else
                complete(i, base::fail(base::ErrorKind::unavailable,
                                       "cannot find " + a.name + ": no file at " + local_path +
                                           (url != a.url ? " (mirrored from " + a.url + ")" : "")));
            continue;
        }
        // 4. The network.
        if (o.offline) {
            offline_missing.push_back(a.name + " (" + url + ")");
            results[i] = base::fail(base::ErrorKind::unavailable, "offline");
            continue;
        }
        std::string scheme = base::ascii_lower(url.substr(0, url.find("://")));
        if (is_http_url(url)) {
            http.push_back({i, &a, url, std::nullopt, {}, {}});
        } else if (scheme == "s3") {
            auto job = s3_job(i, a, url, o);
            if (!job) complete(i, std::move(job).error());
            else http.push_back(std::move(*job));
        } else if (scheme == "oci") {
            auto ref = parse_oci_url(url);
            if (!ref) complete(i, std::move(ref).error().with_context("fetching " + a.name));
            else oci.push_back({i, &a, std::move(*ref), url});
        } else {
            complete(i, base::fail(base::ErrorKind::unavailable,
                                   "cannot fetch " + a.name + ": unsupported location " + url +
                                       " (use http(s)://, s3://, oci://, file:// or a path, or add a --mirror)"));
        }
    }

    if (!offline_missing.empty()) {
        // Nothing else is worth doing: an offline install with a miss installs nothing.
        std::string msg = std::to_string(offline_missing.size()) + " artifact" +
                          (offline_missing.size() == 1 ? " is" : "s are") +
                          " not in the cache or any bundle, and --offline forbids downloading:";
        for (const auto& m : offline_missing) msg += "\n  " + m;
        msg += "\n(pass --bundle made by `pixi-install pack`, or run once without --offline)";
        return base::fail(base::ErrorKind::unavailable, std::move(msg));
    }

    if (!o.tls.problem.empty() && !o.tls.no_verify) {
        // The CA setting names a path that is not there: refuse before any transfer starts
        // (commands and installs that need no https never get here with it).
        std::vector<std::string> need;
        for (const auto& j : http)
            if (is_https(j.url)) need.push_back(j.artifact->name);
        for (const auto& p : oci)
            if (p.ref.scheme == "https") need.push_back(p.artifact->name);
        if (!need.empty())
            return base::fail(base::ErrorKind::usage,
                              "cannot download " + std::to_string(need.size()) + " artifact" +
                                  (need.size() == 1 ? "" : "s") + " over https (" + need.front() +
                                  (need.size() > 1 ? ", ..." : "") + "): " + o.tls.problem +
                                  " (nothing was downloaded)");
    }

    // Copies from bundles and local files run on a small pool while this thread
    // runs the network loop.
    std::optional<base::ThreadPool> pool;
    if (!local.empty()) {
        std::size_t workers = std::min<std::size_t>({local.size(), 4, std::max(1u, o.max_parallel)});
        pool.emplace(workers);
        for (const auto& job : local) {
            pool->submit([&, job] {
                complete(job.index, copy_into_store(store, artifacts[job.index], job.file, job.offset, job.length,
                                                    job.source, reporter, o.cancel));
            });
        }
    }
    if (!oci.empty()) {
        // Registries first answer which blob a tag is (and hand out tokens); then the blobs
        // are downloaded with everything else.
        auto jobs = resolve_oci(oci, o);
        for (std::size_t k = 0; k < oci.size(); ++k) {
            if (jobs[k]) http.push_back(std::move(*jobs[k]));
            else complete(oci[k].index, std::move(jobs[k]).error());
        }
    }
    std::vector<UnreachableHost> unreachable =
        run_http(http, store, o, reporter, [&](std::size_t i, base::Result<fs::path> r) { complete(i, std::move(r)); });
    std::vector<bool> on_unreachable(n, false);
    for (const auto& u : unreachable)
        for (std::size_t i : u.indices) on_unreachable[i] = true;
    if (pool) pool->wait_idle();

    std::vector<fs::path> out(n);
    std::size_t failed = 0;
    for (std::size_t i = 0; i < n; ++i) {
        auto& r = results[leader[i]];
        if (!r) {
            ++failed;
            errors.push_back(base::fail(base::ErrorKind::failure, "no result for " + artifacts[i].name));
            continue;
        }
        if (!*r) {
            ++failed;
            if (leader[i] == i && !on_unreachable[i]) errors.push_back(r->error());
            continue;
        }
        out[i] = r->value();
        if (leader[i] != i && o.on_ready) o.on_ready(i, out[i]);
    }
    if (!errors.empty() || !unreachable.empty()) return combine(std::move(errors), unreachable, artifacts, failed, reporter);
    return out;
}

}  // namespace pixi_install::fetch
