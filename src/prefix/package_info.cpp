#include "pixi_install/prefix/package_info.hpp"
#include "pixi_install/prefix/wheel_files.hpp"
#include "pixi_install/base/strings.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "json_util.hpp"
#include <set>

#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"

namespace pixi_install::prefix {

using base::ErrorKind;
using base::fail;
using base::Result;
using json = nlohmann::json;
namespace fs = std::filesystem;

std::string_view installer_owned_path(std::string_view path) {
    const std::string_view first = path.substr(0, path.find('/'));
    if (first == kRollbackDirName) return "where the installer keeps the previous environment during an update";
    return {};
}

const char* path_type_name(PathType t) noexcept {
    switch (t) {
        case PathType::hardlink: return "hardlink";
        case PathType::softlink: return "softlink";
        case PathType::directory: return "directory";
        case PathType::unix_python_entry_point: return "unix_python_entry_point";
        case PathType::pyc_file: return "pyc_file";
    }
    return "hardlink";
}

std::optional<PathType> parse_path_type(std::string_view s) noexcept {
    if (s == "hardlink") return PathType::hardlink;
    if (s == "softlink") return PathType::softlink;
    if (s == "directory") return PathType::directory;
    if (s == "unix_python_entry_point") return PathType::unix_python_entry_point;
    if (s == "pyc_file") return PathType::pyc_file;
    return std::nullopt;
}

namespace {

using base::trim;

std::string str_or(const json& j, const char* key, std::string def = {}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return def;
    return it->get<std::string>();
}

std::vector<std::string> str_list(const json& j, const char* key) { return detail::string_list(j, key); }

Result<json> parse_json(std::string_view text, const char* what) {
    try {
        return json::parse(text.begin(), text.end());
    } catch (const std::exception& e) {
        return fail(ErrorKind::integrity, std::string("cannot parse ") + what + ": " + e.what());
    }
}

Result<std::string> checked_path(std::string_view p, const char* what) {
    auto r = base::safe_relative(p);
    if (!r.ok()) return fail(ErrorKind::integrity, std::string("unsafe path '") + std::string(p) + "' in " + what);
    if (auto why = installer_owned_path(r->generic_string()); !why.empty())
        return fail(ErrorKind::integrity, "path '" + base::printable(p) + "' in " + what + " is " + std::string(why) +
                                              " (refused)");
    return std::string(p);
}

bool is_identifier(std::string_view s) {
    if (s.empty()) return false;
    auto ok_first = [](unsigned char c) { return c == '_' || std::isalpha(c) || c >= 0x80; };
    if (!ok_first(static_cast<unsigned char>(s[0]))) return false;
    return std::all_of(s.begin() + 1, s.end(), [&](char c) {
        auto u = static_cast<unsigned char>(c);
        return ok_first(u) || std::isdigit(u);
    });
}

bool is_dotted_identifier(std::string_view s) {
    if (s.empty()) return false;
    std::size_t start = 0;
    for (;;) {
        std::size_t dot = s.find('.', start);
        if (!is_identifier(s.substr(start, dot == std::string_view::npos ? dot : dot - start))) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t nl = text.find('\n', start);
        std::string_view line = text.substr(start, nl == std::string_view::npos ? text.size() - start : nl - start);
        line = trim(line);
        if (!line.empty() && line.front() != '#') out.emplace_back(line);
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    return out;
}

// Splits a has_prefix line into tokens; a token may be double-quoted with backslash escapes.
Result<std::vector<std::string>> tokens_of(std::string_view line) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') ++i;
        if (i >= line.size()) break;
        std::string tok;
        if (line[i] == '"') {
            ++i;
            bool closed = false;
            while (i < line.size()) {
                char c = line[i++];
                if (c == '\\' && i < line.size()) {
                    tok.push_back(line[i++]);
                } else if (c == '"') {
                    closed = true;
                    break;
                } else {
                    tok.push_back(c);
                }
            }
            if (!closed) return fail(ErrorKind::integrity, "unterminated quote in info/has_prefix line '" + std::string(line) + "'");
        } else {
            while (i < line.size() && line[i] != ' ') tok.push_back(line[i++]);
        }
        out.push_back(std::move(tok));
    }
    return out;
}

std::int64_t mtime_of(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return 0;
    return static_cast<std::int64_t>(st.st_mtime);
}

}  // namespace

