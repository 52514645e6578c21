#include "http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>

#include "pixi_install/base/redact.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/fetch/fetch.hpp"
#include "pixi_install/fetch/host_health.hpp"
#include "sink.hpp"
#include "transfer_options.hpp"

namespace pixi_install::fetch {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
    const HttpJob* job = nullptr;
    const FetchOptions* options = nullptr;
    base::Reporter* reporter = nullptr;
    Digest want;
    std::optional<FileSink> sink;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    unsigned attempt = 0;          ///< failed attempts so far
    std::uint64_t resume_from = 0; ///< offset requested by the current attempt
    bool resumed = false;          ///< some attempt continued a partial download
    bool restarted_clean = false;  ///< already started over after a mismatch on a resumed download
    bool first_write = true;
    bool write_failed = false;
    bool cancelled = false;
    bool started_reported = false;
    bool no_resume = false;        ///< the server ignores Range: retries start over
    std::string request_url;       ///< job->url with a conda token in its path, if any (never printed)
    bool error_response = false;   ///< the server answered >= 400: the body is its explanation
    std::string error_body;        ///< the first bytes of that answer
    Clock::time_point not_before{};
    std::string host;              ///< what a connection failure is charged to (the host, or the proxy)
    Clock::time_point started_at{};
    char errbuf[CURL_ERROR_SIZE] = {0};
};

std::size_t on_write(char* data, std::size_t, std::size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    if (t->first_write) {
        t->first_write = false;
        long code = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
        t->error_response = code >= 400;
        if (!t->error_response && t->resume_from > 0 && code != 206) {
            // The server ignored the range: start the file over.
            if (!t->sink->restart()) {
                t->write_failed = true;
                return 0;
            }
        }
    }
    if (t->error_response) {
        // Kept for the message (S3 and registries explain refusals in the body), not stored.
        if (t->error_body.size() < 16384) t->error_body.append(data, std::min<std::size_t>(n, 16384 - t->error_body.size()));
        return n;
    }
    if (!t->sink->write(data, n)) {
        t->write_failed = true;
        return 0;
    }
    t->reporter->fetch_progress(t->job->artifact->name, n);
    return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    if (t->options->cancel && t->options->cancel->load()) {
        t->cancelled = true;
        return 1;
    }
    return 0;
}

std::string http_reason(long code) {
    switch (code) {
        case 401: return "unauthorized; check the token or ~/.netrc for this host";
        case 403: return "forbidden; check the credentials for this host";
        case 407: return "the proxy wants credentials; give them in the proxy URL (http://user:password@host:port)";
        case 404: return "not found; check the lock's location or the mirror";
        case 410: return "gone";
        default: return {};
    }
}

/// "host[:port]" of a URL, without credentials: what a connection is made to.
std::string authority(const std::string& url) {
    auto start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    auto end = url.find_first_of("/?#", start);
    std::string a = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (auto at = a.rfind('@'); at != std::string::npos) a.erase(0, at + 1);
    return base::ascii_lower(a);
}

