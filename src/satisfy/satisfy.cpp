// pixi's lock-file satisfiability rules, environment by environment and platform
// by platform (see satisfy.hpp). Messages use pixi's wording.
#include "pixi_install/satisfy/satisfy.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "pixi_install/base/strings.hpp"
#include "pixi_install/spec/match_spec.hpp"
#include "pixi_install/spec/pep440.hpp"
#include "pixi_install/spec/pep508.hpp"
#include "pixi_install/spec/platform.hpp"
#include "pixi_install/spec/python_info.hpp"
#include "pixi_install/spec/version.hpp"
#include "pixi_install/spec/wheel_name.hpp"
#include "pixi_install/spec/wheel_tags.hpp"

namespace pixi_install::satisfy {

namespace {

using lockfile::CondaRecord;
using lockfile::PypiRecord;
using lockfile::SourceRecord;
using manifest::CondaDep;
using manifest::Feature;
using manifest::PypiDep;
using manifest::Workspace;
using manifest::WorkspaceEnvironment;
namespace fs = std::filesystem;

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
    return out;
}

std::string trim_slash(std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

bool is_url(std::string_view s) {
    auto c = s.find("://");
    return c != std::string_view::npos && c > 0 && s.substr(0, c).find('/') == std::string_view::npos;
}

/// A channel as a base URL with a trailing slash (`conda-forge` -> conda.anaconda.org).
std::string channel_url(const std::string& c) {
    std::string u = is_url(c) ? c : "https://conda.anaconda.org/" + c;
    return trim_slash(u) + "/";
}

// ------------------------------------------------------------- environment model

struct EnvModel {
    const WorkspaceEnvironment* decl = nullptr;
    std::vector<const Feature*> features;        ///< this environment's, pixi's order
    std::vector<const Feature*> group_features;  ///< every feature of its solve group
    std::vector<std::string> platforms;          ///< platform names
};

bool selector_matches(const std::string& sel, const manifest::PlatformDecl& p) {
    if (sel == p.name || sel == p.subdir) return true;
    std::string os = p.subdir.substr(0, p.subdir.find('-'));
    if (sel == os) return true;
    if (sel == "unix") return os == "linux" || os == "osx";
    return false;
}

/// The conda and PyPI dependencies of the features on one platform (a target's
/// entry replaces the feature's own of the same name).
void collect_dependencies(const std::vector<const Feature*>& features, const manifest::PlatformDecl* platform,
                          std::vector<CondaDep>& conda, std::vector<PypiDep>& pypi, std::vector<CondaDep>* constraints) {
    for (const Feature* f : features) {
        std::vector<CondaDep> c = f->dependencies.conda;
        std::vector<PypiDep> p = f->dependencies.pypi;
        std::vector<CondaDep> k = f->dependencies.constraints;
        if (platform) {
            for (const auto& [sel, set] : f->targets) {
                if (!selector_matches(sel, *platform)) continue;
                auto replace = [](auto& into, const auto& from) {
                    for (const auto& d : from) {
                        auto it = std::find_if(into.begin(), into.end(), [&](const auto& x) { return x.name == d.name; });
                        if (it != into.end()) *it = d;
                        else into.push_back(d);
                    }
                };
                replace(c, set.conda);
                replace(p, set.pypi);
                replace(k, set.constraints);
            }
        }
        conda.insert(conda.end(), c.begin(), c.end());
        pypi.insert(pypi.end(), p.begin(), p.end());
        if (constraints) constraints->insert(constraints->end(), k.begin(), k.end());
    }
}

bool has_pypi_dependencies(const std::vector<const Feature*>& features) {
    for (const Feature* f : features) {
        if (!f->dependencies.pypi.empty()) return true;
        for (const auto& [sel, set] : f->targets)
            if (!set.pypi.empty()) return true;
    }
    return false;
}

std::vector<std::string> channels_of(const std::vector<const Feature*>& features, const Feature& workspace) {
    std::vector<std::pair<std::string, int>> all;
    bool has_workspace = false;
    for (const Feature* f : features) {
        has_workspace |= f == &workspace;
        if (f->channels)
            for (const auto& c : *f->channels) all.push_back(c);
    }
    // the workspace's channels apply with no-default-feature too
    if (!has_workspace && workspace.channels)
        for (const auto& c : *workspace.channels) all.push_back(c);
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::string> out;
    for (const auto& [c, prio] : all) {
        std::string u = channel_url(c);
        if (std::find(out.begin(), out.end(), u) == out.end()) out.push_back(u);
    }
    return out;
}

manifest::PypiOptions pypi_options_of(const std::vector<const Feature*>& features) {
    manifest::PypiOptions o;
    for (const Feature* f : features)
        if (f->has_pypi_options) o.merge(f->pypi_options);
    return o;
}

template <class Field>
std::optional<std::string> first_of(const std::vector<const Feature*>& features, Field field) {
    for (const Feature* f : features)
        if ((f->*field)) return *(f->*field);
    return std::nullopt;
}

// ------------------------------------------------------------ virtual packages

struct VirtualPackage {
    std::string name;
    spec::Version version;
    std::string build;
};

std::vector<std::pair<std::string, std::string>> default_virtuals(const std::string& subdir) {
    std::string os = subdir.substr(0, subdir.find('-'));
    std::string arch = subdir.find('-') == std::string::npos ? "" : subdir.substr(subdir.find('-') + 1);
    std::vector<std::pair<std::string, std::string>> out;  // name -> "version[=build]"
    if (os == "linux" || os == "osx" || os == "emscripten" || os == "wasi") out.emplace_back("__unix", "0=0");
    if (os == "linux") {
        out.emplace_back("__linux", "4.18");
        out.emplace_back("__glibc", "2.28");
    }
    if (os == "win") out.emplace_back("__win", "10.0");
    if (os == "osx") out.emplace_back("__osx", "13.0");
    std::string archspec = arch == "64" ? "x86_64" : arch == "arm64" ? (os == "osx" ? "m1" : "aarch64") : arch;
    if (!archspec.empty() && os != "emscripten" && os != "wasi") out.emplace_back("__archspec", "0=" + archspec);
    return out;
}

/// The platform's declared virtual packages as `__name=version` (platform entry
/// keys and the workspace's [system-requirements] migrated onto it).
std::vector<std::string> declared_virtuals(const manifest::PlatformDecl& p, const manifest::SystemRequirements& sys) {
    manifest::SystemRequirements r = p.requirements;
    (void)r.merge(sys);
    std::string os = p.subdir.substr(0, p.subdir.find('-'));
    std::vector<std::string> out;
    if (r.cuda && (os == "linux" || os == "win")) out.push_back("__cuda=" + *r.cuda);
    if (os == "linux") {
        if (r.libc) out.push_back("__" + r.libc_family + "=" + *r.libc);
        if (r.linux) out.push_back("__linux=" + *r.linux);
    }
    if (os == "osx" && r.macos) out.push_back("__osx=" + *r.macos);
    if (r.archspec) out.push_back("__archspec=0=" + *r.archspec);
    return out;
}

bool is_default_virtual(const std::string& vp, const std::string& subdir) {
    for (const auto& [n, v] : default_virtuals(subdir)) {
        std::string full = n + "=" + v;
        if (vp == full) return true;
        // `__glibc=2.28` equals the default `__glibc=2.28`; `__unix=0` the default `__unix=0=0`
        auto a = spec::Version::parse(vp.substr(vp.find('=') + 1, vp.find('=', vp.find('=') + 1) - vp.find('=') - 1));
        auto b = spec::Version::parse(v.substr(0, v.find('=')));
        std::string vb = vp.find('=', vp.find('=') + 1) == std::string::npos ? "" : vp.substr(vp.find('=', vp.find('=') + 1) + 1);
        std::string db = v.find('=') == std::string::npos ? "" : v.substr(v.find('=') + 1);
        if (vp.substr(0, vp.find('=')) == n && a && b && a->compare(*b) == 0 && (vb == db || (vb.empty() && db == "0")))
            return true;
    }
    return false;
}

std::vector<VirtualPackage> virtuals_for(const manifest::PlatformDecl& p, const manifest::SystemRequirements& env_sys) {
    std::map<std::string, std::string> byname;
    for (const auto& [n, v] : default_virtuals(p.subdir)) byname[n] = v;
    for (const auto& d : declared_virtuals(p, env_sys)) {
        std::size_t eq = d.find('=');
        byname[d.substr(0, eq)] = d.substr(eq + 1);
    }
    std::vector<VirtualPackage> out;
    for (const auto& [n, v] : byname) {
        std::size_t eq = v.find('=');
        auto ver = spec::Version::parse(v.substr(0, eq));
        if (!ver) continue;
        out.push_back({n, *ver, eq == std::string::npos ? "" : v.substr(eq + 1)});
    }
    return out;
}

// ------------------------------------------------------------- timestamps

/// `2025-11-03` (the end of that day), an RFC 3339 time, or a duration before `now_ms`
/// (`7d`, `2w`, `12h`) -> milliseconds since the epoch.
std::optional<std::int64_t> parse_cutoff(const std::string& s, std::int64_t now_ms) {
    if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0])) && s.find('-') == std::string::npos) {
        std::size_t n = 0;
        while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n]))) ++n;
        std::string unit = s.substr(n);
        static const std::pair<const char*, std::int64_t> units[] = {{"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {"w", 604800}};
        for (const auto& [u, secs] : units)
            if (unit == u) return now_ms - std::stoll(s.substr(0, n)) * secs * 1000;
        return std::nullopt;
    }
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%d", &y, &mo, &d) != 3) return std::nullopt;
    bool date_only = s.size() == 10;
    if (!date_only && std::sscanf(s.c_str() + 10, "%*[Tt ]%d:%d:%d", &h, &mi, &sec) < 2) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d + (date_only ? 1 : 0);
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    std::int64_t t = static_cast<std::int64_t>(timegm(&tm));
    // a numeric offset (`+02:00`) after the seconds
    if (!date_only) {
        std::size_t z = s.find_first_of("+-", 19);
        if (z != std::string::npos && z + 5 < s.size() + 1) {
            int oh = 0, om = 0;
            if (std::sscanf(s.c_str() + z + 1, "%d:%d", &oh, &om) >= 1) t -= (s[z] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
        }
    }
    return t * 1000;
}

std::string format_timestamp(std::int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out = buf;
    if (ms % 1000) {
        char frac[8];
        std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms % 1000));
        out += frac;
    }
    return out + "Z";
}

