// The host check: every `__*` requirement of the selected packages (and of the
// manifest's system requirements) against the host's virtual packages, and the
// choice of the lock platform this host runs. Pure: the cli renders the report.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/host/detect.hpp"

namespace pixi_install::host {

/// One selected package and its `depends` (only the `__*` entries matter).
struct PackageRequirements {
    std::string package;               ///< "pytorch"
    std::vector<std::string> depends;  ///< as written in the lock
};

/// A requirement that does not come from a package: a manifest system requirement.
struct ExtraRequirement {
    std::string spec;    ///< "__cuda >=12"
    std::string origin;  ///< what declares it: "pixi.toml [system-requirements]"
};

struct CheckOptions {
    /// Version suggested for a bare `__cuda` (the environment's cuda-version pin); "" = 12.0.
    std::string cuda_hint;
};

/// The outcome for one distinct requirement string.
struct Requirement {
    std::string spec;                      ///< as written: "__glibc >=2.17,<3.0.a0"
    std::string name;                      ///< "__glibc"
    bool satisfied = false;
    /// pixi enforces __glibc, __cuda, __osx, __win, __linux, __musl, __eglibc; the
    /// others (__unix, __archspec, __cuda_arch) are reported but never refuse.
    bool enforced = true;
    std::vector<std::string> required_by;  ///< package names (or origins), first-seen order
    std::optional<std::string> host;       ///< "__glibc=2.36=0"; nullopt when the host has none
    std::string override_variable;         ///< "CONDA_OVERRIDE_GLIBC"; "" when none exists
    /// For an unmet requirement: "CONDA_OVERRIDE_CUDA=12.0", one value per variable for
    /// all unmet requirements naming it (their highest lower bound; for a bare
    /// `__cuda` the environment's cuda-version pin, else 12.0); else "".
    std::string suggested_override;
};

struct CheckReport {
    std::vector<Requirement> requirements;  ///< one per distinct spec string, first-seen order

    /// True when every enforced requirement is satisfied.
    bool ok() const;
    std::vector<const Requirement*> unmet() const;
};

/// Evaluates the requirements. A `__*` entry that does not parse is an error
/// (ErrorKind::lockfile) naming the package.
base::Result<CheckReport> check(std::span<const PackageRequirements> packages,
                                std::span<const ExtraRequirement> extra, const VirtualPackages& host,
                                const CheckOptions& options = {});

/// The error (ErrorKind::host) for a failed report, one line per unmet requirement,
/// e.g. "__cuda (required by pytorch, torchvision): this machine has no __cuda; to
/// install anyway set CONDA_OVERRIDE_CUDA=12.0".
base::Error host_error(const CheckReport& report, std::string_view environment, std::string_view platform);

/// A lock platform an environment has packages for (v7 `platforms:` entry; for
/// v1-v6 the name is the subdir and there are no virtual packages).
struct PlatformCandidate {
    std::string name;                           ///< "linux-64", "p1"
    std::string subdir;                         ///< "linux-64"
    std::vector<std::string> virtual_packages;  ///< "__cuda=12", "__glibc=2.28" as written
};

struct PlatformChoice {
    std::string name;
    std::string subdir;
    /// False when no candidate's declared virtual packages are met by the host;
    /// `name` is then the least demanding candidate of the host's subdir, and the
    /// package requirements decide (pixi warns and continues when they are met).
    bool declared_runnable = true;
    /// The declared virtual packages the host lacks, for the chosen candidate.
    std::vector<std::string> missing;
};

/// Picks the platform to install on this host, as pixi does: candidates of the
/// host's subdir (then the subdirs it can emulate: osx-64 on osx-arm64, win-64 on
/// win-arm64, win-32 on win-64) whose customised virtual packages (not the subdir
/// defaults) the host provides at the declared version or higher; the most
/// specific such candidate wins. Errors (ErrorKind::host) when no candidate has a
/// subdir this host runs, listing what the lock has.
base::Result<PlatformChoice> choose_platform(std::span<const PlatformCandidate> candidates,
                                             std::string_view host_subdir, const VirtualPackages& host);

/// Whether the host check runs for an install/check targeting `target_subdir`.
struct HostCheckDecision {
    bool run = true;
    std::string warning;  ///< one line when it is skipped; "" otherwise
};
HostCheckDecision decide_host_check(std::string_view target_subdir, std::string_view host_subdir,
                                    bool no_host_check);

}  // namespace pixi_install::host