class Loop {
public:
    Loop(const ArtifactStore& store, const FetchOptions& o, base::Reporter& r, const HttpDone& done)
        : store_(store),
          o_(o),
          reporter_(r),
          done_(done),
          health_(o.retries.attempts, o.retries.initial_backoff_ms, o.retries.max_backoff_ms) {
        global_init();
        multi_ = curl_multi_init();
        curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
        curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(max_parallel()));
    }
    ~Loop() { curl_multi_cleanup(multi_); }

    void run(const std::vector<HttpJob>& jobs) {
        std::vector<std::unique_ptr<Transfer>> all;
        for (const auto& j : jobs) {
            auto t = std::make_unique<Transfer>();
            t->job = &j;
            t->options = &o_;
            t->reporter = &reporter_;
            t->want = expected_digest(*j.artifact);
            const std::string& proxy = proxy_for(o_.proxy, j.url);
            t->host = proxy.empty() ? authority(j.url) : "through proxy " + base::redact(proxy);
            all.push_back(std::move(t));
        }
        // Largest first, so the tail of the run is short.
        std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
            return a->job->artifact->size.value_or(0) > b->job->artifact->size.value_or(0);
        });
        for (auto& t : all) ready_.push_back(t.get());

        while (!ready_.empty() || !waiting_.empty() || active_ > 0) {
            if (o_.cancel && o_.cancel->load()) {
                cancel_all();
                break;
            }
            auto now = Clock::now();
            for (auto it = waiting_.begin(); it != waiting_.end();) {
                if ((*it)->not_before <= now) {
                    ready_.push_front(*it);
                    it = waiting_.erase(it);
                } else {
                    ++it;
                }
            }
            // The first transfer whose host may be tried now (not one waiting out a failure).
            for (auto it = ready_.begin(); active_ < max_parallel() && it != ready_.end();) {
                if (!health_.may_start((*it)->host, now)) {
                    ++it;
                    continue;
                }
                Transfer* t = *it;
                it = ready_.erase(it);
                start(t);
                it = ready_.begin();
            }
            int running = 0;
            curl_multi_perform(multi_, &running);
            int left = 0;
            bool any_done = false;
            while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
                if (m->msg != CURLMSG_DONE) continue;
                Transfer* t = nullptr;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
                finished(t, m->data.result);
                any_done = true;
            }
            // A finished transfer frees a slot: start the next one before waiting.
            if (any_done && startable()) continue;
            int timeout_ms = 100;
            if (active_ == 0 && !startable() && !waiting_.empty()) {
                auto next = std::min_element(waiting_.begin(), waiting_.end(),
                                             [](auto* a, auto* b) { return a->not_before < b->not_before; });
                auto ms = std::chrono::duration_cast<std::chrono::milliseconds>((*next)->not_before - Clock::now());
                timeout_ms = static_cast<int>(std::clamp<long long>(ms.count(), 0, 100));
            }
            if (active_ > 0 || timeout_ms > 0) curl_multi_poll(multi_, nullptr, 0, timeout_ms, nullptr);
        }
    }

    std::vector<UnreachableHost> unreachable() const {
        std::vector<UnreachableHost> out;
        for (const auto& [host, u] : unreachable_) out.push_back(u);
        return out;
    }

