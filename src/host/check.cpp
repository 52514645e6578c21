// host::check, choose_platform, decide_host_check. Pure.
#include "pixi_install/host/check.hpp"

#include <algorithm>
#include <map>

#include "pixi_install/spec/match_spec.hpp"

namespace pixi_install::host {

namespace {

using base::ErrorKind;
using base::fail;

bool is_enforced(std::string_view name) {
    return name == "__glibc" || name == "__cuda" || name == "__osx" || name == "__win" || name == "__linux" ||
           name == "__musl" || name == "__eglibc";
}

std::string default_value(std::string_view name, const CheckOptions& options) {
    if (name == "__cuda") return options.cuda_hint.empty() ? "12.0" : options.cuda_hint;
    if (name == "__glibc") return "2.28";
    if (name == "__linux") return "4.18";
    if (name == "__osx") return "13.0";
    if (name == "__win") return "10.0";
    return "";
}

/// "12" -> "12.0": what a version override looks like.
std::string with_minor(const std::string& v) {
    if (v.find_first_of("._-") == std::string::npos && !v.empty() &&
        std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return v + ".0";
    return v;
}

/// One override value per variable for every unmet requirement that names it: the
/// highest lower bound among them (`__cuda >=12.4` -> 12.4), else the default
/// (the cuda-version pin for a bare `__cuda`).
void suggest_overrides(CheckReport& report, const std::vector<spec::MatchSpec>& specs,
                       const CheckOptions& options) {
    std::map<std::string, std::optional<spec::Version>> bounds;
    std::map<std::string, std::string> archspec;
    for (std::size_t i = 0; i < report.requirements.size(); ++i) {
        const Requirement& r = report.requirements[i];
        if (r.satisfied || r.override_variable.empty()) continue;
        const spec::MatchSpec& ms = specs[i];
        if (r.name == "__archspec") {
            if (ms.build() && ms.build()->str().find_first_of("*^$") == std::string::npos)
                archspec[r.override_variable] = ms.build()->str();
            continue;
        }
        auto& best = bounds[r.override_variable];
        if (ms.version())
            if (auto lb = ms.version()->lower_bound(); lb && (!best || lb->compare(*best) > 0)) best = lb;
    }
    for (auto& r : report.requirements) {
        if (r.satisfied || r.override_variable.empty()) continue;
        std::string value;
        if (auto a = archspec.find(r.override_variable); a != archspec.end()) value = a->second;
        else if (auto b = bounds.find(r.override_variable); b != bounds.end())
            value = with_minor(b->second ? b->second->str() : default_value(r.name, options));
        if (!value.empty()) r.suggested_override = r.override_variable + "=" + value;
    }
}

std::string join_limited(const std::vector<std::string>& items, std::size_t limit) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < limit; ++i) {
        if (i) out += ", ";
        out += items[i];
    }
    if (items.size() > limit) out += " and " + std::to_string(items.size() - limit) + " more";
    return out;
}

struct Declared {
    std::string name;
    std::string version;
};

Declared parse_declared(std::string_view s) {
    Declared d;
    auto eq = s.find('=');
    d.name = std::string(s.substr(0, eq));
    if (eq != std::string_view::npos) {
        auto rest = s.substr(eq + 1);
        d.version = std::string(rest.substr(0, rest.find('=')));
    }
    return d;
}

/// True for a value pixi fills in for every platform of the subdir (not a user setting).
bool is_subdir_default(const Declared& d) {
    if (d.name == "__unix" || d.name == "__archspec") return true;
    if (d.name == "__linux") return d.version == "4.18";
    if (d.name == "__glibc") return d.version == "2.28";
    if (d.name == "__osx") return d.version == "13.0";
    if (d.name == "__win") return d.version == "10.0";
    return false;
}

std::vector<std::string> emulated_subdirs(std::string_view host) {
    std::vector<std::string> out{std::string(host)};
    if (host == "osx-arm64") out.emplace_back("osx-64");
    if (host == "win-arm64") out.emplace_back("win-64");
    if (host == "win-64") out.emplace_back("win-32");
    return out;
}

}  // namespace

bool CheckReport::ok() const {
    for (const auto& r : requirements)
        if (r.enforced && !r.satisfied) return false;
    return true;
}

std::vector<const Requirement*> CheckReport::unmet() const {
    std::vector<const Requirement*> out;
    for (const auto& r : requirements)
        if (r.enforced && !r.satisfied) out.push_back(&r);
    return out;
}

