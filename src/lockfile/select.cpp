// select(lock, environment, platform): the records one install works from.
#include "pixi_install/lockfile/lockfile.hpp"

namespace pixi_install::lockfile {

using base::ErrorKind;
using base::Result;

namespace {

std::string origin_of(const LockFile& lock) { return lock.path.empty() ? std::string("<string>") : lock.path.string(); }

template <class Map>
std::string list_keys(const Map& m) {
    std::string out;
    for (const auto& [k, v] : m) out += (out.empty() ? "" : ", ") + k;
    return out.empty() ? "none" : out;
}

Result<const Environment*> find_env(const LockFile& lock, const std::string& environment) {
    auto env_it = lock.environments.find(environment);
    if (env_it == lock.environments.end()) {
        return base::fail(ErrorKind::lockfile, origin_of(lock) + ": no environment `" + environment +
                                                   "` in the lock file (it has: " + list_keys(lock.environments) +
                                                   ")");
    }
    return &env_it->second;
}

}  // namespace

std::string describe_platforms(const LockFile& lock, const Environment& env) {
    std::string out;
    for (const auto& [name, pkgs] : env.packages) {
        out += (out.empty() ? "" : ", ") + name;
        const PlatformEntry* p = lock.platform(name);
        if (p && p->subdir != name) out += " (" + p->subdir + ")";
    }
    return out.empty() ? "none" : out;
}

Result<std::string> resolve_platform(const LockFile& lock, const std::string& environment,
                                     const std::string& wanted) {
    PI_TRY(const Environment* env, find_env(lock, environment));
    if (env->packages.count(wanted)) return wanted;
    std::vector<std::string> hits;
    for (const auto& [name, pkgs] : env->packages) {
        const PlatformEntry* p = lock.platform(name);
        if (p && p->subdir == wanted) hits.push_back(name);
    }
    if (hits.size() == 1) return hits.front();
    std::string what = hits.empty() ? "has no platform `" + wanted + "`"
                                    : "has several platforms of subdir `" + wanted + "` (name one)";
    return base::fail(ErrorKind::lockfile, origin_of(lock) + ": environment `" + environment + "` " + what +
                                               " (it has: " + describe_platforms(lock, *env) + ")");
}

Result<Selection> select(const LockFile& lock, const std::string& environment, const std::string& platform) {
    PI_TRY(const Environment* envp, find_env(lock, environment));
    const Environment& env = *envp;
    auto pk = env.packages.find(platform);
    if (pk == env.packages.end()) {
        return base::fail(ErrorKind::lockfile, origin_of(lock) + ": environment `" + environment +
                                                   "` has no platform `" + platform + "` (it has: " +
                                                   describe_platforms(lock, env) + ")");
    }
    Selection s;
    s.environment = environment;
    s.platform = platform;
    if (const PlatformEntry* p = lock.platform(platform)) {
        s.subdir = p->subdir;
        s.virtual_packages = p->virtual_packages;
    } else {
        s.subdir = platform;
    }
    s.channels = env.channels;
    s.indexes = env.indexes;
    for (const Package& p : pk->second) {
        switch (p.kind) {
        case PackageKind::conda: s.conda.push_back(p.conda); break;
        case PackageKind::conda_source: s.sources.push_back(p.source); break;
        case PackageKind::pypi: s.pypi.push_back(p.pypi); break;
        }
    }
    return s;
}

}  // namespace pixi_install::lockfile
