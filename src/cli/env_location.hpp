// Private to cli: where a command finds the lock and an environment's prefix, the same
// way for install, run, shell-hook and verify: -p PREFIX; else <lock dir>/.pixi/envs/<env>
// (pixi's place), the lock from -l, else pixi.lock next to --manifest-path (pixi's flag:
// the manifest or its directory), else ./pixi.lock.
#pragma once

#include <filesystem>
#include <string>

#include "command.hpp"

namespace pixi_install::cli {

/// The location flags of run, shell-hook and verify (one environment).
struct LocationFlags {
    std::string prefix;       ///< -p
    std::string environment;  ///< -e; empty: "default"
    std::string lock;         ///< -l; empty: next to --manifest-path, else ./pixi.lock
    std::string manifest_path;  ///< --manifest-path
};

/// Registers -p, -e, -l and --manifest-path; `what` says what the command does with the prefix.
void add_location_flags(CLI::App& sub, LocationFlags& flags, const std::string& what);

/// The lock: `lock` when given (a directory means its pixi.lock), else pixi.lock in the
/// directory of `manifest_path` (or in it, when it is a directory), else ./pixi.lock.
std::filesystem::path located_lock(const std::string& lock, const std::string& manifest_path);

/// The manifest `manifest_path` names: itself when it is a file, else the pixi.toml (or
/// pyproject.toml) in that directory; empty when not given or not found.
std::string located_manifest(const std::string& manifest_path);

/// -p when given, else <lock dir>/.pixi/envs/<env>; absolute.
std::filesystem::path located_prefix(const LocationFlags& flags);

}  // namespace pixi_install::cli
