#include <doctest/doctest.h>

#include "pixi_install/spec/platform.hpp"
#include "pixi_install/spec/python_info.hpp"

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

TEST_CASE("python's layout refuses a site-packages path that leaves the prefix") {
    auto ok = PythonInfo::from_record("3.13.1", std::string("lib/python3.13t/site-packages/"));
    REQUIRE(ok.ok());
    CHECK(ok->site_packages == "lib/python3.13t/site-packages");
    CHECK(PythonInfo::from_record("3.12.0", std::nullopt)->site_packages == "lib/python3.12/site-packages");
    for (const char* bad : {"../../../canary", "/usr/lib/python3/site-packages", "lib/../../x", "lib/a\nb"}) {
        auto r = PythonInfo::from_record("3.11.4", std::string(bad));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("unsafe python site-packages path") != std::string::npos);
        CHECK(r.error().message.find('\n') == std::string::npos);
    }
}
