// `pixi-install list`: the packages a lock records, per environment and platform.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "pixi_install/base/redact.hpp"
#include "command.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/build/build.hpp"
#include "pixi_install/lockfile/lockfile.hpp"
#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::cli {

namespace {

using base::ErrorKind;
using lockfile::Package;
using lockfile::PackageKind;

struct ListOptions {
    std::string lock = "pixi.lock";
    std::string environment;
    std::string platform;
    bool json = false;
    bool parse_only = false;  ///< hidden: read the lock, print only the record count (benchmarks)
};

nlohmann::json opt(const std::optional<std::string>& s) { return s ? nlohmann::json(*s) : nlohmann::json(); }

/// What a PyPI entry is ("wheel", "sdist", "directory", "editable", "git", "unknown") and
/// how `install` would get it into an environment.
std::pair<std::string, std::string> pypi_source(const lockfile::PypiRecord& r) {
    switch (spec::classify_pypi_location(r.location, r.editable)) {
        case spec::PypiSourceKind::wheel: return {"wheel", "installed as it is"};
        case spec::PypiSourceKind::sdist:
            return {"sdist", "built into a wheel by its PEP 517 backend (from the sdist, hash-checked)"};
        case spec::PypiSourceKind::directory:
            return {"directory", "built into a wheel by its PEP 517 backend (from the directory)"};
        case spec::PypiSourceKind::editable:
            return {"editable", "installed editable by its PEP 660 backend (from the directory)"};
        case spec::PypiSourceKind::git:
            return build::git_supported()
                       ? std::pair<std::string, std::string>{"git", "built into a wheel by its PEP 517 backend (from "
                                                                    "the locked commit, checked out without git)"}
                       : std::pair<std::string, std::string>{"git", "not installed: this build has no git support "
                                                                    "(--skip it)"};
        case spec::PypiSourceKind::unknown: return {"unknown", "not installed: an unrecognised location (--skip it)"};
    }
    return {"unknown", ""};
}

nlohmann::json package_json(const Package& p) {
    nlohmann::json j;
    j["kind"] = lockfile::kind_name(p.kind);
    switch (p.kind) {
    case PackageKind::conda:
        j["name"] = p.conda->name;
        j["version"] = p.conda->version;
        j["build"] = p.conda->build;
        j["location"] = p.conda->location;
        j["sha256"] = opt(p.conda->sha256);
        j["md5"] = opt(p.conda->md5);
        j["subdir"] = p.conda->subdir;
        break;
    case PackageKind::conda_source:
        j["name"] = p.source->name;
        j["version"] = opt(p.source->version);
        j["build"] = opt(p.source->build);
        j["location"] = p.source->location;
        j["sha256"] = nullptr;
        j["md5"] = nullptr;
        j["source"] = "conda_source";
        j["install"] = "not installed: built by pixi-build (--skip it, or build it into a .conda archive)";
        break;
    case PackageKind::pypi:
        j["name"] = p.pypi->name;
        j["version"] = opt(p.pypi->version);
        j["build"] = nullptr;
        j["location"] = p.pypi->location;
        j["sha256"] = opt(p.pypi->sha256);
        j["md5"] = opt(p.pypi->md5);
        // A manifest may make a directory editable too (install reads it; list reads the lock alone).
        std::tie(j["source"], j["install"]) = pypi_source(*p.pypi);
        break;
    }
    return j;
}

/// Which (environment, platform) pairs to show; errors name what exists.
base::Result<std::vector<std::pair<std::string, std::string>>> pick(const lockfile::LockFile& lock,
                                                                   const ListOptions& o) {
    std::vector<std::pair<std::string, std::string>> out;
    std::string origin = lock.path.string();
    if (!o.environment.empty() && !lock.environments.count(o.environment)) {
        std::string known;
        for (const auto& [name, env] : lock.environments) known += (known.empty() ? "" : ", ") + name;
        return base::fail(ErrorKind::usage, origin + ": no environment `" + o.environment +
                                                   "` in the lock file (it has: " + (known.empty() ? "none" : known) +
                                                   ")");
    }
    std::string known;
    for (const auto& [name, env] : lock.environments) {
        if (!o.environment.empty() && name != o.environment) continue;
        if (o.platform.empty()) {
            for (const auto& [platform, pkgs] : env.packages) out.emplace_back(name, platform);
            continue;
        }
        // A platform is named as in the lock, or by its subdir (`linux-64` finds a v7 `p1`).
        auto r = lockfile::resolve_platform(lock, name, o.platform);
        if (r.ok()) out.emplace_back(name, *r);
        else if (!o.environment.empty()) return std::move(r).error();
        for (const auto& [platform, pkgs] : env.packages) {
            const auto* p = lock.platform(platform);
            std::string label = p && p->subdir != platform ? platform + " (" + p->subdir + ")" : platform;
            if (known.find(label) == std::string::npos) known += (known.empty() ? "" : ", ") + label;
        }
    }
    if (!o.platform.empty() && out.empty()) {
        return base::fail(ErrorKind::lockfile, origin + ": no environment of the lock file has platform `" +
                                                   o.platform + "` (it has: " + (known.empty() ? "none" : known) +
                                                   ")");
    }
    return out;
}

std::string render_json(const lockfile::LockFile& lock, const ListOptions& o,
                        const std::vector<std::pair<std::string, std::string>>& pairs) {
    nlohmann::json envs = nlohmann::json::object();
    for (const auto& [name, env] : lock.environments) {
        if (o.environment.empty() || name == o.environment) {
            if (o.platform.empty()) envs[name] = nlohmann::json::object();
        }
    }
    for (const auto& [name, platform] : pairs) {
        nlohmann::json list = nlohmann::json::array();
        for (const Package& p : lock.environments.at(name).packages.at(platform)) list.push_back(package_json(p));
        envs[name][platform] = std::move(list);
    }
    nlohmann::json j;
    j["version"] = lock.version;
    j["lock_file"] = lock.path.string();
    j["environments"] = std::move(envs);
    return base::redact(j.dump(2)) + "\n";
}

std::string render_table(const lockfile::LockFile& lock,
                         const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::ostringstream out;
    out << lock.path.string() << " (format version " << lock.version << ")\n";
    for (const auto& [name, platform] : pairs) {
        const auto& pkgs = lock.environments.at(name).packages.at(platform);
        out << "\nenvironment " << name << ", platform " << platform;
        if (const auto* p = lock.platform(platform); p && p->subdir != platform) out << " (" << p->subdir << ")";
        out << ": " << pkgs.size() << " package" << (pkgs.size() == 1 ? "" : "s") << "\n";
        // Names from the lock are printed with control characters escaped.
        auto show = [](const std::string& s) { return base::printable(s); };
        auto build_of = [](const Package& p) {
            return p.kind == PackageKind::conda          ? p.conda->build
                   : p.kind == PackageKind::conda_source ? p.source->build.value_or("")
                                                         : std::string();
        };
        std::size_t wn = 4, wv = 7, wb = 5;
        for (const Package& p : pkgs) {
            wn = std::max(wn, show(p.name()).size());
            wv = std::max(wv, show(p.version()).size());
            wb = std::max(wb, show(build_of(p)).size());
        }
        auto pad = [](const std::string& s, std::size_t w) { return s + std::string(w - std::min(w, s.size()), ' '); };
        out << "  " << pad("Name", wn) << "  " << pad("Version", wv) << "  " << pad("Build", wb) << "  "
            << pad("Kind", 14) << "  Location\n";
        auto kind_of = [](const Package& p) {
            std::string k = lockfile::kind_name(p.kind);
            if (p.kind == PackageKind::pypi) {
                auto src = pypi_source(*p.pypi).first;
                if (src != "wheel") k += " " + src;
            }
            return k;
        };
        for (const Package& p : pkgs) {
            out << "  " << pad(show(p.name()), wn) << "  " << pad(show(p.version()), wv) << "  "
                << pad(show(build_of(p)), wb) << "  " << pad(kind_of(p), 14) << "  "
                << show(p.location()) << "\n";
        }
    }
    return out.str();
}

}  // namespace

