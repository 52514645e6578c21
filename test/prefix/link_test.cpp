#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "fake_package.hpp"
#include "link_helpers.hpp"
#include "parts_helpers.hpp"
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

namespace {

/// A package large enough to be cut into many parts: files in several directories (some
/// executable, some with placeholders), symlinks, and an empty directory.
std::vector<FakeFile> many_files() {
    std::vector<FakeFile> f = sample_files();
    for (int d = 0; d < 6; ++d) {
        for (int k = 0; k < 40; ++k) {
            const std::string dir = "lib/d" + std::to_string(d) + "/";
            const std::string name = dir + "f" + std::to_string(k);
            if (k % 13 == 5) f.push_back({name, "at " + kPh + " " + std::to_string(k) + "\n", "hardlink", kPh, "text"});
            else if (k % 11 == 3) f.push_back({name, "link", "softlink"});  // content = target
            else f.push_back({name, std::string(1 + k * 37, static_cast<char>('a' + d)), "hardlink", "", "text", false,
                              k % 7 == 0 ? 0755u : 0644u});
        }
    }
    f.push_back({"share/many/empty", "", "directory"});
    return f;
}

/// Everything below `root`: relative path -> kind, content or link target, permission bits.
std::map<std::string, std::string> tree_of(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        const fs::path& p = it->path();
        const std::string rel = fs::relative(p, root).string();
        if (rel.rfind("conda-meta", 0) == 0) continue;
        if (fs::is_symlink(p)) out[rel] = "link " + fs::read_symlink(p).string();
        else if (fs::is_directory(p)) out[rel] = "dir";
        else out[rel] = "file " + std::to_string(mode_of(p) & 07777) + " " + read(p);
    }
    return out;
}

std::string describe(const LinkResult& r) {
    std::string s;
    for (const auto& p : r.paths)
        s += p.path + " " + std::to_string(static_cast<int>(p.type)) + " " + p.sha256 + " " + p.sha256_in_prefix + " " +
             std::to_string(p.size.value_or(0)) + " " + p.original_path + "\n";
    s += "stats " + std::to_string(r.stats.hardlinked) + " " + std::to_string(r.stats.copied) + " " +
         std::to_string(r.stats.patched) + " " + std::to_string(r.stats.symlinks) + " " +
         std::to_string(r.stats.directories) + " link " + std::to_string(static_cast<int>(r.link_type)) +
         " warnings " + std::to_string(r.warnings.size());
    return s;
}

}  // namespace

TEST_CASE("a package placed in parts by several threads at once is the package linked in one go") {
    auto tmp = *base::TempDir::create();
    fs::path pkg = make_package(tmp.path() / "pkgs", "many", "1.0", "h0", many_files());
    auto info = read_package_info(pkg);
    REQUIRE(info.ok());
    // Some targets in the middle of the parts lost to another package.
    std::unordered_set<std::string> clobbered{"lib/d2/f0", "lib/d2/f1", "lib/d4/f20", "bin/tool"};
    for (LinkMode mode : {LinkMode::hardlink, LinkMode::copy}) {
        CAPTURE(link_mode_name(mode));
        LinkOptions o;
        o.mode = mode;
        o.clobbered = &clobbered;
        o.placeholder_prefix = "/opt/env";  // the same rewritten files in both prefixes
        const fs::path whole = tmp.path() / (std::string("whole-") + link_mode_name(mode));
        auto one = link_package(pkg, *info, whole, o);
        REQUIRE_MESSAGE(one.ok(), (one.ok() ? "" : one.error().to_string()));

        const fs::path parted = tmp.path() / (std::string("parts-") + link_mode_name(mode));
        auto l = PackageLink::prepare(pkg, *info, parted, o);
        REQUIRE_MESSAGE(l.ok(), (l.ok() ? "" : l.error().to_string()));
        REQUIRE(l->size() == info->paths.size());
        CHECK(l->splittable());
        // Parts of uneven sizes (1, 2, 3, ... entries), placed in any order by four threads.
        std::size_t ranges = 0;
        const auto errors = place_in_parts(l->size(), [&](std::size_t b, std::size_t e) { return l->link(b, e); }, &ranges);
        REQUIRE(ranges > 8);
        REQUIRE(errors.empty());
        auto parts = l->finish();
        REQUIRE_MESSAGE(parts.ok(), (parts.ok() ? "" : parts.error().to_string()));
        CHECK(describe(*parts) == describe(*one));
        CHECK(tree_of(parted) == tree_of(whole));
        CHECK(tree_of(parted).count("__clobbers__/many/lib/d4/f20") == 1);
        if (mode == LinkMode::hardlink)
            CHECK(inode_of(parted / "lib/d0/f1") == inode_of(pkg / "lib/d0/f1"));
        else
            CHECK(inode_of(parted / "lib/d0/f1") != inode_of(pkg / "lib/d0/f1"));
    }
}

TEST_CASE("a package in parts: every entry must be placed before it is finished") {
    auto tmp = *base::TempDir::create();
    fs::path pkg = make_package(tmp.path() / "pkgs", "many", "1.0", "h0", many_files());
    auto info = read_package_info(pkg);
    REQUIRE(info.ok());
    auto l = PackageLink::prepare(pkg, *info, tmp.path() / "env");
    REQUIRE(l.ok());
    REQUIRE(l->link(0, l->size() / 2).ok());
    REQUIRE(l->link(l->size() / 2 + 1, l->size()).ok());  // one entry left out
    auto r = l->finish();
    REQUIRE(!r.ok());
    CHECK(r.error().message.find("entries were placed") != std::string::npos);
}

