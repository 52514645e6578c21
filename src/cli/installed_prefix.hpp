// Private to cli: the prefix argument of commands that use an installed
// environment (shell-hook, run).
#pragma once

#include <filesystem>
#include <string>

#include "pixi_install/base/result.hpp"

namespace pixi_install::cli {

/// `prefix` made absolute, when it is an installed environment (a directory
/// with conda-meta/); an error naming it and what to do otherwise.
base::Result<std::filesystem::path> installed_prefix(const std::string& prefix);

}  // namespace pixi_install::cli