Result<IndexJson> parse_index_json(std::string_view text) {
    PI_TRY(json j, parse_json(text, "info/index.json"));
    if (!j.is_object()) return fail(ErrorKind::integrity, "info/index.json is not a json object");
    IndexJson ix;
    ix.name = str_or(j, "name");
    ix.version = str_or(j, "version");
    ix.build = str_or(j, "build");
    if (ix.name.empty() || ix.version.empty())
        return fail(ErrorKind::integrity, "info/index.json has no name or version");
    // They name files (conda-meta/<name>-<version>-<build>.json, cache directories).
    for (const auto& [field, value] : {std::pair<const char*, const std::string*>{"name", &ix.name},
                                       {"version", &ix.version}, {"build", &ix.build}}) {
        if (field == std::string_view("build") && value->empty()) continue;
        if (auto problem = base::segment_problem(*value); !problem.empty())
            return fail(ErrorKind::integrity, "info/index.json has an unsafe " + std::string(field) + " '" +
                                                  base::printable(*value) + "' (" + std::string(problem) + ")");
    }
    if (auto it = j.find("build_number"); it != j.end() && it->is_number_integer())
        ix.build_number = it->get<std::uint64_t>();
    ix.depends = str_list(j, "depends");
    ix.constrains = str_list(j, "constrains");
    ix.subdir = str_or(j, "subdir");
    ix.arch = str_or(j, "arch");
    ix.platform = str_or(j, "platform");
    ix.license = str_or(j, "license");
    ix.license_family = str_or(j, "license_family");
    ix.features = str_or(j, "features");
    ix.track_features = str_list(j, "track_features");
    if (auto it = j.find("timestamp"); it != j.end() && it->is_number()) {
        auto ts = it->get<std::int64_t>();
        if (ts > 0 && ts < 253402300799LL) ts *= 1000;  // seconds in old packages
        ix.timestamp = ts;
    }
    if (auto it = j.find("python_site_packages_path"); it != j.end() && it->is_string()) {
        std::string sp = it->get<std::string>();
        if (auto problem = base::relative_name_problem(sp); !sp.empty() && !problem.empty())
            return fail(ErrorKind::integrity, "info/index.json has an unsafe python_site_packages_path '" +
                                                  base::printable(sp) + "' (" + std::string(problem) +
                                                  "): it must be a relative path inside the environment");
        ix.python_site_packages_path = std::move(sp);
    }
    if (auto it = j.find("noarch"); it != j.end()) {
        if (it->is_string()) {
            std::string n = it->get<std::string>();
            if (n == "python") ix.noarch = NoArch::python;
            else if (n == "generic") ix.noarch = NoArch::generic;
        } else if (it->is_boolean() && it->get<bool>()) {
            ix.noarch = NoArch::generic;
            ix.noarch_legacy_true = true;
        }
    }
    return ix;
}