std::string solve_strategy_name(const std::string& s) {
    if (s == "lowest") return "lowest-version";
    if (s == "lowest-direct") return "lowest-version-direct";
    return s;
}

// ------------------------------------------------------------------ paths

std::string normal(const fs::path& p) {
    std::string s = p.lexically_normal().generic_string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s.empty() ? "." : s;
}

/// An absolute, normalised path (symlinks resolved where it exists).
std::string absolute_of(const fs::path& root, const std::string& p) {
    fs::path a = fs::path(p).is_absolute() ? fs::path(p) : root / p;
    std::error_code ec;
    fs::path c = fs::weakly_canonical(a, ec);
    return normal(ec ? fs::absolute(a, ec) : c);
}

std::string strip_file_url(const std::string& s) {
    if (s.rfind("file://", 0) == 0) return s.substr(7);
    return s;
}

// ------------------------------------------------------------ platform check

struct CondaEntry {
    std::string name;
    const CondaRecord* binary = nullptr;
    const SourceRecord* source = nullptr;
    std::optional<spec::Version> version;
    std::string build;
};

struct PypiEntry {
    const PypiRecord* rec = nullptr;
    std::string normalized;
    spec::pep440::Version version;
};

enum class Origin { manifest, requires_dist };

struct PypiReq {
    spec::pep508::Requirement req;
    std::string origin;
    Origin from = Origin::manifest;
    const PypiDep* dep = nullptr;  ///< the manifest entry, for path/editable/index details
};

struct CondaReq {
    enum class Kind { input, spec, source } kind = Kind::spec;
    const CondaDep* dep = nullptr;  ///< input
    std::string text;               ///< spec: the match spec as written
    std::string name;               ///< source: package name
    std::string location;           ///< source: requested location, relative to the workspace
    std::string location_kind;      ///< source: path | git | url
    std::string origin;
};

/// pixi's "source location" kind of a locked source record's manifest location.
std::string location_kind(const std::string& loc) {
    if (loc.rfind("git+", 0) == 0) return "git";
    if (is_url(loc)) return "url";
    return "path";
}

class PlatformChecker {
public:
    PlatformChecker(const Workspace& ws, const lockfile::Environment* lenv,
                    const EnvModel& env, const manifest::PlatformDecl& platform, const std::string& lock_platform,
                    std::vector<std::string>& reasons)
        : ws_(ws), lenv_(lenv), env_(env), platform_(platform), lock_platform_(lock_platform), reasons_(reasons) {}

    void run();

private:
    void add(std::string r) {
        if (std::find(reasons_.begin(), reasons_.end(), r) == reasons_.end()) reasons_.push_back(std::move(r));
    }
    void add_pypi(std::string r) {
        if (std::find(pypi_reasons_.begin(), pypi_reasons_.end(), r) == pypi_reasons_.end()) pypi_reasons_.push_back(std::move(r));
    }
    bool condition_met(const std::string& cond);
    bool virtual_matches(const spec::MatchSpec& m, bool& found_name);
    std::optional<std::size_t> find_conda(const spec::MatchSpec& m, const std::string& display, const std::string& origin);
    std::optional<std::size_t> find_source(const CondaReq& r);
    void verify_source_record(const CondaEntry& e);
    void check_pypi_record(const PypiReq& r, const PypiEntry& e);
    void visit_pypi(std::size_t idx, const std::vector<std::string>& extras);
    void push_depends(std::size_t idx, const std::vector<std::string>& extras, bool first_visit);

    const Workspace& ws_;
    const lockfile::Environment* lenv_;
    const EnvModel& env_;
    const manifest::PlatformDecl& platform_;
    std::string lock_platform_;
    std::vector<std::string>& reasons_;
    std::vector<std::string> pypi_reasons_;

    std::vector<CondaEntry> conda_;
    std::unordered_map<std::string, std::size_t> conda_by_name_;
    std::vector<PypiEntry> pypi_;
    std::unordered_map<std::string, std::size_t> pypi_by_name_;
    std::unordered_map<std::string, std::pair<std::size_t, std::string>> conda_pypi_;  // pypi name -> conda idx, version
    std::vector<VirtualPackage> virtuals_;
    std::optional<spec::pep508::MarkerEnvironment> marker_env_;
    std::vector<CondaReq> conda_stack_;
    std::vector<PypiReq> pypi_queue_;
    std::unordered_set<std::size_t> conda_visited_, pypi_visited_;
    /// Conda records reached from a conda requirement (a spec or a record's `depends`), and
    /// those that satisfy one of the environment's own PyPI requirements (a PyPI package's
    /// `requires_dist` met by a conda record is fine).
    std::unordered_set<std::size_t> conda_by_conda_;
    std::set<std::size_t> conda_by_pypi_;
    std::map<std::size_t, std::set<std::string>> extras_followed_;
    std::set<std::string> expected_sources_;
    std::unordered_set<std::string> pypi_seen_;
    std::map<std::string, spec::pep440::Specifiers> overrides_;
    std::unordered_map<std::string, spec::MatchSpec> spec_cache_;
    std::vector<std::string> locked_indexes_;
    bool conda_failed_ = false;
};

bool PlatformChecker::virtual_matches(const spec::MatchSpec& m, bool& found_name) {
    for (const auto& v : virtuals_) {
        if (v.name != m.name()) continue;
        found_name = true;
        return m.matches(v.name, v.version, v.build);
    }
    return false;
}

