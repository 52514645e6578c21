// pixi's workspace model, read from pixi.toml or pyproject.toml ([tool.pixi] plus
// [project]): what the lock must satisfy (channels, platforms, solver options,
// dependencies per feature and target, PyPI options, environments and solve
// groups), and the [package] table of a pixi-build source package.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/manifest/manifest.hpp"

namespace pixi_install::manifest {

/// A conda dependency value: a binary spec or a source location.
struct CondaDep {
    enum class Kind { binary, path, git, url };
    Kind kind = Kind::binary;
    std::string name;
    std::string version;  ///< "" = any
    std::string build;
    std::string channel;
    std::string when;     ///< conditional dependency (`__cuda>=12`)
    std::vector<std::string> extras;
    std::string location;  ///< path / git / url
    std::string branch, tag, rev, subdirectory;
    /// `name version build` (or the location for source specs), for messages.
    std::string display() const;
};

/// A PyPI dependency value (a registry spec, or a path/git/url reference).
struct PypiDep {
    enum class Kind { registry, path, git, url };
    Kind kind = Kind::registry;
    std::string name;
    std::string version;  ///< PEP 440 specifiers ("" = any)
    std::vector<std::string> extras;
    std::string env_markers;
    std::string index;
    std::optional<bool> editable;
    std::string location;
    std::string branch, tag, rev, subdirectory;
    /// As a PEP 508 string (`name[extra]>=1 ; marker`, `name @ url`), for parsing and messages.
    std::string pep508() const;
};

struct PypiOptions {
    std::optional<std::string> index_url;
    std::vector<std::string> extra_index_urls;
    std::vector<std::string> find_links;  ///< url or path as written
    /// no-build: nullopt = not set; `true` = all; a list = those packages.
    std::optional<bool> no_build_all;
    std::vector<std::string> no_build_packages;
    std::optional<std::string> prerelease_mode;
    std::map<std::string, std::string> dependency_overrides;  ///< name -> PEP 440 specifiers
    /// no-build-isolation: nullopt = not set; `true` = all; a list = those packages.
    std::optional<bool> no_build_isolation_all;
    std::vector<std::string> no_build_isolation_packages;

    /// Combines another feature's options into these (first value wins for scalars).
    void merge(const PypiOptions& other);
};

/// The dependencies of a feature (or of one of its targets).
struct DependencySet {
    std::vector<CondaDep> conda;  ///< run, host and build dependencies, in file order
    std::vector<PypiDep> pypi;
    std::vector<CondaDep> constraints;
};

struct Feature {
    std::string name;  ///< "default" for the workspace's own
    std::optional<std::vector<std::pair<std::string, int>>> channels;  ///< channel, priority
    std::optional<std::vector<std::string>> platforms;
    std::optional<std::string> channel_priority;
    std::optional<std::string> solve_strategy;
    SystemRequirements system_requirements;
    PypiOptions pypi_options;
    bool has_pypi_options = false;
    DependencySet dependencies;
    std::vector<std::pair<std::string, DependencySet>> targets;  ///< selector -> set
};

struct WorkspaceEnvironment {
    std::string name;
    std::vector<std::string> features;
    bool no_default_feature = false;
    std::string solve_group;  ///< "" = none
};

/// `[package]` of a pixi-build source package.
struct PackageManifest {
    std::string name;
    std::optional<std::string> version;
    std::string backend;  ///< [package.build.backend] name
    std::map<std::string, std::string> build_source;  ///< [package.build] source keys
    std::vector<CondaDep> run_dependencies;
    std::map<std::string, std::vector<CondaDep>> extra_dependencies;
};

struct Workspace {
    std::filesystem::path path;  ///< the manifest file
    std::filesystem::path root;  ///< its directory
    bool pyproject = false;
    std::string name;
    std::vector<PlatformDecl> platforms;
    std::optional<std::string> exclude_newer;
    Feature default_feature;
    std::map<std::string, Feature> features;
    std::vector<WorkspaceEnvironment> environments;  ///< declared order; "default" always present
    std::optional<PackageManifest> package;          ///< the workspace's own [package], if any

    const WorkspaceEnvironment* environment(const std::string& name) const;
    const PlatformDecl* platform(const std::string& name) const;
    /// The features of an environment in pixi's order: its own, then the default
    /// one (unless no-default-feature). Unknown names are errors.
    base::Result<std::vector<const Feature*>> features_of(const WorkspaceEnvironment& env) const;
};

/// Parses manifest text (see manifest.hpp for `pyproject`); `path` anchors relative locations.
base::Result<Workspace> parse_workspace(std::string_view text, const std::filesystem::path& path, bool pyproject);
base::Result<Workspace> load_workspace(const std::filesystem::path& path);
/// The [package] table of a source package's manifest (`dir/pixi.toml`, else
/// `dir/pyproject.toml` [tool.pixi.package]); nullopt when there is none.
base::Result<std::optional<PackageManifest>> load_package_manifest(const std::filesystem::path& dir);

/// Static metadata of a local Python project (pyproject.toml [project]), as uv
/// reads it without building: nullopt fields were dynamic or absent.
struct PyprojectMetadata {
    bool found = false;
    std::string name;
    std::optional<std::string> version;         ///< nullopt when dynamic
    std::optional<std::vector<std::string>> requires_dist;  ///< nullopt when dynamic or not lowerable
    std::optional<std::string> requires_python;
};
base::Result<PyprojectMetadata> load_pyproject_metadata(const std::filesystem::path& dir);

/// A project's `[build-system]` (PEP 517/518). Without a pyproject.toml, or one
/// without the table, the setuptools legacy backend (`legacy` set), as pip and uv do.
struct BuildSystem {
    std::vector<std::string> requirements;
    std::string backend;                    ///< "module:object"
    std::vector<std::string> backend_path;  ///< as written (relative to the project)
    bool legacy = false;
};
base::Result<BuildSystem> load_build_system(const std::filesystem::path& dir);

}  // namespace pixi_install::manifest
