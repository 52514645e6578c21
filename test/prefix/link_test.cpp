#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "fake_package.hpp"
#include "link_helpers.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/prefix/clobber.hpp"
#include "pixi_install/prefix/conda_meta.hpp"
#include "pixi_install/prefix/link.hpp"
#include "pixi_install/prefix/link_scripts.hpp"
#include "pixi_install/prefix/unlink.hpp"
#include "pixi_install/prefix/verify.hpp"

using namespace pixi_install;
using namespace pixi_install::prefix;
using namespace pixi_install::test;
using namespace std::string_literals;
namespace fs = std::filesystem;


TEST_CASE("hardlink mode: payload shares the cache inode, placeholder and no_link files are written") {
    auto tmp = *base::TempDir::create();
    fs::path pkg = make_package(tmp.path() / "pkgs", "foo", "1.0", "h0", sample_files());
    fs::path prefix = tmp.path() / "env";
    LinkOptions o;
    o.mode = LinkMode::hardlink;
    PrefixRecord rec = link_and_record(pkg, prefix, o);

    CHECK(inode_of(prefix / "bin/tool") == inode_of(pkg / "bin/tool"));
    CHECK(inode_of(prefix / "lib/libfoo.so.1") == inode_of(pkg / "lib/libfoo.so.1"));
    CHECK(inode_of(prefix / "etc/foo.conf") != inode_of(pkg / "etc/foo.conf"));
    CHECK(inode_of(prefix / "lib/libbar.so") != inode_of(pkg / "lib/libbar.so"));
    CHECK(inode_of(prefix / "share/foo/data.txt") != inode_of(pkg / "share/foo/data.txt"));
    CHECK(read(prefix / "etc/foo.conf") == "root=" + prefix.string() + "\n");
    CHECK(read(pkg / "etc/foo.conf") == "root=" + kPh + "\n");  // the cache is untouched
    std::string bin = read(prefix / "lib/libbar.so");
    CHECK(bin.size() == read(pkg / "lib/libbar.so").size());
    CHECK(bin.find(prefix.string() + "/lib\0"s) != std::string::npos);
    CHECK((mode_of(prefix / "lib/libbar.so") & 0111) != 0);
    CHECK((mode_of(prefix / "bin/tool") & 0111) != 0);
    CHECK(fs::is_symlink(prefix / "lib/libfoo.so"));
    CHECK(fs::read_symlink(prefix / "lib/libfoo.so") == "libfoo.so.1");
    CHECK(fs::is_directory(prefix / "share/foo/empty"));
    CHECK(rec.link_type == CondaLinkType::hardlink);

    // The record: sha256_in_prefix only where the prefix copy differs, patched size.
    auto recs = read_prefix_records(prefix);
    REQUIRE(recs.ok());
    REQUIRE(recs->size() == 1);
    const PrefixRecord& r = (*recs)[0];
    CHECK(r.package.name == "foo");
    CHECK(r.package.license == "MIT");
    CHECK(r.files.size() == 7);
    CHECK(r.extracted_package_dir == pkg.string());
    auto ids = read_prefix_records(prefix, ReadDepth::identity);
    REQUIRE(ids.ok());
    REQUIRE(ids->size() == 1);
    CHECK((*ids)[0].package.sha256 == std::string(64, 'a'));
    CHECK((*ids)[0].package.url == r.package.url);
    CHECK((*ids)[0].files.empty());
    CHECK((*ids)[0].paths.empty());
    for (const auto& p : r.paths) {
        if (p.path == "etc/foo.conf") {
            CHECK(p.sha256_in_prefix == base::sha256_hex("root=" + prefix.string() + "\n"));
            CHECK(p.size == ("root=" + prefix.string() + "\n").size());
            CHECK(p.prefix_placeholder == kPh);
        } else if (p.path == "lib/libfoo.so") {
            CHECK(p.type == PathType::softlink);
            CHECK(p.sha256_in_prefix == base::sha256_hex("libfoo.so.1"));
        } else if (p.path == "bin/tool") {
            CHECK(p.sha256_in_prefix.empty());
            CHECK(p.sha256 == base::sha256_hex("#!/bin/sh\necho hi\n"));
        } else if (p.path == "share/foo/data.txt") {
            CHECK(p.no_link);
        } else if (p.path == "lib/libbar.so") {
            CHECK(p.file_mode == FileMode::binary);
            CHECK(!p.sha256_in_prefix.empty());
        }
    }
}

