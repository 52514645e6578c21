#include "env_location.hpp"

#include <CLI/CLI.hpp>

#include "common.hpp"
#include "pixi_install/base/fs.hpp"

namespace pixi_install::cli {

namespace fs = std::filesystem;

void add_location_flags(CLI::App& sub, LocationFlags& f, const std::string& what) {
    sub.add_option("-p,--prefix", f.prefix, what + " (default: .pixi/envs/<env> next to the lock, as install)");
    sub.add_option("-e,--environment", f.environment, "The lock's environment whose default prefix is meant (default: default)");
    sub.add_option("-l,--lock", f.lock, "The lock file, or a directory holding pixi.lock (default: ./pixi.lock)");
    sub.add_option("--manifest-path", f.manifest_path,
                   "pixi's manifest (pixi.toml, pyproject.toml) or its directory; the lock is the pixi.lock beside it");
}

fs::path located_lock(const std::string& lock, const std::string& manifest_path) {
    if (!lock.empty() || manifest_path.empty()) return resolve_lock_path(lock);
    std::error_code ec;
    fs::path m(manifest_path);
    fs::path dir = fs::is_directory(m, ec) ? m : m.parent_path();
    if (dir.empty()) dir = ".";
    return dir / "pixi.lock";
}

std::string located_manifest(const std::string& manifest_path) {
    if (manifest_path.empty()) return {};
    std::error_code ec;
    fs::path m(manifest_path);
    if (!fs::is_directory(m, ec)) return manifest_path;
    for (const char* name : {"pixi.toml", "pyproject.toml"})
        if (fs::is_regular_file(m / name, ec)) return (m / name).string();
    return {};
}

fs::path located_prefix(const LocationFlags& f) {
    if (!f.prefix.empty()) return base::absolute_normal(fs::path(f.prefix));
    fs::path lock = located_lock(f.lock, f.manifest_path);
    return base::absolute_normal(lock.parent_path() / ".pixi" / "envs" /
                                 (f.environment.empty() ? std::string("default") : f.environment));
}

}  // namespace pixi_install::cli