base::Result<CheckReport> check(std::span<const PackageRequirements> packages,
                                std::span<const ExtraRequirement> extra, const VirtualPackages& host,
                                const CheckOptions& options) {
    CheckReport report;
    std::vector<spec::MatchSpec> specs;
    auto add = [&](const std::string& raw, const std::string& by, bool from_lock) -> base::Result<void> {
        std::string text = raw;
        while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
        for (auto& r : report.requirements) {
            if (r.spec == text) {
                if (std::find(r.required_by.begin(), r.required_by.end(), by) == r.required_by.end())
                    r.required_by.push_back(by);
                return {};
            }
        }
        auto ms = spec::MatchSpec::parse(text);
        if (!ms)
            return fail(from_lock ? ErrorKind::lockfile : ErrorKind::failure,
                        "cannot read the requirement '" + text + "' of " + by + ": " + ms.error().message);
        Requirement r;
        r.spec = text;
        r.name = ms->name();
        r.enforced = is_enforced(r.name);
        r.required_by.push_back(by);
        r.override_variable = override_variable(r.name);
        const VirtualPackage* vp = host.find(r.name);
        if (vp && vp->present()) {
            r.host = vp->str();
            r.satisfied = ms->matches(vp->name, *vp->version, vp->build);
        }
        report.requirements.push_back(std::move(r));
        specs.push_back(std::move(ms).value());
        return {};
    };
    for (const auto& p : packages)
        for (const auto& d : p.depends)
            if (d.rfind("__", 0) == 0) PI_TRY_VOID(add(d, p.package, true));
    for (const auto& e : extra) PI_TRY_VOID(add(e.spec, e.origin, false));
    suggest_overrides(report, specs, options);
    return report;
}

base::Error host_error(const CheckReport& report, std::string_view environment, std::string_view platform) {
    auto unmet = report.unmet();
    std::string msg = "this machine cannot run environment '" + std::string(environment) + "' (" +
                      std::string(platform) + "): " + std::to_string(unmet.size()) +
                      (unmet.size() == 1 ? " requirement is" : " requirements are") + " not met";
    for (const Requirement* r : unmet) {
        msg += "\n  " + r->spec + " (required by " + join_limited(r->required_by, 5) + "): ";
        msg += r->host ? "this machine has " + *r->host : "this machine has no " + r->name;
        if (!r->suggested_override.empty())
            msg += "; to install anyway, mock it with " + r->suggested_override;
    }
    return fail(ErrorKind::host, std::move(msg));
}

base::Result<PlatformChoice> choose_platform(std::span<const PlatformCandidate> candidates,
                                             std::string_view host_subdir, const VirtualPackages& host) {
    struct Scored {
        const PlatformCandidate* c;
        std::size_t customised;
        std::vector<std::string> missing;
    };
    for (const auto& subdir : emulated_subdirs(host_subdir)) {
        std::vector<Scored> of_subdir;
        for (const auto& c : candidates) {
            if (c.subdir != subdir) continue;
            Scored s{&c, 0, {}};
            for (const auto& raw : c.virtual_packages) {
                Declared d = parse_declared(raw);
                if (is_subdir_default(d)) continue;
                ++s.customised;
                const VirtualPackage* vp = host.find(d.name);
                bool met = vp && vp->present();
                if (met && !d.version.empty()) {
                    auto want = spec::Version::parse(d.version);
                    met = want && vp->version->compare(*want) >= 0;
                }
                if (!met) s.missing.push_back(raw);
            }
            of_subdir.push_back(std::move(s));
        }
        if (of_subdir.empty()) continue;
        const Scored* best = nullptr;
        for (const auto& s : of_subdir)
            if (s.missing.empty() && (!best || s.customised > best->customised)) best = &s;
        if (best) return PlatformChoice{best->c->name, best->c->subdir, true, {}};
        for (const auto& s : of_subdir)
            if (!best || s.missing.size() < best->missing.size()) best = &s;
        return PlatformChoice{best->c->name, best->c->subdir, false, best->missing};
    }
    std::string have;
    for (const auto& c : candidates) {
        if (!have.empty()) have += ", ";
        have += c.name == c.subdir ? c.name : c.name + " (" + c.subdir + ")";
    }
    return fail(ErrorKind::host, "the environment has no platform this " + std::string(host_subdir) +
                                     " machine can run (the lock has: " + (have.empty() ? "none" : have) +
                                     "); pass --platform to install for another platform");
}

HostCheckDecision decide_host_check(std::string_view target_subdir, std::string_view host_subdir,
                                    bool no_host_check) {
    if (no_host_check) return {false, "the host check is skipped (--no-host-check)"};
    for (const auto& s : emulated_subdirs(host_subdir))
        if (s == target_subdir) return {true, ""};
    if (target_subdir == "noarch") return {true, ""};
    return {false, "installing for " + std::string(target_subdir) + " on a " + std::string(host_subdir) +
                       " machine: the host check is skipped"};
}

}  // namespace pixi_install::host
