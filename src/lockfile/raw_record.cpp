// Type-checking of package record mappings (see raw_record.hpp).
#include "raw_record.hpp"
#include "pixi_install/base/strings.hpp"

#include <charconv>

namespace pixi_install::lockfile::detail {

using base::Result;

Result<std::string> scalar_of(const YNode& n, std::string_view origin, std::string_view what) {
    if (!n.is_scalar()) return node_error(origin, n, "`" + std::string(what) + "` must be a string");
    return n.value;
}

Result<std::vector<std::string>> strings_of(const YNode& n, std::string_view origin, std::string_view what) {
    std::vector<std::string> out;
    if (n.is_null()) return out;
    if (n.is_scalar()) {
        out.push_back(n.value);
        return out;
    }
    if (!n.is_seq()) return node_error(origin, n, "`" + std::string(what) + "` must be a list of strings");
    out.reserve(n.items.size());
    for (const auto& i : n.items) {
        if (!i.is_scalar())
            return node_error(origin, i, "`" + std::string(what) + "` must be a list of strings");
        out.push_back(i.value);
    }
    return out;
}

namespace {

Result<std::optional<std::string>> opt_string(const YNode& n, std::string_view origin, std::string_view what) {
    if (n.is_null()) return std::optional<std::string>();
    PI_TRY(std::string s, scalar_of(n, origin, what));
    return std::optional<std::string>(std::move(s));
}

template <class Int>
Result<std::optional<Int>> opt_int(const YNode& n, std::string_view origin, std::string_view what) {
    if (n.is_null()) return std::optional<Int>();
    Int v{};
    const std::string& s = n.value;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!n.is_scalar() || s.empty() || ec != std::errc() || p != s.data() + s.size())
        return node_error(origin, n, "`" + std::string(what) + "` must be an integer");
    return std::optional<Int>(v);
}

/// v1 `dependencies` (and v1-3 pypi `requires_dist`) may be a map name -> spec.
Result<std::vector<std::string>> deps_of(const YNode& n, std::string_view origin, std::string_view what) {
    if (!n.is_map()) return strings_of(n, origin, what);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n.keys.size(); ++i) {
        const YNode& v = n.items[i];
        if (v.is_null()) {
            out.push_back(n.keys[i]);
            continue;
        }
        if (!v.is_scalar()) return node_error(origin, v, "`" + std::string(what) + "` values must be strings");
        out.push_back(v.value.empty() || v.value == "*" ? n.keys[i] : n.keys[i] + " " + v.value);
    }
    return out;
}

/// A mapping of scalars (`package_build_source`, one entry of `sources`).
Result<std::map<std::string, std::string>> scalar_map_of(const YNode& n, std::string_view origin, std::string_view what) {
    std::map<std::string, std::string> out;
    if (n.is_null()) return out;
    if (!n.is_map()) return node_error(origin, n, "`" + std::string(what) + "` must be a mapping");
    for (std::size_t i = 0; i < n.keys.size(); ++i)
        if (n.items[i].is_scalar()) out[n.keys[i]] = n.items[i].value;
    return out;
}

Result<RunExports> run_exports_of(const YNode& n, std::string_view origin) {
    RunExports r;
    if (n.is_null()) return r;
    if (!n.is_map()) return node_error(origin, n, "`run_exports` must be a mapping");
    for (std::size_t i = 0; i < n.keys.size(); ++i) {
        const std::string& k = n.keys[i];
        std::vector<std::string>* dst = k == "weak"                ? &r.weak
                                        : k == "strong"            ? &r.strong
                                        : k == "noarch"            ? &r.noarch
                                        : k == "weak_constrains"   ? &r.weak_constrains
                                        : k == "strong_constrains" ? &r.strong_constrains
                                                                   : nullptr;
        if (!dst) continue;
        PI_TRY(*dst, strings_of(n.items[i], origin, "run_exports." + k));
    }
    return r;
}

}  // namespace