TEST_CASE("a package that lists a path twice is placed by one thread, in its order") {
    auto tmp = *base::TempDir::create();
    std::vector<FakeFile> files = sample_files();
    files.push_back({"lib/libfoo.so.1", "\x7f" "ELF plain"s});  // listed again
    fs::path pkg = make_package(tmp.path() / "pkgs", "twice", "1.0", "h0", files);
    auto info = read_package_info(pkg);
    REQUIRE(info.ok());
    auto l = PackageLink::prepare(pkg, *info, tmp.path() / "env");
    REQUIRE(l.ok());
    CHECK(!l->splittable());
    fs::path other = make_package(tmp.path() / "pkgs", "once", "1.0", "h0", sample_files());
    auto once_info = read_package_info(other);
    REQUIRE(once_info.ok());
    auto once = PackageLink::prepare(other, *once_info, tmp.path() / "env2");
    REQUIRE(once.ok());
    CHECK(once->splittable());
}

namespace {

/// Checks that `parts` cut each package of `weights` into contiguous parts covering every
/// entry once, at most `workers` parts per package (one where not splittable), heaviest first.
void check_parts(const std::vector<LinkPart>& parts, const std::vector<std::vector<std::uint64_t>>& weights,
                 const std::vector<bool>& splittable, std::size_t workers) {
    std::vector<std::vector<LinkPart>> per(weights.size());
    for (std::size_t k = 0; k < parts.size(); ++k) {
        REQUIRE(parts[k].package < weights.size());
        if (k > 0) CHECK(parts[k - 1].weight >= parts[k].weight);
        std::uint64_t w = 0;
        for (std::size_t i = parts[k].begin; i < parts[k].end; ++i) w += weights[parts[k].package][i];
        CHECK(w == parts[k].weight);
        per[parts[k].package].push_back(parts[k]);
    }
    for (std::size_t p = 0; p < weights.size(); ++p) {
        auto& v = per[p];
        REQUIRE(!v.empty());
        std::sort(v.begin(), v.end(), [](const LinkPart& a, const LinkPart& b) { return a.begin < b.begin; });
        CHECK(v.front().begin == 0);
        CHECK(v.back().end == weights[p].size());
        for (std::size_t k = 1; k < v.size(); ++k) CHECK(v[k].begin == v[k - 1].end);
        for (const auto& part : v)
            if (!weights[p].empty()) CHECK(part.begin < part.end);
        CHECK(v.size() <= std::max<std::size_t>(workers, 1));
        if (!splittable[p] || workers <= 1) CHECK(v.size() == 1);
    }
}

}  // namespace

TEST_CASE("plan_link_parts: a package with most of the work is cut for every worker, small ones are not") {
    std::vector<std::vector<std::uint64_t>> weights{std::vector<std::uint64_t>(1000, 1)};
    for (int p = 0; p < 9; ++p) weights.emplace_back(10, 1);
    std::vector<bool> splittable(weights.size(), true);

    auto parts = plan_link_parts(weights, splittable, 4);
    check_parts(parts, weights, splittable, 4);
    REQUIRE(parts.size() == 4 + 9);
    for (std::size_t k = 0; k < 4; ++k) {
        CHECK(parts[k].package == 0);
        CHECK(parts[k].weight == 250);
    }

    auto single = plan_link_parts(weights, splittable, 1);
    check_parts(single, weights, splittable, 1);
    CHECK(single.size() == weights.size());
    CHECK(single.front().package == 0);  // heaviest first

    splittable[0] = false;
    auto whole = plan_link_parts(weights, splittable, 4);
    check_parts(whole, weights, splittable, 4);
    CHECK(whole.size() == weights.size());

    // One entry heavier than the rest together: the cut falls beside it.
    std::vector<std::vector<std::uint64_t>> heavy{{1, 1000, 1, 1}, {}};
    auto h = plan_link_parts(heavy, {true, true}, 4);
    check_parts(h, heavy, {true, true}, 4);

    // Copied bytes count: a 1 MiB file weighs as much as 64 small files more.
    PathEntry big;
    big.size = 1 << 20;
    CHECK(link_weight(big, true) == 65);
    CHECK(link_weight(big, false) == 1);
    CHECK(link_weight(PathEntry{}, true) == 1);
}

TEST_CASE("plan_link_parts: every entry in exactly one part, for any weights") {
    std::uint64_t seed = 12345;
    auto next = [&] {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return seed >> 33;
    };
    for (int round = 0; round < 300; ++round) {
        std::vector<std::vector<std::uint64_t>> weights(1 + next() % 12);
        std::vector<bool> splittable;
        for (auto& w : weights) {
            w.resize(next() % (next() % 4 == 0 ? 2000 : 40));
            for (auto& x : w) x = 1 + (next() % 10 == 0 ? next() % 500 : 0);
            splittable.push_back(next() % 5 != 0);
        }
        const std::size_t workers = next() % 9;
        CAPTURE(round);
        check_parts(plan_link_parts(weights, splittable, workers), weights, splittable, workers);
    }
}
