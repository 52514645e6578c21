// Helpers shared by the unit tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace pixi_install::test {

/// The project's fixtures/ directory (set by meson as PIXI_INSTALL_FIXTURES).
inline std::filesystem::path fixtures_dir() {
    const char* p = std::getenv("PIXI_INSTALL_FIXTURES");
    return p ? std::filesystem::path(p) : std::filesystem::path("fixtures");
}

/// ../shared next to the checkout (PIXI_INSTALL_SHARED), or empty when absent.
inline std::filesystem::path shared_dir() {
    const char* p = std::getenv("PIXI_INSTALL_SHARED");
    if (!p || !*p) return {};
    std::filesystem::path s(p);
    return std::filesystem::is_directory(s) ? s : std::filesystem::path();
}

/// The built pixi-install binary (PIXI_INSTALL_BIN).
inline std::string binary() {
    const char* p = std::getenv("PIXI_INSTALL_BIN");
    return p ? p : "pixi-install";
}

}  // namespace pixi_install::test
