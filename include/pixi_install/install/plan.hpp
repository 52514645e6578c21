// Planning: what must change to turn the installed prefix into the desired
// selection. Pure: no I/O, so every rule is unit-tested with literal values.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pixi_install/lockfile/model.hpp"

namespace pixi_install::install {

/// What the planner needs to know of an installed conda package (from conda-meta).
struct InstalledConda {
    std::string name;
    std::string version;
    std::string build;
    std::optional<std::string> sha256;
    std::optional<std::string> md5;
    std::optional<std::uint64_t> size;
    bool noarch_python = false;
};

/// An installed Python distribution (a *.dist-info directory).
struct InstalledWheel {
    std::string name;     ///< normalized (PEP 503: lower-case, runs of -_. become -)
    std::string version;
    std::string dist_info;  ///< relative to the prefix
    std::optional<std::string> sha256;  ///< of the wheel it came from, when this tool installed it
    std::string installer;              ///< INSTALLER content ("pixi-install", "uv", "pip", ...)
    std::optional<std::string> source_identity;  ///< of the source it was built from (PIXI_INSTALL_SOURCE)
};

using CondaPtr = std::shared_ptr<const lockfile::CondaRecord>;
using PypiPtr = std::shared_ptr<const lockfile::PypiRecord>;

struct CondaChange {
    InstalledConda old;
    CondaPtr desired;
    bool python_relink = false;  ///< same package, relinked because python's minor version changed
};

struct Plan {
    std::vector<CondaPtr> install;          ///< not installed yet
    std::vector<CondaChange> change;        ///< installed with other content (or relink)
    std::vector<InstalledConda> remove;     ///< installed, no longer desired
    std::vector<CondaPtr> unchanged;
    std::vector<PypiPtr> wheel_install;     ///< new or changed wheels
    std::vector<InstalledWheel> wheel_remove;  ///< gone or replaced wheels
    std::vector<PypiPtr> wheel_unchanged;

    bool empty() const {
        return install.empty() && change.empty() && remove.empty() && wheel_install.empty() &&
               wheel_remove.empty();
    }
};

/// rattler's "same content" rule: sha256 if both have one (one-sided → different),
/// else md5 likewise, else sizes must not differ; then name, version and build.
bool same_content(const InstalledConda& installed, const lockfile::CondaRecord& desired);

/// The plan. `old_python`/`new_python` are "3.12"-style minor versions (empty when
/// no python); a change relinks noarch: python packages. `force_reinstall` treats
/// every installed conda package as changed (repair after an interrupted install).
/// A PyPI entry built from source (its normalized name in `source_identities`) is
/// unchanged when the installed one was built from a source of that identity.
Plan make_plan(const std::vector<InstalledConda>& installed,
               const std::vector<InstalledWheel>& installed_wheels,
               const std::vector<CondaPtr>& desired,
               const std::vector<PypiPtr>& desired_wheels,
               const std::string& old_python, const std::string& new_python,
               const std::vector<std::string>& force_reinstall = {},
               const std::map<std::string, std::string>& source_identities = {});

}  // namespace pixi_install::install