bool PlatformChecker::condition_met(const std::string& cond) {
    // `a and b`, `a or b` (and binds tighter), each side a match spec
    std::string c(base::trim(cond));
    if (auto p = c.find(" or "); p != std::string::npos) return condition_met(c.substr(0, p)) || condition_met(c.substr(p + 4));
    if (auto p = c.find(" and "); p != std::string::npos) return condition_met(c.substr(0, p)) && condition_met(c.substr(p + 5));
    auto m = spec::MatchSpec::parse(c);
    if (!m) return false;
    for (const auto& e : conda_)
        if (e.version && m->matches(e.name, *e.version, e.build)) return true;
    bool named = false;
    return virtual_matches(*m, named);
}

std::optional<std::size_t> PlatformChecker::find_conda(const spec::MatchSpec& m, const std::string& display,
                                                       const std::string& origin) {
    auto unsat = [&] {
        add("the requirement '" + display + "' could not be satisfied (required by '" + origin + "')");
        conda_failed_ = true;
        return std::nullopt;
    };
    if (m.name().find('*') != std::string::npos) {
        for (std::size_t i = 0; i < conda_.size(); ++i)
            if (conda_[i].version && m.matches(conda_[i].name, *conda_[i].version, conda_[i].build)) return i;
        return unsat();
    }
    auto it = conda_by_name_.find(m.name());
    if (it != conda_by_name_.end()) {
        const CondaEntry& e = conda_[it->second];
        // a source record without a version matches any version requirement
        bool ok = e.version ? m.matches(e.name, *e.version, e.build) : true;
        if (ok) return it->second;
        unsat();
        return std::nullopt;
    }
    bool named = false;
    if (virtual_matches(m, named)) return std::nullopt;
    unsat();
    return std::nullopt;
}

std::optional<std::size_t> PlatformChecker::find_source(const CondaReq& r) {
    expected_sources_.insert(r.name);
    auto it = conda_by_name_.find(r.name);
    if (it == conda_by_name_.end()) {
        add("no package named '" + r.name + "' exists (required by '" + r.origin + "')");
        conda_failed_ = true;
        return std::nullopt;
    }
    const CondaEntry& e = conda_[it->second];
    if (!e.source) {
        add("required source package '" + r.name + "' is locked as binary (required by '" + r.origin + "')");
        conda_failed_ = true;
        return std::nullopt;
    }
    const std::string& locked = e.source->manifest_location;
    std::string lkind = location_kind(locked);
    std::string prefix = "the locked source package '" + r.name + "' does not match the requested source package, ";
    if (lkind != r.location_kind) {
        add(prefix + "the locked source type does not match the requested type");
        conda_failed_ = true;
        return std::nullopt;
    }
    if (lkind == "path") {
        std::string a = normal(fs::path(locked)), b = normal(fs::path(r.location));
        if (absolute_of(ws_.root, a) != absolute_of(ws_.root, b)) {
            add(prefix + "the locked path '" + a + "' does not match the requested path '" + b + "'");
            conda_failed_ = true;
            return std::nullopt;
        }
    } else {
        auto repo = [](std::string u) {
            if (u.rfind("git+", 0) == 0) u = u.substr(4);
            u = u.substr(0, u.find_first_of("?#"));
            u = trim_slash(u);
            if (u.size() > 4 && u.substr(u.size() - 4) == ".git") u.resize(u.size() - 4);
            return base::ascii_lower(u);
        };
        if (repo(locked) != repo(r.location)) {
            add(prefix + "the locked " + lkind + " '" + locked + "' does not match the requested " + lkind + " '" + r.location + "'");
            conda_failed_ = true;
            return std::nullopt;
        }
    }
    return it->second;
}

/// What pixi asks the build backend for a mutable (path) source record, done from
/// the package's manifest where its backend derives everything from it ("in-memory").
void PlatformChecker::verify_source_record(const CondaEntry& e) {
    const SourceRecord& s = *e.source;
    if (location_kind(s.manifest_location) != "path") return;  // content-pinned: pixi trusts the lock
    fs::path dir = ws_.root / s.manifest_location;
    base::Result<std::optional<manifest::PackageManifest>> pm = std::optional<manifest::PackageManifest>();
    if (normal(fs::path(s.manifest_location)) == "." && ws_.package) pm = ws_.package;  // the workspace's own [package]
    else pm = manifest::load_package_manifest(dir);
    if (!pm) {
        add("failed to read the manifest of source package '" + s.name + "' at '" + s.manifest_location +
            "': " + pm.error().message);
        return;
    }
    if (!*pm) {
        add("locked source package '" + s.name + "' not found in current metadata for '" + s.manifest_location +
            "'. Was the package renamed?");
        return;
    }
    const manifest::PackageManifest& m = **pm;
    if (m.backend != "in-memory") {
        add("source package '" + s.name + "' at '" + s.manifest_location + "' is built by '" +
            (m.backend.empty() ? std::string("an unnamed backend") : m.backend) +
            "': pixi re-derives its metadata by running that build backend, which cannot be done offline, so the "
            "lock cannot be verified here (`pixi lock` or `pixi install --locked` can)");
        return;
    }
    if (!m.name.empty() && m.name != s.name) {
        add("locked source package '" + s.name + "' not found in current metadata for '" + s.manifest_location +
            "'. Was the package renamed?");
        return;
    }
    if (m.version && s.version && *m.version != *s.version) {
        add("the metadata of source package '" + s.name + "' changed: version changed from " + *s.version + " to " + *m.version);
    }
    auto spec_text = [](const CondaDep& d) {
        if (d.kind != CondaDep::Kind::binary || d.version.empty()) return d.name;
        std::string v = d.version;
        if (!v.empty() && std::isdigit(static_cast<unsigned char>(v[0]))) v = "==" + v;
        return d.name + " " + v;
    };
    auto diff = [&](const std::vector<std::string>& want, const std::vector<std::string>& have, const std::string& what) {
        std::vector<std::string> added, removed;
        std::set<std::string> hw(have.begin(), have.end()), ww(want.begin(), want.end());
        for (const auto& w : want)
            if (!hw.count(w)) added.push_back(w);
        for (const auto& h : have)
            if (!ww.count(h)) removed.push_back(h);
        if (added.empty() && removed.empty()) return;
        std::string msg = what;
        if (!added.empty()) msg += "; added: " + join(added, ", ");
        if (!removed.empty()) msg += "; removed: " + join(removed, ", ");
        add(msg);
    };
    std::vector<std::string> run;
    for (const auto& d : m.run_dependencies) run.push_back(spec_text(d));
    std::vector<std::string> locked_run;
    for (const auto& d : s.depends) locked_run.emplace_back(base::trim(d));
    diff(run, locked_run,
         "the resolved run-dependencies of source package '" + s.name +
             "' no longer match what the backend would re-derive from the manifest");
    std::set<std::string> groups;
    for (const auto& [g, l] : m.extra_dependencies) groups.insert(g);
    for (const auto& [g, l] : s.extra_depends) groups.insert(g);
    for (const auto& g : groups) {
        std::vector<std::string> want, have;
        if (auto it = m.extra_dependencies.find(g); it != m.extra_dependencies.end())
            for (const auto& d : it->second) want.push_back(spec_text(d));
        if (auto it = s.extra_depends.find(g); it != s.extra_depends.end())
            for (const auto& d : it->second) have.emplace_back(base::trim(d));
        diff(want, have,
             "the resolved extra group '" + g + "' of source package '" + s.name +
                 "' no longer matches what the backend would re-derive from the manifest");
    }
    auto describe = [](const std::map<std::string, std::string>& src) {
        if (src.empty()) return std::string("the package directory");
        std::string out;
        for (const auto& [k, v] : src) out += (out.empty() ? "" : ", ") + k + " '" + v + "'";
        return out;
    };
    auto norm_src = [](std::map<std::string, std::string> src) {
        if (auto it = src.find("path"); it != src.end()) it->second = normal(fs::path(it->second));
        return src;
    };
    if (norm_src(m.build_source) != norm_src(s.package_build_source))
        add("the build source of '" + s.name + "' is locked as " + describe(s.package_build_source) +
            ", but its manifest now resolves to " + describe(m.build_source));
}

