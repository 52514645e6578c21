// Mirror rewriting of artifact locations (`--mirror FROM=TO`) and the mapping of
// `s3://` locations to HTTPS endpoints. Pure string functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::fetch {

/// A location whose text starts with the URL prefix `from` (compared without a
/// trailing slash, on a path-segment boundary) is fetched from `to` + the rest.
/// `to` may be an http(s):// or file:// URL or a local directory.
struct Mirror {
    std::string from;
    std::string to;
};

/// Parses "FROM=TO" (the command-line and config form). Errors are ErrorKind::usage.
base::Result<Mirror> parse_mirror(std::string_view text);

/// Rewrites `url` with the mirror whose `from` is the longest matching prefix;
/// returns `url` unchanged when none matches.
std::string apply_mirrors(std::string_view url, const std::vector<Mirror>& mirrors);

/// True for http:// and https:// (case-insensitive scheme).
bool is_http_url(std::string_view url);
/// The local path a file:// URL names (percent-decoded), or empty for other URLs.
std::string file_url_path(std::string_view url);
/// True when `location` has no URL scheme (a plain local path).
bool is_plain_path(std::string_view location);

/// The host of an http(s) URL, lower-cased, without port or credentials; empty when none.
std::string url_host(std::string_view url);

/// Maps `s3://bucket/key` to an HTTPS URL: virtual-host style on AWS
/// (`https://bucket.s3.<region>.amazonaws.com/key`); with an `endpoint`, path style
/// (`<endpoint>/bucket/key`) or, when `path_style` is false, the bucket in front of
/// the endpoint's host (`https://bucket.host:port/key`). The key is decoded and
/// encoded again the AWS way (s3_request_path), so the path sent is the one signed.
/// Errors (usage) for a location without a bucket or a key.
base::Result<std::string> s3_to_https(std::string_view s3_url, std::string_view region,
                                      std::string_view endpoint, bool path_style = true);

/// The bucket of an `s3://bucket/key` location (empty for other locations).
std::string s3_bucket(std::string_view s3_url);

}  // namespace pixi_install::fetch
