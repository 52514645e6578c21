// pixi's workspace model from pixi.toml / pyproject.toml (toml++ adapter).
#include "pixi_install/manifest/workspace.hpp"

#include "toml.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/strings.hpp"

namespace pixi_install::manifest {

namespace {

using base::ErrorKind;
using base::fail;

std::optional<std::string> str_of(const toml::node* n) {
    if (auto s = detail::scalar_text(n)) return s;
    if (!n) return std::nullopt;
    if (auto b = n->value<bool>()) return *b ? "true" : "false";
    if (auto d = n->as_date()) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d->get().year, d->get().month, d->get().day);
        return std::string(buf);
    }
    if (auto dt = n->as_date_time()) {
        std::ostringstream o;
        o << *dt;
        return o.str();
    }
    return std::nullopt;
}

std::vector<std::string> strings_of(const toml::node* n) {
    std::vector<std::string> out;
    if (!n) return out;
    if (const auto* a = n->as_array()) {
        for (const auto& i : *a)
            if (auto s = str_of(&i)) out.push_back(*s);
    } else if (auto s = str_of(n)) {
        out.push_back(*s);
    }
    return out;
}

/// A dependency's source location keys (`path`, `git` or `url`, then `branch`, `tag`, `rev`,
/// `subdirectory`), the same for conda and PyPI dependencies.
template <class Dep>
void read_source_location(const toml::table& t, Dep& d) {
    if (auto p = str_of(t.get("path"))) {
        d.kind = Dep::Kind::path;
        d.location = *p;
    } else if (auto g = str_of(t.get("git"))) {
        d.kind = Dep::Kind::git;
        d.location = *g;
    } else if (auto u = str_of(t.get("url"))) {
        d.kind = Dep::Kind::url;
        d.location = *u;
    }
    d.branch = str_of(t.get("branch")).value_or("");
    d.tag = str_of(t.get("tag")).value_or("");
    d.rev = str_of(t.get("rev")).value_or("");
    d.subdirectory = str_of(t.get("subdirectory")).value_or("");
}

base::Result<CondaDep> conda_dep(const std::string& name, const toml::node& v, const std::string& where) {
    CondaDep d;
    d.name = name;
    if (auto s = str_of(&v)) {
        d.version = *s == "*" ? "" : *s;
        return d;
    }
    const auto* t = v.as_table();
    if (!t) return fail(ErrorKind::failure, where + ": dependency '" + name + "' must be a string or a table");
    d.version = str_of(t->get("version")).value_or("");
    if (d.version == "*") d.version.clear();
    d.build = str_of(t->get("build")).value_or("");
    d.channel = str_of(t->get("channel")).value_or("");
    d.when = str_of(t->get("when")).value_or("");
    d.extras = strings_of(t->get("extras"));
    read_source_location(*t, d);
    return d;
}

base::Result<PypiDep> pypi_dep(const std::string& name, const toml::node& v, const std::string& where) {
    PypiDep d;
    d.name = name;
    if (auto s = str_of(&v)) {
        d.version = *s == "*" ? "" : *s;
        return d;
    }
    const auto* t = v.as_table();
    if (!t) return fail(ErrorKind::failure, where + ": pypi dependency '" + name + "' must be a string or a table");
    d.version = str_of(t->get("version")).value_or("");
    if (d.version == "*") d.version.clear();
    d.extras = strings_of(t->get("extras"));
    d.env_markers = str_of(t->get("env-markers")).value_or("");
    d.index = str_of(t->get("index")).value_or("");
    if (const auto* e = t->get("editable")) d.editable = e->value<bool>();
    read_source_location(*t, d);
    return d;
}

