#include "transfer_options.hpp"

#include "pixi_install/base/redact.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/fetch/hosts.hpp"
#include "pixi_install/fetch/mirrors.hpp"

namespace pixi_install::fetch {

bool is_https(const std::string& url) { return url.size() > 8 && base::ascii_lower(url.substr(0, 8)) == "https://"; }

bool transient_curl_error(CURLcode rc) {
    switch (rc) {
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_BAD_CONTENT_ENCODING:
            return true;
        default:
            return false;
    }
}

/// The proxy a transfer of `url` goes through (empty: direct), as curl would pick it
/// from the environment: the scheme's proxy, unless the host is in no_proxy.
const std::string& proxy_for(const ProxyOptions& p, const std::string& url) {
    static const std::string direct;
    if (bypasses_proxy(p.no_proxy, url_host(url))) return direct;
    return is_https(url) ? p.https : p.http;
}

/// Sets the trust and proxy options on a transfer; nothing is left to curl's defaults
/// or to the environment.
void set_common_options(CURL* e, const FetchOptions& o, char* errbuf) {
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, o.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o.timeouts.connect_ms);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, o.timeouts.low_speed_bytes);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, o.timeouts.low_speed_seconds);
}

void set_network_options(CURL* e, const FetchOptions& o, const std::string& url) {
    const TlsOptions& tls = o.tls;
    if (tls.no_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt(e, CURLOPT_PROXY_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_PROXY_SSL_VERIFYHOST, 0L);
    }
    // An empty path unsets curl's compiled-in default, so only what the caller chose is trusted.
    curl_easy_setopt(e, CURLOPT_CAINFO, tls.ca_file.empty() ? nullptr : tls.ca_file.c_str());
    curl_easy_setopt(e, CURLOPT_CAPATH, tls.ca_dir.empty() ? nullptr : tls.ca_dir.c_str());
    curl_easy_setopt(e, CURLOPT_PROXY_CAINFO, tls.ca_file.empty() ? nullptr : tls.ca_file.c_str());
    curl_easy_setopt(e, CURLOPT_PROXY_CAPATH, tls.ca_dir.empty() ? nullptr : tls.ca_dir.c_str());
    // "" disables proxies, including curl's own reading of *_proxy variables.
    curl_easy_setopt(e, CURLOPT_PROXY, proxy_for(o.proxy, url).c_str());
    curl_easy_setopt(e, CURLOPT_NOPROXY, o.proxy.no_proxy.c_str());
    // What was asked for over TLS is never fetched in the clear, nor are the credentials
    // (netrc, bearer, basic) sent there: an https transfer follows redirects only to https.
    if (is_https(url)) curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
}

std::optional<std::string> refused_redirect(CURL* e, CURLcode rc, const std::string& url) {
    if (rc != CURLE_UNSUPPORTED_PROTOCOL || !is_https(url)) return std::nullopt;
    long redirects = 0;
    curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirects);
    char* effective = nullptr;
    curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &effective);
    char* next = nullptr;
    curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &next);
    std::string target = next && *next ? next : effective ? effective : "";
    if (target.empty() || target == url || is_https(target)) return std::nullopt;
    return "refused the redirect from " + base::redact(url) + " to " + base::redact(target) +
           ": an https download is never continued over plain http (ask the server's operators to redirect to "
           "https, or use the http URL in the lock or a mirror knowingly)";
}

std::optional<std::string> followed_redirects(CURL* e, const std::string& url) {
    long redirects = 0;
    curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirects);
    char* effective = nullptr;
    curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &effective);
    if (redirects <= 0 || !effective) return std::nullopt;
    return "redirected " + std::to_string(redirects) + (redirects == 1 ? " time: " : " times: ") +
           base::redact(url) + " -> " + base::redact(effective);
}

/// What to do about a TLS failure, for the error message.
std::string tls_hint(CURLcode rc, const std::string& curl_message, const TlsOptions& tls) {
    std::string trusted = tls.ca_file.string();
    if (!tls.ca_dir.empty()) trusted += (trusted.empty() ? "" : " + ") + tls.ca_dir.string();
    switch (rc) {
        case CURLE_PEER_FAILED_VERIFICATION:
            if (curl_message.find("expired") != std::string::npos)
                return "a certificate of the server's chain has expired (or this machine's clock is wrong); the "
                       "server needs a renewed certificate";
            return "the server's certificate is not trusted by " + trusted + " (" + tls.source +
                   "); if it is signed by a private CA, pass that CA with --tls-ca-cert FILE or SSL_CERT_FILE=FILE "
                   "(--tls-no-verify skips the check, insecure)";
        case CURLE_SSL_CACERT_BADFILE:
            return "cannot use the CA certificates " + trusted + " (" + tls.source +
                   "); give a readable PEM file with --tls-ca-cert FILE or SSL_CERT_FILE=FILE";
        default:
            return {};
    }
}

std::string apply_credentials(CURL* e, const FetchOptions& o, const std::string& url) {
    if (auto tok = o.bearer_tokens.find(url_host(url)); tok != o.bearer_tokens.end()) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BEARER));
        curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, tok->second.c_str());
        return url;
    }
    if (o.credentials.empty()) return url;
    const Credential* c = nullptr;
    for (const auto& key : credential_keys(url)) {
        auto it = o.credentials.find(key);
        if (it != o.credentials.end()) {
            c = &it->second;
            break;
        }
    }
    if (!c) return url;
    switch (c->kind) {
        case Credential::Kind::bearer:
            curl_easy_setopt(e, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BEARER));
            curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, c->token.c_str());
            break;
        case Credential::Kind::basic:
            curl_easy_setopt(e, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
            curl_easy_setopt(e, CURLOPT_USERNAME, c->username.c_str());
            curl_easy_setopt(e, CURLOPT_PASSWORD, c->password.c_str());
            break;
        case Credential::Kind::conda_token: {
            // anaconda.org's form: the token as the first path segments, /t/<token>/...
            auto scheme = url.find("://");
            auto path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
            if (path == std::string::npos) path = url.size();
            return url.substr(0, path) + "/t/" + c->token + url.substr(path);
        }
        case Credential::Kind::s3:
            break;  // S3 requests are signed with the AWS credentials (http.cpp)
    }
    return url;
}

}  // namespace pixi_install::fetch
