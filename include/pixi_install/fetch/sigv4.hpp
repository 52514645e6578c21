// AWS Signature Version 4 (the Authorization header of a request), as AWS documents
// it: canonical request -> string to sign -> HMAC-SHA256 chain of the secret over
// date, region, service and "aws4_request". Pure functions; the clock is the caller's.
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pixi_install::fetch {

/// The request as it goes on the wire.
struct SigV4Request {
    std::string method = "GET";
    std::string path = "/";   ///< percent-encoded as sent ("/a%20b/c.conda")
    std::string query;        ///< without '?', encoded as sent ("a=1&b=x%2Fy"); may be empty
    /// Every header to sign, "host" among them; names in any case, values as sent.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string payload_sha256;  ///< hex of the body's sha256, or "UNSIGNED-PAYLOAD"
};

struct SigV4Key {
    std::string access_key_id;
    std::string secret_access_key;
    std::string region = "us-east-1";
    std::string service = "s3";
};

struct SigV4Signature {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signed_headers;  ///< "host;x-amz-date"
    std::string signature;       ///< lower-case hex
    std::string authorization;   ///< the Authorization header's value
};

/// Signs `request` at `amz_date` ("YYYYMMDDTHHMMSSZ"). `s3`: the path is used as
/// sent (S3's rule); otherwise it is normalized (dot segments and repeated slashes
/// removed) and encoded once more, as every other AWS service expects.
SigV4Signature sigv4_sign(const SigV4Request& request, const SigV4Key& key, std::string_view amz_date,
                          bool s3 = true);

/// AWS's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ (and '/' when
/// `keep_slash`) as %XX with upper-case hex.
std::string aws_uri_encode(std::string_view s, bool keep_slash);

/// The "YYYYMMDDTHHMMSSZ" form of a UTC time.
std::string amz_date(std::time_t t);

/// The headers of a signed S3 GET of `url` (http(s)://host[:port]/path[?query]):
/// host, x-amz-content-sha256 (UNSIGNED-PAYLOAD), x-amz-date, x-amz-security-token
/// when `session_token` is set, and Authorization; "Name: value" lines, ready for
/// the request. The host is given as curl sends it (the port only when it is not
/// the scheme's default).
std::vector<std::string> s3_signed_headers(std::string_view url, const SigV4Key& key,
                                           std::string_view session_token, std::string_view amz_date);

/// `s3_key` ("dir/name+1.conda", possibly percent-encoded) as an S3 request path:
/// decoded, then encoded with aws_uri_encode, so the path on the wire is the one signed.
std::string s3_request_path(std::string_view s3_key);

}  // namespace pixi_install::fetch