PypiOptions read_pypi_options(const toml::table& t) {
    PypiOptions o;
    o.index_url = str_of(t.get("index-url"));
    o.extra_index_urls = strings_of(t.get("extra-index-urls"));
    if (const auto* fl = t.get_as<toml::array>("find-links")) {
        for (const auto& e : *fl) {
            if (const auto* et = e.as_table()) {
                if (auto u = str_of(et->get("url"))) o.find_links.push_back(*u);
                else if (auto p = str_of(et->get("path"))) o.find_links.push_back(*p);
            } else if (auto s = str_of(&e)) {
                o.find_links.push_back(*s);
            }
        }
    }
    if (const auto* nb = t.get("no-build")) {
        if (auto b = nb->value<bool>()) o.no_build_all = *b;
        else {
            o.no_build_all = false;
            o.no_build_packages = strings_of(nb);
        }
    }
    if (const auto* nbi = t.get("no-build-isolation")) {
        if (auto b = nbi->value<bool>()) o.no_build_isolation_all = *b;
        else {
            o.no_build_isolation_all = false;
            o.no_build_isolation_packages = strings_of(nbi);
        }
    }
    o.prerelease_mode = str_of(t.get("prerelease-mode"));
    if (const auto* ov = t.get_as<toml::table>("dependency-overrides"))
        for (const auto& [k, v] : *ov) {
            std::string spec;
            if (auto s = str_of(&v)) spec = *s;
            else if (const auto* vt = v.as_table()) spec = str_of(vt->get("version")).value_or("");
            o.dependency_overrides[std::string(k.str())] = spec == "*" ? "" : spec;
        }
    return o;
}

base::Result<void> read_dependency_tables(const toml::table& t, DependencySet& out, const std::string& where) {
    for (const char* key : {"dependencies", "host-dependencies", "build-dependencies"}) {
        if (const auto* deps = t.get_as<toml::table>(key))
            for (const auto& [k, v] : *deps) {
                PI_TRY(CondaDep d, conda_dep(std::string(k.str()), v, where + " [" + key + "]"));
                out.conda.push_back(std::move(d));
            }
    }
    if (const auto* deps = t.get_as<toml::table>("pypi-dependencies"))
        for (const auto& [k, v] : *deps) {
            PI_TRY(PypiDep d, pypi_dep(std::string(k.str()), v, where + " [pypi-dependencies]"));
            out.pypi.push_back(std::move(d));
        }
    if (const auto* deps = t.get_as<toml::table>("constraints"))
        for (const auto& [k, v] : *deps) {
            PI_TRY(CondaDep d, conda_dep(std::string(k.str()), v, where + " [constraints]"));
            out.constraints.push_back(std::move(d));
        }
    return {};
}

std::vector<std::pair<std::string, int>> read_channels(const toml::node* n) {
    std::vector<std::pair<std::string, int>> out;
    const auto* a = n ? n->as_array() : nullptr;
    if (!a) return out;
    for (const auto& c : *a) {
        if (auto s = str_of(&c)) out.emplace_back(*s, 0);
        else if (const auto* t = c.as_table()) {
            auto ch = str_of(t->get("channel"));
            if (ch) out.emplace_back(*ch, static_cast<int>(t->get("priority") ? t->get("priority")->value_or<int64_t>(0) : 0));
        }
    }
    return out;
}

/// The platform keys of a rich platform entry (`glibc` is pixi's spelling of libc there).
void read_platform_glibc(const toml::node* n, std::vector<PlatformDecl>& platforms) {
    const auto* arr = n ? n->as_array() : nullptr;
    if (!arr) return;
    std::size_t i = 0;
    for (const auto& item : *arr) {
        if (const auto* t = item.as_table(); t && i < platforms.size()) {
            if (auto g = str_of(t->get("glibc")); g && !platforms[i].requirements.libc) platforms[i].requirements.libc = *g;
            if (auto m = str_of(t->get("musl"))) {
                platforms[i].requirements.libc = *m;
                platforms[i].requirements.libc_family = "musl";
            }
            if (auto o = str_of(t->get("osx"))) platforms[i].requirements.macos = *o;
        }
        ++i;
    }
}

