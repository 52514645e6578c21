// The environment section shared by format versions 4-7 (channels, indexes,
// find-links, per-platform selector lists).
#include <set>
#include <unordered_map>

#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/spec/platform.hpp"
#include "pixi_install/spec/wheel_name.hpp"
#include "records.hpp"

namespace pixi_install::lockfile::detail {

using base::Error;
using base::Result;

Result<std::vector<std::string>> read_channels(const Context& cx, const YNode& channels) {
    std::vector<std::string> out;
    if (channels.is_null()) return out;
    if (!channels.is_seq()) return node_error(cx.origin, channels, "`channels` must be a list");
    for (const auto& c : channels.items) {
        if (c.is_scalar()) {
            out.push_back(c.value);
            continue;
        }
        const YNode* url = c.find("url");
        if (!url) return node_error(cx.origin, c, "a channel must be a string or a mapping with `url`");
        PI_TRY(std::string u, scalar_of(*url, cx.origin, "url"));
        out.push_back(std::move(u));
    }
    return out;
}

Result<void> read_env_sources(const Context& cx, const YNode& env, Environment& out) {
    if (const YNode* c = env.find("channels")) {
        PI_TRY(out.channels, read_channels(cx, *c));
    }
    if (const YNode* i = env.find("indexes")) {
        out.has_indexes = true;
        PI_TRY(out.indexes, strings_of(*i, cx.origin, "indexes"));
    }
    if (const YNode* o = env.find("options"); o && o->is_map()) {
        for (std::size_t k = 0; k < o->keys.size(); ++k) {
            const std::string& key = o->keys[k];
            const YNode& v = o->items[k];
            if (!v.is_scalar()) continue;
            if (key == "strategy" || key == "solve-strategy") out.options.strategy = v.value;
            else if (key == "channel-priority") out.options.channel_priority = v.value;
            else if (key == "exclude-newer") out.options.exclude_newer = v.value;
            else if (key == "pypi-prerelease-mode") out.options.pypi_prerelease_mode = v.value;
        }
    }
    if (const YNode* f = env.find("find-links")) {
        if (!f->is_null() && !f->is_seq()) return node_error(cx.origin, *f, "`find-links` must be a list");
        for (const auto& e : f->items) {
            const YNode* v = e.is_scalar() ? &e : e.find("url");
            if (!v) v = e.find("path");
            if (!v) return node_error(cx.origin, e, "a `find-links` entry must have `url` or `path`");
            PI_TRY(std::string s, scalar_of(*v, cx.origin, "find-links"));
            out.find_links.push_back(std::move(s));
        }
    }
    return {};
}

Result<Selector> read_selector(const Context& cx, const YNode& n) {
    if (!n.is_map()) return node_error(cx.origin, n, "a package selector must be a mapping");
    Selector s;
    s.node = &n;
    int found = 0;
    for (std::size_t i = 0; i < n.keys.size(); ++i) {
        const std::string& k = n.keys[i];
        const YNode& v = n.items[i];
        Selector::Kind kind;
        if (k == "conda") kind = Selector::Kind::conda;
        else if (k == "pypi") kind = Selector::Kind::pypi;
        else if (k == "conda_source") kind = Selector::Kind::conda_source;
        else {
            const std::string** dst = k == "name"      ? &s.name
                                      : k == "version" ? &s.version
                                      : k == "build"   ? &s.build
                                      : k == "subdir"  ? &s.subdir
                                                       : nullptr;
            if (dst) {
                if (!v.is_scalar()) return node_error(cx.origin, v, "`" + k + "` must be a string");
                *dst = &v.value;
            }
            continue;
        }
        if (!v.is_scalar()) return node_error(cx.origin, v, "`" + k + "` must be a string");
        s.kind = kind;
        s.location = v.value;
        ++found;
    }
    if (found != 1)
        return node_error(cx.origin, n, "a package selector must have exactly one of `conda`, `conda_source`, `pypi`");
    return s;
}

Error missing_package(const Context& cx, const YNode& at, const std::string& env, const std::string& platform,
                      const std::string& location) {
    return node_error(cx.origin, at,
                      "environment `" + env + "` platform `" + platform +
                          "` refers to a package that is not in the lock file: " + location);
}

Result<void> resolve_pypi_selector(const Context& cx, const YNode& at, const std::string& env,
                                  const std::string& platform, const Selector& s,
                                  const PypiByLocation& by_location, Package& p) {
    auto it = by_location.find(normalize_location(s.location));
    if (it == by_location.end()) return missing_package(cx, at, env, platform, s.location);
    p.kind = PackageKind::pypi;
    p.pypi = it->second;
    return {};
}

Result<void> read_environments(const Context& cx, const Document& doc, LockFile& lock,
                               const PlatformListFn& read_list) {
    const YNode* envs = doc.top.find("environments");
    if (!envs) return yaml_error(cx.origin, 0, 0, "missing `environments`");
    if (!envs->is_map()) return node_error(cx.origin, *envs, "`environments` must be a mapping");
    for (std::size_t i = 0; i < envs->keys.size(); ++i) {
        const YNode& e = envs->items[i];
        Environment env;
        env.name = envs->keys[i];
        if (e.is_null()) {
            lock.environments.emplace(env.name, std::move(env));
            continue;
        }
        if (!e.is_map()) return node_error(cx.origin, e, "environment `" + env.name + "` must be a mapping");
        PI_TRY_VOID(read_env_sources(cx, e, env));
        if (const YNode* pk = e.find("packages"); pk && !pk->is_null()) {
            if (!pk->is_map())
                return node_error(cx.origin, *pk, "`packages` of environment `" + env.name + "` must be a mapping");
            for (std::size_t j = 0; j < pk->keys.size(); ++j) {
                const YNode& list = pk->items[j];
                if (!list.is_null() && !list.is_seq())
                    return node_error(cx.origin, list, "the package list of `" + pk->keys[j] + "` must be a list");
                std::vector<Package> pkgs;
                pkgs.reserve(list.items.size());
                PI_TRY_VOID(read_list(pk->keys[j], list, pkgs, env.name));
                env.packages.emplace(pk->keys[j], std::move(pkgs));
            }
        }
        lock.environments.emplace(env.name, std::move(env));
    }
    return {};
}

Result<void> check_environments(const Context& cx, const Document& doc, const LockFile& lock) {
    const YNode* envs = doc.top.find("environments");
    for (const auto& [name, env] : lock.environments) {
        const YNode* at = envs ? envs->find(name) : nullptr;
        int line = at ? at->line : 0, col = at ? at->col : 0;
        if (auto problem = base::env_name_problem(name); !problem.empty())
            return yaml_error(cx.origin, line, col,
                              "environment name `" + base::printable(name) + "` is not allowed: " +
                                  std::string(problem));
        for (const auto& [platform, pkgs] : env.packages) {
            // conda and conda source records share one name space, PyPI names another.
            std::unordered_map<std::string, const Package*> conda, pypi;
            for (const Package& p : pkgs) {
                bool is_pypi = p.kind == PackageKind::pypi;
                std::string key = is_pypi ? spec::normalize_pypi_name(p.name()) : p.name();
                auto [it, fresh] = (is_pypi ? pypi : conda).emplace(std::move(key), &p);
                if (fresh) continue;
                return yaml_error(cx.origin, line, col,
                                  "environment `" + name + "` platform `" + platform + "` lists package `" +
                                      base::printable(p.name()) + "` twice: " +
                                      base::printable(it->second->location()) + " and " +
                                      base::printable(p.location()) + "; regenerate the lock with pixi");
            }
        }
    }
    return {};
}

Result<void> synthesize_platforms(const Context& cx, const Document& doc, LockFile& lock) {
    std::set<std::string> seen;
    const YNode* envs = doc.top.find("environments");
    for (const auto& [name, env] : lock.environments) {
        for (const auto& [platform, pkgs] : env.packages) {
            if (!spec::is_known_subdir(platform)) {
                const YNode* at = envs ? envs->find(name) : nullptr;
                return yaml_error(cx.origin, at ? at->line : 0, at ? at->col : 0,
                                  "environment `" + name + "` uses `" + platform +
                                      "`, which is not a conda platform");
            }
            if (seen.insert(platform).second) lock.platforms.push_back(PlatformEntry{platform, platform, {}});
        }
    }
    return {};
}

}  // namespace pixi_install::lockfile::detail
