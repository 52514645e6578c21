#include "pixi_install/base/redact.hpp"

#include <array>

#include "pixi_install/base/strings.hpp"

namespace pixi_install::base {

namespace {

constexpr std::string_view kMask = "*****";

/// Where a URL, a path segment or a parameter value ends inside free text.
bool ends_value(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '<' || c == '>' ||
           c == '`' || c == ')' || c == ']' || c == '}' || c == ',';
}

bool ends_authority(char c) { return ends_value(c) || c == '/' || c == '?' || c == '#'; }

bool ends_parameter(char c) { return ends_value(c) || c == '&' || c == ';' || c == '#'; }

bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
}

/// One pass over `text`: secrets masked (`strip` false) or removed (`strip` true).
/// A `/t/<token>/` segment is a token inside a remote URL (any scheme but file://);
/// masking also takes a bare path that starts with it (a server quoting the request),
/// but never the middle of a file system path.
std::string scrub(std::string_view text, bool strip) {
    std::string out;
    out.reserve(text.size());
    bool in_remote_url = false;  // since a scheme:// other than file:// up to the end of that URL
    std::size_t i = 0;
    while (i < text.size()) {
        if (ends_value(text[i])) in_remote_url = false;
        // scheme://user:pass@host
        if (text.compare(i, 3, "://") == 0) {
            std::size_t s = i;
            while (s > 0 && name_char(text[s - 1])) --s;
            in_remote_url = s < i && ascii_lower(text.substr(s, i - s)) != "file";
            out += "://";
            i += 3;
            std::size_t end = i;
            while (end < text.size() && !ends_authority(text[end])) ++end;
            std::string_view authority = text.substr(i, end - i);
            if (auto at = authority.rfind('@'); at != std::string_view::npos) {
                std::string_view info = authority.substr(0, at);
                if (strip)
                    authority.remove_prefix(at + 1);
                else if (auto colon = info.find(':'); colon != std::string_view::npos)
                    out += std::string(info.substr(0, colon)) + ":***@", authority.remove_prefix(at + 1);
                else
                    out += "***@", authority.remove_prefix(at + 1);
            }
            out += authority;
            i = end;
            continue;
        }
        // /t/<token>/
        const bool word_start = i == 0 || ends_value(text[i - 1]);
        if (text.compare(i, 3, "/t/") == 0 && (in_remote_url || (!strip && word_start))) {
            std::size_t end = i + 3;
            while (end < text.size() && text[end] != '/' && !ends_authority(text[end])) ++end;
            if (end > i + 3 && end < text.size() && text[end] == '/') {
                if (!strip) out += "/t/" + std::string(kMask);
                i = end;
                continue;
            }
        }
        // ?name=value, &name=value
        if ((text[i] == '?' || text[i] == '&' || text[i] == ';') && i + 1 < text.size()) {
            std::size_t eq = i + 1;
            while (eq < text.size() && name_char(text[eq])) ++eq;
            if (eq < text.size() && text[eq] == '=' && is_secret_query_parameter(text.substr(i + 1, eq - i - 1))) {
                std::size_t end = eq + 1;
                while (end < text.size() && !ends_parameter(text[end])) ++end;
                if (!strip) {
                    out += text.substr(i, eq + 1 - i);
                    if (end > eq + 1) out += kMask;
                } else if (text[i] == '?' && end < text.size() && (text[end] == '&' || text[end] == ';')) {
                    out += '?';  // the next parameter takes this one's place
                    ++end;
                }
                i = end;
                continue;
            }
        }
        out += text[i];
        ++i;
    }
    return out;
}

}  // namespace

bool is_secret_query_parameter(std::string_view name) {
    static constexpr std::array<std::string_view, 16> kNames = {
        "token",           "access_token",         "auth",              "password",
        "api_key",         "apikey",               "sig",               "signature",
        "x-amz-signature", "x-amz-credential",     "x-amz-security-token", "x-goog-signature",
        "x-goog-credential", "x-oss-signature",    "secret",            "client_secret"};
    const std::string lower = ascii_lower(name);
    for (std::string_view n : kNames)
        if (lower == n) return true;
    return false;
}

std::string redact(std::string_view text) { return scrub(text, false); }

std::string strip_url_secrets(std::string_view text) { return scrub(text, true); }

}  // namespace pixi_install::base
