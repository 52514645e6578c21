// pixi.toml / pyproject.toml reading (toml++ adapter).
#include "pixi_install/manifest/manifest.hpp"

#include "toml.hpp"

#include "pixi_install/base/fs.hpp"
#include "pixi_install/spec/version.hpp"

namespace pixi_install::manifest {

namespace {

using base::ErrorKind;
using base::fail;

/// Keeps the higher of two versions (a value that does not parse wins over none).
void keep_max(std::optional<std::string>& mine, const std::optional<std::string>& theirs) {
    if (!theirs) return;
    if (!mine) {
        mine = theirs;
        return;
    }
    auto a = spec::Version::parse(*mine);
    auto b = spec::Version::parse(*theirs);
    if (a && b && b->compare(*a) > 0) mine = theirs;
}

std::optional<std::string> scalar(const toml::node* n) { return detail::scalar_text(n); }

base::Result<SystemRequirements> read_requirements(const toml::table& t, const std::string& where,
                                                   bool allow_other_keys) {
    SystemRequirements r;
    for (const auto& [k, v] : t) {
        std::string key(k.str());
        if (key == "linux") r.linux = scalar(&v);
        else if (key == "cuda") r.cuda = scalar(&v);
        else if (key == "macos") r.macos = scalar(&v);
        else if (key == "archspec") r.archspec = scalar(&v);
        else if (key == "libc") {
            if (const auto* lt = v.as_table()) {
                r.libc = scalar(lt->get("version"));
                if (!r.libc) return fail(ErrorKind::failure, where + ": libc needs a version");
                if (auto fam = scalar(lt->get("family"))) r.libc_family = *fam;
            } else {
                r.libc = scalar(&v);
            }
        } else if (!allow_other_keys) {
            return fail(ErrorKind::failure, where + ": unknown system requirement '" + key +
                                                "' (known: linux, libc, cuda, macos, archspec)");
        }
    }
    return r;
}

base::Result<std::vector<PlatformDecl>> read_platforms(const toml::node* n, const std::string& where) {
    std::vector<PlatformDecl> out;
    const auto* arr = n ? n->as_array() : nullptr;
    if (!arr) return out;
    for (const auto& item : *arr) {
        PlatformDecl d;
        if (auto s = item.value<std::string>()) {
            d.name = d.subdir = *s;
        } else if (const auto* t = item.as_table()) {
            auto platform = scalar(t->get("platform"));
            if (!platform) return fail(ErrorKind::failure, where + ": a platform table needs 'platform'");
            d.subdir = *platform;
            d.name = scalar(t->get("name")).value_or(d.subdir);
            PI_TRY(d.requirements, read_requirements(*t, where, true));
        } else {
            return fail(ErrorKind::failure, where + ": a platform must be a string or a table");
        }
        out.push_back(std::move(d));
    }
    return out;
}

base::Result<Manifest> from_table(const toml::table& root, std::string_view origin, bool pyproject) {
    const toml::table* pixi = &root;
    if (pyproject) {
        pixi = root["tool"]["pixi"].as_table();
        if (!pixi) return fail(ErrorKind::failure, std::string(origin) + " has no [tool.pixi] table");
    }
    const std::string where(origin);
    Manifest m;
    m.pyproject = pyproject;
    const toml::table* ws = (*pixi)["workspace"].as_table();
    if (!ws) ws = (*pixi)["project"].as_table();
    if (ws) {
        m.workspace_name = scalar(ws->get("name")).value_or("");
        PI_TRY(m.platforms, read_platforms(ws->get("platforms"), where));
    }
    if (pyproject && m.workspace_name.empty()) m.workspace_name = scalar(root["project"]["name"].node()).value_or("");
    if (const auto* sr = (*pixi)["system-requirements"].as_table()) {
        PI_TRY(m.system_requirements, read_requirements(*sr, where + " [system-requirements]", false));
    }
    if (const auto* features = (*pixi)["feature"].as_table()) {
        for (const auto& [name, f] : *features) {
            const auto* ft = f.as_table();
            if (!ft) continue;
            if (const auto* sr = (*ft)["system-requirements"].as_table()) {
                std::string fname(name.str());
                PI_TRY(auto r, read_requirements(*sr, where + " [feature." + fname + ".system-requirements]", false));
                m.feature_requirements[fname] = std::move(r);
            }
        }
    }
    if (const auto* envs = (*pixi)["environments"].as_table()) {
        for (const auto& [name, e] : *envs) {
            EnvironmentDecl d;
            const toml::array* features = e.as_array();
            if (const auto* et = e.as_table()) {
                features = (*et)["features"].as_array();
                d.no_default_feature = (*et)["no-default-feature"].value_or(false);
            }
            if (features)
                for (const auto& f : *features)
                    if (auto s = f.value<std::string>()) d.features.push_back(*s);
            m.environments[std::string(name.str())] = std::move(d);
        }
    }
    return m;
}

}  // namespace

base::Result<void> SystemRequirements::merge(const SystemRequirements& other) {
    if (other.libc && libc && other.libc_family != libc_family)
        return fail(ErrorKind::failure, "two different libc families were specified: '" + libc_family +
                                            "' and '" + other.libc_family + "'");
    if (other.libc && !libc) libc_family = other.libc_family;
    keep_max(linux, other.linux);
    keep_max(libc, other.libc);
    keep_max(cuda, other.cuda);
    keep_max(macos, other.macos);
    if (other.archspec) {
        if (archspec && *archspec != *other.archspec)
            return fail(ErrorKind::failure, "cannot combine archspecs '" + *archspec + "' and '" + *other.archspec + "'");
        archspec = other.archspec;
    }
    return {};
}

std::vector<std::string> SystemRequirements::specs_for(std::string_view subdir) const {
    std::string os(subdir.substr(0, subdir.find('-')));
    std::vector<std::string> out;
    if (os == "linux") {
        if (linux) out.push_back("__linux >=" + *linux);
        if (libc) out.push_back("__" + libc_family + " >=" + *libc);
    }
    if (cuda && (os == "linux" || os == "win")) out.push_back("__cuda >=" + *cuda);
    if (macos && os == "osx") out.push_back("__osx >=" + *macos);
    return out;
}

base::Result<SystemRequirements> Manifest::requirements_for(const std::string& environment) const {
    SystemRequirements out;
    auto it = environments.find(environment);
    if (it == environments.end() || !it->second.no_default_feature) PI_TRY_VOID(out.merge(system_requirements));
    if (it != environments.end()) {
        for (const auto& f : it->second.features) {
            auto fr = feature_requirements.find(f);
            if (fr == feature_requirements.end()) continue;
            if (auto r = out.merge(fr->second); !r.ok())
                return std::move(r).error().with_context("while combining the system requirements of feature '" +
                                                         f + "' in environment '" + environment + "'");
        }
    }
    return out;
}

std::string Manifest::origin() const {
    std::string file = path.empty() ? (pyproject ? "pyproject.toml" : "pixi.toml") : path.filename().string();
    return file + (pyproject ? " [tool.pixi.system-requirements]" : " [system-requirements]");
}

base::Result<Manifest> parse_manifest(std::string_view text, std::string_view origin, bool pyproject) {
#if TOML_EXCEPTIONS
    try {
        toml::table root = toml::parse(text, origin);
        return from_table(root, origin, pyproject);
    } catch (const toml::parse_error& e) {
        return fail(ErrorKind::failure, std::string(origin) + " is not valid TOML: " + std::string(e.description()));
    }
#else
    auto parsed = toml::parse(text, origin);
    if (!parsed)
        return fail(ErrorKind::failure,
                    std::string(origin) + " is not valid TOML: " + std::string(parsed.error().description()));
    return from_table(parsed.table(), origin, pyproject);
#endif
}

base::Result<Manifest> load_manifest(const std::filesystem::path& path) {
    PI_TRY(std::string text, base::read_file(path));
    std::string name = path.filename().string();
    bool pyproject = name.size() >= 14 && name.compare(name.size() - 14, 14, "pyproject.toml") == 0;
    PI_TRY(Manifest m, parse_manifest(text, path.string(), pyproject));
    m.path = path;
    return m;
}

std::optional<std::filesystem::path> find_manifest(const std::filesystem::path& directory) {
    std::error_code ec;
    auto pixi = directory / "pixi.toml";
    if (std::filesystem::is_regular_file(pixi, ec)) return pixi;
    auto py = directory / "pyproject.toml";
    if (std::filesystem::is_regular_file(py, ec)) {
        auto text = base::read_file(py);
        if (text && text->find("[tool.pixi") != std::string::npos) return py;
    }
    return std::nullopt;
}

}  // namespace pixi_install::manifest
