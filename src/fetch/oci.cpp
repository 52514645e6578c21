#include "pixi_install/fetch/oci.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "http.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/redact.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/fetch/mirrors.hpp"
#include "sink.hpp"
#include "transfer_options.hpp"

namespace pixi_install::fetch {

namespace {

bool loopback(std::string_view host) {
    std::string h = base::ascii_lower(host);
    return h == "localhost" || h == "[::1]" || h.rfind("127.", 0) == 0;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
    for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
    return s;
}

}  // namespace

std::string oci_tag(std::string_view version_build) {
    std::string t = replace_all(std::string(version_build), "+", "__p__");
    t = replace_all(std::move(t), "!", "__e__");
    return replace_all(std::move(t), "=", "__eq__");
}

base::Result<OciReference> parse_oci_url(std::string_view url) {
    auto bad = [&](const std::string& why) {
        return base::fail(base::ErrorKind::usage, "invalid OCI location '" + std::string(url) + "': " + why);
    };
    if (base::ascii_lower(url.substr(0, 6)) != "oci://") return bad("expected oci://registry/repository/...");
    std::string_view rest = url.substr(6);
    rest = rest.substr(0, rest.find_first_of("?#"));
    auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) return bad("expected oci://registry/repository/...");
    OciReference r;
    r.registry = base::ascii_lower(rest.substr(0, slash));
    std::string host = url_host("oci://" + r.registry);
    r.scheme = loopback(host) ? "http" : "https";
    std::string_view path = rest.substr(slash + 1);
    auto last = path.rfind('/');
    std::string_view dir = last == std::string_view::npos ? std::string_view() : path.substr(0, last);
    std::string_view file = last == std::string_view::npos ? path : path.substr(last + 1);
    std::string_view stem;
    if (file.size() > 6 && file.substr(file.size() - 6) == ".conda") {
        stem = file.substr(0, file.size() - 6);
        r.media_type = kCondaLayerType;
    } else if (file.size() > 8 && file.substr(file.size() - 8) == ".tar.bz2") {
        stem = file.substr(0, file.size() - 8);
        r.media_type = kTarBz2LayerType;
    } else {
        return bad("only conda packages (name-version-build.conda or .tar.bz2) can come from an OCI registry");
    }
    auto b = stem.rfind('-');
    auto v = b == std::string_view::npos || b == 0 ? std::string_view::npos : stem.rfind('-', b - 1);
    if (v == std::string_view::npos || v == 0 || b + 1 == stem.size() || v + 1 == b)
        return bad("the package file name must have the form name-version-build");
    std::string name(stem.substr(0, v));
    if (name.front() == '_') name = "zzz" + name;
    if (dir.empty()) return bad("no repository path before the package (expected oci://registry/path/subdir/file)");
    r.repository = base::ascii_lower(std::string(dir)) + "/" + name;
    r.tag = oci_tag(stem.substr(v + 1));
    return r;
}

std::optional<BearerChallenge> parse_bearer_challenge(std::string_view h) {
    h = base::trim(h);
    if (h.size() < 7 || base::ascii_lower(h.substr(0, 7)) != "bearer ") return std::nullopt;
    h.remove_prefix(7);
    BearerChallenge c;
    std::size_t p = 0;
    while (p < h.size()) {
        while (p < h.size() && (h[p] == ' ' || h[p] == ',')) ++p;
        auto eq = h.find('=', p);
        if (eq == std::string_view::npos) break;
        std::string key = base::ascii_lower(base::trim(h.substr(p, eq - p)));
        p = eq + 1;
        std::string value;
        if (p < h.size() && h[p] == '"') {
            ++p;
            while (p < h.size() && h[p] != '"') {
                if (h[p] == '\\' && p + 1 < h.size()) ++p;
                value += h[p++];
            }
            ++p;  // closing quote
        } else {
            auto end = h.find(',', p);
            if (end == std::string_view::npos) end = h.size();
            value = std::string(base::trim(h.substr(p, end - p)));
            p = end;
        }
        if (key == "realm") c.realm = value;
        else if (key == "service") c.service = value;
        else if (key == "scope") c.scope = value;
    }
    if (c.realm.empty()) return std::nullopt;
    return c;
}

std::string token_url(const BearerChallenge& c, std::string_view repository) {
    auto enc = [](std::string_view s) {
        std::string out;
        static const char* hex = "0123456789ABCDEF";
        for (char ch : s) {
            auto u = static_cast<unsigned char>(ch);
            if (std::isalnum(u) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ':' || ch == '/') out += ch;
            else {
                out += '%';
                out += hex[u >> 4];
                out += hex[u & 15];
            }
        }
        return out;
    };
    std::string scope = c.scope.empty() ? "repository:" + std::string(repository) + ":pull" : c.scope;
    std::string url = c.realm + (c.realm.find('?') == std::string::npos ? "?" : "&");
    if (!c.service.empty()) url += "service=" + enc(c.service) + "&";
    return url + "scope=" + enc(scope);
}

