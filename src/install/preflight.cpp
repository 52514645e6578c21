#include "pixi_install/install/preflight.hpp"

#include "pixi_install/build/build.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "pixi_install/base/strings.hpp"
#include "pixi_install/spec/match_spec.hpp"
#include "pixi_install/spec/pep508.hpp"
#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::install {

namespace fs = std::filesystem;
using base::ErrorKind;
using base::Result;

namespace {

/// The package name a conda `depends` entry asks for ("python >=3.8" -> "python").
std::string conda_dep_name(const std::string& dep) {
    auto m = spec::MatchSpec::parse(dep);
    if (m.ok()) return m->name();
    std::string s(base::trim(dep));
    return s.substr(0, s.find_first_of(" =<>!~[;"));
}

/// Which records of `s` --skip/--only keep. `only` empty: all but the skipped; otherwise the
/// named packages and everything they depend on (conda `depends`, PyPI `requires_dist`,
/// every PyPI package needing python), then without the skipped (a skipped package's
/// dependencies stay: pixi's soft exclusion).
struct Kept {
    std::set<std::string> conda, pypi, sources;  // conda/source names, normalized PyPI names
};

Kept kept_names(const lockfile::Selection& s, const std::vector<std::string>& skip,
                const std::vector<std::string>& only) {
    Kept k;
    std::map<std::string, const lockfile::CondaRecord*> conda;
    std::map<std::string, const lockfile::PypiRecord*> pypi;
    std::map<std::string, const lockfile::SourceRecord*> sources;
    for (const auto& r : s.conda) conda.emplace(r->name, r.get());
    for (const auto& r : s.pypi) pypi.emplace(spec::normalize_pypi_name(r->name), r.get());
    for (const auto& r : s.sources) sources.emplace(r->name, r.get());
    if (only.empty()) {
        for (const auto& [n, r] : conda) k.conda.insert(n);
        for (const auto& [n, r] : pypi) k.pypi.insert(n);
        for (const auto& [n, r] : sources) k.sources.insert(n);
    } else {
        // Breadth-first over names; a conda name may be a binary or a source record.
        std::deque<std::pair<bool, std::string>> todo;  // (is PyPI, name)
        for (const auto& n : only) {
            todo.emplace_back(false, n);
            todo.emplace_back(true, spec::normalize_pypi_name(n));
        }
        auto visit_conda = [&](const std::vector<std::string>& depends) {
            for (const auto& d : depends) todo.emplace_back(false, conda_dep_name(d));
        };
        while (!todo.empty()) {
            auto [is_pypi, name] = todo.front();
            todo.pop_front();
            if (!is_pypi) {
                if (auto it = conda.find(name); it != conda.end() && k.conda.insert(name).second)
                    visit_conda(it->second->depends);
                if (auto it = sources.find(name); it != sources.end() && k.sources.insert(name).second)
                    visit_conda(it->second->depends);
                continue;
            }
            auto it = pypi.find(name);
            if (it == pypi.end()) {
                // A PyPI requirement that a conda package of the environment satisfies.
                if (conda.count(name) || sources.count(name)) todo.emplace_back(false, name);
                continue;
            }
            if (!k.pypi.insert(name).second) continue;
            todo.emplace_back(false, "python");  // what installs it
            for (const auto& req : it->second->requires_dist) {
                auto r = spec::pep508::Requirement::parse(req);
                if (r.ok()) todo.emplace_back(true, r->normalized_name);
            }
        }
    }
    for (const auto& n : skip) {
        k.conda.erase(n);
        k.sources.erase(n);
        k.pypi.erase(spec::normalize_pypi_name(n));
    }
    return k;
}

std::string refusal_head(std::size_t n, const std::string& env) {
    return std::to_string(n) + " package(s) of environment '" + env +
           "' cannot be installed from the lock (nothing was changed):";
}

}  // namespace

lockfile::Selection filter_selection(const lockfile::Selection& s, const InstallOptions& o) {
    Kept k = kept_names(s, o.skip, o.only);
    lockfile::Selection out = s;
    out.conda.clear();
    out.pypi.clear();
    out.sources.clear();
    for (const auto& r : s.conda)
        if (k.conda.count(r->name)) out.conda.push_back(r);
    if (!o.no_pypi)
        for (const auto& r : s.pypi) {
            if (!k.pypi.count(spec::normalize_pypi_name(r->name))) continue;
            // Local packages: sources at a path (or file: URL); local wheels are dependencies.
            if (o.builds.no_install_local && !r->path.empty() &&
                spec::classify_pypi_location(r->location, r->editable) != spec::PypiSourceKind::wheel)
                continue;
            out.pypi.push_back(r);
        }
    for (const auto& r : s.sources)
        if (k.sources.count(r->name)) out.sources.push_back(r);
    return out;
}

std::vector<std::string> not_installable(const lockfile::Selection& selection, const InstallOptions& o) {
    lockfile::Selection s = filter_selection(selection, o);
    std::vector<std::string> out;
    for (const auto& r : s.sources) {
        out.push_back(r->name + " (conda source package at " + r->location +
                      "): built from source by pixi; build it into a .conda archive, or pass --skip " +
                      r->name);
    }
    for (const auto& r : s.pypi) {
        auto kind = spec::classify_pypi_location(r->location, r->editable);
        // Wheels install as they are; sdists and local directories are built (build/).
        if (kind == spec::PypiSourceKind::wheel || kind == spec::PypiSourceKind::sdist ||
            kind == spec::PypiSourceKind::directory || kind == spec::PypiSourceKind::editable ||
            (kind == spec::PypiSourceKind::git && build::git_supported()))
            continue;
        out.push_back(r->name + " (" + spec::pypi_source_kind_name(kind) + " at " + r->location +
                      "): " + spec::pypi_source_remedy(kind, r->name));
    }
    return out;
}