base::Result<Feature> read_feature(const std::string& name, const toml::table& t, const std::string& where) {
    Feature f;
    f.name = name;
    if (t.get("channels")) f.channels = read_channels(t.get("channels"));
    if (t.get("platforms")) {
        std::vector<std::string> ps;
        if (const auto* a = t.get_as<toml::array>("platforms"))
            for (const auto& p : *a) {
                if (auto s = str_of(&p)) ps.push_back(*s);
                else if (const auto* pt = p.as_table()) {
                    auto plat = str_of(pt->get("platform"));
                    ps.push_back(str_of(pt->get("name")).value_or(plat.value_or("")));
                }
            }
        f.platforms = std::move(ps);
    }
    f.channel_priority = str_of(t.get("channel-priority"));
    f.solve_strategy = str_of(t.get("solve-strategy"));
    if (const auto* po = t.get_as<toml::table>("pypi-options")) {
        f.pypi_options = read_pypi_options(*po);
        f.has_pypi_options = true;
    }
    PI_TRY_VOID(read_dependency_tables(t, f.dependencies, where));
    if (const auto* targets = t.get_as<toml::table>("target"))
        for (const auto& [sel, tv] : *targets) {
            const auto* tt = tv.as_table();
            if (!tt) continue;
            DependencySet ds;
            PI_TRY_VOID(read_dependency_tables(*tt, ds, where + " [target." + std::string(sel.str()) + "]"));
            f.targets.emplace_back(std::string(sel.str()), std::move(ds));
        }
    return f;
}

base::Result<PackageManifest> read_package(const toml::table& p, const std::string& where) {
    PackageManifest m;
    m.name = str_of(p.get("name")).value_or("");
    m.version = str_of(p.get("version"));
    if (const auto* b = p.get_as<toml::table>("build")) {
        if (const auto* be = b->get("backend")) {
            if (const auto* bt = be->as_table()) m.backend = str_of(bt->get("name")).value_or("");
        }
        if (const auto* src = b->get_as<toml::table>("source"))
            for (const auto& [k, v] : *src)
                if (auto s = str_of(&v)) m.build_source[std::string(k.str())] = *s;
    }
    if (const auto* rd = p.get_as<toml::table>("run-dependencies"))
        for (const auto& [k, v] : *rd) {
            PI_TRY(CondaDep d, conda_dep(std::string(k.str()), v, where + " [package.run-dependencies]"));
            m.run_dependencies.push_back(std::move(d));
        }
    if (const auto* ed = p.get_as<toml::table>("extra-dependencies"))
        for (const auto& [group, gv] : *ed) {
            auto& list = m.extra_dependencies[std::string(group.str())];
            if (const auto* gt = gv.as_table())
                for (const auto& [k, v] : *gt) {
                    PI_TRY(CondaDep d, conda_dep(std::string(k.str()), v, where + " [package.extra-dependencies]"));
                    list.push_back(std::move(d));
                }
        }
    return m;
}

/// `>= 3.11` -> `>=3.11`: a PEP 440 requires-python as a conda version spec.
std::string conda_from_requires_python(std::string s) {
    std::string out;
    for (char c : s)
        if (c != ' ') out += c;
    return out;
}

