#include "pixi_install/spec/wheel_name.hpp"

#include <algorithm>
#include <cctype>

namespace pixi_install::spec {

namespace {

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        auto pos = s.find(sep, start);
        out.emplace_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
    if (s.size() < suffix.size()) return false;
    auto tail = s.substr(s.size() - suffix.size());
    return std::equal(tail.begin(), tail.end(), suffix.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

constexpr std::string_view kSdistExtensions[] = {".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz",
                                                  ".txz", ".tar.zst", ".tar", ".zip"};

}  // namespace

std::string normalize_pypi_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    bool in_sep = false;
    for (char c : name) {
        if (c == '-' || c == '_' || c == '.') {
            if (!in_sep) out.push_back('-');
            in_sep = true;
        } else {
            out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
            in_sep = false;
        }
    }
    return out;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int hi = hex_value(s[i + 1]);
            int lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

std::string location_file_name(std::string_view location) {
    auto cut = location.find_first_of("?#");
    if (cut != std::string_view::npos) location = location.substr(0, cut);
    while (!location.empty() && location.back() == '/') location.remove_suffix(1);
    auto slash = location.find_last_of('/');
    if (slash != std::string_view::npos) location = location.substr(slash + 1);
    return percent_decode(location);
}

std::string WheelName::normalized_name() const { return normalize_pypi_name(distribution); }

std::string WheelName::public_version() const {
    auto plus = version.find('+');
    return plus == std::string::npos ? version : version.substr(0, plus);
}

std::vector<WheelTag> WheelName::expanded_tags() const {
    std::vector<WheelTag> out;
    out.reserve(python_tags.size() * abi_tags.size() * platform_tags.size());
    for (const auto& py : python_tags)
        for (const auto& abi : abi_tags)
            for (const auto& plat : platform_tags) out.push_back({py, abi, plat});
    return out;
}

base::Result<WheelName> WheelName::parse(std::string_view file_name) {
    auto bad = [&](std::string_view why) {
        std::string msg(1, '\'');
        msg.append(file_name).append("' is not a wheel file name (").append(why);
        msg += "; expected NAME-VERSION[-BUILD]-PYTHON-ABI-PLATFORM.whl)";
        return base::fail(base::ErrorKind::integrity, std::move(msg));
    };
    if (!ends_with_ci(file_name, ".whl")) return bad("no .whl extension");
    if (file_name.find('/') != std::string_view::npos) return bad("it contains '/'");
    auto parts = split(file_name.substr(0, file_name.size() - 4), '-');
    if (parts.size() != 5 && parts.size() != 6) return bad("wrong number of '-' separated parts");
    for (const auto& p : parts)
        if (p.empty()) return bad("an empty part");
    WheelName w;
    w.file_name = std::string(file_name);
    w.distribution = parts[0];
    w.version = parts[1];
    std::size_t i = 2;
    if (parts.size() == 6) {
        if (!std::isdigit(static_cast<unsigned char>(parts[2][0]))) return bad("the build tag must start with a digit");
        w.build_tag = parts[2];
        i = 3;
    }
    w.python_tags = split(parts[i], '.');
    w.abi_tags = split(parts[i + 1], '.');
    w.platform_tags = split(parts[i + 2], '.');
    for (const auto* set : {&w.python_tags, &w.abi_tags, &w.platform_tags})
        for (const auto& t : *set)
            if (t.empty()) return bad("an empty tag");
    return w;
}

base::Result<WheelName> WheelName::from_location(std::string_view location) {
    return parse(location_file_name(location));
}

const char* pypi_source_kind_name(PypiSourceKind kind) noexcept {
    switch (kind) {
        case PypiSourceKind::wheel: return "wheel";
        case PypiSourceKind::sdist: return "source distribution";
        case PypiSourceKind::git: return "git repository";
        case PypiSourceKind::directory: return "source directory";
        case PypiSourceKind::editable: return "editable source directory";
        case PypiSourceKind::unknown: return "unrecognised location";
    }
    return "unrecognised location";
}

PypiSourceKind classify_pypi_location(std::string_view location, bool editable) {
    if (location.empty()) return PypiSourceKind::unknown;
    if (starts_with(location, "git+")) return PypiSourceKind::git;
    if (starts_with(location, "direct+")) location.remove_prefix(7);
    const bool url = location.find("://") != std::string_view::npos;
    const bool file_url = starts_with(location, "file://");
    auto name = location_file_name(location);
    if (ends_with_ci(name, ".whl")) return PypiSourceKind::wheel;
    for (auto ext : kSdistExtensions)
        if (ends_with_ci(name, ext)) return editable ? PypiSourceKind::editable : PypiSourceKind::sdist;
    // A path (or file: URL) without an archive extension names a source tree.
    if (!url || file_url) return editable ? PypiSourceKind::editable : PypiSourceKind::directory;
    return PypiSourceKind::unknown;
}

std::string pypi_source_remedy(PypiSourceKind kind, std::string_view name) {
    const std::string skip = "pass --skip " + std::string(name) + " to leave it out, or --no-pypi to skip every PyPI package";
    switch (kind) {
        case PypiSourceKind::wheel: return {};
        case PypiSourceKind::sdist:
            return "this tool does not build source distributions: build a wheel for it (pip wheel / uv build) "
                   "and lock that wheel, or " + skip;
        case PypiSourceKind::git:
            return "this pixi-install was built without git support: build a wheel from the repository at the "
                   "locked commit and lock that wheel (or a path to a checkout of it), or " + skip;
        case PypiSourceKind::directory:
        case PypiSourceKind::editable:
            return "this tool does not build source trees: build a wheel from the directory (pip wheel / uv build) "
                   "and lock that wheel, run `pixi install` for editable installs, or " + skip;
        case PypiSourceKind::unknown:
            return "the location is neither a wheel nor a known source format: lock a wheel for it, or " + skip;
    }
    return skip;
}

}  // namespace pixi_install::spec
