// Shared cli helpers: overrides, host probe, lock/manifest discovery, the host check.
#include "common.hpp"

#include <chrono>
#include <cstdio>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/install/wheel_check.hpp"
#include "pixi_install/spec/platform.hpp"

#include "pixi_install/host/probe.hpp"
#include "pixi_install/lockfile/lockfile.hpp"
#include "pixi_install/manifest/workspace.hpp"

namespace pixi_install::cli {

namespace {

using base::ErrorKind;
using base::fail;

/// "12.6.3" -> "12.6": the cuda-version pin as an override value.
std::string major_minor(const std::string& v) {
    auto first = v.find('.');
    if (first == std::string::npos) return v + ".0";
    auto second = v.find('.', first + 1);
    return v.substr(0, second);
}

}  // namespace

host::Overrides overrides_from(const Globals& g) { return host::Overrides::from_environment(g.env); }

base::Result<HostView> probe_and_detect(const Globals& g) {
    host::Overrides o = overrides_from(g);
    host::ProbeOptions po;
    po.cuda = o.find("CUDA") == nullptr;
    if (const auto* p = g.getenv("PATH")) po.path = *p;
    HostView v;
    v.facts = host::probe_host(po);
    PI_TRY(v.packages, host::detect(v.facts, o));
    return v;
}

std::filesystem::path default_cache_dir(const Globals& g) {
    if (const auto* v = g.getenv("PIXI_INSTALL_CACHE_DIR"); v && !v->empty()) return *v;
    if (const auto* v = g.getenv("XDG_CACHE_HOME"); v && !v->empty())
        return std::filesystem::path(*v) / "pixi-install";
    if (const auto* v = g.getenv("HOME"); v && !v->empty())
        return std::filesystem::path(*v) / ".cache" / "pixi-install";
    return std::filesystem::path(".cache") / "pixi-install";
}

std::filesystem::path resolve_lock_path(const std::string& arg) {
    std::filesystem::path p = arg.empty() ? std::filesystem::path("pixi.lock") : std::filesystem::path(arg);
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) p /= "pixi.lock";
    return p;
}

base::Result<std::optional<manifest::Manifest>> load_manifest_for(const std::filesystem::path& lock_path,
                                                                  const std::string& explicit_path,
                                                                  std::vector<std::string>& warnings) {
    if (!explicit_path.empty()) {
        PI_TRY(manifest::Manifest m, manifest::load_manifest(explicit_path));
        return std::optional<manifest::Manifest>(std::move(m));
    }
    auto dir = lock_path.parent_path();
    if (dir.empty()) dir = ".";
    auto found = manifest::find_manifest(dir);
    if (!found) return std::optional<manifest::Manifest>();
    auto m = manifest::load_manifest(*found);
    if (!m) {
        warnings.push_back("ignoring " + found->string() + ": " + m.error().message);
        return std::optional<manifest::Manifest>();
    }
    return std::optional<manifest::Manifest>(std::move(m).value());
}

base::Result<satisfy::Report> check_locked(const lockfile::LockFile& lock, const std::filesystem::path& lock_path,
                                           const std::string& explicit_path) {
    std::filesystem::path path = explicit_path;
    if (path.empty()) {
        auto dir = lock_path.parent_path();
        if (dir.empty()) dir = ".";
        auto found = manifest::find_manifest(dir);
        if (!found)
            return fail(ErrorKind::usage, "--locked checks the lock against its manifest, but there is no pixi.toml or "
                                          "pyproject.toml with [tool.pixi] next to " + lock_path.string() +
                                          "; pass --manifest PATH, or use --frozen to install the lock as it is");
        path = *found;
    }
    auto ws = manifest::load_workspace(path);
    if (!ws) return std::move(ws).error().with_context("while reading the manifest for --locked");
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
    return satisfy::check(lock, *ws, now.count());
}

base::Error stale_error(const satisfy::Report& report) {
    std::string text = satisfy::render(report);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return fail(ErrorKind::stale, text);
}

nlohmann::json stale_json(const satisfy::Report& report) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : report.stale)
        arr.push_back({{"environment", s.environment},
                       {"platform", s.platform ? nlohmann::json(*s.platform) : nlohmann::json()},
                       {"reasons", s.reasons}});
    return arr;
}

