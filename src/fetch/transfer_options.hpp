// Private to fetch: what every transfer gets besides its URL — trust, proxy and
// credentials, all from FetchOptions (nothing is left to curl's defaults or the
// environment) — and the words for TLS failures.
#pragma once

#include <curl/curl.h>

#include <optional>
#include <string>

#include "pixi_install/fetch/fetch.hpp"

namespace pixi_install::fetch {

bool is_https(const std::string& url);

/// Transfer failures worth another attempt (timeouts, resets, refused connections...).
bool transient_curl_error(CURLcode rc);

/// The proxy a transfer of `url` goes through (empty: direct).
const std::string& proxy_for(const ProxyOptions& p, const std::string& url);

/// What every transfer sets the same way: the error buffer, no signals, redirects (at most
/// 10, http and https only), the user agent and the connect and low-speed timeouts.
void set_common_options(CURL* e, const FetchOptions& o, char* errbuf);

/// Sets CA file/dir, verification and proxy on a transfer of `url`; an https `url`
/// follows redirects only to https.
void set_network_options(CURL* e, const FetchOptions& o, const std::string& url);

/// The message for a transfer of `url` that ended with `rc` because a redirect left
/// https for plain http (both URLs redacted); nullopt for any other ending.
std::optional<std::string> refused_redirect(CURL* e, CURLcode rc, const std::string& url);
/// "redirected N times: <url> -> <final>" (redacted) when the transfer followed redirects.
std::optional<std::string> followed_redirects(CURL* e, const std::string& url);

/// What to do about a TLS failure (empty for other errors).
std::string tls_hint(CURLcode rc, const std::string& curl_message, const TlsOptions& tls);

/// Sets the credential for `url` (bearer token, basic, ...) and returns the URL to
/// request: `url`, or with a conda token as its first path segments.
std::string apply_credentials(CURL* e, const FetchOptions& o, const std::string& url);

}  // namespace pixi_install::fetch
