// Does a pixi.lock still satisfy its manifest? pixi's satisfiability rules
// (what `pixi install --locked` checks), applied to every environment and
// platform of the workspace, offline: no artifact is read, nothing is solved.
// Local source trees (pyproject.toml of path PyPI packages, the manifests of
// pixi-build source packages) are read where pixi reads them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pixi_install/lockfile/model.hpp"
#include "pixi_install/manifest/workspace.hpp"

namespace pixi_install::satisfy {

/// One environment (and platform, for per-platform rules) that the lock does not satisfy.
struct Stale {
    std::string environment;
    std::optional<std::string> platform;  ///< nullopt for environment-wide reasons
    std::vector<std::string> reasons;     ///< in pixi's words; the first is the one pixi reports
};

struct Report {
    std::vector<Stale> stale;
    bool ok() const { return stale.empty(); }
};

/// Checks the whole lock against the workspace (pixi checks every environment
/// and platform, whichever one is installed). `now_ms` (milliseconds since the
/// epoch) anchors a relative `exclude-newer` such as `7d`.
Report check(const lockfile::LockFile& lock, const manifest::Workspace& workspace, std::int64_t now_ms);

/// The report as text, one block per environment/platform, in pixi's layout
/// ("environment 'default' does not satisfy the requirements of the project for
/// platform 'win-64'" followed by the reasons), ending with how to fix it.
std::string render(const Report& report);

}  // namespace pixi_install::satisfy