base::Result<host::PlatformChoice> resolve_platform(const lockfile::LockFile& lock, const std::string& environment,
                                                    const std::string& platform_arg,
                                                    const host::VirtualPackages& host) {
    auto env = lock.environments.find(environment);
    if (env == lock.environments.end()) {
        std::string known;
        for (const auto& [name, e] : lock.environments) known += (known.empty() ? "" : ", ") + name;
        return fail(ErrorKind::usage, lock.path.string() + " has no environment '" + environment +
                                          "' (it has: " + (known.empty() ? "none" : known) + "); pick one with -e");
    }
    auto candidate_of = [&](const std::string& name) {
        host::PlatformCandidate c;
        c.name = name;
        c.subdir = name;
        if (const auto* p = lock.platform(name)) {
            c.subdir = p->subdir;
            c.virtual_packages = p->virtual_packages;
        }
        return c;
    };
    if (!platform_arg.empty()) {
        if (!env->second.packages.count(platform_arg)) {
            // A subdir given where the lock names platforms (`--platform linux-64` for `p1`).
            std::vector<host::PlatformCandidate> same;
            for (const auto& [name, pkgs] : env->second.packages)
                if (candidate_of(name).subdir == platform_arg) same.push_back(candidate_of(name));
            if (!same.empty()) return host::choose_platform(same, platform_arg, host);
            std::string known;
            for (const auto& [name, pkgs] : env->second.packages) known += (known.empty() ? "" : ", ") + name;
            return fail(ErrorKind::usage, "environment '" + environment + "' has no platform '" + platform_arg +
                                              "' (it has: " + (known.empty() ? "none" : known) + ")");
        }
        auto c = candidate_of(platform_arg);
        return host::PlatformChoice{c.name, c.subdir, true, {}};
    }
    std::vector<host::PlatformCandidate> candidates;
    for (const auto& [name, pkgs] : env->second.packages) candidates.push_back(candidate_of(name));
    auto chosen = host::choose_platform(candidates, host.subdir, host);
    if (!chosen) return std::move(chosen).error().with_context("while choosing the platform of environment '" +
                                                               environment + "'");
    return chosen;
}

/// The wheel tags of the target, from the platform and the (possibly overridden) virtual packages.
std::optional<spec::TagPlatform> tag_platform(const host::VirtualPackages& host) {
    auto os = spec::subdir_os(host.subdir);
    auto arch = spec::subdir_arch(host.subdir);
    if (!os || !arch) return std::nullopt;
    spec::TagPlatform p;
    p.arch = std::string(*arch);
    auto version_of = [&](std::string_view name) -> std::optional<spec::OsVersion> {
        const host::VirtualPackage* vp = host.find(name);
        if (!vp || !vp->present()) return std::nullopt;
        int major = 0, minor = 0;
        if (std::sscanf(vp->version->str().c_str(), "%d.%d", &major, &minor) < 1) return std::nullopt;
        return spec::OsVersion{major, minor};
    };
    if (*os == "linux") {
        p.os = spec::TagOs::linux;
        p.glibc = version_of("__glibc");
    } else if (*os == "osx") {
        p.os = spec::TagOs::macos;
        p.macos = version_of("__osx");
    } else if (*os == "win") {
        p.os = spec::TagOs::windows;
    } else {
        return std::nullopt;
    }
    return p;
}

namespace {

base::Result<std::vector<std::string>> wheel_problems(const lockfile::Selection& sel,
                                                      const host::VirtualPackages& host) {
    std::vector<std::string> out;
    if (sel.pypi.empty()) return out;
    std::optional<spec::PythonInfo> python = install::environment_python(sel);
    auto platform = tag_platform(host);
    if (!python || !platform) return out;  // nothing to judge against: reported at install time
    auto bad = install::incompatible_wheels(sel, *platform, *python);
    if (!bad.ok()) return out;  // a platform tags cannot describe (e.g. no glibc): the host check reports it
    for (const auto& w : *bad) out.push_back(install::describe(w));
    return out;
}

}  // namespace

base::Error environment_error(const EnvironmentCheck& c) {
    base::Error e;
    if (!c.report.ok()) e = host::host_error(c.report, c.environment, c.platform);
    e.kind = base::ErrorKind::host;
    for (const auto& w : c.wheel_problems) {
        if (!e.message.empty()) e.message += '\n';
        e.message.append("environment '").append(c.environment).append("' on ").append(c.platform);
        e.message.append(": ").append(w);
    }
    return e;
}

