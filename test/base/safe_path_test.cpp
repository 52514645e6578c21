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