base::Result<Workspace> from_root(const toml::table& root, const std::filesystem::path& path, bool pyproject) {
    const std::string where = path.empty() ? std::string(pyproject ? "pyproject.toml" : "pixi.toml") : path.string();
    const toml::table* pixi = &root;
    if (pyproject) {
        pixi = root["tool"]["pixi"].as_table();
        if (!pixi) return fail(ErrorKind::failure, where + " has no [tool.pixi] table");
    }
    // the system requirements and platforms as manifest.cpp reads them
    std::ostringstream text;
    text << root;
    PI_TRY(Manifest base, parse_manifest(text.str(), where, pyproject));

    Workspace w;
    w.path = path;
    {
        std::error_code ec;
        std::filesystem::path abs = path.empty() ? std::filesystem::current_path(ec) / "x" : std::filesystem::absolute(path, ec);
        w.root = abs.parent_path().lexically_normal();
    }
    w.pyproject = pyproject;
    w.name = base.workspace_name;
    w.platforms = base.platforms;
    const toml::table* ws = (*pixi)["workspace"].as_table();
    if (!ws) ws = (*pixi)["project"].as_table();
    PI_TRY(w.default_feature, read_feature("default", *pixi, where));
    w.default_feature.system_requirements = base.system_requirements;
    w.default_feature.channels = std::vector<std::pair<std::string, int>>{};
    if (ws) {
        read_platform_glibc(ws->get("platforms"), w.platforms);
        w.default_feature.channels = read_channels(ws->get("channels"));
        w.default_feature.channel_priority = str_of(ws->get("channel-priority"));
        w.default_feature.solve_strategy = str_of(ws->get("solve-strategy"));
        w.exclude_newer = str_of(ws->get("exclude-newer"));
        if (const auto* po = ws->get_as<toml::table>("pypi-options")) {
            PypiOptions o = read_pypi_options(*po);
            if (w.default_feature.has_pypi_options) w.default_feature.pypi_options.merge(o);
            else w.default_feature.pypi_options = o;
            w.default_feature.has_pypi_options = true;
        }
    }
    std::vector<std::string> names;
    for (const auto& p : w.platforms) names.push_back(p.name);
    w.default_feature.platforms = names;
    if (const auto* pkg = (*pixi)["package"].as_table()) {
        PI_TRY(PackageManifest pm, read_package(*pkg, where));
        w.package = std::move(pm);
    }

    if (const auto* features = (*pixi)["feature"].as_table())
        for (const auto& [name, fv] : *features) {
            const auto* ft = fv.as_table();
            if (!ft) continue;
            std::string fname(name.str());
            PI_TRY(Feature f, read_feature(fname, *ft, where + " [feature." + fname + "]"));
            auto fr = base.feature_requirements.find(fname);
            if (fr != base.feature_requirements.end()) f.system_requirements = fr->second;
            w.features[fname] = std::move(f);
        }

    if (pyproject) {
        const toml::table* project = root["project"].as_table();
        if (project) {
            if (w.name.empty()) w.name = str_of(project->get("name")).value_or("");
            for (const auto& r : strings_of(project->get("dependencies"))) {
                PypiDep d;
                d.kind = PypiDep::Kind::registry;
                d.name = r;  // a PEP 508 string; `pep508()` gives it back as written
                d.version = "\x01";
                w.default_feature.dependencies.pypi.push_back(std::move(d));
            }
            auto add_groups = [&](const toml::table* groups) {
                if (!groups) return;
                for (const auto& [g, gv] : *groups) {
                    std::string fname(g.str());
                    Feature& f = w.features[fname];
                    if (f.name.empty()) f.name = fname;
                    for (const auto& r : strings_of(&gv)) {
                        PypiDep d;
                        d.name = r;
                        d.version = "\x01";
                        f.dependencies.pypi.push_back(std::move(d));
                    }
                }
            };
            add_groups(project->get_as<toml::table>("optional-dependencies"));
            add_groups(root["dependency-groups"].as_table());
            // pixi adds `python = requires-python` when the default feature names no python
            if (auto rp = str_of(project->get("requires-python"))) {
                bool has_python = false;
                for (const auto& d : w.default_feature.dependencies.conda) has_python |= d.name == "python";
                if (!has_python) {
                    CondaDep py;
                    py.name = "python";
                    py.version = conda_from_requires_python(*rp);
                    w.default_feature.dependencies.conda.push_back(std::move(py));
                }
            }
        }
    }

    std::set<std::string> seen;
    if (const auto* envs = (*pixi)["environments"].as_table())
        for (const auto& [name, e] : *envs) {
            WorkspaceEnvironment d;
            d.name = std::string(name.str());
            const toml::array* fs = e.as_array();
            if (const auto* et = e.as_table()) {
                fs = (*et)["features"].as_array();
                d.no_default_feature = (*et)["no-default-feature"].value_or(false);
                d.solve_group = str_of(et->get("solve-group")).value_or("");
            }
            if (fs)
                for (const auto& f : *fs)
                    if (auto s = f.value<std::string>()) d.features.push_back(*s);
            // dependencies written on the environment itself act as its own, first, feature
            if (const auto* et = e.as_table()) {
                bool inline_deps = false;
                for (const char* k : {"dependencies", "host-dependencies", "build-dependencies", "pypi-dependencies",
                                      "constraints", "target"})
                    inline_deps |= et->get(k) != nullptr;
                if (inline_deps) {
                    std::string fname = "environments." + d.name;
                    PI_TRY(Feature f, read_feature(fname, *et, where + " [" + fname + "]"));
                    w.features[fname] = std::move(f);
                    d.features.insert(d.features.begin(), fname);
                }
            }
            seen.insert(d.name);
            w.environments.push_back(std::move(d));
        }
    if (!seen.count("default")) {
        WorkspaceEnvironment d;
        d.name = "default";
        w.environments.insert(w.environments.begin(), std::move(d));
    }
    return w;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
    return out;
}

