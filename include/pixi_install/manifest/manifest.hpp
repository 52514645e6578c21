// The pixi.toml / pyproject.toml ([tool.pixi]) facts the installer uses: the
// workspace name, declared platforms and system requirements (workspace,
// per feature, per environment). Parse from a string, load from a file.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::manifest {

/// `[system-requirements]` (or the virtual-package keys of a rich platform entry).
/// Values are conda versions as written.
struct SystemRequirements {
    std::optional<std::string> linux;
    std::optional<std::string> libc;          ///< version
    std::string libc_family = "glibc";        ///< `libc = { family = "musl", ... }` -> "musl"
    std::optional<std::string> cuda;
    std::optional<std::string> macos;
    std::optional<std::string> archspec;      ///< parsed, not enforced (pixi ignores it)

    bool empty() const { return !linux && !libc && !cuda && !macos && !archspec; }
    /// Combines two sets as pixi does: the higher version of each field wins.
    /// Errors when the libc families differ.
    base::Result<void> merge(const SystemRequirements& other);
    /// The requirements that apply to a conda subdir, as match specs
    /// (`__cuda >=12`, `__glibc >=2.28`, `__linux >=4.18`, `__osx >=13.0`):
    /// linux/libc on linux-*, macos on osx-*, cuda on linux-* and win-*.
    std::vector<std::string> specs_for(std::string_view subdir) const;
};

/// A declared platform: a plain subdir string, or a rich entry
/// `{ name = "gpu", platform = "linux-64", cuda = "12" }`.
struct PlatformDecl {
    std::string name;    ///< "gpu" (the subdir when not named)
    std::string subdir;  ///< "linux-64"
    SystemRequirements requirements;
};

struct EnvironmentDecl {
    std::vector<std::string> features;
    bool no_default_feature = false;
};

struct Manifest {
    std::filesystem::path path;  ///< empty for strings
    bool pyproject = false;      ///< read from [tool.pixi] of a pyproject.toml
    std::string workspace_name;
    std::vector<PlatformDecl> platforms;
    SystemRequirements system_requirements;  ///< the default feature's
    std::map<std::string, SystemRequirements> feature_requirements;
    std::map<std::string, EnvironmentDecl> environments;

    /// The combined system requirements of an environment: the default feature's
    /// (unless no-default-feature) plus those of its features. An environment the
    /// manifest does not declare gets the default feature's.
    base::Result<SystemRequirements> requirements_for(const std::string& environment) const;
    /// A short label for reports: "pixi.toml [system-requirements]".
    std::string origin() const;
};

/// Parses manifest text; `pyproject` selects the [tool.pixi] tables. A pyproject
/// without [tool.pixi] is an error. Errors have ErrorKind::failure and name `origin`.
base::Result<Manifest> parse_manifest(std::string_view text, std::string_view origin, bool pyproject);

/// Loads a manifest; a file whose name ends in "pyproject.toml" is read as one.
base::Result<Manifest> load_manifest(const std::filesystem::path& path);

/// The manifest next to a lock: `pixi.toml`, else a `pyproject.toml` that has a
/// [tool.pixi] table; nullopt when there is none.
std::optional<std::filesystem::path> find_manifest(const std::filesystem::path& directory);

}  // namespace pixi_install::manifest