void PlatformChecker::push_depends(std::size_t idx, const std::vector<std::string>& extras, bool first_visit) {
    const CondaEntry& e = conda_[idx];
    std::vector<const std::string*> walk;
    static const std::vector<std::string> none;
    const auto& depends = e.binary ? e.binary->depends : e.source->depends;
    const auto& extra_depends = e.binary ? e.binary->extra_depends : e.source->extra_depends;
    if (first_visit)
        for (const auto& d : depends) walk.push_back(&d);
    auto& followed = extras_followed_[idx];
    for (const auto& x : extras) {
        if (!followed.insert(x).second) continue;
        if (auto it = extra_depends.find(x); it != extra_depends.end())
            for (const auto& d : it->second) walk.push_back(&d);
    }
    std::string origin = e.binary ? e.binary->file_name : e.name + " @ " + e.source->manifest_location;
    for (const std::string* d : walk) {
        CondaReq r;
        r.text = std::string(base::trim(*d));
        r.origin = origin;
        if (e.source) {
            std::size_t n = 0;
            while (n < r.text.size() && !std::isspace(static_cast<unsigned char>(r.text[n])) &&
                   std::string("=<>!~[").find(r.text[n]) == std::string::npos)
                ++n;
            std::string name = base::ascii_lower(r.text.substr(0, n));
            if (auto it = e.source->sources.find(name); it != e.source->sources.end()) {
                r.kind = CondaReq::Kind::source;
                r.name = name;
                const auto& keys = it->second;
                if (auto p = keys.find("path"); p != keys.end()) {
                    r.location_kind = "path";
                    r.location = normal(fs::path(e.source->manifest_location) / p->second);
                } else if (auto g = keys.find("git"); g != keys.end()) {
                    r.location_kind = "git";
                    r.location = g->second;
                } else if (auto u = keys.find("url"); u != keys.end()) {
                    r.location_kind = "url";
                    r.location = u->second;
                }
            }
        }
        conda_stack_.push_back(std::move(r));
    }
}

void PlatformChecker::check_pypi_record(const PypiReq& r, const PypiEntry& e) {
    const PypiRecord& rec = *e.rec;
    const std::string& name = r.req.name;
    bool locked_is_path = rec.url.empty();
    bool editable = r.dep && r.dep->kind == PypiDep::Kind::path && r.dep->editable.value_or(false);
    if (editable) {
        if (!locked_is_path) {
            add_pypi("the editable package '" + name + "' was expected to be a directory but is a url, which cannot be editable: '" +
                     rec.location + "'");
            return;
        }
        std::string locked = absolute_of(ws_.root, rec.location);
        std::string wanted = absolute_of(ws_.root, r.dep->location);
        if (locked != wanted)
            add_pypi("the editable package path '" + name + "', lock does not equal spec path '" + locked + "' == '" + wanted + "'");
        return;
    }
    if (r.req.url || (r.dep && r.dep->kind != PypiDep::Kind::registry)) {
        std::string url = r.req.url.value_or("");
        bool spec_git = url.rfind("git+", 0) == 0;
        bool spec_path = (r.dep && r.dep->kind == PypiDep::Kind::path) || url.rfind("file://", 0) == 0;
        if (spec_path) {
            if (!locked_is_path && rec.location.rfind("file://", 0) != 0) {
                add_pypi("'" + name + "' expected a path but the lock file has a url");
                return;
            }
            std::string wanted = absolute_of(ws_.root, r.dep ? r.dep->location : strip_file_url(url));
            std::string locked = absolute_of(ws_.root, strip_file_url(rec.location));
            if (wanted != locked)
                add_pypi("'" + name + "' absolute required path is " + wanted + " but currently locked at " + locked);
            return;
        }
        if (spec_git) {
            if (rec.location.rfind("git+", 0) != 0) {
                add_pypi("'" + name + "' expected a git url but the lock file has: '" + rec.location + "'");
                return;
            }
            auto split = [](const std::string& u, std::string& repo, std::string& ref, std::string& subdir, bool& has_ref) {
                std::string s = u.substr(4);
                std::string frag, query;
                if (auto h = s.find('#'); h != std::string::npos) {
                    frag = s.substr(h + 1);
                    s = s.substr(0, h);
                }
                if (auto q = s.find('?'); q != std::string::npos) {
                    query = s.substr(q + 1);
                    s = s.substr(0, q);
                }
                has_ref = false;
                for (const std::string& part : {query, frag}) {
                    std::size_t st = 0;
                    while (st <= part.size() && !part.empty()) {
                        std::size_t amp = part.find('&', st);
                        std::string kv = part.substr(st, amp == std::string::npos ? std::string::npos : amp - st);
                        if (kv.rfind("subdirectory=", 0) == 0) subdir = kv.substr(13);
                        else if (kv.rfind("tag=", 0) == 0 || kv.rfind("branch=", 0) == 0 || kv.rfind("rev=", 0) == 0) {
                            ref = kv.substr(kv.find('=') + 1);
                            has_ref = true;
                        }
                        if (amp == std::string::npos) break;
                        st = amp + 1;
                    }
                }
                std::size_t scheme = s.find("://");
                std::size_t at = s.rfind('@');
                if (at != std::string::npos && scheme != std::string::npos && at > s.find('/', scheme + 3)) {
                    ref = s.substr(at + 1);
                    has_ref = true;
                    s = s.substr(0, at);
                }
                s = trim_slash(s);
                if (s.size() > 4 && s.substr(s.size() - 4) == ".git") s.resize(s.size() - 4);
                repo = base::ascii_lower(s);
            };
            std::string srepo, sref, ssub, lrepo, lref, lsub;
            bool shas = false, lhas = false;
            split(url, srepo, sref, ssub, shas);
            split(rec.location, lrepo, lref, lsub, lhas);
            if (srepo != lrepo) {
                add_pypi("'" + name + "' has mismatching git url: '" + url + " != " + rec.location + "'");
                return;
            }
            if (!shas) {
                if (lhas) add_pypi("'" + name + "' has mismatching git ref: 'default branch != " + lref + "'");
                return;
            }
            if (ssub != lsub) {
                add_pypi("'" + name + "' has mismatching git subdirectory: '" + ssub + " != " + lsub + "'");
                return;
            }
            if (lhas && sref != lref) add_pypi("'" + name + "' has mismatching git ref: '" + sref + " != " + lref + "'");
            return;
        }
        // a direct URL
        if (locked_is_path || rec.location.rfind("git+", 0) == 0) {
            add_pypi("the spec for '" + name + "' required a direct url but it was not locked as such");
            return;
        }
        auto no_cred = [](std::string u) {
            if (u.rfind("direct+", 0) == 0) u = u.substr(7);
            std::size_t s = u.find("://");
            std::size_t at = u.find('@', s == std::string::npos ? 0 : s + 3);
            std::size_t slash = u.find('/', s == std::string::npos ? 0 : s + 3);
            if (s != std::string::npos && at != std::string::npos && at < slash) u = u.substr(0, s + 3) + u.substr(at + 1);
            return u;
        };
        if (no_cred(url) != no_cred(rec.location))
            add_pypi("'" + name + "' has mismatching url: '" + url + " != " + rec.location + "'");
        return;
    }
    // a registry requirement
    if (r.from == Origin::requires_dist && locked_is_path) return;
    const spec::pep440::Specifiers* specs = &r.req.specifiers;
    if (auto o = overrides_.find(r.req.normalized_name); o != overrides_.end()) specs = &o->second;
    if (!specs->contains(e.version)) {
        add_pypi("'" + name + "' with specifiers '" + specs->str() + "' does not match the locked version '" + e.version.str() + "'");
        return;
    }
    std::string wanted_index = r.dep ? r.dep->index : "";
    if (!wanted_index.empty() && rec.index) {
        if (*rec.index != wanted_index)
            add_pypi("'" + name + "' requires index " + wanted_index + " but the lock file has " + *rec.index);
    } else if (wanted_index.empty() && rec.index && r.from == Origin::manifest) {
        std::vector<std::string> ok = locked_indexes_;
        if (ok.empty()) ok.push_back("https://pypi.org/simple");
        bool found = false;
        for (const auto& i : ok) found |= trim_slash(i) == trim_slash(*rec.index);
        if (!found) add_pypi("'" + name + "' requires index " + join(ok, ", ") + " but the lock file has " + *rec.index);
    }
}

