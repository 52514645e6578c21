// Package link scripts (bin/.<name>-post-link.sh, bin/.<name>-pre-unlink.sh).
// Like pixi, they are not run unless the caller asks (--run-post-link-scripts);
// when skipped, LinkResult::post_link_script tells the caller which packages had one.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::prefix {

struct ScriptPackage {
    std::string name;
    std::string version;
    std::string build_number;
};

struct ScriptOutcome {
    int exit_code = 0;       ///< the script's exit status (128+N when killed by signal N)
    std::string output;      ///< stdout and stderr together
    std::string messages;    ///< $PREFIX/.messages.txt, which is then deleted
};

/// Runs `<prefix>/<script>` with /bin/sh in `prefix`, with `env` (KEY=VALUE, as
/// the caller's process has it) plus PREFIX, PKG_NAME, PKG_VERSION and
/// PKG_BUILDNUM. A non-zero exit is reported in the outcome, not as an error;
/// errors are for scripts that cannot be started.
base::Result<ScriptOutcome> run_link_script(const std::filesystem::path& prefix, const std::string& script,
                                            const ScriptPackage& package, const std::vector<std::string>& env);

}  // namespace pixi_install::prefix