TEST_CASE("copy mode: no shared inodes, content and permissions kept") {
    auto tmp = *base::TempDir::create();
    fs::path pkg = make_package(tmp.path() / "pkgs", "foo", "1.0", "h0", sample_files());
    fs::path prefix = tmp.path() / "env";
    LinkOptions o;
    o.mode = LinkMode::copy;
    PrefixRecord rec = link_and_record(pkg, prefix, o);
    CHECK(inode_of(prefix / "bin/tool") != inode_of(pkg / "bin/tool"));
    CHECK(read(prefix / "bin/tool") == read(pkg / "bin/tool"));
    CHECK(mode_of(prefix / "bin/tool") == 0755);
    CHECK(rec.link_type == CondaLinkType::copy);
}

TEST_CASE("auto mode links from the cache and still never links placeholder files") {
    auto tmp = *base::TempDir::create();
    fs::path pkg = make_package(tmp.path() / "pkgs", "foo", "1.0", "h0", sample_files());
    fs::path prefix = tmp.path() / "env";
    LinkProbe probe;
    LinkOptions o;
    o.probe = &probe;
    auto info = *read_package_info(pkg);
    auto res = link_package(pkg, info, prefix, o);
    REQUIRE(res.ok());
    CHECK(res->stats.reflinked + res->stats.hardlinked == 2);
    CHECK(res->stats.patched == 2);
    CHECK(res->stats.copied == 1);  // the no_link file
    CHECK(inode_of(prefix / "etc/foo.conf") != inode_of(pkg / "etc/foo.conf"));
    // Linking again over an existing prefix replaces files.
    auto again = link_package(pkg, info, prefix, o);
    REQUIRE(again.ok());
    CHECK(read(prefix / "etc/foo.conf") == "root=" + prefix.string() + "\n");
}

TEST_CASE("forced reflink either clones or fails with a clear message") {
    auto tmp = *base::TempDir::create();
    fs::path pkg = make_package(tmp.path() / "pkgs", "foo", "1.0", "h0", sample_files());
    LinkOptions o;
    o.mode = LinkMode::reflink;
    auto info = *read_package_info(pkg);
    auto res = link_package(pkg, info, tmp.path() / "env", o);
    if (res.ok()) {
        CHECK(res->stats.reflinked == 2);
        CHECK(inode_of(tmp.path() / "env/bin/tool") != inode_of(pkg / "bin/tool"));
        CHECK(res->link_type == CondaLinkType::copy);
    } else {
        CHECK(res.error().to_string().find("reflink") != std::string::npos);
    }
}

TEST_CASE("binary placeholder shorter than the prefix fails the link") {
    auto tmp = *base::TempDir::create();
    std::vector<FakeFile> f{{"lib/x.so", "a\0/ph\0"s, "hardlink", "/ph", "binary"}};
    fs::path pkg = make_package(tmp.path() / "pkgs", "short", "1", "0", f);
    auto info = *read_package_info(pkg);
    auto res = link_package(pkg, info, tmp.path() / "env");
    REQUIRE(!res.ok());
    CHECK(res.error().to_string().find("longer") != std::string::npos);
}

TEST_CASE("noarch python: site-packages and python-scripts relocated, entry points written") {
    auto tmp = *base::TempDir::create();
    std::vector<FakeFile> f{{"site-packages/mypkg/__init__.py", "def main():\n    print('hello from mypkg')\n"},
                            {"python-scripts/helper", "#!/bin/sh\n", "hardlink", "", "text", false, 0755},
                            {"site-packages/mypkg-1.0.dist-info/METADATA", "Name: mypkg\n"}};
    fs::path pkg = make_package(tmp.path() / "pkgs", "mypkg", "1.0", "pyh0", f, "python",
                                R"({"noarch": {"type": "python", "entry_points": ["mytool = mypkg:main"]}})");
    fs::path prefix = tmp.path() / "env";
    LinkOptions o;
    o.python = *spec::PythonInfo::from_record("3.11.4", std::nullopt);
    PrefixRecord rec = link_and_record(pkg, prefix, o);
    CHECK(fs::exists(prefix / "lib/python3.11/site-packages/mypkg/__init__.py"));
    CHECK(fs::exists(prefix / "bin/helper"));
    CHECK(!fs::exists(prefix / "site-packages"));
    REQUIRE(fs::exists(prefix / "bin/mytool"));
    CHECK((mode_of(prefix / "bin/mytool") & 0111) != 0);
    // Entry points follow the umask like every file this user creates (never group-writable by force).
    CHECK((mode_of(prefix / "bin/mytool") & 0777) == (0777 & ~base::current_umask()));
    std::string script = read(prefix / "bin/mytool");
    CHECK(script.rfind("#!" + prefix.string() + "/bin/python3.11\n", 0) == 0);
    bool found = false;
    for (const auto& p : rec.paths)
        if (p.path == "bin/mytool") {
            found = true;
            CHECK(p.type == PathType::unix_python_entry_point);
            CHECK(p.sha256 == base::sha256_hex(script));
        }
    CHECK(found);
    CHECK(rec.package.noarch == "python");

    // Without a python, noarch: python cannot be linked.
    auto info = *read_package_info(pkg);
    CHECK(!link_package(pkg, info, tmp.path() / "env2").ok());
}

