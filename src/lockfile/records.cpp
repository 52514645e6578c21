// Raw record -> model record, with the field derivation of the lock format
// (docs: lockfile-format.md §5.2); shared environment-section readers.
#include "records.hpp"
#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/strings.hpp"

#include <set>

#include "pixi_install/spec/archive_name.hpp"
#include "pixi_install/spec/platform.hpp"
#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::lockfile::detail {

using base::ErrorKind;
using base::Result;

bool is_url(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '+' || s[i] == '-' ||
                            s[i] == '.'))
        ++i;
    return i >= 2 && i < s.size() && s[i] == ':' && std::isalpha(static_cast<unsigned char>(s[0]));
}

std::string file_name_of(std::string_view s) {
    if (is_url(s)) {
        std::size_t q = s.find_first_of("?#");
        if (q != std::string_view::npos) s = s.substr(0, q);
    }
    std::size_t slash = s.find_last_of(is_url(s) ? "/" : "/\\");
    return std::string(slash == std::string_view::npos ? s : s.substr(slash + 1));
}

namespace {

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::string scheme_of(std::string_view url) {
    return base::ascii_lower(url.substr(0, url.find(':')));
}

/// The path of a `file://` URL.
std::string file_url_path(std::string_view url) {
    std::string_view rest = url.substr(url.find(':') + 1);
    if (rest.starts_with("//")) {
        rest.remove_prefix(2);
        std::size_t slash = rest.find('/');
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    }
    return percent_decode(rest);
}

}  // namespace

std::string normalize_location(std::string_view s) {
    if (is_url(s)) {
        if (scheme_of(s) != "file") return std::string(s);
        return std::filesystem::path(file_url_path(s)).lexically_normal().generic_string();
    }
    std::string p = std::filesystem::path(s).lexically_normal().generic_string();
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p.empty() ? "." : p;
}

void resolve_location(const Context& cx, const std::string& location, std::string& url,
                      std::filesystem::path& path) {
    if (is_url(location)) {
        // pixi marks direct references (a URL outside the indexes) with `direct+`: the
        // location stays as written, the URL to fetch is the one after it.
        url = location.rfind("direct+", 0) == 0 ? location.substr(7) : location;
        if (scheme_of(location) == "file") path = std::filesystem::path(file_url_path(location)).lexically_normal();
        return;
    }
    std::filesystem::path p(location);
    path = (p.is_absolute() || cx.base_dir.empty() ? p : cx.base_dir / p).lexically_normal();
}

namespace {

/// The subdir encoded in a conda URL (`…/<channel>/<subdir>/<file>`), http(s)/file only.
std::string subdir_from_url(std::string_view location) {
    if (!is_url(location)) return {};
    std::string scheme = scheme_of(location);
    if (scheme != "http" && scheme != "https" && scheme != "file") return {};
    std::size_t last = location.rfind('/');
    if (last == std::string_view::npos || last == 0) return {};
    std::size_t prev = location.rfind('/', last - 1);
    if (prev == std::string_view::npos) return {};
    std::string seg(location.substr(prev + 1, last - prev - 1));
    return spec::is_known_subdir(seg) ? seg : std::string();
}

std::string channel_from_url(std::string_view location) {
    if (!is_url(location)) return {};
    std::size_t last = location.rfind('/');
    if (last == std::string_view::npos || last == 0) return {};
    std::size_t prev = location.rfind('/', last - 1);
    if (prev == std::string_view::npos) return {};
    return std::string(location.substr(0, prev + 1));
}

std::int64_t to_millis(std::int64_t t) { return t > 253402300799LL ? t : t * 1000; }

/// sha256 must be 64 hex digits and md5 32 (already lower-cased).
Result<void> check_hashes(const Context& cx, const RawRecord& r, const std::string& location) {
    auto hex = [](const std::string& s, std::size_t n) {
        return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
    };
    if (r.sha256 && !hex(*r.sha256, 64))
        return yaml_error(cx.origin, r.line, r.col,
                          "package `" + location + "` has an invalid sha256 `" + *r.sha256 + "` (expected 64 hex digits)");
    if (r.md5 && !hex(*r.md5, 32))
        return yaml_error(cx.origin, r.line, r.col,
                          "package `" + location + "` has an invalid md5 `" + *r.md5 + "` (expected 32 hex digits)");
    return {};
}

/// `field` of the package at `location` must be usable as one file name.
Result<void> check_segment(const Context& cx, const RawRecord& r, std::string_view kind, const std::string& location,
                           std::string_view field, const std::string& value) {
    std::string_view problem = base::segment_problem(value);
    if (problem.empty()) return {};
    return yaml_error(cx.origin, r.line, r.col,
                      std::string(kind) + " package `" + base::printable(location) + "` has an unsafe `" +
                          std::string(field) + "` `" + base::printable(value) + "` (" + std::string(problem) +
                          "); a lock names files with single, printable path segments");
}

}  // namespace

