// Package index pages (the "simple" API): PEP 691 JSON and PEP 503 HTML.
#include <nlohmann/json.hpp>

#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/build/build.hpp"

namespace pixi_install::build {

using base::ErrorKind;
using base::Result;

namespace {

/// `ref` resolved against `base` (RFC 3986, the forms index pages use).
std::string resolve_url(const std::string& base, const std::string& ref) {
    if (ref.find("://") != std::string::npos) return ref;
    const auto scheme_end = base.find("://");
    if (scheme_end == std::string::npos) return ref;
    if (ref.rfind("//", 0) == 0) return base.substr(0, scheme_end + 1) + ref;
    const auto path_start = base.find('/', scheme_end + 3);
    const std::string origin = path_start == std::string::npos ? base : base.substr(0, path_start);
    if (!ref.empty() && ref.front() == '/') return origin + ref;
    std::string dir = path_start == std::string::npos ? "/" : base.substr(path_start);
    dir = dir.substr(0, dir.find_first_of("?#"));
    dir = dir.substr(0, dir.rfind('/') + 1);
    // Join, then remove dot segments.
    std::string joined = dir + ref;
    std::string tail;
    if (auto q = joined.find_first_of("?#"); q != std::string::npos) {
        tail = joined.substr(q);
        joined.resize(q);
    }
    std::vector<std::string> out;
    std::size_t pos = 1;
    while (pos <= joined.size()) {
        auto slash = joined.find('/', pos);
        std::string seg = joined.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        if (seg == "..") {
            if (!out.empty()) out.pop_back();
        } else if (seg != ".") {
            out.push_back(seg);
        }
        if (slash == std::string::npos) break;
        pos = slash + 1;
    }
    std::string path;
    for (const auto& s : out) path += "/" + s;
    if (path.empty()) path = "/";
    return origin + path + tail;
}

std::string html_unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '&') {
            out += s[i];
            continue;
        }
        auto semi = s.find(';', i);
        if (semi == std::string_view::npos || semi - i > 8) {
            out += s[i];
            continue;
        }
        std::string_view ent = s.substr(i + 1, semi - i - 1);
        if (ent == "lt") out += '<';
        else if (ent == "gt") out += '>';
        else if (ent == "amp") out += '&';
        else if (ent == "quot") out += '"';
        else if (ent == "apos") out += '\'';
        else if (!ent.empty() && ent[0] == '#') {
            long code = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X')
                            ? std::strtol(std::string(ent.substr(2)).c_str(), nullptr, 16)
                            : std::strtol(std::string(ent.substr(1)).c_str(), nullptr, 10);
            if (code > 0 && code < 128) out += static_cast<char>(code);
            else {
                out += s.substr(i, semi - i + 1);
            }
        } else {
            out += s.substr(i, semi - i + 1);
        }
        i = semi;
    }
    return out;
}

/// The attributes of one start tag (`<a href="..." data-x='...' flag>`), names lower-cased.
std::map<std::string, std::string> attributes(std::string_view tag) {
    std::map<std::string, std::string> out;
    std::size_t i = 0;
    while (i < tag.size()) {
        while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
        std::size_t n0 = i;
        while (i < tag.size() && !std::isspace(static_cast<unsigned char>(tag[i])) && tag[i] != '=' && tag[i] != '>')
            ++i;
        std::string name = base::ascii_lower(std::string(tag.substr(n0, i - n0)));
        while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
        std::string value;
        if (i < tag.size() && tag[i] == '=') {
            ++i;
            while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
            if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
                char q = tag[i++];
                auto end = tag.find(q, i);
                if (end == std::string_view::npos) end = tag.size();
                value = std::string(tag.substr(i, end - i));
                i = end + 1;
            } else {
                std::size_t v0 = i;
                while (i < tag.size() && !std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
                value = std::string(tag.substr(v0, i - v0));
            }
        }
        if (!name.empty()) out[name] = html_unescape(value);
        if (i == n0) ++i;
    }
    return out;
}

