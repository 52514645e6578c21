// Reading pixi.lock (format versions 1-7) into the model, and selecting one
// environment/platform. Knows nothing of archives, network or prefixes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"
#include "pixi_install/lockfile/model.hpp"

namespace pixi_install::lockfile {

inline constexpr int kMinVersion = 1;
inline constexpr int kMaxVersion = 7;

/// Parses lock text. `origin` names the source in errors (a path or "<string>");
/// `base_dir` is where relative locations resolve. Errors have ErrorKind::lockfile.
base::Result<LockFile> parse_lockfile(std::string_view text, std::string_view origin,
                                      const std::filesystem::path& base_dir = {});

/// Loads a lock file; a directory means its `pixi.lock`.
base::Result<LockFile> load_lockfile(const std::filesystem::path& path);

/// The platform name of `environment` that `wanted` designates: `wanted` itself
/// when the environment has a platform of that name, else the single platform
/// whose subdir is `wanted` (so `linux-64` finds a v7 `p1` of subdir linux-64).
/// Unknown environment, no match or several matches give an error listing what exists.
base::Result<std::string> resolve_platform(const LockFile& lock, const std::string& environment,
                                           const std::string& wanted);

/// "a, p1 (linux-64), b": the platforms of an environment for messages.
std::string describe_platforms(const LockFile& lock, const Environment& env);

/// The records of `environment` on `platform` (a platform name as written in
/// the lock). Unknown names give an error listing what exists.
base::Result<Selection> select(const LockFile& lock, const std::string& environment,
                               const std::string& platform);

}  // namespace pixi_install::lockfile