base::Result<toml::table> parse_toml(std::string_view text, const std::string& origin) {
#if TOML_EXCEPTIONS
    try {
        return toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        return fail(ErrorKind::failure, origin + " is not valid TOML: " + std::string(e.description()));
    }
#else
    auto parsed = toml::parse(text, origin);
    if (!parsed) return fail(ErrorKind::failure, origin + " is not valid TOML: " + std::string(parsed.error().description()));
    return std::move(parsed).table();
#endif
}

}  // namespace

std::string CondaDep::display() const {
    std::string out = name;
    if (kind != Kind::binary) return out + " @ " + location;
    std::string v = version.empty() ? std::string("*") : version;
    // a bare version is an exact one (rattler shows it as `==1.0`)
    if (std::isdigit(static_cast<unsigned char>(v[0])) && v.find_first_of("*,|<>=!~ ") == std::string::npos) v = "==" + v;
    out += " " + v;
    if (!build.empty()) out += " " + build;
    if (!when.empty()) out += "[when=\"" + when + "\"]";
    return out;
}

std::string PypiDep::pep508() const {
    if (version == "\x01") return name;  // a [project] requirement kept as written
    std::string out = name;
    if (!extras.empty()) out += "[" + join(extras, ",") + "]";
    if (kind == Kind::registry) {
        std::string v = version;
        // pixi accepts a bare version (`"1.0"`) as `==1.0`
        if (!v.empty() && std::isdigit(static_cast<unsigned char>(v[0]))) v = "==" + v;
        out += v;
    } else if (kind == Kind::url || kind == Kind::git) {
        std::string url = kind == Kind::git ? "git+" + location : location;
        if (kind == Kind::git) {
            std::string ref = !rev.empty() ? rev : !tag.empty() ? tag : branch;
            if (!ref.empty()) url += "@" + ref;
            if (!subdirectory.empty()) url += "#subdirectory=" + subdirectory;
        }
        out += " @ " + url;
    }
    if (!env_markers.empty()) out += " ; " + env_markers;
    return out;
}

void PypiOptions::merge(const PypiOptions& o) {
    if (!index_url) index_url = o.index_url;
    for (const auto& u : o.extra_index_urls)
        if (std::find(extra_index_urls.begin(), extra_index_urls.end(), u) == extra_index_urls.end())
            extra_index_urls.push_back(u);
    for (const auto& u : o.find_links)
        if (std::find(find_links.begin(), find_links.end(), u) == find_links.end()) find_links.push_back(u);
    if (o.no_build_all) {
        if (!no_build_all) no_build_all = o.no_build_all;
        else no_build_all = *no_build_all || *o.no_build_all;
    }
    for (const auto& p : o.no_build_packages) no_build_packages.push_back(p);
    if (o.no_build_isolation_all) {
        if (!no_build_isolation_all) no_build_isolation_all = o.no_build_isolation_all;
        else no_build_isolation_all = *no_build_isolation_all || *o.no_build_isolation_all;
    }
    for (const auto& p : o.no_build_isolation_packages) no_build_isolation_packages.push_back(p);
    if (!prerelease_mode) prerelease_mode = o.prerelease_mode;
    for (const auto& [k, v] : o.dependency_overrides) dependency_overrides.emplace(k, v);
}