/// The last path segment of a URL, percent-decoded, without query or fragment.
std::string file_of(const std::string& url) {
    std::string p = url.substr(0, url.find_first_of("?#"));
    return base::percent_decode(p.substr(p.rfind('/') + 1));
}

std::string sha256_fragment(const std::string& url) {
    auto h = url.find('#');
    if (h == std::string::npos) return {};
    std::string frag = url.substr(h + 1);
    if (frag.rfind("sha256=", 0) != 0) return {};
    std::string hex = base::ascii_lower(frag.substr(7));
    return base::is_hex_digest(hex, 32) ? hex : std::string();
}

Result<std::vector<IndexFile>> parse_json(const IndexPage& page) {
    auto j = nlohmann::json::parse(page.body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("files") || !j["files"].is_array())
        return base::fail(ErrorKind::unavailable, "the index page " + page.url + " is not a PEP 691 project page");
    std::vector<IndexFile> out;
    for (const auto& f : j["files"]) {
        if (!f.is_object() || !f.contains("url") || !f["url"].is_string()) continue;
        IndexFile x;
        x.url = resolve_url(page.url, f["url"].get<std::string>());
        x.file_name = f.contains("filename") && f["filename"].is_string() ? f["filename"].get<std::string>()
                                                                          : file_of(x.url);
        if (f.contains("hashes") && f["hashes"].is_object() && f["hashes"].contains("sha256") &&
            f["hashes"]["sha256"].is_string()) {
            std::string hex = base::ascii_lower(f["hashes"]["sha256"].get<std::string>());
            if (base::is_hex_digest(hex, 32)) x.sha256 = hex;
        }
        if (f.contains("requires-python") && f["requires-python"].is_string())
            x.requires_python = f["requires-python"].get<std::string>();
        if (f.contains("yanked")) x.yanked = f["yanked"].is_boolean() ? f["yanked"].get<bool>() : f["yanked"].is_string();
        x.url = x.url.substr(0, x.url.find('#'));
        out.push_back(std::move(x));
    }
    return out;
}

std::vector<IndexFile> parse_html(const IndexPage& page) {
    std::vector<IndexFile> out;
    const std::string& b = page.body;
    std::string lower = base::ascii_lower(b);
    std::string base_url = page.url;
    // <base href="..."> changes what relative links resolve against.
    if (auto bp = lower.find("<base"); bp != std::string::npos) {
        auto end = b.find('>', bp);
        if (end != std::string::npos) {
            auto attrs = attributes(std::string_view(b).substr(bp + 5, end - bp - 5));
            if (auto it = attrs.find("href"); it != attrs.end() && !it->second.empty())
                base_url = resolve_url(page.url, it->second);
        }
    }
    std::size_t pos = 0;
    while ((pos = lower.find("<a", pos)) != std::string::npos) {
        if (pos + 2 < lower.size() && !std::isspace(static_cast<unsigned char>(lower[pos + 2])) && lower[pos + 2] != '>') {
            pos += 2;
            continue;
        }
        auto end = b.find('>', pos);
        if (end == std::string::npos) break;
        auto attrs = attributes(std::string_view(b).substr(pos + 2, end - pos - 2));
        pos = end + 1;
        auto href = attrs.find("href");
        if (href == attrs.end() || href->second.empty()) continue;
        IndexFile x;
        const std::string full = resolve_url(base_url, href->second);
        x.sha256 = sha256_fragment(full);
        x.url = full.substr(0, full.find('#'));
        x.file_name = file_of(x.url);
        if (auto rp = attrs.find("data-requires-python"); rp != attrs.end() && !rp->second.empty())
            x.requires_python = rp->second;
        x.yanked = attrs.count("data-yanked") > 0;
        out.push_back(std::move(x));
    }
    return out;
}

}  // namespace

Result<std::vector<IndexFile>> parse_index_page(const IndexPage& page) {
    const std::string ct = base::ascii_lower(page.content_type);
    const auto first = page.body.find_first_not_of(" \t\r\n");
    if (ct.find("json") != std::string::npos || (first != std::string::npos && page.body[first] == '{'))
        return parse_json(page);
    return parse_html(page);
}

}  // namespace pixi_install::build
