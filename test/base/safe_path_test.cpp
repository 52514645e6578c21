#include <doctest/doctest.h>

#include <filesystem>

#include "pixi_install/base/safe_path.hpp"
#include "pixi_install/base/fs.hpp"

namespace fs = std::filesystem;
using namespace pixi_install;

TEST_CASE("safe_relative accepts clean relative names and normalizes them") {
    CHECK(base::safe_relative("lib/libz.so").value() == fs::path("lib/libz.so"));
    CHECK(base::safe_relative("./info/index.json").value() == fs::path("info/index.json"));
    CHECK(base::safe_relative("a//b/./c/").value() == fs::path("a/b/c"));
    CHECK(base::safe_relative("..foo/bar..").value() == fs::path("..foo/bar.."));
}

TEST_CASE("safe_relative refuses escapes with an integrity error naming the entry") {
    for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a/..", "..", ".", "./", "//x"}) {
        auto r = base::safe_relative(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == base::ErrorKind::integrity);
        CHECK(r.error().message.find(std::string("'").append(bad).append("'")) != std::string::npos);
    }
    auto nul = base::safe_relative(std::string_view("a\0b", 3));
    CHECK_FALSE(nul.ok());
}

TEST_CASE("safe_join follows symlinks that stay inside the root and refuses those that leave it") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    fs::path root = tmp->path() / "root";
    fs::create_directories(root / "real");
    fs::create_directories(tmp->path() / "outside");
    fs::create_directory_symlink("real", root / "inside");
    fs::create_directory_symlink("../outside", root / "escape");
    fs::create_directory_symlink("/", root / "slash");
    fs::create_symlink("inside/../escape", root / "chain");

    CHECK(base::safe_join(root, "inside/file").value() == root / "inside/file");
    CHECK(base::safe_join(root, "new/dir/file").value() == root / "new/dir/file");
    CHECK(base::safe_join(root, "real").ok());
    for (const char* bad : {"escape/file", "escape", "slash/etc/passwd", "chain/x", "../root/x"}) {
        auto r = base::safe_join(root, bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == base::ErrorKind::integrity);
    }
}

TEST_CASE("segment_problem accepts single printable names and says why others are refused") {
    for (const char* good : {"zlib-1.3.1-hb9d3cd8_2.conda", "numpy-2.2.1-cp312-cp312-manylinux_2_17_x86_64.whl",
                             "1.0+local", "..foo", "a.b"})
        CHECK(base::segment_problem(good).empty());
    CHECK(base::segment_problem("") == "empty name");
    CHECK(base::segment_problem(".") != "");
    CHECK(base::segment_problem("..") != "");
    CHECK(base::segment_problem("../../x.conda") == "contains '/'");
    CHECK(base::segment_problem("/abs.conda") == "contains '/'");
    CHECK(base::segment_problem("a\\b") == "contains '\\'");
    CHECK(base::segment_problem(std::string_view("a\0b", 3)) == "contains a NUL byte");
    CHECK(base::segment_problem("py\nrm -rf") == "contains a control character");
    CHECK(base::segment_problem("x\x1b[31m") == "contains a control character");
    CHECK(base::segment_problem("x\x7f") == "contains a control character");
}

TEST_CASE("env_name_problem allows pixi's [a-z0-9-]+ only") {
    for (const char* good : {"default", "py311", "cuda-12", "-", "0"}) CHECK(base::env_name_problem(good).empty());
    for (const char* bad : {"", "../../x", "a/b", "Default", "a b", "a\nb", "a_b", "a.b", "\xc3\xa9"})
        CHECK_FALSE(base::env_name_problem(bad).empty());
}

TEST_CASE("relative_name_problem adds control characters to path_problem") {
    CHECK(base::relative_name_problem("lib/python3.13t/site-packages").empty());
    CHECK(base::relative_name_problem("../../../canary") == "'..' component");
    CHECK(base::relative_name_problem("lib/../../x") == "'..' component");
    CHECK(base::relative_name_problem("/usr/lib/python3/site-packages") == "absolute path");
    CHECK(base::relative_name_problem("lib/site\npackages") == "contains a control character");
}