Result<CondaRecord> make_conda(const Context& cx, const RawRecord& r, const std::string& location,
                               Derive derive) {
    PI_TRY_VOID(check_hashes(cx, r, location));
    CondaRecord c;
    c.location = location;
    resolve_location(cx, location, c.url, c.path);
    c.file_name = r.file_name ? *r.file_name : file_name_of(location);
    if (!c.file_name.empty() || r.file_name) PI_TRY_VOID(check_segment(cx, r, "conda", location, "file_name", c.file_name));
    std::optional<spec::ArchiveName> an = spec::ArchiveName::parse(c.file_name);
    auto pick = [&](const std::optional<std::string>& given, std::string spec::ArchiveName::*field) {
        if (given) return *given;
        if (derive == Derive::from_location && an) return (*an).*field;
        return std::string();
    };
    c.name = pick(r.name, &spec::ArchiveName::name);
    c.version = pick(r.version, &spec::ArchiveName::version);
    c.build = pick(r.build, &spec::ArchiveName::build);
    if (c.name.empty() || c.version.empty() || c.build.empty()) {
        return yaml_error(cx.origin, r.line, r.col,
                          "conda package `" + location +
                              "` has no name, version or build, and they cannot be derived from its file name "
                              "(expected <name>-<version>-<build>.conda or .tar.bz2)");
    }
    PI_TRY_VOID(check_segment(cx, r, "conda", location, "name", c.name));
    PI_TRY_VOID(check_segment(cx, r, "conda", location, "version", c.version));
    PI_TRY_VOID(check_segment(cx, r, "conda", location, "build", c.build));
    if (r.python_site_packages_path && !r.python_site_packages_path->empty()) {
        const std::string& sp = *r.python_site_packages_path;
        if (auto problem = base::relative_name_problem(sp); !problem.empty())
            return yaml_error(cx.origin, r.line, r.col,
                              "conda package `" + base::printable(location) + "` has an unsafe `python_site_packages_path` `" +
                                  base::printable(sp) + "` (" + std::string(problem) +
                                  "); it must be a relative path inside the environment, such as lib/python3.13t/site-packages");
    }
    if (r.subdir) c.subdir = *r.subdir;
    else if (derive == Derive::from_location || cx.version >= 4) c.subdir = subdir_from_url(location);
    if (c.subdir.empty()) {
        return yaml_error(cx.origin, r.line, r.col,
                          "conda package `" + location +
                              "` has no `subdir`, and none can be derived from its location");
    }
    c.build_number = r.build_number ? *r.build_number : spec::build_number_from_build(c.build).value_or(0);
    if (r.noarch) {
        const std::string& n = *r.noarch;
        if (n == "python" || n == "generic") c.noarch = n;
        else if (n == "true") c.noarch = "generic";
        else if (n == "false" || n.empty()) c.noarch.clear();
        else
            return yaml_error(cx.origin, r.line, r.col,
                              "conda package `" + location + "` has an unknown `noarch` value `" + n + "`");
    } else if (derive == Derive::from_location && c.subdir == "noarch") {
        c.noarch = c.build.find("py") != std::string::npos ? "python" : "generic";
    }
    c.channel = r.channel ? *r.channel : channel_from_url(location);
    c.sha256 = r.sha256;
    c.md5 = r.md5;
    c.size = r.size;
    c.depends = r.depends;
    c.constrains = r.constrains;
    c.track_features = r.track_features;
    c.python_site_packages_path = r.python_site_packages_path;
    if (r.timestamp) c.timestamp = to_millis(*r.timestamp);
    c.license = r.license;
    c.license_family = r.license_family;
    c.run_exports = r.run_exports;
    c.purls = r.purls;
    c.extra_depends = r.extra_depends;
    return c;
}

Result<PypiRecord> make_pypi(const Context& cx, const RawRecord& r, const std::string& location) {
    if (!r.name || r.name->empty())
        return yaml_error(cx.origin, r.line, r.col, "pypi package `" + location + "` has no `name`");
    PI_TRY_VOID(check_hashes(cx, r, location));
    PI_TRY_VOID(check_segment(cx, r, "pypi", location, "name", *r.name));
    if (r.version) PI_TRY_VOID(check_segment(cx, r, "pypi", location, "version", *r.version));
    if (is_url(location) || location.ends_with(".whl")) {
        // A percent-encoded '/' in the last segment must not turn into a path.
        std::string file = spec::location_file_name(location);
        if (!file.empty()) PI_TRY_VOID(check_segment(cx, r, "pypi", location, "file name", file));
    }
    PypiRecord p;
    p.name = *r.name;
    p.version = r.version;
    p.location = location;
    resolve_location(cx, location, p.url, p.path);
    p.sha256 = r.sha256;
    p.md5 = r.md5;
    p.requires_python = r.requires_python;
    p.requires_dist = r.requires_dist;
    p.editable = cx.version < 7 && r.editable;
    p.index = r.index;
    return p;
}

Result<SourceRecord> make_source(const Context& cx, const RawRecord& r, const std::string& location,
                                 std::string name) {
    if (name.empty())
        return yaml_error(cx.origin, r.line, r.col,
                          "conda source package `" + location +
                              "` has no `name`, and none can be derived from its location");
    PI_TRY_VOID(check_segment(cx, r, "conda source", location, "name", name));
    // A source record is not built yet: an empty version or build names nothing.
    if (r.version && !r.version->empty()) PI_TRY_VOID(check_segment(cx, r, "conda source", location, "version", *r.version));
    if (r.build && !r.build->empty()) PI_TRY_VOID(check_segment(cx, r, "conda source", location, "build", *r.build));
    SourceRecord s;
    s.name = std::move(name);
    s.version = r.version;
    s.build = r.build;
    s.location = location;
    s.subdir = r.subdir.value_or("");
    s.depends = r.depends;
    s.constrains = r.constrains;
    s.sources = r.sources;
    s.extra_depends = r.extra_depends;
    s.package_build_source = r.package_build_source;
    std::size_t at = location.find(" @ ");
    s.manifest_location = at == std::string::npos ? location : location.substr(at + 3);
    return s;
}

}  // namespace pixi_install::lockfile::detail