void PlatformChecker::visit_pypi(std::size_t idx, const std::vector<std::string>& extras) {
    const PypiEntry& e = pypi_[idx];
    const PypiRecord& rec = *e.rec;
    if (!marker_env_) {
        add_pypi("there are PyPi dependencies but a python interpreter is missing from the lock file");
        return;
    }
    if (pypi_visited_.insert(idx).second) {
        if (rec.url.empty()) {
            std::error_code ec;
            fs::path dir = fs::path(rec.location).is_absolute() ? fs::path(rec.location) : ws_.root / rec.location;
            if (fs::is_directory(dir, ec)) {
                auto md = manifest::load_pyproject_metadata(dir);
                if (md && md->found) {
                    if (rec.version && md->version) {
                        auto a = spec::pep440::Version::parse(*rec.version);
                        auto b = spec::pep440::Version::parse(*md->version);
                        if (a && b && a->compare(*b) != 0)
                            add_pypi("metadata for local package '" + rec.name + "' has changed: version changed from " +
                                     a->str() + " to " + b->str());
                    }
                    if (md->requires_dist) {
                        auto key = [](const std::string& s) {
                            auto r = spec::pep508::Requirement::parse(s);
                            return r ? r->normalized_name + "|" + r->str().substr(r->name.size()) : s;
                        };
                        std::map<std::string, std::string> want, have;
                        for (const auto& s : *md->requires_dist) want[key(s)] = s;
                        for (const auto& s : rec.requires_dist) have[key(s)] = s;
                        std::vector<std::string> added, removed;
                        for (const auto& [k, v] : want)
                            if (!have.count(k)) added.push_back(v.substr(0, v.find_first_of(" [<>=!~;@(")));
                        for (const auto& [k, v] : have)
                            if (!want.count(k)) removed.push_back(v.substr(0, v.find_first_of(" [<>=!~;@(")));
                        auto fmt = [](const std::vector<std::string>& v) {
                            std::vector<std::string> f(v.begin(), v.begin() + static_cast<long>(std::min<std::size_t>(3, v.size())));
                            std::string s = join(f, ", ");
                            if (v.size() > 3) s += ", ... and " + std::to_string(v.size() - 3) + " more";
                            return s;
                        };
                        if (!added.empty() || !removed.empty())
                            add_pypi("metadata for local package '" + rec.name + "' has changed: dependencies changed - added: [" +
                                     fmt(added) + "], removed: [" + fmt(removed) + "]");
                    }
                    auto rp_norm = [](const std::optional<std::string>& s) -> std::string {
                        if (!s) return "";
                        auto p = spec::pep440::Specifiers::parse(*s);
                        return p ? p->str() : *s;
                    };
                    if (rp_norm(md->requires_python) != rp_norm(rec.requires_python)) {
                        auto show = [&](const std::optional<std::string>& s) {
                            return s ? "'" + rp_norm(s) + "'" : std::string("unrestricted");
                        };
                        add_pypi("metadata for local package '" + rec.name + "' has changed: requires-python changed from " +
                                 show(rec.requires_python) + " to " + show(md->requires_python));
                    }
                }
            }
        }
        if (rec.requires_python) {
            auto specs = spec::pep440::Specifiers::parse(*rec.requires_python);
            auto py = spec::pep440::Version::parse(marker_env_->python_full_version);
            if (specs && py) {
                // only the lower bounds count (uv's RequiresPython containment)
                bool ok = true;
                using Op = spec::pep440::Specifier::Op;
                for (const auto& s : specs->items()) {
                    Op op = s.op();
                    if (op == Op::ge || op == Op::eq || op == Op::eq_prefix || op == Op::compatible)
                        ok = ok && py->compare(s.version().public_version()) >= 0;
                    else if (op == Op::gt)
                        ok = ok && py->compare(s.version()) > 0;
                }
                if (!ok)
                    add_pypi("'" + rec.name + "' requires python version " + specs->str() +
                             " but the python interpreter in the lock file has version " + py->str());
            }
        }
    }
    for (const auto& d : rec.requires_dist) {
        auto req = spec::pep508::Requirement::parse(d);
        if (!req) {
            add_pypi("the requirement '" + d + "' of '" + rec.name + "' failed to parse: " + req.error().message);
            continue;
        }
        if (!req->applies(*marker_env_, extras)) continue;
        std::string key = req->str();
        if (!pypi_seen_.insert(key).second) continue;
        pypi_queue_.push_back(PypiReq{std::move(*req), rec.name, Origin::requires_dist, nullptr});
    }
}