Result<std::vector<PathEntry>> parse_paths_json(std::string_view text) {
    PI_TRY(json j, parse_json(text, "info/paths.json"));
    auto it = j.find("paths");
    if (!j.is_object() || it == j.end() || !it->is_array())
        return fail(ErrorKind::integrity, "info/paths.json has no 'paths' list");
    std::vector<PathEntry> out;
    out.reserve(it->size());
    for (const auto& e : *it) {
        PathEntry p;
        auto pit = e.find("_path");
        if (pit == e.end() || !pit->is_string()) return fail(ErrorKind::integrity, "info/paths.json entry without '_path'");
        PI_TRY(p.path, checked_path(pit->get_ref<const std::string&>(), "info/paths.json"));
        std::string type = str_or(e, "path_type", "hardlink");
        auto t = parse_path_type(type);
        if (!t || *t == PathType::unix_python_entry_point || *t == PathType::pyc_file)
            return fail(ErrorKind::integrity, "unknown path_type '" + type + "' for '" + p.path + "' in info/paths.json");
        p.type = *t;
        if (auto nl = e.find("no_link"); nl != e.end() && nl->is_boolean()) p.no_link = nl->get<bool>();
        p.prefix_placeholder = str_or(e, "prefix_placeholder");
        if (str_or(e, "file_mode", "text") == "binary") p.file_mode = FileMode::binary;
        p.sha256 = base::normalize_hex(str_or(e, "sha256"));
        if (auto sz = e.find("size_in_bytes"); sz != e.end() && sz->is_number_unsigned()) p.size = sz->get<std::uint64_t>();
        out.push_back(std::move(p));
    }
    return out;
}

Result<NoarchEntryPoint> parse_entry_point(std::string_view spec) {
    auto bad = [&](std::string_view why) {
        return fail(ErrorKind::integrity, "invalid entry point '" + std::string(spec) + "' in info/link.json (" +
                                              std::string(why) + ")");
    };
    auto eq = spec.find('=');
    if (eq == std::string_view::npos) return bad("expected 'command = module:function'");
    NoarchEntryPoint ep;
    ep.command = std::string(trim(spec.substr(0, eq)));
    std::string_view rest = trim(spec.substr(eq + 1));
    auto colon = rest.find(':');
    if (colon == std::string_view::npos) return bad("expected 'module:function'");
    ep.module = std::string(trim(rest.substr(0, colon)));
    ep.function = std::string(trim(rest.substr(colon + 1)));
    const std::string& c = ep.command;
    // The command names a file in bin/: one path segment, printable, not hidden.
    if (auto problem = base::segment_problem(c); !problem.empty())
        return bad("the command must be a plain file name: " + std::string(problem));
    if (c.front() == '.') return bad("the command must be a plain file name, not a hidden one");
    if (is_reserved_script_name(c)) return bad("the command would replace the environment's interpreter");
    if (!is_dotted_identifier(ep.module)) return bad("the module is not a dotted python identifier");
    if (!is_dotted_identifier(ep.function)) return bad("the function is not a dotted python identifier");
    return ep;
}

Result<std::vector<NoarchEntryPoint>> parse_link_json(std::string_view text) {
    PI_TRY(json j, parse_json(text, "info/link.json"));
    std::vector<NoarchEntryPoint> out;
    auto na = j.find("noarch");
    if (!j.is_object() || na == j.end() || !na->is_object()) return out;
    if (str_or(*na, "type") != "python") return out;
    auto eps = na->find("entry_points");
    if (eps == na->end() || !eps->is_array()) return out;
    for (const auto& e : *eps) {
        if (!e.is_string()) return fail(ErrorKind::integrity, "info/link.json: an entry point is not a string");
        PI_TRY(NoarchEntryPoint ep, parse_entry_point(e.get_ref<const std::string&>()));
        out.push_back(std::move(ep));
    }
    return out;
}

Result<std::vector<HasPrefixEntry>> parse_has_prefix(std::string_view text) {
    std::vector<HasPrefixEntry> out;
    for (const auto& line : lines_of(text)) {
        PI_TRY(auto toks, tokens_of(line));
        HasPrefixEntry e;
        if (toks.size() == 1) {
            e.placeholder = "/opt/anaconda1anaconda2anaconda3";
            e.path = toks[0];
        } else if (toks.size() == 3) {
            e.placeholder = toks[0];
            if (toks[1] == "binary") e.mode = FileMode::binary;
            else if (toks[1] == "text") e.mode = FileMode::text;
            else return fail(ErrorKind::integrity, "unknown file mode '" + toks[1] + "' in info/has_prefix");
            e.path = toks[2];
        } else {
            return fail(ErrorKind::integrity, "cannot parse info/has_prefix line '" + line + "'");
        }
        out.push_back(std::move(e));
    }
    return out;
}