Command make_list_command() {
    auto o = std::make_shared<ListOptions>();
    Command c;
    c.name = "list";
    c.setup = [o](CLI::App& sub, Globals&) {
        sub.description("List the packages the lock file records, per environment and platform");
        sub.add_option("-l,--lock", o->lock, "The lock file, or a directory holding pixi.lock")
            ->capture_default_str();
        sub.add_option("-e,--environment", o->environment, "Only this environment (default: all)");
        sub.add_option("--platform", o->platform, "Only this platform, as named in the lock (default: all)");
        sub.add_flag("--json", o->json, "Write a JSON document");
        sub.add_flag("--parse-only", o->parse_only, "Only read the lock and print how many packages it selects")
            ->group("");
    };
    c.run = [o](Globals&) -> RunResult {
        PI_TRY(lockfile::LockFile lock, lockfile::load_lockfile(o->lock));
        PI_TRY(auto pairs, pick(lock, *o));
        if (o->parse_only) {
            std::size_t n = 0;
            for (const auto& [env, platform] : pairs) n += lock.environments.at(env).packages.at(platform).size();
            std::cout << n << "\n";
            return 0;
        }
        std::string text = o->json ? render_json(lock, *o, pairs) : render_table(lock, pairs);
        std::cout << text << std::flush;
        return 0;
    };
    c.wants_json = [o] { return o->json; };
    return c;
}

}  // namespace pixi_install::cli
