#include <doctest/doctest.h>

#include "pixi_install/spec/platform.hpp"

using namespace pixi_install::spec;

TEST_CASE("known conda subdirs") {
    for (auto s : {"noarch", "linux-64", "linux-aarch64", "linux-ppc64le", "osx-64", "osx-arm64", "win-64",
                   "win-arm64", "emscripten-wasm32", "wasi-wasm32"})
        CHECK(is_known_subdir(s));
    for (auto s : {"", "p1", "linux", "Linux-64", "linux-64 ", "unknown"}) CHECK_FALSE(is_known_subdir(s));
    CHECK(known_subdirs().size() > 15);
}

TEST_CASE("subdir parts") {
    CHECK(subdir_os("linux-aarch64") == "linux");
    CHECK(subdir_arch("linux-aarch64") == "aarch64");
    CHECK(subdir_arch("linux-64") == "x86_64");
    CHECK(subdir_arch("osx-arm64") == "arm64");
    CHECK(subdir_os("win-64") == "win");
    CHECK_FALSE(subdir_os("noarch"));
    CHECK_FALSE(subdir_arch("p1"));
}

TEST_CASE("the host subdir is a known platform of this build") {
    std::string host = host_subdir();
    CHECK(is_known_subdir(host));
    CHECK(host != "noarch");
#if defined(__linux__) && defined(__x86_64__)
    CHECK(host == "linux-64");
#elif defined(__linux__) && defined(__aarch64__)
    CHECK(host == "linux-aarch64");
#elif defined(__APPLE__) && defined(__aarch64__)
    CHECK(host == "osx-arm64");
#endif
}