TEST_CASE("conda-meta record json round trip") {
    PrefixRecord r;
    r.package.name = "zlib";
    r.package.version = "1.3.1";
    r.package.build = "hb9d3cd8_2";
    r.package.build_number = 2;
    r.package.subdir = "linux-64";
    r.package.url = "https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda";
    r.package.sha256 = std::string(64, 'b');
    r.package.md5 = std::string(32, 'c');
    r.package.size = 92286;
    r.package.depends = {"__glibc >=2.17,<3.0.a0", "libgcc >=13"};
    r.package.constrains = {"zlib-ng <0"};
    r.package.timestamp = 1727963148474;
    r.package.python_site_packages_path = "lib/python3.13t/site-packages";
    PrefixPath p;
    p.path = "__clobbers__/zlib/lib/libz.so";
    p.original_path = "lib/libz.so";
    p.type = PathType::softlink;
    p.sha256 = std::string(64, 'd');
    p.sha256_in_prefix = std::string(64, 'e');
    p.size = 13;
    r = make_prefix_record(r.package, {p}, CondaLinkType::copy, "/cache/zlib-1.3.1-hb9d3cd8_2");
    CHECK(r.package.fn == "zlib-1.3.1-hb9d3cd8_2.conda");
    CHECK(r.file_name() == "zlib-1.3.1-hb9d3cd8_2.json");
    std::string text = record_to_json(r);
    CHECK(text.find("\"requested_specs\": []") != std::string::npos);
    CHECK(text.find("\"paths_version\": 1") != std::string::npos);
    CHECK(text.find("\"type\": 3") != std::string::npos);
    auto back = record_from_json(text);
    REQUIRE(back.ok());
    CHECK(back->package.name == "zlib");
    CHECK(back->package.build_number == 2);
    CHECK(back->package.depends == r.package.depends);
    CHECK(back->package.constrains == r.package.constrains);
    CHECK(back->package.size == 92286u);
    CHECK(back->package.python_site_packages_path == "lib/python3.13t/site-packages");
    CHECK(back->link_type == CondaLinkType::copy);
    CHECK(back->extracted_package_dir == "/cache/zlib-1.3.1-hb9d3cd8_2");
    REQUIRE(back->paths.size() == 1);
    CHECK(back->paths[0].original_path == "lib/libz.so");
    CHECK(back->paths[0].owned_path() == "lib/libz.so");
    CHECK(back->paths[0].type == PathType::softlink);
    CHECK(back->paths[0].sha256_in_prefix == std::string(64, 'e'));
    CHECK(back->files == std::vector<std::string>{"__clobbers__/zlib/lib/libz.so"});
}

TEST_CASE("unlink removes exactly the recorded files and the directories that became empty") {
    auto tmp = *base::TempDir::create();
    fs::path pkg = make_package(tmp.path() / "pkgs", "foo", "1.0", "h0", sample_files());
    fs::path prefix = tmp.path() / "env";
    PrefixRecord rec = link_and_record(pkg, prefix);
    (void)base::write_file_atomic(prefix / "lib/unknown.txt", "keep me");
    auto st = unlink_package(prefix, rec);
    REQUIRE(st.ok());
    CHECK(st->removed == 6);
    CHECK(!fs::exists(prefix / "bin"));
    CHECK(!fs::exists(prefix / "etc"));
    CHECK(!fs::exists(prefix / "share"));
    CHECK(fs::exists(prefix / "lib/unknown.txt"));
    CHECK(!fs::exists(prefix / "lib/libfoo.so.1"));
    CHECK(!fs::is_symlink(prefix / "lib/libfoo.so"));
    CHECK(!fs::exists(prefix / "conda-meta" / rec.file_name()));
    CHECK(fs::exists(prefix));
    CHECK(fs::exists(pkg / "bin/tool"));  // the cache keeps its files
}

TEST_CASE("a directory that becomes a file in the next version") {
    auto tmp = *base::TempDir::create();
    fs::path v1 = make_package(tmp.path() / "pkgs", "dirup", "0.1.0", "h0", {{"xbin/content.txt", "content"}});
    fs::path v2 = make_package(tmp.path() / "pkgs", "dirup", "0.2.0", "h0", {{"xbin", ""}, {"bin/content.txt", "content"}});
    fs::path prefix = tmp.path() / "env";
    PrefixRecord r1 = link_and_record(v1, prefix);
    REQUIRE(unlink_package(prefix, r1).ok());
    link_and_record(v2, prefix);
    CHECK(fs::is_regular_file(prefix / "xbin"));
    CHECK(fs::is_regular_file(prefix / "bin/content.txt"));
    auto recs = *read_prefix_records(prefix);
    REQUIRE(recs.size() == 1);
    CHECK(recs[0].package.version == "0.2.0");
}

