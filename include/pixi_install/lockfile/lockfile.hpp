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

/// The records of `environment` on `platform` (a platform name as written in
/// the lock). Unknown names give an error listing what exists.
base::Result<Selection> select(const LockFile& lock, const std::string& environment,
                               const std::string& platform);

}  // namespace pixi_install::lockfile
