// Private to host: the archspec microarchitecture table (archspec_db.cpp).
#pragma once

#include <span>
#include <string_view>

namespace pixi_install::host::detail {

struct ArchTarget {
    std::string_view name;
    std::string_view family;    ///< root of its lineage: x86_64, aarch64, ppc64le, ...
    std::string_view vendor;    ///< "generic", "GenuineIntel", "AuthenticAMD", "ARM", "Apple", ...
    std::string_view parents;   ///< comma-separated direct parents
    std::string_view cpu_part;  ///< ARM "CPU part" ("0xd0c"), else empty
    std::string_view features;  ///< space-separated /proc/cpuinfo flags (cumulative)
};

struct ArmVendor {
    std::string_view implementer;  ///< "0x41"
    std::string_view name;         ///< "ARM"
};

std::span<const ArchTarget> arch_targets() noexcept;
std::span<const ArmVendor> arm_vendors() noexcept;

}  // namespace pixi_install::host::detail