base::Result<std::string> parse_token_response(std::string_view body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object()) {
        for (const char* k : {"token", "access_token"})
            if (j.contains(k) && j[k].is_string() && !j[k].get<std::string>().empty()) return j[k].get<std::string>();
    }
    return base::fail(base::ErrorKind::unavailable, "the token server's answer has no token (expected JSON with \"token\")");
}

base::Result<OciLayer> find_oci_layer(std::string_view manifest, std::string_view media_type) {
    auto j = nlohmann::json::parse(manifest, nullptr, false);
    if (!j.is_object() || !j.contains("layers") || !j["layers"].is_array())
        return base::fail(base::ErrorKind::unavailable, "the manifest is not an OCI image manifest (no \"layers\")");
    std::string seen;
    for (const auto& l : j["layers"]) {
        if (!l.is_object() || !l.contains("mediaType") || !l["mediaType"].is_string()) continue;
        std::string type = l["mediaType"].get<std::string>();
        if (type != media_type) {
            seen += (seen.empty() ? "" : ", ") + type;
            continue;
        }
        OciLayer out;
        if (l.contains("digest") && l["digest"].is_string()) out.digest = l["digest"].get<std::string>();
        if (out.digest.rfind("sha256:", 0) != 0 || !base::is_hex_digest(out.digest.substr(7), 32))
            return base::fail(base::ErrorKind::unavailable,
                              "the manifest's " + std::string(media_type) + " layer has no sha256 digest ('" +
                                  out.digest + "')");
        out.digest = "sha256:" + base::normalize_hex(out.digest.substr(7));
        if (l.contains("size") && l["size"].is_number_unsigned()) out.size = l["size"].get<std::uint64_t>();
        return out;
    }
    return base::fail(base::ErrorKind::unavailable, "the manifest has no layer of media type " + std::string(media_type) +
                                                        " (its layers: " + (seen.empty() ? "none" : seen) + ")");
}

// ------------------------------------------------------------------ requests