const WorkspaceEnvironment* Workspace::environment(const std::string& name) const {
    for (const auto& e : environments)
        if (e.name == name) return &e;
    return nullptr;
}

const PlatformDecl* Workspace::platform(const std::string& name) const {
    for (const auto& p : platforms)
        if (p.name == name) return &p;
    return nullptr;
}

base::Result<std::vector<const Feature*>> Workspace::features_of(const WorkspaceEnvironment& env) const {
    std::vector<const Feature*> out;
    for (const auto& f : env.features) {
        if (f == "default") continue;
        auto it = features.find(f);
        if (it == features.end())
            return fail(ErrorKind::failure, path.string() + ": environment '" + env.name + "' uses feature '" + f +
                                                "', which the manifest does not define");
        out.push_back(&it->second);
    }
    if (!env.no_default_feature) out.push_back(&default_feature);
    return out;
}

base::Result<Workspace> parse_workspace(std::string_view text, const std::filesystem::path& path, bool pyproject) {
    PI_TRY(toml::table root, parse_toml(text, path.empty() ? std::string("<string>") : path.string()));
    return from_root(root, path, pyproject);
}

base::Result<Workspace> load_workspace(const std::filesystem::path& path) {
    PI_TRY(std::string text, base::read_file(path));
    std::string name = path.filename().string();
    bool pyproject = name.size() >= 14 && name.compare(name.size() - 14, 14, "pyproject.toml") == 0;
    return parse_workspace(text, path, pyproject);
}

base::Result<std::optional<PackageManifest>> load_package_manifest(const std::filesystem::path& dir) {
    std::error_code ec;
    for (const char* file : {"pixi.toml", "pyproject.toml"}) {
        auto p = dir / file;
        if (!std::filesystem::is_regular_file(p, ec)) continue;
        PI_TRY(std::string text, base::read_file(p));
        PI_TRY(toml::table root, parse_toml(text, p.string()));
        const toml::table* t = std::string(file) == "pixi.toml" ? &root : root["tool"]["pixi"].as_table();
        if (!t) continue;
        if (const auto* pkg = (*t)["package"].as_table()) {
            PI_TRY(PackageManifest m, read_package(*pkg, p.string()));
            if (m.name.empty() && std::string(file) == "pyproject.toml")
                m.name = str_of(root["project"]["name"].node()).value_or("");
            return std::optional<PackageManifest>(std::move(m));
        }
    }
    return std::optional<PackageManifest>();
}

base::Result<BuildSystem> load_build_system(const std::filesystem::path& dir) {
    BuildSystem b;
    std::error_code ec;
    const auto p = dir / "pyproject.toml";
    const toml::table* bs = nullptr;
    toml::table root;
    if (std::filesystem::is_regular_file(p, ec)) {
        PI_TRY(std::string text, base::read_file(p));
        PI_TRY(root, parse_toml(text, p.string()));
        bs = root["build-system"].as_table();
    }
    if (!bs) {
        b.legacy = true;
        b.requirements = {"setuptools>=40.8.0"};
        b.backend = "setuptools.build_meta:__legacy__";
        return b;
    }
    if (const auto* req = bs->get("requires")) {
        if (!req->is_array())
            return fail(ErrorKind::failure, p.string() + ": [build-system] requires must be a list of strings");
        for (const auto& e : *req->as_array()) {
            auto s = e.value<std::string>();
            if (!s) return fail(ErrorKind::failure, p.string() + ": [build-system] requires must be a list of strings");
            b.requirements.push_back(*s);
        }
    } else {
        return fail(ErrorKind::failure, p.string() + ": [build-system] has no `requires` (PEP 518 makes it required)");
    }
    if (auto be = str_of(bs->get("build-backend"))) {
        b.backend = *be;
    } else {
        b.legacy = true;
        b.backend = "setuptools.build_meta:__legacy__";
    }
    b.backend_path = strings_of(bs->get("backend-path"));
    return b;
}

