// The NVIDIA driver's CUDA version from what the kernel module and the driver's files
// show, for machines where neither the driver's libraries can be loaded (the static
// release binary has no dlopen) nor nvidia-smi run (containers started with
// NVIDIA_DRIVER_CAPABILITIES=compute, minimal GPU images). The last source asked.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pixi_install::host {

/// The driver release ("535.104.05") in the text of /proc/driver/nvidia/version
/// ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 ..."; the open
/// kernel modules say "... Open Kernel Module for x86_64  550.54.14  Release Build ...").
/// nullopt when the text holds none.
std::optional<std::string> driver_release_from_proc(std::string_view text);

/// The driver release a libcuda file name carries ("libcuda.so.535.104.05" -> "535.104.05");
/// nullopt for the unversioned links ("libcuda.so", "libcuda.so.1") and other names.
std::optional<std::string> driver_release_from_libcuda_name(std::string_view file_name);

/// The newest CUDA version ("12.2") that a Linux driver release supports, by NVIDIA's
/// table of CUDA toolkits and their minimum drivers; nullopt for a release older than the
/// table or not of the form N.N[.N]. A driver newer than the table's newest entry gets
/// that entry's version (a lower bound: CONDA_OVERRIDE_CUDA states more).
std::optional<std::string> cuda_version_for_driver(std::string_view release);

struct DriverFiles {
    std::string release;       ///< "535.104.05"
    std::string cuda_version;  ///< "12.2"
    std::string source;        ///< the file that named the release, as found under the root
};

/// The directories searched for libcuda.so.<release>, relative to the root: the
/// distributions' library directories and where the NVIDIA container toolkit mounts the
/// driver.
const std::vector<std::string>& libcuda_directories();

/// Looks below `root` ("/" on a real machine; a fake root in tests): the user-mode driver
/// (libcuda.so.<release> in libcuda_directories(), the library CUDA programs load) first,
/// then the kernel module's /proc/driver/nvidia/version. nullopt when neither names a
/// release the table knows.
std::optional<DriverFiles> probe_driver_files(const std::filesystem::path& root);

}  // namespace pixi_install::host