namespace {

/// One small request (a manifest or a token), answered into memory.
struct Small {
    std::string url;
    std::string accept;
    std::string bearer;        ///< token to send, if any
    bool credentials = false;  ///< send the configured credentials for the host (token servers)
    long status = 0;
    std::string body;
    std::string www_authenticate;
    std::string content_type;
    std::string effective_url;
    bool apply_url_credentials = false;  ///< the host's credentials as for downloads (index pages)
    std::string error;  ///< transfer error (no answer)
    char errbuf[CURL_ERROR_SIZE] = {0};
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
};

std::size_t on_body(char* data, std::size_t, std::size_t n, void* user) {
    auto* s = static_cast<Small*>(user);
    if (s->body.size() + n > (8u << 20)) return 0;  // manifests and tokens are small
    s->body.append(data, n);
    return n;
}

std::size_t on_header(char* data, std::size_t, std::size_t n, void* user) {
    auto* s = static_cast<Small*>(user);
    std::string_view line(data, n);
    auto colon = line.find(':');
    if (colon != std::string_view::npos && base::ascii_lower(base::trim(line.substr(0, colon))) == "www-authenticate") {
        std::string v(base::trim(line.substr(colon + 1)));
        if (base::ascii_lower(v.substr(0, 7)) == "bearer " || s->www_authenticate.empty()) s->www_authenticate = v;
    }
    if (colon != std::string_view::npos && base::ascii_lower(base::trim(line.substr(0, colon))) == "content-type")
        s->content_type = std::string(base::trim(line.substr(colon + 1)));
    // A new response (after a redirect) starts over.
    if (line.rfind("HTTP/", 0) == 0) s->www_authenticate.clear();
    return n;
}

bool transient_code(long code) { return code == 408 || code == 425 || code == 429 || code >= 500; }

/// Runs the requests concurrently, retrying transfer failures and 5xx as the options say.
void run_small(std::vector<Small*> all, const FetchOptions& o) {
    CURLM* multi = curl_multi_init();
    for (unsigned attempt = 0; !all.empty(); ++attempt) {
        if (o.cancel && o.cancel->load()) break;
        for (Small* s : all) {
            s->status = 0;
            s->body.clear();
            s->www_authenticate.clear();
            s->error.clear();
            s->errbuf[0] = 0;
            CURL* e = curl_easy_init();
            s->easy = e;
            curl_easy_setopt(e, CURLOPT_URL, s->url.c_str());
            curl_easy_setopt(e, CURLOPT_PRIVATE, s);
            curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
            curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
            curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
            curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
            set_common_options(e, o, s->errbuf);
            set_network_options(e, o, s->url);
            if (!s->bearer.empty()) {
                curl_easy_setopt(e, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BEARER));
                curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, s->bearer.c_str());
            } else if (s->apply_url_credentials) {
                curl_easy_setopt(e, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL));
                if (o.netrc) curl_easy_setopt(e, CURLOPT_NETRC_FILE, o.netrc->c_str());
                (void)apply_credentials(e, o, s->url);
            } else if (s->credentials) {
                curl_easy_setopt(e, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL));
                if (o.netrc) curl_easy_setopt(e, CURLOPT_NETRC_FILE, o.netrc->c_str());
                // A token server gets the host's basic or bearer credential; a conda token (a path prefix
                // for channels) is not for it, so the URL stays as it is.
                (void)apply_credentials(e, o, s->url);
            }
            if (s->headers) curl_slist_free_all(s->headers);
            s->headers = nullptr;
            if (!s->accept.empty()) s->headers = curl_slist_append(s->headers, ("Accept: " + s->accept).c_str());
            if (s->headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
            curl_multi_add_handle(multi, e);
        }
        int running = 1;
        while (running > 0) {
            curl_multi_perform(multi, &running);
            if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
            if (o.cancel && o.cancel->load()) break;
        }
        std::vector<Small*> again;
        int left = 0;
        while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
            if (m->msg != CURLMSG_DONE) continue;
            Small* s = nullptr;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&s));
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &s->status);
            if (char* eff = nullptr; curl_easy_getinfo(m->easy_handle, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff)
                s->effective_url = eff;
            if (m->data.result != CURLE_OK) {
                s->error = s->errbuf[0] ? s->errbuf : curl_easy_strerror(m->data.result);
                std::string hint = tls_hint(m->data.result, s->error, o.tls);
                if (!hint.empty()) s->error += "; " + hint;
                s->status = 0;
            }
            bool retry = (m->data.result != CURLE_OK && transient_curl_error(m->data.result)) || transient_code(s->status);
            if (retry && attempt + 1 < std::max(1u, o.retries.attempts)) again.push_back(s);
        }
        for (Small* s : all) {
            curl_multi_remove_handle(multi, s->easy);
            curl_easy_cleanup(s->easy);
            s->easy = nullptr;
            if (s->headers) curl_slist_free_all(s->headers);
            s->headers = nullptr;
        }
        all = std::move(again);
        if (!all.empty()) {
            long delay = o.retries.initial_backoff_ms;
            for (unsigned i = 0; i < attempt && delay < o.retries.max_backoff_ms; ++i) delay *= 2;
            std::this_thread::sleep_for(std::chrono::milliseconds(std::min(delay, o.retries.max_backoff_ms)));
        }
    }
    curl_multi_cleanup(multi);
}

std::string answer(const Small& s) {
    if (!s.error.empty()) return s.error;
    std::string detail = server_error_detail(s.body);
    return "HTTP " + std::to_string(s.status) + (detail.empty() ? "" : " (" + detail + ")");
}

}  // namespace