Result<void> check_known_names(const std::vector<const lockfile::Selection*>& selections,
                               const std::vector<std::string>& wanted, const std::string& flag) {
    std::set<std::string> known, known_pypi;
    for (const auto* s : selections) {
        for (const auto& r : s->conda) known.insert(r->name);
        for (const auto& r : s->sources) known.insert(r->name);
        for (const auto& r : s->pypi) {
            known.insert(r->name);
            known_pypi.insert(spec::normalize_pypi_name(r->name));
        }
    }
    const std::vector<std::string> names(known.begin(), known.end());
    std::string env;
    for (const auto* s : selections) env += (env.empty() ? "'" : ", '") + s->environment + "'";
    for (const auto& n : wanted) {
        if (known.count(n) || known_pypi.count(spec::normalize_pypi_name(n))) continue;
        std::string msg = flag + " " + n + ": environment " + env + " has no package of that name";
        auto near = base::closest_names(names, n);
        if (!near.empty()) {
            std::string list;
            for (const auto& c : near) list += (list.empty() ? "" : ", ") + c;
            msg += " (did you mean " + list + "?)";
        } else {
            msg += " (`pixi-install list` shows the packages of the lock)";
        }
        return base::fail(ErrorKind::usage, msg);
    }
    return {};
}

Result<void> check_package_names(const std::vector<const lockfile::Selection*>& selections,
                                 const std::vector<std::string>& skip, const std::vector<std::string>& only) {
    for (const auto& n : only)
        if (std::find(skip.begin(), skip.end(), n) != skip.end())
            return base::fail(ErrorKind::usage, "--only " + n + " and --skip " + n +
                                                    " contradict each other; give the name to one of them");
    PI_TRY_VOID(check_known_names(selections, only, "--only"));
    return check_known_names(selections, skip, "--skip");
}

Result<void> check_installable(const lockfile::Selection& filtered, const InstallOptions& options) {
    auto bad = not_installable(filtered, options);
    if (!bad.empty()) {
        std::string msg = refusal_head(bad.size(), filtered.environment);
        for (const auto& b : bad) msg += "\n  - " + b;
        msg += "\n  (--no-pypi leaves out every PyPI package)";
        return base::fail(ErrorKind::failure, msg);
    }
    bool python = false;
    for (const auto& r : filtered.conda) python |= r->name == "python";
    if (python) return {};
    if (!options.no_pypi && !filtered.pypi.empty())
        return base::fail(ErrorKind::failure,
                          "environment '" + filtered.environment + "' has PyPI packages but no python conda "
                          "package to install them with (nothing was changed; pass --no-pypi to leave them out)");
    std::vector<std::string> noarch;
    for (const auto& r : filtered.conda)
        if (r->noarch == "python") noarch.push_back(r->name);
    if (!noarch.empty()) {
        std::string msg = refusal_head(noarch.size(), filtered.environment);
        for (const auto& n : noarch)
            msg += "\n  - " + n + " is noarch: python but the selection has no python record (leave python "
                                  "out of --skip, or skip " + n + " too)";
        return base::fail(ErrorKind::failure, msg);
    }
    return {};
}

Result<void> check_target_directory(const fs::path& prefix, bool allow_non_env) {
    std::error_code ec;
    auto st = fs::symlink_status(prefix, ec);
    if (ec || !fs::exists(st)) return {};
    if (!fs::is_directory(fs::status(prefix, ec)))
        return base::fail(ErrorKind::usage, "the prefix " + prefix.string() +
                                                " exists and is not a directory; choose another -p/--prefix");
    // One listing decides: another install may be creating (prefix, then conda-meta/, then the
    // rest) or removing (the rest, then conda-meta/) this directory right now, and two separate
    // looks could each see a different moment.
    bool empty = true;
    for (fs::directory_iterator it(prefix, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code dir_ec;
        if (it->path().filename() == "conda-meta" && it->is_directory(dir_ec)) return {};
        empty = false;
    }
    if (ec == std::errc::no_such_file_or_directory) return {};  // removed meanwhile: a new prefix
    if (ec)
        return base::fail(ErrorKind::failure, "cannot list the prefix " + prefix.string() + ": " + ec.message() +
                                                  "; nothing was changed");
    if (empty || allow_non_env) return {};
    return base::fail(ErrorKind::usage,
                      "the prefix " + prefix.string() +
                          " is a directory that is neither empty nor an environment (it has no conda-meta/); "
                          "nothing was changed. Choose an empty or new directory, or pass --allow-non-env-prefix "
                          "to install into it anyway (files the packages also ship are then replaced)");
}

Result<void> preflight(const lockfile::Selection& filtered, const InstallOptions& options) {
    PI_TRY_VOID(check_installable(filtered, options));
    if (options.prefix.empty()) return {};
    return check_target_directory(options.prefix, options.allow_non_env_prefix);
}

}  // namespace pixi_install::install