TEST_CASE("legacy packages without paths.json are reconstructed from info/files and has_prefix") {
    auto tmp = *base::TempDir::create();
    fs::path pkg = tmp.path() / "legacy-1-0";
    fs::create_directories(pkg / "info");
    fs::create_directories(pkg / "bin");
    (void)base::write_file_atomic(pkg / "bin/script", "#!" + kPh + "/bin/python\nprint(1)\n");
    (void)base::write_file_atomic(pkg / "bin/data", "plain");
    fs::create_symlink("data", pkg / "bin/link");
    (void)base::write_file_atomic(pkg / "info/files", "bin/script\nbin/data\nbin/link\n");
    (void)base::write_file_atomic(pkg / "info/has_prefix", "bin/script\n");
    (void)base::write_file_atomic(pkg / "info/no_link", "bin/data\n");
    (void)base::write_file_atomic(pkg / "info/index.json", R"({"name": "legacy", "version": "1", "build": "0"})");
    auto info = read_package_info(pkg);
    REQUIRE(info.ok());
    CHECK(info->legacy_paths);
    REQUIRE(info->paths.size() == 3);
    CHECK(info->paths[0].prefix_placeholder == kPh);
    CHECK(info->paths[1].no_link);
    CHECK(info->paths[2].type == PathType::softlink);
    fs::path prefix = tmp.path() / "env";
    PrefixRecord rec = link_and_record(pkg, prefix);
    CHECK(read(prefix / "bin/script") == "#!" + prefix.string() + "/bin/python\nprint(1)\n");
    CHECK(inode_of(prefix / "bin/data") != inode_of(pkg / "bin/data"));
    CHECK(fs::is_symlink(prefix / "bin/link"));
    for (const auto& p : rec.paths) {
        CHECK(p.sha256.empty());
        if (p.path == "bin/data") CHECK(p.sha256_in_prefix == base::sha256_hex("plain"));
    }
    base::ThreadPool pool(1);
    auto v = verify_prefix(prefix, {}, pool);
    REQUIRE(v.ok());
    CHECK(v->ok());

    fs::path bad = tmp.path() / "nofiles-1-0";
    fs::create_directories(bad / "info");
    (void)base::write_file_atomic(bad / "info/index.json", R"({"name": "nofiles", "version": "1", "build": "0"})");
    CHECK(!read_package_info(bad).ok());
}

TEST_CASE("post-link scripts are found, not run by linking, and run on request with the documented env") {
    auto tmp = *base::TempDir::create();
    std::string script = "echo \"$PKG_NAME $PKG_VERSION $PKG_BUILDNUM\" > \"$PREFIX/ran.txt\"\n"
                         "echo note >> \"$PREFIX/.messages.txt\"\necho out\nexit 3\n";
    fs::path pkg = make_package(tmp.path() / "pkgs", "scripted", "2.0", "1", {{"bin/.scripted-post-link.sh", script}});
    fs::path prefix = tmp.path() / "env";
    auto info = *read_package_info(pkg);
    auto res = link_package(pkg, info, prefix);
    REQUIRE(res.ok());
    CHECK(res->post_link_script == "bin/.scripted-post-link.sh");
    CHECK(!fs::exists(prefix / "ran.txt"));
    auto run = run_link_script(prefix, res->post_link_script, {"scripted", "2.0", "1"}, {"PATH=/usr/bin:/bin"});
    REQUIRE(run.ok());
    CHECK(run->exit_code == 3);
    CHECK(run->output == "out\n");
    CHECK(run->messages == "note\n");
    CHECK(!fs::exists(prefix / ".messages.txt"));
    CHECK(read(prefix / "ran.txt") == "scripted 2.0 1\n");
}

TEST_CASE("a package cannot write through its own symlink") {
    auto tmp = *base::TempDir::create();
    fs::path outside = tmp.path() / "outside";
    fs::create_directories(outside);
    fs::path pkg = make_package(tmp.path() / "pkgs", "evil", "1", "0", {{"escape/owned.txt", "pwned"}});
    // paths.json also declares `escape` a symlink (to the outside), listed first.
    (void)base::write_file_atomic(pkg / "info/paths.json",
                                  R"({"paths": [{"_path": "escape", "path_type": "softlink"},
                                                {"_path": "escape/owned.txt", "path_type": "hardlink"}]})");
    fs::remove_all(pkg / "escape");
    fs::create_symlink(outside, pkg / "escape");
    auto info = *read_package_info(pkg);
    auto res = link_package(pkg, info, tmp.path() / "env");
    REQUIRE(!res.ok());
    CHECK(res.error().kind == base::ErrorKind::integrity);
    CHECK(!fs::exists(outside / "owned.txt"));
}