base::Result<EnvironmentCheck> check_environment(const lockfile::LockFile& lock, const std::string& environment,
                                                 const std::string& platform_arg,
                                                 const std::optional<manifest::Manifest>& manifest,
                                                 const host::VirtualPackages& host, bool no_host_check) {
    EnvironmentCheck out;
    out.environment = environment;
    if (auto env = lock.environments.find(environment);
        env != lock.environments.end() && env->second.packages.empty() && platform_arg.empty()) {
        // An environment without packages needs nothing from the host (pixi: nothing to validate).
        out.platform = out.subdir = host.subdir;
        return out;
    }
    PI_TRY(host::PlatformChoice choice, resolve_platform(lock, environment, platform_arg, host));
    out.platform = choice.name;
    out.subdir = choice.subdir;
    auto decision = host::decide_host_check(choice.subdir, host.subdir, no_host_check);
    if (!decision.run) {
        out.skipped = true;
        out.warnings.push_back(decision.warning);
        return out;
    }
    PI_TRY(lockfile::Selection sel, lockfile::select(lock, environment, choice.name));
    std::vector<host::PackageRequirements> pkgs;
    pkgs.reserve(sel.conda.size() + sel.sources.size());
    host::CheckOptions options;
    for (const auto& r : sel.conda) {
        pkgs.push_back({r->name, r->depends});
        if (r->name == "cuda-version") options.cuda_hint = major_minor(r->version);
    }
    for (const auto& s : sel.sources) pkgs.push_back({s->name, s->depends});
    std::vector<host::ExtraRequirement> extra;
    if (manifest) {
        PI_TRY(manifest::SystemRequirements req, manifest->requirements_for(environment));
        for (auto& spec : req.specs_for(choice.subdir)) extra.push_back({std::move(spec), manifest->origin()});
    }
    auto report = host::check(pkgs, extra, host, options);
    if (!report) return std::move(report).error().with_context("while checking environment '" + environment + "'");
    out.report = std::move(report).value();
    PI_TRY(out.wheel_problems, wheel_problems(sel, host));
    if (!choice.declared_runnable && out.report.ok()) {
        std::string missing;
        for (const auto& m : choice.missing) missing += (missing.empty() ? "" : ", ") + m;
        out.warnings.push_back("this machine is not one of the platforms declared for environment '" + environment +
                               "' (" + choice.name + " declares " + missing +
                               "), but the locked packages are compatible with it, continuing");
    }
    return out;
}

install::InstallOptions::SourceBuilds source_builds_for(const lockfile::LockFile& lock, const std::string& environment,
                                                       const std::filesystem::path& lock_path,
                                                       const std::optional<std::filesystem::path>& manifest_path,
                                                       const std::vector<std::string>& find_links,
                                                       const host::VirtualPackages& host,
                                                       const std::map<std::string, std::string>& env,
                                                       std::vector<std::string>& warnings) {
    install::InstallOptions::SourceBuilds b;
    b.platform = tag_platform(host);
    for (const auto& [k, v] : env) b.env.push_back(k + "=" + v);
    auto add_dir = [&](const std::string& entry, const std::filesystem::path& base) {
        if (entry.find("://") != std::string::npos && entry.rfind("file://", 0) != 0) return;  // an index page
        std::filesystem::path p = entry.rfind("file://", 0) == 0 ? std::filesystem::path(entry.substr(7))
                                                                 : std::filesystem::path(entry);
        if (p.is_relative()) p = base / p;
        p = base::absolute_normal(p);
        if (std::find(b.find_links.begin(), b.find_links.end(), p) == b.find_links.end()) b.find_links.push_back(p);
    };
    std::filesystem::path lock_dir = lock_path.parent_path();
    if (lock_dir.empty()) lock_dir = ".";
    for (const auto& f : find_links) add_dir(f, std::filesystem::current_path());
    if (auto it = lock.environments.find(environment); it != lock.environments.end())
        for (const auto& f : it->second.find_links) add_dir(f, lock_dir);
    std::optional<std::filesystem::path> mp = manifest_path;
    if (!mp) mp = manifest::find_manifest(lock_dir);
    if (!mp) return b;
    auto ws = manifest::load_workspace(*mp);
    if (!ws.ok()) {
        warnings.push_back("the manifest " + mp->string() + " could not be read for build settings (" +
                           ws.error().message + "): source packages are built with isolation and not editable");
        return b;
    }
    const manifest::WorkspaceEnvironment* we = ws->environment(environment);
    std::vector<const manifest::Feature*> features;
    if (we) {
        auto fs = ws->features_of(*we);
        if (fs.ok()) features = *fs;
    } else {
        features.push_back(&ws->default_feature);
    }
    manifest::PypiOptions po;
    for (const auto* f : features) {
        if (f->has_pypi_options) po.merge(f->pypi_options);
        auto take = [&](const manifest::DependencySet& d) {
            for (const auto& p : d.pypi)
                if (p.kind == manifest::PypiDep::Kind::path && p.editable.value_or(false)) b.editable.push_back(p.name);
        };
        take(f->dependencies);
        for (const auto& [sel, d] : f->targets) take(d);
    }
    for (const auto& f : po.find_links) add_dir(f, ws->root);
    b.no_isolation_all = po.no_build_isolation_all.value_or(false);
    b.no_isolation = po.no_build_isolation_packages;
    return b;
}

}  // namespace pixi_install::cli
