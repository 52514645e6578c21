// Conda platforms (see platform.hpp).
#include "pixi_install/spec/platform.hpp"

#include <array>

namespace pixi_install::spec {

namespace {

struct SubdirInfo {
    std::string_view subdir;
    std::string_view os;
    std::string_view arch;
};

constexpr std::array<SubdirInfo, 22> kSubdirs{{
    {"noarch", "", ""},
    {"linux-32", "linux", "x86"},
    {"linux-64", "linux", "x86_64"},
    {"linux-aarch64", "linux", "aarch64"},
    {"linux-armv6l", "linux", "armv6l"},
    {"linux-armv7l", "linux", "armv7l"},
    {"linux-loong64", "linux", "loong64"},
    {"linux-ppc64le", "linux", "ppc64le"},
    {"linux-ppc64", "linux", "ppc64"},
    {"linux-ppc", "linux", "ppc"},
    {"linux-s390x", "linux", "s390x"},
    {"linux-riscv32", "linux", "riscv32"},
    {"linux-riscv64", "linux", "riscv64"},
    {"freebsd-64", "freebsd", "x86_64"},
    {"osx-64", "osx", "x86_64"},
    {"osx-arm64", "osx", "arm64"},
    {"win-32", "win", "x86"},
    {"win-64", "win", "x86_64"},
    {"win-arm64", "win", "arm64"},
    {"emscripten-wasm32", "emscripten", "wasm32"},
    {"wasi-wasm32", "wasi", "wasm32"},
    {"zos-z", "zos", "z"},
}};

constexpr auto kNames = [] {
    std::array<std::string_view, kSubdirs.size()> a{};
    for (std::size_t i = 0; i < kSubdirs.size(); ++i) a[i] = kSubdirs[i].subdir;
    return a;
}();

const SubdirInfo* find(std::string_view subdir) noexcept {
    for (const auto& s : kSubdirs)
        if (s.subdir == subdir) return &s;
    return nullptr;
}

}  // namespace

std::span<const std::string_view> known_subdirs() noexcept { return kNames; }

bool is_known_subdir(std::string_view subdir) noexcept { return find(subdir) != nullptr; }

std::optional<std::string_view> subdir_os(std::string_view subdir) noexcept {
    const SubdirInfo* s = find(subdir);
    if (!s || s->os.empty()) return std::nullopt;
    return s->os;
}

std::optional<std::string_view> subdir_arch(std::string_view subdir) noexcept {
    const SubdirInfo* s = find(subdir);
    if (!s || s->arch.empty()) return std::nullopt;
    return s->arch;
}

std::string host_subdir() {
#if defined(__APPLE__)
    constexpr std::string_view os = "osx";
#elif defined(_WIN32)
    constexpr std::string_view os = "win";
#elif defined(__EMSCRIPTEN__)
    constexpr std::string_view os = "emscripten";
#elif defined(__FreeBSD__)
    constexpr std::string_view os = "freebsd";
#else
    constexpr std::string_view os = "linux";
#endif
#if defined(__x86_64__) || defined(_M_X64)
    constexpr std::string_view arch = "64";
#elif defined(__aarch64__) || defined(_M_ARM64)
    constexpr std::string_view arch = (os == "osx" || os == "win") ? "arm64" : "aarch64";
#elif defined(__i386__) || defined(_M_IX86)
    constexpr std::string_view arch = "32";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    constexpr std::string_view arch = "ppc64le";
#elif defined(__powerpc64__)
    constexpr std::string_view arch = "ppc64";
#elif defined(__s390x__)
    constexpr std::string_view arch = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    constexpr std::string_view arch = "riscv64";
#elif defined(__loongarch64)
    constexpr std::string_view arch = "loong64";
#elif defined(__ARM_ARCH_7A__)
    constexpr std::string_view arch = "armv7l";
#elif defined(__ARM_ARCH_6__)
    constexpr std::string_view arch = "armv6l";
#elif defined(__wasm32__)
    constexpr std::string_view arch = "wasm32";
#else
    constexpr std::string_view arch = "unknown";
#endif
    return std::string(os) + "-" + std::string(arch);
}

}  // namespace pixi_install::spec