Result<RawRecord> to_raw_record(const YNode& n, std::string_view origin) {
    if (!n.is_map()) return node_error(origin, n, "a package record must be a mapping");
    RawRecord r;
    r.line = n.line;
    r.col = n.col;
    for (std::size_t i = 0; i < n.keys.size(); ++i) {
        const std::string& k = n.keys[i];
        const YNode& v = n.items[i];
        auto str = [&](std::optional<std::string>& dst) -> Result<void> {
            PI_TRY(dst, opt_string(v, origin, k));
            return {};
        };
        switch (k.empty() ? '\0' : k[0]) {
        case 'b':
            if (k == "build") PI_TRY_VOID(str(r.build));
            else if (k == "build_number") { PI_TRY(r.build_number, opt_int<std::uint64_t>(v, origin, k)); }
            break;
        case 'c':
            if (k == "conda") PI_TRY_VOID(str(r.conda));
            else if (k == "conda_source") PI_TRY_VOID(str(r.conda_source));
            else if (k == "constrains") { PI_TRY(r.constrains, strings_of(v, origin, k)); }
            else if (k == "channel") PI_TRY_VOID(str(r.channel));
            break;
        case 'd':
            if (k == "depends" || k == "dependencies") { PI_TRY(r.depends, deps_of(v, origin, k)); }
            break;
        case 'e':
            if (k == "editable") r.editable = v.is_scalar() && v.value == "true";
            else if (k == "extra_depends") {
                if (v.is_null()) break;
                if (!v.is_map()) return node_error(origin, v, "`extra_depends` must be a mapping");
                for (std::size_t j = 0; j < v.keys.size(); ++j) {
                    PI_TRY(r.extra_depends[v.keys[j]], strings_of(v.items[j], origin, "extra_depends." + v.keys[j]));
                }
            }
            break;
        case 'f':
            if (k == "file_name") PI_TRY_VOID(str(r.file_name));
            break;
        case 'h':
            if (k == "hash") {
                if (v.is_null()) break;
                if (!v.is_map()) return node_error(origin, v, "`hash` must be a mapping");
                if (const YNode* h = v.find("sha256")) { PI_TRY(r.sha256, opt_string(*h, origin, "hash.sha256")); }
                if (const YNode* h = v.find("md5")) { PI_TRY(r.md5, opt_string(*h, origin, "hash.md5")); }
            }
            break;
        case 'i':
            if (k == "index") PI_TRY_VOID(str(r.index));
            break;
        case 'k':
            if (k == "kind") PI_TRY_VOID(str(r.kind));
            break;
        case 'l':
            if (k == "license") PI_TRY_VOID(str(r.license));
            else if (k == "license_family") PI_TRY_VOID(str(r.license_family));
            break;
        case 'm':
            if (k == "md5") PI_TRY_VOID(str(r.md5));
            else if (k == "manager") PI_TRY_VOID(str(r.manager));
            break;
        case 'n':
            if (k == "name") PI_TRY_VOID(str(r.name));
            else if (k == "noarch") PI_TRY_VOID(str(r.noarch));
            break;
        case 'p':
            if (k == "pypi") PI_TRY_VOID(str(r.pypi));
            else if (k == "path") PI_TRY_VOID(str(r.path));
            else if (k == "platform") PI_TRY_VOID(str(r.platform));
            else if (k == "python_site_packages_path") PI_TRY_VOID(str(r.python_site_packages_path));
            else if (k == "purls") { PI_TRY(r.purls, strings_of(v, origin, k)); }
            else if (k == "package_build_source") { PI_TRY(r.package_build_source, scalar_map_of(v, origin, k)); }
            break;
        case 'r':
            if (k == "requires_dist") { PI_TRY(r.requires_dist, deps_of(v, origin, k)); }
            else if (k == "requires_python") PI_TRY_VOID(str(r.requires_python));
            else if (k == "run_exports") { PI_TRY(r.run_exports, run_exports_of(v, origin)); }
            break;
        case 's':
            if (k == "sha256") PI_TRY_VOID(str(r.sha256));
            else if (k == "subdir") PI_TRY_VOID(str(r.subdir));
            else if (k == "sources") {
                if (v.is_null()) break;
                if (!v.is_map()) return node_error(origin, v, "`sources` must be a mapping");
                for (std::size_t j = 0; j < v.keys.size(); ++j) {
                    PI_TRY(r.sources[v.keys[j]], scalar_map_of(v.items[j], origin, "sources." + v.keys[j]));
                }
            }
            else if (k == "size") { PI_TRY(r.size, opt_int<std::uint64_t>(v, origin, k)); }
            break;
        case 't':
            if (k == "timestamp") { PI_TRY(r.timestamp, opt_int<std::int64_t>(v, origin, k)); }
            else if (k == "track_features") { PI_TRY(r.track_features, strings_of(v, origin, k)); }
            break;
        case 'u':
            if (k == "url") PI_TRY_VOID(str(r.url));
            break;
        case 'v':
            if (k == "version") PI_TRY_VOID(str(r.version));
            break;
        default:
            break;
        }
    }
    if (r.sha256) r.sha256 = base::ascii_lower(*r.sha256);
    if (r.md5) r.md5 = base::ascii_lower(*r.md5);
    return r;
}

}  // namespace pixi_install::lockfile::detail