base::Result<PyprojectMetadata> load_pyproject_metadata(const std::filesystem::path& dir) {
    PyprojectMetadata m;
    std::error_code ec;
    auto p = dir / "pyproject.toml";
    if (!std::filesystem::is_regular_file(p, ec)) return m;
    PI_TRY(std::string text, base::read_file(p));
    PI_TRY(toml::table root, parse_toml(text, p.string()));
    const toml::table* project = root["project"].as_table();
    if (!project) return m;
    m.found = true;
    m.name = str_of(project->get("name")).value_or("");
    std::set<std::string> dynamic;
    for (const auto& d : strings_of(project->get("dynamic"))) dynamic.insert(d);
    if (!dynamic.count("version")) m.version = str_of(project->get("version"));
    m.requires_python = str_of(project->get("requires-python"));
    if (dynamic.count("dependencies") || dynamic.count("optional-dependencies")) return m;
    // [tool.uv.sources] rewrite requirements; git and url sources are lowered as uv
    // does, anything else (paths, workspace members, indexes) leaves the metadata unknown.
    const toml::table* sources = root["tool"]["uv"]["sources"].as_table();
    auto lower = [&](const std::string& req) -> std::optional<std::string> {
        if (!sources) return req;
        std::size_t n = 0;
        while (n < req.size() && (std::isalnum(static_cast<unsigned char>(req[n])) || req[n] == '-' || req[n] == '_' || req[n] == '.')) ++n;
        std::string name = req.substr(0, n);
        const toml::node* src = nullptr;
        for (const auto& [k, v] : *sources)
            if (base::ascii_lower(std::string(k.str())) == base::ascii_lower(name)) src = &v;
        if (!src) return req;
        const auto* st = src->as_table();
        if (!st) return std::nullopt;
        std::string rest = req.substr(n);
        std::size_t semi = rest.find(';');
        std::string marker = semi == std::string::npos ? "" : rest.substr(semi);
        std::string extras;
        if (auto lb = rest.find('['); lb != std::string::npos && lb < semi) extras = rest.substr(lb, rest.find(']') - lb + 1);
        std::string url;
        if (auto g = str_of(st->get("git"))) {
            url = "git+" + *g;
            std::string ref = str_of(st->get("rev")).value_or(str_of(st->get("tag")).value_or(str_of(st->get("branch")).value_or("")));
            if (!ref.empty()) url += "@" + ref;
            if (auto sd = str_of(st->get("subdirectory"))) url += "#subdirectory=" + *sd;
        } else if (auto u = str_of(st->get("url"))) {
            url = *u;
        } else {
            return std::nullopt;
        }
        return name + extras + " @ " + url + (marker.empty() ? "" : " " + marker);
    };
    std::vector<std::string> out;
    for (const auto& r : strings_of(project->get("dependencies"))) {
        auto l = lower(r);
        if (!l) return m;
        out.push_back(*l);
    }
    if (const auto* od = project->get_as<toml::table>("optional-dependencies"))
        for (const auto& [g, gv] : *od)
            for (const auto& r : strings_of(&gv)) {
                auto l = lower(r);
                if (!l) return m;
                std::size_t semi = l->find(';');
                std::string extra = "extra == '" + std::string(g.str()) + "'";
                if (semi == std::string::npos) out.push_back(*l + " ; " + extra);
                else out.push_back(l->substr(0, semi) + "; (" + l->substr(semi + 1) + ") and " + extra);
            }
    m.requires_dist = std::move(out);
    return m;
}

}  // namespace pixi_install::manifest
