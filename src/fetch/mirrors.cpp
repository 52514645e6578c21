#include "pixi_install/fetch/mirrors.hpp"

#include <algorithm>
#include <cctype>

#include "pixi_install/base/strings.hpp"
#include "pixi_install/fetch/sigv4.hpp"

namespace pixi_install::fetch {

namespace {

std::string_view strip_slash(std::string_view s) {
    while (s.size() > 1 && s.back() == '/') s.remove_suffix(1);
    return s;
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
            return false;
    return true;
}

}  // namespace

base::Result<Mirror> parse_mirror(std::string_view text) {
    auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
        return base::fail(base::ErrorKind::usage,
                          "invalid mirror '" + std::string(text) + "': expected FROM=TO, e.g. "
                          "https://conda.anaconda.org/conda-forge=https://mirror.example/conda-forge");
    return Mirror{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::string apply_mirrors(std::string_view url, const std::vector<Mirror>& mirrors) {
    const Mirror* best = nullptr;
    std::size_t best_len = 0;
    for (const auto& m : mirrors) {
        std::string_view from = strip_slash(m.from);
        if (from.empty() || !starts_with_icase(url, from)) continue;
        // Match on a segment boundary: ".../conda-forge" must not match ".../conda-forge-extra".
        if (url.size() > from.size() && url[from.size()] != '/' && from.back() != '/') continue;
        if (from.size() > best_len) {
            best = &m;
            best_len = from.size();
        }
    }
    if (!best) return std::string(url);
    std::string_view rest = url.substr(best_len);
    std::string to(strip_slash(best->to));
    if (!rest.empty() && rest.front() != '/') to += '/';
    return to + std::string(rest);
}

bool is_http_url(std::string_view url) {
    return starts_with_icase(url, "http://") || starts_with_icase(url, "https://");
}

std::string file_url_path(std::string_view url) {
    if (!starts_with_icase(url, "file://")) return {};
    std::string_view rest = url.substr(7);
    // file:///abs/path or file://localhost/abs/path
    if (starts_with_icase(rest, "localhost/")) rest.remove_prefix(9);
    if (rest.empty() || rest.front() != '/') return {};
    return base::percent_decode(rest);
}

bool is_plain_path(std::string_view location) {
    auto colon = location.find("://");
    if (colon == std::string_view::npos) return true;
    for (std::size_t i = 0; i < colon; ++i) {
        char c = location[i];
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) return true;
    }
    return colon == 0;
}

std::string url_host(std::string_view url) {
    auto p = url.find("://");
    if (p == std::string_view::npos) return {};
    std::string_view rest = url.substr(p + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    auto at = rest.rfind('@');
    if (at != std::string_view::npos) rest.remove_prefix(at + 1);
    std::string_view host = rest;
    if (!host.empty() && host.front() == '[') {
        auto close = host.find(']');
        host = close == std::string_view::npos ? host : host.substr(0, close + 1);
    } else {
        host = host.substr(0, host.find(':'));
    }
    std::string out(host);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string s3_bucket(std::string_view s3_url) {
    if (!starts_with_icase(s3_url, "s3://")) return {};
    std::string_view rest = s3_url.substr(5);
    return std::string(rest.substr(0, rest.find_first_of("/?#")));
}

base::Result<std::string> s3_to_https(std::string_view s3_url, std::string_view region,
                                      std::string_view endpoint, bool path_style) {
    if (!starts_with_icase(s3_url, "s3://"))
        return base::fail(base::ErrorKind::usage, "not an s3 location: " + std::string(s3_url));
    std::string_view rest = s3_url.substr(5);
    rest = rest.substr(0, rest.find_first_of("?#"));
    auto slash = rest.find('/');
    std::string_view bucket = rest.substr(0, slash);
    std::string_view key = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (bucket.empty() || key.empty())
        return base::fail(base::ErrorKind::usage,
                          "s3 location '" + std::string(s3_url) + "' needs a bucket and a key (s3://bucket/key)");
    std::string path = s3_request_path(key);
    if (!endpoint.empty()) {
        std::string base(strip_slash(endpoint));
        if (path_style) return base + "/" + std::string(bucket) + "/" + path;
        // Virtual-host style on the endpoint: the bucket in front of its host.
        auto scheme = base.find("://");
        if (scheme == std::string::npos)
            return base::fail(base::ErrorKind::usage, "the S3 endpoint '" + base + "' needs a scheme (https://host)");
        return base.substr(0, scheme + 3) + std::string(bucket) + "." + base.substr(scheme + 3) + "/" + path;
    }
    std::string r = region.empty() ? std::string("us-east-1") : std::string(region);
    return "https://" + std::string(bucket) + ".s3." + r + ".amazonaws.com/" + path;
}

}  // namespace pixi_install::fetch
