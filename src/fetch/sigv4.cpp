#include "pixi_install/fetch/sigv4.hpp"

#include <algorithm>

#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/strings.hpp"

namespace pixi_install::fetch {

namespace {

bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

/// RFC 3986's dot-segment removal, with empty segments dropped too (AWS's rule).
std::string normalize_path(std::string_view path) {
    if (path.empty()) return "/";
    std::vector<std::string_view> out;
    std::size_t p = 0;
    while (p <= path.size()) {
        std::size_t slash = path.find('/', p);
        if (slash == std::string_view::npos) slash = path.size();
        std::string_view seg = path.substr(p, slash - p);
        p = slash + 1;
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            if (!out.empty()) out.pop_back();
            continue;
        }
        out.push_back(seg);
    }
    std::string r = path.front() == '/' ? "/" : "";
    for (std::size_t i = 0; i < out.size(); ++i) r += (i ? "/" : "") + std::string(out[i]);
    if (path.back() == '/' && !out.empty()) r += '/';
    return r.empty() ? "/" : r;
}

/// Sorted "key=value" pairs, each part decoded and encoded again the AWS way.
std::string canonical_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::size_t p = 0;
    while (p < query.size()) {
        std::size_t amp = query.find('&', p);
        if (amp == std::string_view::npos) amp = query.size();
        std::string_view item = query.substr(p, amp - p);
        p = amp + 1;
        if (item.empty()) continue;
        auto eq = item.find('=');
        std::string_view k = item.substr(0, eq);
        std::string_view v = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
        pairs.emplace_back(aws_uri_encode(base::percent_decode(k), false), aws_uri_encode(base::percent_decode(v), false));
    }
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (const auto& [k, v] : pairs) out += (out.empty() ? "" : "&") + k + "=" + v;
    return out;
}

/// Trims a header value and collapses runs of spaces into one.
std::string header_value(std::string_view v) {
    v = base::trim(v);
    std::string out;
    bool space = false;
    for (char c : v) {
        if (c == ' ' || c == '\t') {
            space = true;
            continue;
        }
        if (space && !out.empty()) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

struct UrlParts {
    std::string scheme, authority, path, query;
};

UrlParts split_url(std::string_view url) {
    UrlParts u;
    auto colon = url.find("://");
    u.scheme = base::ascii_lower(url.substr(0, colon == std::string_view::npos ? 0 : colon));
    std::string_view rest = colon == std::string_view::npos ? url : url.substr(colon + 3);
    auto path_at = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_at);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    u.authority = base::ascii_lower(authority);
    std::string_view tail = path_at == std::string_view::npos ? std::string_view() : rest.substr(path_at);
    tail = tail.substr(0, tail.find('#'));
    auto q = tail.find('?');
    u.path = std::string(tail.substr(0, q));
    if (q != std::string_view::npos) u.query = std::string(tail.substr(q + 1));
    if (u.path.empty()) u.path = "/";
    // curl leaves the scheme's default port out of the Host header.
    auto strip = [&](std::string_view port) {
        if (u.authority.size() > port.size() &&
            u.authority.compare(u.authority.size() - port.size(), port.size(), port) == 0)
            u.authority.resize(u.authority.size() - port.size());
    };
    if (u.scheme == "http") strip(":80");
    if (u.scheme == "https") strip(":443");
    return u;
}

}  // namespace

std::string aws_uri_encode(std::string_view s, bool keep_slash) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (unreserved(c) || (keep_slash && c == '/')) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string amz_date(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

SigV4Signature sigv4_sign(const SigV4Request& r, const SigV4Key& key, std::string_view date, bool s3) {
    SigV4Signature s;
    std::string uri = s3 ? (r.path.empty() ? std::string("/") : r.path)
                         : aws_uri_encode(normalize_path(r.path), true);
    // Headers: lower-case names, sorted; repeated names joined with ','.
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& [n, v] : r.headers) headers.emplace_back(base::ascii_lower(base::trim(n)), header_value(v));
    std::stable_sort(headers.begin(), headers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string canonical_headers;
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if (i > 0 && headers[i].first == headers[i - 1].first) {
            canonical_headers.back() = ',';
            canonical_headers += headers[i].second + "\n";
            continue;
        }
        canonical_headers += headers[i].first + ":" + headers[i].second + "\n";
        s.signed_headers += (s.signed_headers.empty() ? "" : ";") + headers[i].first;
    }
    s.canonical_request = r.method + "\n" + uri + "\n" + canonical_query(r.query) + "\n" + canonical_headers + "\n" +
                          s.signed_headers + "\n" + r.payload_sha256;
    std::string day(date.substr(0, 8));
    std::string scope = day + "/" + key.region + "/" + key.service + "/aws4_request";
    s.string_to_sign = "AWS4-HMAC-SHA256\n" + std::string(date) + "\n" + scope + "\n" +
                       base::sha256_hex(s.canonical_request);
    std::string k = base::hmac_sha256("AWS4" + key.secret_access_key, day);
    k = base::hmac_sha256(k, key.region);
    k = base::hmac_sha256(k, key.service);
    k = base::hmac_sha256(k, "aws4_request");
    s.signature = base::to_hex(base::hmac_sha256(k, s.string_to_sign));
    s.authorization = "AWS4-HMAC-SHA256 Credential=" + key.access_key_id + "/" + scope +
                      ", SignedHeaders=" + s.signed_headers + ", Signature=" + s.signature;
    return s;
}

std::vector<std::string> s3_signed_headers(std::string_view url, const SigV4Key& key, std::string_view session_token,
                                           std::string_view date) {
    UrlParts u = split_url(url);
    SigV4Request r;
    r.path = u.path;
    r.query = u.query;
    r.payload_sha256 = "UNSIGNED-PAYLOAD";
    r.headers = {{"host", u.authority}, {"x-amz-content-sha256", r.payload_sha256}, {"x-amz-date", std::string(date)}};
    if (!session_token.empty()) r.headers.emplace_back("x-amz-security-token", std::string(session_token));
    SigV4Signature sig = sigv4_sign(r, key, date, true);
    std::vector<std::string> out;
    for (const auto& [n, v] : r.headers)
        if (n != "host") out.push_back(n + ": " + v);
    out.push_back("Authorization: " + sig.authorization);
    return out;
}

std::string s3_request_path(std::string_view s3_key) {
    return aws_uri_encode(base::percent_decode(s3_key), true);
}

}  // namespace pixi_install::fetch
