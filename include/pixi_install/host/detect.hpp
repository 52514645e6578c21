// The host's virtual packages (`__glibc=2.39=0`, `__cuda=12.4=0`,
// `__archspec=1=x86_64_v3`, ...) computed purely from probed facts plus the
// CONDA_OVERRIDE_* values, as pixi (rattler) computes them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/host/archspec.hpp"
#include "pixi_install/spec/version.hpp"

namespace pixi_install::host {

/// What probing the machine found (probe_host()); tests build these by hand.
struct HostFacts {
    std::string subdir;                          ///< conda subdir of this machine: "linux-64"
    std::optional<std::string> kernel_release;   ///< uname release: "6.18.44-fc-v657-gpu"
    std::optional<std::string> glibc_version;    ///< "2.39"; nullopt on musl or non-Linux
    std::string glibc_source;                    ///< "gnu_get_libc_version", "confstr" or ""
    std::optional<int> cuda_driver_version;      ///< driver API encoding: 12040 = 12.4
    std::optional<std::string> cuda_version_text;  ///< "13.0" as nvidia-smi prints it, or from the driver's files
    std::string cuda_source;                     ///< "nvml", "libcuda", "nvidia-smi", "driver files" or ""
    std::string cuda_driver_release;             ///< "535.104.05" and the file naming it, with "driver files"
    std::string cuda_driver_file;
    std::optional<std::string> osx_version;      ///< ProductVersion: "14.4.1"
    std::optional<std::string> win_version;      ///< "10.0.26100"
    CpuFacts cpu;
};

/// CONDA_OVERRIDE_* values, keyed by the suffix ("CUDA", "GLIBC", ...). A key
/// that is present with an empty value removes the package.
struct Overrides {
    std::map<std::string, std::string> values;

    /// Picks CONDA_OVERRIDE_{CUDA,GLIBC,LINUX,OSX,ARCHSPEC,WIN} out of an environment map
    /// (surrounding whitespace trimmed).
    static Overrides from_environment(const std::map<std::string, std::string>& env);
    const std::string* find(std::string_view key) const;
};

enum class Source { detected, override_value, absent };
/// "detected", "override", "absent".
const char* source_name(Source s) noexcept;

struct VirtualPackage {
    std::string name;                     ///< "__glibc"
    std::optional<spec::Version> version; ///< nullopt when absent
    std::string build = "0";
    Source source = Source::absent;
    std::string override_variable;        ///< "CONDA_OVERRIDE_GLIBC"; "" when none exists

    bool present() const { return version.has_value(); }
    /// "__glibc=2.39=0" as pixi writes it; "" when absent.
    std::string str() const;
};

struct VirtualPackages {
    std::string subdir;
    /// Every virtual package the platform can carry, absent ones included, in a
    /// fixed order (__unix, __linux, __glibc, __osx, __win, __cuda, __archspec).
    std::vector<VirtualPackage> packages;
    /// Things the user should know (an override ignored on this platform, an
    /// unparsable kernel release).
    std::vector<std::string> warnings;

    /// The entry for `name` (present or absent), or nullptr when the platform has none.
    const VirtualPackage* find(std::string_view name) const;
};

/// Virtual packages of a host. Overrides replace detection; empty values remove.
/// Errors (ErrorKind::usage) name the override variable whose value is invalid.
base::Result<VirtualPackages> detect(const HostFacts& facts, const Overrides& overrides);

/// The numeric part of a kernel release ("5.10.102.1-microsoft-standard-WSL2"
/// -> "5.10.102.1"), or nullopt when it does not start with `N.N`.
std::optional<std::string> kernel_version_from_release(std::string_view release);

/// "12.4" from the driver API integer 12040; nullopt outside 1000..99990.
std::optional<std::string> cuda_version_from_driver(int value);

/// "CONDA_OVERRIDE_CUDA" for "__cuda"; "" for names without an override (__unix).
std::string override_variable(std::string_view package_name);

}  // namespace pixi_install::host