void PlatformChecker::run() {
    // the locked records of this platform
    const std::vector<lockfile::Package>* pkgs = nullptr;
    if (lenv_) {
        auto it = lenv_->packages.find(lock_platform_);
        if (it != lenv_->packages.end()) pkgs = &it->second;
        locked_indexes_ = lenv_->indexes;
        for (const auto& f : lenv_->find_links)
            if (is_url(f)) locked_indexes_.push_back(f);
    }
    static const std::vector<lockfile::Package> empty;
    if (!pkgs) pkgs = &empty;
    for (const auto& p : *pkgs) {
        if (p.kind == lockfile::PackageKind::pypi) {
            PypiEntry e;
            e.rec = p.pypi.get();
            e.normalized = spec::pep440::normalize_name(e.rec->name);
            // the locked version; a source tree without one gets its static version, else pixi's minimum
            e.version = spec::pep440::Version::min();
            if (e.rec->version) {
                if (auto v = spec::pep440::Version::parse(*e.rec->version)) e.version = *v;
            } else if (e.rec->url.empty()) {
                std::error_code ec;
                fs::path dir = fs::path(e.rec->location).is_absolute() ? fs::path(e.rec->location) : ws_.root / e.rec->location;
                if (fs::is_directory(dir, ec))
                    if (auto md = manifest::load_pyproject_metadata(dir); md && md->version)
                        if (auto v = spec::pep440::Version::parse(*md->version)) e.version = *v;
            }
            if (pypi_by_name_.count(e.normalized)) add("there was a duplicate entry for '" + e.rec->name + "'");
            pypi_by_name_[e.normalized] = pypi_.size();
            pypi_.push_back(std::move(e));
            continue;
        }
        CondaEntry e;
        if (p.kind == lockfile::PackageKind::conda) {
            e.binary = p.conda.get();
            e.name = base::ascii_lower(e.binary->name);
            if (auto v = spec::Version::parse(e.binary->version)) e.version = *v;
            e.build = e.binary->build;
        } else {
            e.source = p.source.get();
            e.name = base::ascii_lower(e.source->name);
            if (e.source->version)
                if (auto v = spec::Version::parse(*e.source->version)) e.version = *v;
            e.build = e.source->build.value_or("");
        }
        if (conda_by_name_.count(e.name)) add("there was a duplicate entry for '" + e.name + "'");
        conda_by_name_[e.name] = conda_.size();
        conda_.push_back(std::move(e));
    }

    // the environment's requirements on this platform
    manifest::SystemRequirements sys;
    for (const Feature* f : env_.features) (void)sys.merge(f->system_requirements);
    virtuals_ = virtuals_for(platform_, sys);
    std::vector<CondaDep> conda_deps;
    std::vector<PypiDep> pypi_deps;
    std::vector<CondaDep> constraints;
    collect_dependencies(env_.features, &platform_, conda_deps, pypi_deps, &constraints);

    for (std::size_t i = 0; i < conda_.size(); ++i) {
        if (conda_[i].name == "python" && conda_[i].binary)
            marker_env_ = spec::pep508::MarkerEnvironment::for_platform(platform_.subdir, conda_[i].binary->version);
        if (conda_[i].binary && conda_[i].binary->purls)
            for (const auto& purl : *conda_[i].binary->purls) {
                if (purl.rfind("pkg:pypi/", 0) != 0) continue;
                std::string rest = purl.substr(9);
                rest = rest.substr(0, rest.find_first_of("?#"));  // qualifiers (`?source=hash-mapping`)
                std::size_t at = rest.find('@');
                std::string n = spec::pep440::normalize_name(rest.substr(0, at));
                std::string v = at == std::string::npos ? conda_[i].binary->version : rest.substr(at + 1);
                conda_pypi_.emplace(n, std::make_pair(i, v));
            }
    }

    if (!pypi_deps.empty() && pypi_.empty()) {
        bool any_purls = false;
        for (const auto& e : conda_)
            if (e.binary && e.binary->purls) any_purls = true;
        if (!any_purls) add("missing purls");
    }

    // pypi requirements that apply here
    for (const Feature* f : env_.features)
        if (f->has_pypi_options)
            for (const auto& [n, s] : f->pypi_options.dependency_overrides)
                if (auto sp = spec::pep440::Specifiers::parse(s)) overrides_.emplace(spec::pep440::normalize_name(n), *sp);
    std::vector<PypiReq> pypi_reqs;
    for (const auto& d : pypi_deps) {
        auto req = spec::pep508::Requirement::parse(d.pep508());
        if (!req) {
            add("when converting " + d.name + " into a pep508 requirement: " + req.error().message);
            continue;
        }
        if (!marker_env_) {  // reported below: markers cannot be evaluated without a python
            pypi_reqs.push_back(PypiReq{std::move(*req), "<environment>", Origin::manifest, &d});
            continue;
        }
        if (!req->applies(*marker_env_, req->extras)) continue;
        pypi_reqs.push_back(PypiReq{std::move(*req), "<environment>", Origin::manifest, &d});
    }
    if (!pypi_reqs.empty() && !marker_env_) {
        bool has_python = conda_by_name_.count("python") > 0;
        add(has_python ? "a marker environment could not be derived from the python interpreter in the lock file"
                       : "there are PyPi dependencies but a python interpreter is missing from the lock file");
        return;
    }
    if (pypi_reqs.empty() && !pypi_.empty()) {
        std::vector<std::string> names;
        for (const auto& e : pypi_) names.push_back(e.rec->name);
        add("there are more pypi packages in the lock file than are used by the environment: " + join(names, ", "));
    }

    // constraints apply to what is locked
    for (const auto& c : constraints) {
        if (c.kind != CondaDep::Kind::binary) {
            add("source specifications are not supported in the `[constraints]` table, but a source constraint was found for '" + c.name + "'");
            continue;
        }
        auto it = conda_by_name_.find(base::ascii_lower(c.name));
        if (it == conda_by_name_.end() || !conda_[it->second].binary || !conda_[it->second].version) continue;
        auto m = spec::MatchSpec::parse(c.name + " " + (c.version.empty() ? "*" : c.version) + (c.build.empty() ? "" : " " + c.build));
        if (m && !m->matches(conda_[it->second].name, *conda_[it->second].version, conda_[it->second].build))
            add("the locked package '" + c.name + "' with version '" + conda_[it->second].binary->version +
                "' does not satisfy the constraint '" + (c.version.empty() ? "*" : c.version) + "'");
    }

    // mutable source records are re-derived first (pixi asks the build backend)
    for (const auto& e : conda_)
        if (e.source) verify_source_record(e);

    if (conda_deps.empty() && !conda_.empty()) {
        add("there are more conda packages in the lock file than are used by the environment");
        conda_failed_ = true;
    }

    for (auto it = conda_deps.begin(); it != conda_deps.end(); ++it) {
        CondaReq r;
        r.kind = it->kind == CondaDep::Kind::binary ? CondaReq::Kind::input : CondaReq::Kind::source;
        r.dep = &*it;
        r.origin = "<environment>";
        if (r.kind == CondaReq::Kind::source) {
            r.name = base::ascii_lower(it->name);
            r.location_kind = it->kind == CondaDep::Kind::path ? "path" : it->kind == CondaDep::Kind::git ? "git" : "url";
            r.location = it->kind == CondaDep::Kind::path ? normal(fs::path(it->location)) : it->location;
        }
        conda_stack_.push_back(std::move(r));
    }
    std::vector<PypiReq> queue = std::move(pypi_reqs);
    for (const auto& r : queue) pypi_seen_.insert(r.req.str());
    pypi_queue_ = std::move(queue);

    while (!conda_stack_.empty() || !pypi_queue_.empty()) {
        if (!conda_stack_.empty()) {
            CondaReq r = std::move(conda_stack_.back());
            conda_stack_.pop_back();
            std::optional<std::size_t> found;
            std::vector<std::string> extras;
            if (r.kind == CondaReq::Kind::input) {
                const CondaDep& d = *r.dep;
                if (!d.when.empty() && !condition_met(d.when)) continue;
                std::string display = d.display();
                std::string text = d.name + " " + (d.version.empty() ? "*" : d.version) + (d.build.empty() ? "" : " " + d.build);
                auto m = spec::MatchSpec::parse(text);
                if (!m) {
                    add("the requirement '" + d.name + "' failed to parse: " + m.error().message);
                    continue;
                }
                found = find_conda(*m, display, r.origin);
                extras = d.extras;
            } else if (r.kind == CondaReq::Kind::source) {
                found = find_source(r);
                if (r.dep) extras = r.dep->extras;
            } else {
                // `depends` entries; conditional ones (`x *[when="..."]`) only when their condition holds
                std::string text = r.text;
                std::string when;
                if (auto w = text.find("when="); w != std::string::npos) {
                    std::size_t q1 = text.find('"', w);
                    std::size_t q2 = q1 == std::string::npos ? q1 : text.find('"', q1 + 1);
                    if (q2 != std::string::npos) when = text.substr(q1 + 1, q2 - q1 - 1);
                    std::size_t lb = text.rfind('[', w);
                    if (lb != std::string::npos) text = std::string(base::trim(text.substr(0, lb)));
                    if (!when.empty() && !condition_met(when)) continue;
                }
                auto cached = spec_cache_.find(text);
                if (cached == spec_cache_.end()) {
                    auto m = spec::MatchSpec::parse(text);
                    if (!m) {
                        add("the requirement '" + r.text + "' failed to parse");
                        continue;
                    }
                    cached = spec_cache_.emplace(text, std::move(m).value()).first;
                }
                found = find_conda(cached->second, r.text, r.origin);
            }
            if (!found) continue;
            conda_by_conda_.insert(*found);
            bool first = conda_visited_.insert(*found).second;
            push_depends(*found, extras, first);
            continue;
        }
        PypiReq r = std::move(pypi_queue_.back());
        pypi_queue_.pop_back();
        const std::string& n = r.req.normalized_name;
        if (auto c = conda_pypi_.find(n); c != conda_pypi_.end()) {
            bool editable = r.dep && r.dep->kind == PypiDep::Kind::path && r.dep->editable.value_or(false);
            if (editable) add_pypi("editable pypi dependency on conda resolved package '" + r.req.name + "' is not supported");
            else if (r.req.url && r.req.url->rfind("git+", 0) == 0)
                add_pypi("git dependency on a conda installed package '" + r.req.name + "' is not supported");
            else if (r.req.url) add_pypi("direct pypi url dependency to a conda installed package '" + r.req.name + "' is not supported");
            const spec::pep440::Specifiers* specs = &r.req.specifiers;
            if (auto o = overrides_.find(n); o != overrides_.end()) specs = &o->second;
            auto v = spec::pep440::Version::parse(c->second.second);
            if (!r.req.url && (!v || !specs->contains(*v)))
                add_pypi("the conda package does not satisfy the pypi requirement '" + r.req.str() + "' (required by '" + r.origin + "')");
            if (r.from == Origin::manifest) conda_by_pypi_.insert(c->second.first);
            bool first = conda_visited_.insert(c->second.first).second;
            push_depends(c->second.first, {}, first);
            continue;
        }
        auto it = pypi_by_name_.find(n);
        if (it == pypi_by_name_.end()) {
            add_pypi("the requirement '" + r.req.str() + "' could not be satisfied (required by '" + r.origin + "')");
            continue;
        }
        check_pypi_record(r, pypi_[it->second]);
        visit_pypi(it->second, r.req.extras);
    }

    // A conda record that only the environment's PyPI requirements reach would be solved as
    // a PyPI package.
    for (std::size_t idx : conda_by_pypi_)
        if (!conda_by_conda_.count(idx))
            add("'" + conda_[idx].name + "' is locked as a conda package but only requested by pypi dependencies");
    if (!conda_failed_ && conda_visited_.size() != conda_.size()) {
        std::vector<std::string> names;
        for (std::size_t i = 0; i < conda_.size(); ++i)
            if (!conda_visited_.count(i)) names.push_back(conda_[i].name);
        add("there are more conda packages in the lock file than are used by the environment: " + join(names, ", "));
    }
    for (const auto& e : conda_)
        if (e.source && !expected_sources_.count(e.name))
            add("package '" + e.name + "' is locked as source, but is only required as binary");
    bool pypi_failed = !pypi_reasons_.empty();
    for (auto& p : pypi_reasons_) add(std::move(p));
    if (!pypi_failed && !conda_failed_ && pypi_visited_.size() != pypi_.size()) {
        std::vector<std::string> names;
        for (std::size_t i = 0; i < pypi_.size(); ++i)
            if (!pypi_visited_.count(i)) names.push_back(pypi_[i].normalized);
        add("there are more pypi packages in the lock file than are used by the environment: " + join(names, ", "));
    }
}