private:
    unsigned max_parallel() const { return std::max(1u, o_.max_parallel); }

    bool startable() const {
        auto now = Clock::now();
        return std::any_of(ready_.begin(), ready_.end(), [&](const Transfer* t) { return health_.may_start(t->host, now); });
    }

    std::string where(const Transfer* t) const {
        std::string w = t->job->artifact->name + " from " + base::redact(t->job->url);
        if (!t->job->origin.empty()) w += " (" + base::redact(t->job->origin) + ")";
        const std::string& proxy = proxy_for(o_.proxy, t->job->url);
        if (!proxy.empty()) w += " (through proxy " + base::redact(proxy) + ")";
        return w;
    }

    void start(Transfer* t) {
        if (is_https(t->job->url) && !o_.tls.no_verify && o_.tls.ca_file.empty() && o_.tls.ca_dir.empty()) {
            std::string searched;
            for (const auto& s : o_.tls.searched) searched += (searched.empty() ? "" : ", ") + s;
            return finish_with(t, base::fail(base::ErrorKind::unavailable,
                                             "cannot download " + where(t) +
                                                 ": no CA certificates to check the server with (searched " +
                                                 (searched.empty() ? std::string("nothing") : searched) +
                                                 "); install the system's CA bundle (ca-certificates) or pass one "
                                                 "with --tls-ca-cert FILE or SSL_CERT_FILE=FILE"));
        }
        if (!t->sink) {
            auto s = FileSink::create(store_.temp_path(t->job->artifact->name), t->want.algo);
            if (!s) return finish_with(t, std::move(s).error());
            t->sink.emplace(std::move(s).value());
        }
        if (!t->started_reported) {
            reporter_.fetch_started(t->job->artifact->name, t->job->artifact->size.value_or(0));
            t->started_reported = true;
        }
        CURL* e = curl_easy_init();
        t->easy = e;
        t->first_write = true;
        t->error_response = false;
        t->error_body.clear();
        t->errbuf[0] = 0;
        if (t->no_resume && t->sink->bytes() > 0) {
            if (auto r = t->sink->restart(); !r) return finish_with(t, std::move(r).error());
        }
        t->resume_from = t->sink->bytes();
        if (t->resume_from > 0) t->resumed = true;
        if (!t->job->bearer.empty()) {
            t->request_url = t->job->url;
            curl_easy_setopt(e, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BEARER));
            curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, t->job->bearer.c_str());
        } else {
            t->request_url = apply_credentials(e, o_, t->job->url);
        }
        curl_easy_setopt(e, CURLOPT_URL, t->request_url.c_str());
        curl_easy_setopt(e, CURLOPT_PRIVATE, t);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
        curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(e, CURLOPT_XFERINFODATA, t);
        set_common_options(e, o_, t->errbuf);
        // No CURLOPT_FAILONERROR: the body of an error answer is read (on_write keeps it apart) for the message.
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
        curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 512L * 1024L);
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        if (t->resume_from > 0) curl_easy_setopt(e, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(t->resume_from));
        set_network_options(e, o_, t->job->url);
        curl_easy_setopt(e, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL));
        if (o_.netrc) curl_easy_setopt(e, CURLOPT_NETRC_FILE, o_.netrc->c_str());
        if (t->headers) {
            curl_slist_free_all(t->headers);
            t->headers = nullptr;
        }
        if (t->job->s3) {
            // Signed here (not by curl) so that what is signed is exactly what is sent, for any key.
            const S3Signing& s3 = *t->job->s3;
            for (const auto& h : s3_signed_headers(t->request_url, s3.key, s3.session_token, amz_date(std::time(nullptr))))
                t->headers = curl_slist_append(t->headers, h.c_str());
            curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
        }
        health_.started(t->host);
        t->started_at = Clock::now();
        curl_multi_add_handle(multi_, e);
        ++active_;
        running_.insert(t);
    }

    void release_handle(Transfer* t) {
        if (!t->easy) return;
        curl_multi_remove_handle(multi_, t->easy);
        curl_easy_cleanup(t->easy);
        t->easy = nullptr;
        running_.erase(t);
        if (t->headers) {
            curl_slist_free_all(t->headers);
            t->headers = nullptr;
        }
        --active_;
    }

    void finish_with(Transfer* t, base::Result<fs::path> r) {
        t->sink.reset();  // removes a temporary that was not committed
        done_(t->job->index, std::move(r));
    }

    /// The error of an artifact whose host was given up.
    base::Error host_error(const Transfer* t) const {
        const HostHealth::Status* s = health_.status(t->host);
        std::string why = s ? s->why : std::string("unreachable");
        return base::fail(base::ErrorKind::unavailable, "cannot download " + where(t) + ": " + why + " (gave up on " +
                                                            t->host + " after " + std::to_string(health_.attempts()) +
                                                            " attempts)");
    }

    void give_up(Transfer* t) {
        UnreachableHost& u = unreachable_[t->host];
        if (u.host.empty()) {
            const HostHealth::Status* s = health_.status(t->host);
            u.host = t->host;
            u.why = s ? s->why : std::string();
            u.attempts = s ? s->failures : 0;
        }
        u.indices.push_back(t->job->index);
        finish_with(t, host_error(t));
    }

    /// A transfer could not reach a host that has never answered in this run: the host is
    /// retried as a whole, or given up with every artifact it holds.
    void host_failed(Transfer* t, const HostHealth::Verdict& v, const std::string& why) {
        if (!v.give_up) {
            if (v.new_round)
                reporter_.fetch_retry(t->host, v.next_attempt, health_.attempts(), v.delay_ms, why);
            t->not_before = v.not_before;
            waiting_.push_back(t);
            return;
        }
        give_up(t);
        // Everything else bound for the host goes with it, without another try.
        std::vector<Transfer*> same;
        auto take = [&](auto& queue) {
            for (auto it = queue.begin(); it != queue.end();) {
                if ((*it)->host == t->host) {
                    same.push_back(*it);
                    it = queue.erase(it);
                } else {
                    ++it;
                }
            }
        };
        take(ready_);
        take(waiting_);
        for (Transfer* r : std::vector<Transfer*>(running_.begin(), running_.end()))
            if (r->host == t->host) {
                release_handle(r);
                same.push_back(r);
            }
        for (Transfer* r : same) give_up(r);
    }

    void retry(Transfer* t, const std::string& why) {
        ++t->attempt;
        if (t->attempt >= std::max(1u, o_.retries.attempts)) {
            return finish_with(t, base::fail(base::ErrorKind::unavailable,
                                             "cannot download " + where(t) + ": " + why + " (gave up after " +
                                                 std::to_string(t->attempt) + " attempts)"));
        }
        long delay = o_.retries.initial_backoff_ms;
        for (unsigned i = 1; i < t->attempt && delay < o_.retries.max_backoff_ms; ++i) delay *= 2;
        delay = std::min(delay, o_.retries.max_backoff_ms);
        t->not_before = Clock::now() + std::chrono::milliseconds(delay);
        waiting_.push_back(t);
    }

    void finished(Transfer* t, CURLcode rc) {
        long code = 0;
        long connect_code = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(t->easy, CURLINFO_HTTP_CONNECTCODE, &connect_code);
        curl_off_t connect_us = 0;
        curl_easy_getinfo(t->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
        std::string curl_msg = t->errbuf[0] ? std::string(t->errbuf) : std::string(curl_easy_strerror(rc));
        std::optional<std::string> refused = refused_redirect(t->easy, rc, t->request_url);
        if (rc == CURLE_OK)
            if (auto followed = followed_redirects(t->easy, t->request_url))
                reporter_.info(t->job->artifact->name + ": " + *followed);
        release_handle(t);
        if (t->cancelled || (o_.cancel && o_.cancel->load()))
            return finish_with(t, base::fail(base::ErrorKind::interrupted, "interrupted while downloading " + where(t)));
        const bool no_connection = rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
                                   rc == CURLE_COULDNT_CONNECT || (rc == CURLE_OPERATION_TIMEDOUT && connect_us == 0);
        if (no_connection) {
            auto v = health_.connect_failed(t->host, t->started_at, Clock::now(), curl_msg);
            if (v.host_level) return host_failed(t, v, curl_msg);
        } else {
            health_.connected(t->host);
        }
        if (t->write_failed) return finish_with(t, t->sink->error());
        const Artifact& a = *t->job->artifact;
        if (rc == CURLE_OK && code >= 400) rc = CURLE_HTTP_RETURNED_ERROR;
        if (rc == CURLE_OK) {
            if (a.size && t->sink->bytes() < *a.size)
                return retry(t, "the transfer ended after " + std::to_string(t->sink->bytes()) + " of " +
                                    std::to_string(*a.size) + " bytes");
            return verify(t);
        }
        if (refused) return finish_with(t, base::fail(base::ErrorKind::unavailable, "cannot download " + where(t) + ": " + *refused));
        if (rc != CURLE_OK && connect_code >= 400) {
            // The proxy answered the CONNECT with an error: asking again will not help.
            std::string why = connect_code == 407 ? http_reason(407)
                                                  : "ask the proxy's administrators to allow tunnels to this host, or "
                                                    "list the host in NO_PROXY if it is reachable directly";
            return finish_with(t, base::fail(base::ErrorKind::unavailable,
                                             "cannot download " + where(t) + ": the proxy refused the tunnel (CONNECT "
                                             "answered " + std::to_string(connect_code) + "); " + why));
        }
        if (rc == CURLE_HTTP_RETURNED_ERROR) {
            if (code == 416) {
                // Our range start is past the end: the partial file is unusable.
                if (auto r = t->sink->restart(); !r) return finish_with(t, std::move(r).error());
                return retry(t, "HTTP 416 for a resumed download");
            }
            if (code == 408 || code == 425 || code == 429 || code >= 500) {
                std::string detail = server_error_detail(t->error_body);
                return retry(t, "HTTP " + std::to_string(code) + (detail.empty() ? "" : " (" + detail + ")"));
            }
            std::string reason = http_reason(code);
            if (t->job->s3 && (code == 401 || code == 403))
                reason = "refused the request signed with access key id " + t->job->s3->key.access_key_id + " (" +
                         t->job->s3->source + ", region " + t->job->s3->key.region +
                         "); check the secret key, the session token and the region";
            std::string detail = server_error_detail(t->error_body);
            return finish_with(t, base::fail(base::ErrorKind::unavailable,
                                             "cannot download " + where(t) + ": HTTP " + std::to_string(code) +
                                                 (reason.empty() ? "" : " (" + reason + ")") +
                                                 (detail.empty() ? "" : "; the server says: " + detail)));
        }
        if (rc == CURLE_RANGE_ERROR) {
            // The server cannot resume: from now on every attempt starts from the first byte.
            // This is not a failure of the transfer, so it does not use up an attempt.
            if (auto r = t->sink->restart(); !r) return finish_with(t, std::move(r).error());
            t->no_resume = true;
            ready_.push_front(t);
            return;
        }
        if (rc == CURLE_OPERATION_TIMEDOUT && o_.timeouts.low_speed_bytes > 0)
            return retry(t, "the transfer stalled (slower than " +
                                std::to_string(o_.timeouts.low_speed_bytes) + " bytes/s for " +
                                std::to_string(o_.timeouts.low_speed_seconds) + " s)");
        if (transient_curl_error(rc)) return retry(t, curl_msg);
        std::string hint = tls_hint(rc, curl_msg, o_.tls);
        return finish_with(t, base::fail(base::ErrorKind::unavailable, "cannot download " + where(t) + ": " + curl_msg +
                                                                           (hint.empty() ? "" : "; " + hint)));
    }

    void verify(Transfer* t) {
        const Artifact& a = *t->job->artifact;
        std::uint64_t bytes = t->sink->bytes();
        auto hex = t->sink->finish();
        if (!hex) return finish_with(t, std::move(hex).error());
        auto ok = check_content(a, t->want, *hex, bytes, t->job->url);
        if (!ok) {
            if (t->resumed && !t->restarted_clean) {
                // A resumed download may have joined two different versions of the file: try once from scratch.
                t->restarted_clean = true;
                t->resumed = false;
                t->sink.reset();
                ready_.push_back(t);
                return;
            }
            return finish_with(t, std::move(ok).error());
        }
        Digest key = t->want.hex.empty() ? Digest{base::HashAlgo::sha256, *hex} : t->want;
        auto stored = store_.commit(t->sink->path(), key, a.name);
        if (stored) {
            t->sink->release();
            reporter_.fetch_finished(a.name, bytes, true);
        }
        finish_with(t, std::move(stored));
    }

    void cancel_all() {
        std::vector<Transfer*> pending(ready_.begin(), ready_.end());
        pending.insert(pending.end(), waiting_.begin(), waiting_.end());
        ready_.clear();
        waiting_.clear();
        std::vector<Transfer*> running(running_.begin(), running_.end());
        for (Transfer* t : running) {
            release_handle(t);
            pending.push_back(t);
        }
        for (Transfer* t : pending)
            finish_with(t, base::fail(base::ErrorKind::interrupted, "interrupted before " + where(t) + " finished"));
    }

    const ArtifactStore& store_;
    const FetchOptions& o_;
    base::Reporter& reporter_;
    const HttpDone& done_;
    CURLM* multi_ = nullptr;
    unsigned active_ = 0;
    std::deque<Transfer*> ready_;
    std::vector<Transfer*> waiting_;
    std::set<Transfer*> running_;
    HostHealth health_;
    std::map<std::string, UnreachableHost> unreachable_;
};

}  // namespace