std::vector<base::Result<HttpJob>> resolve_oci(const std::vector<OciPending>& pending, const FetchOptions& o) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    std::vector<base::Result<HttpJob>> out(pending.size(), base::fail(base::ErrorKind::failure, "not resolved"));
    // One manifest request per distinct (registry, repository, tag).
    std::map<std::string, std::unique_ptr<Small>> manifests;
    auto key = [](const OciReference& r) { return r.scheme + "://" + r.registry + "/" + r.repository + ":" + r.tag; };
    for (const auto& p : pending) {
        auto& m = manifests[key(p.ref)];
        if (!m) {
            m = std::make_unique<Small>();
            m->url = p.ref.manifest_url();
            m->accept = kOciManifestType;
        }
    }
    std::vector<Small*> round;
    for (auto& [k, m] : manifests) round.push_back(m.get());
    run_small(round, o);

    // 401 with a Bearer challenge: one token per repository (the scope names it), then the manifest again.
    std::map<std::string, std::unique_ptr<Small>> tokens;  // token URL -> request
    std::map<std::string, std::string> token_of;           // manifest key -> token URL
    std::map<std::string, std::string> repository_of;
    for (const auto& p : pending) repository_of[key(p.ref)] = p.ref.repository;
    for (auto& [k, m] : manifests) {
        if (m->status != 401) continue;
        auto c = parse_bearer_challenge(m->www_authenticate);
        if (!c) continue;
        std::string url = token_url(*c, repository_of[k]);
        token_of[k] = url;
        auto& t = tokens[url];
        if (!t) {
            t = std::make_unique<Small>();
            t->url = url;
            t->credentials = true;
        }
    }
    round.clear();
    for (auto& [u, t] : tokens) round.push_back(t.get());
    run_small(round, o);
    std::map<std::string, std::string> token_error;  // manifest key -> why there is no token
    round.clear();
    std::map<std::string, std::string> bearer;  // manifest key -> token
    for (auto& [k, url] : token_of) {
        const Small& t = *tokens[url];
        if (t.status != 200) {
            token_error[k] = "the token server " + url.substr(0, url.find('?')) + " answered " + answer(t);
            continue;
        }
        auto tok = parse_token_response(t.body);
        if (!tok) {
            token_error[k] = "the token server " + url.substr(0, url.find('?')) + ": " + tok.error().message;
            continue;
        }
        bearer[k] = *tok;
        Small& m = *manifests[k];
        m.bearer = *tok;
        round.push_back(&m);
    }
    run_small(round, o);

    for (std::size_t i = 0; i < pending.size(); ++i) {
        const OciPending& p = pending[i];
        const std::string k = key(p.ref);
        const Small& m = *manifests[k];
        std::string where = "cannot fetch " + p.artifact->name + " from the OCI registry " + p.ref.registry +
                            " (repository " + p.ref.repository + ", tag " + p.ref.tag + ", for " + p.url + ")";
        if (token_error.count(k)) {
            out[i] = base::fail(base::ErrorKind::unavailable, where + ": " + token_error[k]);
            continue;
        }
        if (m.status == 404) {
            out[i] = base::fail(base::ErrorKind::unavailable,
                                where + ": the registry has no tag " + p.ref.tag + " in repository " + p.ref.repository +
                                    " (" + answer(m) + "); push the package there, or remove the mirror");
            continue;
        }
        if (m.status == 401 || m.status == 403) {
            out[i] = base::fail(base::ErrorKind::unavailable,
                                where + ": the registry refused the pull (" + answer(m) + ")" +
                                    (bearer.count(k) ? "; the token it issued does not allow pulling this repository"
                                                     : "; it asked for no token it could be given"));
            continue;
        }
        if (m.status != 200) {
            out[i] = base::fail(base::ErrorKind::unavailable, where + ": the manifest request failed: " + answer(m));
            continue;
        }
        auto layer = find_oci_layer(m.body, p.ref.media_type);
        if (!layer) {
            out[i] = base::fail(layer.error().kind, where + ": " + layer.error().message);
            continue;
        }
        // The registry's digest must be the lock's: otherwise the tag holds another build.
        Digest want = expected_digest(*p.artifact);
        if (want.algo == base::HashAlgo::sha256 && !want.hex.empty() && layer->digest != "sha256:" + want.hex) {
            out[i] = base::fail(base::ErrorKind::integrity,
                                where + ": the registry's layer is " + layer->digest + " but the lock's sha256 is " +
                                    want.hex + " (the tag holds a different file); nothing was downloaded");
            continue;
        }
        HttpJob job;
        job.index = p.index;
        job.artifact = p.artifact;
        job.url = p.ref.blob_url(layer->digest);
        if (auto b = bearer.find(k); b != bearer.end()) job.bearer = b->second;
        job.origin = "OCI registry " + p.ref.registry + ", " + p.ref.repository + ":" + p.ref.tag + ", for " + p.url;
        out[i] = std::move(job);
    }
    return out;
}

base::Result<Page> fetch_page(const std::string& url, const std::string& accept, const FetchOptions& o) {
    if (o.offline)
        return base::fail(base::ErrorKind::unavailable, "cannot read the index page " + base::redact(url) + " offline");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Small s;
    s.url = url;
    s.accept = accept;
    s.apply_url_credentials = true;
    run_small({&s}, o);
    if (o.cancel && o.cancel->load()) return base::fail(base::ErrorKind::interrupted, "interrupted");
    if (s.error.empty() && (s.status == 404 || s.status == 410)) {
        Page p;
        p.status = s.status;
        p.url = url;
        return p;
    }
    if (!s.error.empty() || s.status != 200)
        return base::fail(base::ErrorKind::unavailable, "cannot read the index page " + base::redact(url) + ": " + answer(s));
    Page p;
    p.url = s.effective_url.empty() ? url : s.effective_url;
    p.content_type = s.content_type;
    p.body = std::move(s.body);
    return p;
}

}  // namespace pixi_install::fetch