// ---------------------------------------------------------- environment check

/// The lock's platform that holds a workspace platform's packages: the same name,
/// else the one of the same subdir (pre-v7 locks name platforms by subdir; a
/// `[system-requirements]` workspace's v7 lock names them p1, p2, ...).
/// The wheel tags a locked platform supports as pixi derives them: the workspace platform's
/// libc or macOS version (its system requirements, else the defaults) and the locked python.
/// nullopt where pixi would not check (no python record, a platform it cannot describe).
std::optional<spec::TagSet> locked_wheel_tags(const manifest::PlatformDecl& platform,
                                              const manifest::SystemRequirements& sys,
                                              const std::vector<lockfile::Package>& packages) {
    auto os = spec::subdir_os(platform.subdir);
    auto arch = spec::subdir_arch(platform.subdir);
    if (!os || !arch) return std::nullopt;
    const CondaRecord* python = nullptr;
    for (const auto& p : packages)
        if (p.kind == lockfile::PackageKind::conda && p.conda && p.conda->name == "python") python = p.conda.get();
    if (!python) return std::nullopt;
    auto info = spec::PythonInfo::from_record(python->version, python->python_site_packages_path);
    if (!info.ok()) return std::nullopt;
    spec::TagPlatform tp;
    tp.arch = std::string(*arch);
    const auto virtuals = virtuals_for(platform, sys);
    auto version_of = [&](std::string_view name) -> std::optional<spec::OsVersion> {
        for (const auto& v : virtuals) {
            if (v.name != name) continue;
            int major = 0, minor = 0;
            if (std::sscanf(v.version.str().c_str(), "%d.%d", &major, &minor) < 1) return std::nullopt;
            return spec::OsVersion{major, minor};
        }
        return std::nullopt;
    };
    if (*os == "linux") {
        tp.os = spec::TagOs::linux;
        tp.glibc = version_of("__glibc");
        if (!tp.glibc) tp.musl = version_of("__musl");
    } else if (*os == "osx") {
        tp.os = spec::TagOs::macos;
        tp.macos = version_of("__osx");
    } else if (*os == "win") {
        tp.os = spec::TagOs::windows;
    } else {
        return std::nullopt;
    }
    spec::TagPython py;
    py.major = info->major;
    py.minor = info->minor;
    py.free_threaded = info->site_packages.find("t/site-packages") != std::string::npos;
    auto tags = spec::TagSet::from_env(tp, py);
    if (!tags.ok()) return std::nullopt;
    return std::move(*tags);
}

std::string lock_platform_for(const lockfile::LockFile& lock, const lockfile::Environment* lenv,
                              const manifest::PlatformDecl& p) {
    if (lock.platform(p.name)) return p.name;
    std::string found;
    for (const auto& lp : lock.platforms) {
        if (lp.subdir != p.subdir) continue;
        if (lenv && lenv->packages.count(lp.name)) return lp.name;
        if (found.empty()) found = lp.name;
    }
    return found.empty() ? p.name : found;
}

