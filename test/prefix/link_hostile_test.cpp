// Hostile packages against the linker: links that would pull host files into the
// prefix, or send writes out of it, and special files.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "fake_package.hpp"
#include "pixi_install/base/beneath.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/prefix/link.hpp"
#include "pixi_install/prefix/package_info.hpp"
#include "pixi_install/prefix/unlink.hpp"

using namespace pixi_install;
using namespace pixi_install::prefix;
using namespace pixi_install::test;
namespace fs = std::filesystem;

namespace {

/// A canary directory outside the package and the prefix, with one file.
struct Canary {
    base::TempDir tmp = *base::TempDir::create();
    fs::path dir = tmp.path() / "canary";
    fs::path file = dir / "secret.txt";
    struct stat before {};
    Canary() {
        fs::create_directories(dir);
        (void)base::write_file_atomic(file, "host secret /opt/placeholder\n");
        ::lstat(file.c_str(), &before);
    }
    /// Content, link count, inode and mtime as they were.
    void check_untouched() const {
        struct stat now {};
        REQUIRE(::lstat(file.c_str(), &now) == 0);
        CHECK(now.st_nlink == 1);
        CHECK(now.st_ino == before.st_ino);
        CHECK(now.st_mtim.tv_sec == before.st_mtim.tv_sec);
        CHECK(now.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
        CHECK(*base::read_file(file) == "host secret /opt/placeholder\n");
        CHECK(fs::directory_iterator(dir) != fs::directory_iterator());
        CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
    }
};

template <class F>
void both_methods(F&& body) {
    for (auto m : {base::BeneathMethod::automatic, base::BeneathMethod::walk}) {
        base::set_beneath_method(m);
        CAPTURE(static_cast<int>(m));
        body();
    }
    base::set_beneath_method(base::BeneathMethod::automatic);
}

base::Result<LinkResult> link_once(const fs::path& pkg, const fs::path& prefix, LinkMode mode = LinkMode::hardlink) {
    auto info = read_package_info(pkg);
    REQUIRE(info.ok());
    LinkOptions o;
    o.mode = mode;
    return link_package(pkg, *info, prefix, o);
}

}  // namespace

TEST_CASE("a symlink with a placeholder or no_link is installed as a symlink, its target never read") {
    Canary c;
    both_methods([&] {
        for (LinkMode mode : {LinkMode::hardlink, LinkMode::copy}) {
            auto tmp = *base::TempDir::create();
            fs::path pkg = make_package(tmp.path() / "pkgs", "evil", "1", "0",
                                        {{"etc/abs.conf", c.file.string(), "softlink", "/opt/placeholder"},
                                         {"etc/rel.conf", "../../../canary/secret.txt", "softlink", "", "text", true},
                                         {"etc/zero", "/dev/zero", "softlink", "/opt/placeholder"}});
            fs::path prefix = tmp.path() / "env";
            auto r = link_once(pkg, prefix, mode);
            REQUIRE(r.ok());
            for (const char* p : {"etc/abs.conf", "etc/rel.conf", "etc/zero"}) {
                CAPTURE(p);
                CHECK(fs::is_symlink(prefix / p));
            }
            CHECK(fs::read_symlink(prefix / "etc/abs.conf") == c.file);
            CHECK(fs::read_symlink(prefix / "etc/zero") == "/dev/zero");
            for (const auto& rec : r->paths) {
                CHECK(rec.type == PathType::softlink);
                CHECK(rec.prefix_placeholder.empty());
            }
            c.check_untouched();
        }
    });
}

TEST_CASE("a paths.json entry below a symlink of the package is refused, nothing linked to the host") {
    Canary c;
    both_methods([&] {
        auto tmp = *base::TempDir::create();
        fs::path pkg = make_package(tmp.path() / "pkgs", "evil", "1", "0", {{"lnk/secret.txt", "x"}});
        fs::remove_all(pkg / "lnk");
        fs::create_directory_symlink(c.dir, pkg / "lnk");
        fs::path prefix = tmp.path() / "env";
        for (LinkMode mode : {LinkMode::hardlink, LinkMode::copy, LinkMode::automatic}) {
            auto r = link_once(pkg, prefix, mode);
            REQUIRE(!r.ok());
            CHECK(r.error().kind == base::ErrorKind::integrity);
            CHECK(r.error().message.find("evil") != std::string::npos);
            CHECK(r.error().message.find("lnk/secret.txt") != std::string::npos);
            CHECK(r.error().message.find("symbolic link") != std::string::npos);
            CHECK(!fs::exists(prefix / "lnk/secret.txt"));
        }
        c.check_untouched();
    });
}

TEST_CASE("special files in a package are refused, never read") {
    auto tmp = *base::TempDir::create();
    fs::path pkg = make_package(tmp.path() / "pkgs", "evil", "1", "0", {{"etc/fifo", "x", "hardlink", "/opt/ph"}});
    fs::remove(pkg / "etc/fifo");
    REQUIRE(::mkfifo((pkg / "etc/fifo").c_str(), 0644) == 0);
    auto r = link_once(pkg, tmp.path() / "env");
    REQUIRE(!r.ok());
    CHECK(r.error().kind == base::ErrorKind::integrity);
    CHECK(r.error().message.find("special file") != std::string::npos);
    CHECK(r.error().message.find("etc/fifo") != std::string::npos);
}

TEST_CASE("a symlink planted in the prefix does not send a package's files out of it") {
    Canary c;
    both_methods([&] {
        auto tmp = *base::TempDir::create();
        fs::path pkg = make_package(tmp.path() / "pkgs", "lib", "1", "0", {{"share/data/secret.txt", "pkg"}});
        fs::path prefix = tmp.path() / "env";
        fs::create_directories(prefix / "share");
        fs::create_directory_symlink(c.dir, prefix / "share/data");
        for (LinkMode mode : {LinkMode::hardlink, LinkMode::copy}) {
            auto r = link_once(pkg, prefix, mode);
            REQUIRE(!r.ok());
            CHECK(r.error().kind == base::ErrorKind::integrity);
            CHECK(r.error().message.find("symbolic link") != std::string::npos);
        }
        c.check_untouched();
    });
}

TEST_CASE("a file already in the prefix as a symlink is replaced, its target left alone") {
    Canary c;
    auto tmp = *base::TempDir::create();
    fs::path pkg = make_package(tmp.path() / "pkgs", "lib", "1", "0",
                                {{"etc/a.conf", "pkg"}, {"etc/b.conf", "at /opt/placeholder", "hardlink", "/opt/placeholder"}});
    fs::path prefix = tmp.path() / "env";
    fs::create_directories(prefix / "etc");
    fs::create_symlink(c.file, prefix / "etc/a.conf");
    fs::create_symlink(c.file, prefix / "etc/b.conf");
    for (LinkMode mode : {LinkMode::hardlink, LinkMode::copy}) {
        REQUIRE(link_once(pkg, prefix, mode).ok());
        CHECK(!fs::is_symlink(prefix / "etc/a.conf"));
        CHECK(*base::read_file(prefix / "etc/a.conf") == "pkg");
        CHECK(*base::read_file(prefix / "etc/b.conf") == "at " + prefix.string());
    }
    c.check_untouched();
}

TEST_CASE("removing a package whose directory became a symlink leaves the link's target alone") {
    Canary c;
    both_methods([&] {
        auto tmp = *base::TempDir::create();
        // The package owns share/data/secret.txt and share/data/sub/x.txt (sub/ pruned when empty).
        fs::path pkg = make_package(tmp.path() / "pkgs", "lib", "1", "0",
                                    {{"share/data/secret.txt", "pkg"}, {"share/data/sub/x.txt", "x"}});
        fs::path prefix = tmp.path() / "env";
        auto linked = link_once(pkg, prefix, LinkMode::copy);
        REQUIRE(linked.ok());
        fs::create_directories(c.dir / "sub");
        // Since the install, the package's directory was replaced by a link to the host's.
        fs::remove_all(prefix / "share/data");
        fs::create_directory_symlink(c.dir, prefix / "share/data");
        PrefixRecord rec;
        rec.package.name = "lib";
        rec.package.version = "1";
        rec.package.build = "0";
        rec.paths = linked->paths;
        UnlinkOptions o;
        o.remove_record = false;
        auto st = unlink_package(prefix, rec, o);
        REQUIRE(st.ok());
        CHECK(st->removed == 0);
        CHECK(st->missing == 2);
        CHECK(fs::is_directory(c.dir / "sub"));  // not pruned through the link
        fs::remove(c.dir / "sub");
        c.check_untouched();
    });
}