std::string server_error_detail(const std::string& body) {
    auto printable = [](std::string s) {
        for (char& c : s)
            if (static_cast<unsigned char>(c) < 0x20) c = ' ';
        if (s.size() > 300) s = s.substr(0, 300) + "...";
        return base::redact(base::trim(s));
    };
    auto element = [&](const char* tag) {
        std::string open = std::string("<") + tag + ">", close = std::string("</") + tag + ">";
        auto a = body.find(open);
        if (a == std::string::npos) return std::string();
        a += open.size();
        auto b = body.find(close, a);
        return b == std::string::npos ? std::string() : printable(body.substr(a, b - a));
    };
    std::string code = element("Code");
    if (!code.empty()) {
        std::string message = element("Message");
        return code + (message.empty() ? "" : ": " + message);
    }
    auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_object() && json.contains("errors") && json["errors"].is_array()) {
        std::string out;
        for (const auto& e : json["errors"]) {
            if (!e.is_object()) continue;
            std::string c = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
            std::string m = e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
            if (c.empty() && m.empty()) continue;
            out += (out.empty() ? "" : "; ") + printable(c + (m.empty() ? "" : ": " + m));
        }
        return out;
    }
    return {};
}

std::vector<UnreachableHost> run_http(const std::vector<HttpJob>& jobs, const ArtifactStore& store,
                                      const FetchOptions& options, base::Reporter& reporter, const HttpDone& done) {
    if (jobs.empty()) return {};
    Loop loop(store, options, reporter, done);
    loop.run(jobs);
    return loop.unreachable();
}

std::string http_library_versions() { return curl_version(); }

}  // namespace pixi_install::fetch