std::vector<std::string> environment_reasons(const lockfile::LockFile& lock, const lockfile::Environment& lenv,
                                             const Workspace& ws, const EnvModel& env, std::int64_t now_ms) {
    std::vector<std::string> out;
    // channels (order matters)
    std::vector<std::string> want = channels_of(env.group_features, ws.default_feature);
    std::vector<std::string> have;
    for (const auto& c : lenv.channels) have.push_back(channel_url(c));
    if (want.size() >= have.size() && std::equal(have.begin(), have.end(), want.begin())) {
        if (want.size() > have.size()) out.push_back("channels were extended with additional lower-priority channels");
    } else {
        out.push_back("the channels in the lock file do not match the environments channels");
    }
    // platforms
    std::set<std::string> subdirs;
    for (const auto& n : env.platforms)
        if (const auto* p = ws.platform(n)) subdirs.insert(p->subdir);
    std::vector<std::string> extra;
    for (const auto& [pname, pk] : lenv.packages) {
        const auto* lp = lock.platform(pname);
        std::string subdir = lp ? lp->subdir : pname;
        if (std::find(env.platforms.begin(), env.platforms.end(), pname) == env.platforms.end() && !subdirs.count(subdir))
            extra.push_back(pname);
    }
    if (!extra.empty()) out.push_back("platform(s) '" + join(extra, ", ") + "' present in the lock file but not in the environment");
    manifest::SystemRequirements sys;
    (void)sys.merge(ws.default_feature.system_requirements);
    for (const auto& lp : lock.platforms) {
        if (std::find(env.platforms.begin(), env.platforms.end(), lp.name) == env.platforms.end()) continue;
        const auto* wp = ws.platform(lp.name);
        if (!wp || lock.version < 7) continue;
        std::vector<std::string> expected, found;
        for (const auto& v : declared_virtuals(*wp, sys))
            if (!is_default_virtual(v, wp->subdir)) expected.push_back(v);
        for (const auto& v : lp.virtual_packages)
            if (!is_default_virtual(v, wp->subdir)) found.push_back(v);
        auto a = expected, b = found;
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        if (wp->subdir != lp.subdir)
            out.push_back("the workspace platform '" + lp.name + "' uses subdir '" + wp->subdir +
                          "' but the lock-file was solved with subdir '" + lp.subdir + "'");
        else if (a != b)
            out.push_back("the workspace platform '" + lp.name + "' declares virtual packages [" + join(expected, ", ") +
                          "] but the lock-file was solved with [" + join(found, ", ") + "]");
    }
    // PyPI indexes and no-build
    if (has_pypi_dependencies(env.features)) {
        manifest::PypiOptions o = pypi_options_of(env.group_features);
        std::vector<std::string> indexes{o.index_url.value_or("https://pypi.org/simple")};
        for (const auto& u : o.extra_index_urls) indexes.push_back(u);
        bool any_pypi = false;
        for (const auto& [pn, pk] : lenv.packages)
            for (const auto& p : pk) any_pypi |= p.kind == lockfile::PackageKind::pypi;
        if (!lenv.has_indexes) {
            if (lock.version >= 5 && any_pypi) out.push_back("the indexes used to previously solve to lock file are missing");
        } else {
            auto norm = [](std::vector<std::string> v) {
                for (auto& s : v) s = trim_slash(s);
                return v;
            };
            if (norm(lenv.indexes) != norm(indexes) || norm(lenv.find_links) != norm(o.find_links))
                out.push_back("the indexes used to previously solve to lock file do not match the environments indexes. "
                              "Expected: indexes [" + join(lenv.indexes, ", ") + "], find-links [" + join(lenv.find_links, ", ") +
                              "]; found: indexes [" + join(indexes, ", ") + "], find-links [" + join(o.find_links, ", ") + "]");
        }
        if (o.no_build_all.value_or(false) || !o.no_build_packages.empty()) {
            std::vector<CondaDep> c;
            std::vector<PypiDep> p;
            collect_dependencies(env.features, nullptr, c, p, nullptr);
            std::set<std::string> nb;
            for (const auto& n : o.no_build_packages) nb.insert(spec::pep440::normalize_name(n));
            std::set<std::string> reported;
            for (const auto& [pn, pk] : lenv.packages)
                for (const auto& pkg : pk) {
                    if (pkg.kind != lockfile::PackageKind::pypi) continue;
                    const PypiRecord& r = *pkg.pypi;
                    std::string norm_name = spec::pep440::normalize_name(r.name);
                    bool editable = false;
                    for (const auto& d : p)
                        if (spec::pep440::normalize_name(d.name) == norm_name && d.kind == PypiDep::Kind::path)
                            editable = d.editable.value_or(false);
                    if (editable) continue;
                    std::string loc = r.location.substr(0, r.location.find_first_of("?#"));
                    bool source = false;
                    if (r.location.rfind("git+", 0) == 0) source = true;
                    else if (loc.size() >= 4 && loc.substr(loc.size() - 4) == ".whl") source = false;
                    else if (r.url.empty()) {
                        std::error_code ec;
                        source = fs::is_directory(ws.root / loc, ec) ||
                                 loc.find(".tar") != std::string::npos || (loc.size() > 4 && loc.substr(loc.size() - 4) == ".zip");
                    } else {
                        source = true;
                    }
                    if (!source) continue;
                    if (!o.no_build_all.value_or(false) && !nb.count(norm_name)) continue;
                    if (reported.insert(r.name).second)
                        out.push_back("the lock file contains non-binary package: '" + r.name + "', but the pypi-option `no-build` is set");
                }
        }
        // wheel tags: every locked wheel must still fit the platform's system requirements
        manifest::SystemRequirements env_sys;
        for (const Feature* f : env.features) (void)env_sys.merge(f->system_requirements);
        for (const auto& [pname, pk] : lenv.packages) {
            const auto* lp = lock.platform(pname);
            const std::string subdir = lp ? lp->subdir : pname;
            const manifest::PlatformDecl* wp = ws.platform(pname);
            if (!wp)
                for (const auto& n : env.platforms)
                    if (const auto* c = ws.platform(n); c && c->subdir == subdir) {
                        wp = c;
                        break;
                    }
            if (!wp) continue;
            auto tags = locked_wheel_tags(*wp, env_sys, pk);
            if (!tags) continue;
            for (const auto& pkg : pk) {
                if (pkg.kind != lockfile::PackageKind::pypi || !pkg.pypi) continue;
                auto wheel = spec::WheelName::from_location(pkg.pypi->location);
                if (!wheel.ok() || tags->compatible(*wheel)) continue;
                out.push_back("the lock file was solved with system requirements incompatible with the tags on wheel (" +
                              pkg.pypi->name + ")");
            }
        }
    }
    // solver options
    std::string strategy = solve_strategy_name(first_of(env.features, &Feature::solve_strategy).value_or("highest"));
    if (strategy != lenv.options.strategy)
        out.push_back("the lock file was solved with a different strategy (" + lenv.options.strategy +
                      ") than the one selected (" + strategy + ")");
    std::string priority = first_of(env.features, &Feature::channel_priority).value_or("strict");
    if (priority != lenv.options.channel_priority)
        out.push_back("the lock file was solved with a different channel priority (" + lenv.options.channel_priority +
                      ") than the one selected (" + priority + ")");
    std::string mode = pypi_options_of(env.group_features).prerelease_mode.value_or("if-necessary-or-explicit");
    if (mode != lenv.options.pypi_prerelease_mode)
        out.push_back("the lock file was solved with a different PyPI prerelease mode (" + lenv.options.pypi_prerelease_mode +
                      ") than the one selected (" + mode + ")");
    if (ws.exclude_newer) {
        auto cutoff = parse_cutoff(*ws.exclude_newer, now_ms);
        if (!cutoff) {
            out.push_back("the workspace's exclude-newer '" + *ws.exclude_newer +
                          "' is not a date or RFC 3339 time pixi-install can read, so the lock cannot be checked against it");
        } else {
            bool done = false;
            for (const auto& [pn, pk] : lenv.packages) {
                for (const auto& p : pk) {
                    if (p.kind != lockfile::PackageKind::conda || !p.conda->timestamp) continue;
                    if (*p.conda->timestamp > *cutoff) {
                        out.push_back("the locked package '" + p.conda->name + "' has timestamp " +
                                      format_timestamp(*p.conda->timestamp) +
                                      ", which is newer than the environment's exclude-newer cutoff " + format_timestamp(*cutoff));
                        done = true;
                        break;
                    }
                }
                if (done) break;
            }
        }
    }
    return out;
}

}  // namespace

Report check(const lockfile::LockFile& lock, const Workspace& ws, std::int64_t now_ms) {
    Report report;
    // environment models (features, solve groups)
    std::vector<EnvModel> envs;
    for (const auto& e : ws.environments) {
        EnvModel m;
        m.decl = &e;
        auto f = ws.features_of(e);
        if (!f) {
            report.stale.push_back({e.name, std::nullopt, {f.error().message}});
            continue;
        }
        m.features = *f;
        std::optional<std::vector<std::string>> platforms;
        for (const Feature* ft : m.features) {
            if (!ft->platforms || ft == &ws.default_feature) continue;
            if (!platforms) platforms = *ft->platforms;
            else {
                std::vector<std::string> keep;
                for (const auto& p : *platforms)
                    if (std::find(ft->platforms->begin(), ft->platforms->end(), p) != ft->platforms->end()) keep.push_back(p);
                platforms = keep;
            }
        }
        m.platforms = platforms ? *platforms : *ws.default_feature.platforms;
        envs.push_back(std::move(m));
    }
    for (auto& m : envs) {
        if (m.decl->solve_group.empty()) {
            m.group_features = m.features;
            continue;
        }
        for (const auto& o : envs) {
            if (o.decl->solve_group != m.decl->solve_group) continue;
            for (const Feature* f : o.features)
                if (std::find(m.group_features.begin(), m.group_features.end(), f) == m.group_features.end())
                    m.group_features.push_back(f);
        }
    }

    for (const auto& m : envs) {
        const std::string& name = m.decl->name;
        auto it = lock.environments.find(name);
        if (it == lock.environments.end()) {
            report.stale.push_back({name, std::nullopt, {"the lock file does not contain the environment '" + name + "'"}});
            continue;
        }
        const lockfile::Environment& lenv = it->second;
        auto reasons = environment_reasons(lock, lenv, ws, m, now_ms);
        if (!reasons.empty()) report.stale.push_back({name, std::nullopt, std::move(reasons)});
        for (const auto& pname : m.platforms) {
            const auto* decl = ws.platform(pname);
            if (!decl) {
                report.stale.push_back({name, pname, {"the environment uses platform '" + pname + "', which the workspace does not declare"}});
                continue;
            }
            std::vector<std::string> preasons;
            std::string lp = lock_platform_for(lock, &lenv, *decl);
            PlatformChecker(ws, &lenv, m, *decl, lp, preasons).run();
            if (!preasons.empty()) report.stale.push_back({name, pname, std::move(preasons)});
        }
    }
    for (const auto& [name, e] : lock.environments) {
        if (!ws.environment(name))
            report.stale.push_back({name, std::nullopt, {"the lock file contains the environment '" + name + "', which the manifest does not define"}});
    }
    return report;
}

std::string render(const Report& report) {
    std::string out;
    for (const auto& s : report.stale) {
        out += "environment '" + s.environment + "' does not satisfy the requirements of the project";
        if (s.platform) out += " for platform '" + *s.platform + "'";
        out += "\n";
        for (const auto& r : s.reasons) out += "    Caused by: " + r + "\n";
    }
    if (!report.ok()) out += "the lock file is out of date with the manifest: run `pixi lock` to update it\n";
    return out;
}

}  // namespace pixi_install::satisfy