namespace {

Result<std::vector<PathEntry>> legacy_paths(const fs::path& dir) {
    fs::path files = dir / "info" / "files";
    std::error_code ec;
    if (!fs::exists(files, ec))
        return fail(ErrorKind::integrity, "package " + dir.filename().string() +
                                              " has neither info/paths.json nor info/files (the package is invalid)");
    PI_TRY(std::string text, base::read_file(files));
    std::map<std::string, HasPrefixEntry> prefixed;
    if (fs::exists(dir / "info" / "has_prefix", ec)) {
        PI_TRY(std::string hp, base::read_file(dir / "info" / "has_prefix"));
        PI_TRY(auto entries, parse_has_prefix(hp));
        for (auto& e : entries) prefixed[e.path] = e;
    }
    std::set<std::string> no_link;
    for (const char* name : {"no_link", "no_softlink"}) {
        if (!fs::exists(dir / "info" / name, ec)) continue;
        PI_TRY(std::string nl, base::read_file(dir / "info" / name));
        for (auto& l : lines_of(nl)) no_link.insert(l);
    }
    std::vector<PathEntry> out;
    for (auto& line : lines_of(text)) {
        PathEntry p;
        PI_TRY(p.path, checked_path(line, "info/files"));
        struct stat st {};
        fs::path full = dir / p.path;
        if (::lstat(full.c_str(), &st) == 0) {
            if (S_ISLNK(st.st_mode)) p.type = PathType::softlink;
            else if (S_ISDIR(st.st_mode)) p.type = PathType::directory;
        }
        if (auto it = prefixed.find(p.path); it != prefixed.end()) {
            p.prefix_placeholder = it->second.placeholder;
            p.file_mode = it->second.mode;
        }
        p.no_link = no_link.count(p.path) > 0;
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace

Result<PackageInfo> read_package_info(const fs::path& package_dir) {
    PackageInfo info;
    const fs::path info_dir = package_dir / "info";
    std::string ctx = "while reading the metadata of " + package_dir.filename().string();
    auto index_text = base::read_file(info_dir / "index.json");
    if (!index_text.ok())
        return fail(ErrorKind::integrity, "package " + package_dir.filename().string() + " has no readable info/index.json")
            .with_context(ctx);
    auto ix = parse_index_json(*index_text);
    if (!ix.ok()) return std::move(ix).error().with_context(ctx);
    info.index = std::move(*ix);

    std::error_code ec;
    fs::path paths_json = info_dir / "paths.json";
    if (fs::exists(paths_json, ec)) {
        auto text = base::read_file(paths_json);
        if (!text.ok()) return std::move(text).error().with_context(ctx);
        auto p = parse_paths_json(*text);
        if (!p.ok()) return std::move(p).error().with_context(ctx);
        info.paths = std::move(*p);
    } else {
        auto p = legacy_paths(package_dir);
        if (!p.ok()) return std::move(p).error().with_context(ctx);
        info.paths = std::move(*p);
        info.legacy_paths = true;
    }

    if (info.index.noarch == NoArch::python) {
        fs::path link_json = info_dir / "link.json";
        if (fs::exists(link_json, ec)) {
            auto text = base::read_file(link_json);
            if (!text.ok()) return std::move(text).error().with_context(ctx);
            auto eps = parse_link_json(*text);
            if (!eps.ok()) return std::move(eps).error().with_context(ctx);
            info.entry_points = std::move(*eps);
        }
    }
    info.reference_mtime = mtime_of(info_dir / "about.json");
    if (info.reference_mtime == 0) info.reference_mtime = mtime_of(info_dir / "index.json");
    return info;
}

}  // namespace pixi_install::prefix
