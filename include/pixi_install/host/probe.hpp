// probe_host(): the impure edge of the host module. Asks the running system for
// the facts detect() turns into virtual packages. Never fails: what cannot be
// found (no NVIDIA driver, no glibc, no /proc) is simply absent.
#pragma once

#include <filesystem>
#include <string>

#include "pixi_install/host/detect.hpp"

namespace pixi_install::host {

struct ProbeOptions {
    /// Query the NVIDIA driver (NVML, then libcuda, then nvidia-smi, then the driver's files;
    /// the static release build has no dlopen and starts at nvidia-smi: cuda_probe_order()).
    /// The cli turns this off when CONDA_OVERRIDE_CUDA is set: an override replaces detection.
    bool cuda = true;
    /// Where the driver's files are looked for (probe_driver_files): "/" but in tests.
    std::filesystem::path root = "/";
    /// PATH used to find nvidia-smi (the cli passes the process's PATH); the child
    /// runs with only this variable, so CUDA_VISIBLE_DEVICES cannot hide the driver.
    std::string path = "/usr/bin:/bin";
};

HostFacts probe_host(const ProbeOptions& options = {});

/// The glibc version in the release banner a libc.so.6 carries ("GNU C Library (...) stable
/// release version 2.36."), or "" if there is none. Used where pixi-install is not itself
/// linked against glibc (the static musl build) to find the host's.
std::string glibc_version_from_library(std::string_view image);

/// How this build finds the NVIDIA driver's CUDA version, for `info` ("NVML, libcuda,
/// nvidia-smi, driver files", or "nvidia-smi, driver files" in the static build).
const char* cuda_probe_order();

/// Parses `nvidia-smi --query -u -x` output: the text of the first <cuda_version>.
std::string cuda_version_from_nvidia_smi_xml(std::string_view xml);

/// Fills cpu facts from /proc/cpuinfo text (the first processor block; x86 and ARM keys).
void parse_cpuinfo(std::string_view text, CpuFacts& cpu);

}  // namespace pixi_install::host
