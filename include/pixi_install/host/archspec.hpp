// CPU microarchitecture names as archspec (and so `__archspec`) spells them:
// host detection from CPU facts, the platform fallback, name validation. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pixi_install::host {

/// What the CPU says about itself (x86: /proc/cpuinfo or cpuid; ARM: cpuinfo).
struct CpuFacts {
    std::string machine;             ///< uname machine: "x86_64", "aarch64", "arm64", "ppc64le"
    std::string vendor;              ///< x86 vendor_id ("GenuineIntel"); ARM implementer ("0x41")
    std::vector<std::string> flags;  ///< x86 `flags`, ARM `Features` (lower-case names)
    std::string cpu_part;            ///< ARM `CPU part` ("0xd0c"), else empty
    std::string brand;               ///< macOS `machdep.cpu.brand_string` ("Apple M2 Pro")
    std::string model_name;          ///< informational: cpuinfo `model name`
};

/// The archspec name of the host CPU ("x86_64_v3", "skylake_avx512", "zen4",
/// "neoverse_n1", "m2"), or nullopt when nothing in the table fits.
std::optional<std::string> detect_microarchitecture(const CpuFacts& cpu);

/// The x86-64 level (1-4) a CPU's flags reach, or 0 when it is not x86-64.
int x86_64_level(const CpuFacts& cpu);

/// The minimal archspec name for a conda subdir (linux-64 -> "x86_64",
/// osx-arm64 -> "m1", linux-aarch64 -> "aarch64"), or "" when it has none (noarch).
std::string platform_microarchitecture(std::string_view subdir);

bool is_known_microarchitecture(std::string_view name);

/// The known name closest to `name` (for "did you mean"), or "" when nothing is close.
std::string closest_microarchitecture(std::string_view name);

/// True when code built for `target` runs on `host`: equal or an ancestor.
bool microarchitecture_compatible(std::string_view host, std::string_view target);

}  // namespace pixi_install::host
