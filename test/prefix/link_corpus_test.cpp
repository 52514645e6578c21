// Linking the real packages of corpus/conda-pkgs into prefixes.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "fake_package.hpp"
#include "pixi_install/archive/extract.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/prefix/clobber.hpp"
#include "pixi_install/prefix/conda_meta.hpp"
#include "pixi_install/prefix/link.hpp"
#include "pixi_install/prefix/unlink.hpp"
#include "pixi_install/prefix/verify.hpp"
#include "support.hpp"

using namespace pixi_install;
using namespace pixi_install::prefix;
using pixi_install::test::inode_of;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

fs::path corpus() { return test::corpus_dir() / "conda-pkgs"; }

std::string stem_of(const std::string& file) {
    if (file.size() > 8 && file.compare(file.size() - 8, 8, ".tar.bz2") == 0) return file.substr(0, file.size() - 8);
    if (file.size() > 6 && file.compare(file.size() - 6, 6, ".conda") == 0) return file.substr(0, file.size() - 6);
    return file;
}

/// A package cache of extracted corpus archives, shared by the tests (extracted once).
struct Cache {
    base::TempDir dir = *base::TempDir::create();
    std::map<std::string, fs::path> extracted;

    fs::path get(const std::string& file) {
        auto it = extracted.find(file);
        if (it != extracted.end()) return it->second;
        std::string name = stem_of(file) + (file.size() > 6 && file.substr(file.size() - 6) == ".conda" ? "-c" : "-b");
        fs::path dest = dir.path() / "pkgs" / name;
        auto r = archive::extract_conda_package(corpus() / file, dest);
        REQUIRE_MESSAGE(r.ok(), file << ": " << (r.ok() ? "" : r.error().to_string()));
        extracted[file] = dest;
        return dest;
    }
};

Cache& cache() {
    static Cache c;
    return c;
}

spec::PythonInfo py311() { return *spec::PythonInfo::from_record("3.11.9", std::nullopt); }

std::string read(const fs::path& p) { return *base::read_file(p); }

struct Installed {
    PrefixRecord record;
    LinkResult result;
};

/// Links one corpus package the way the install pipeline does and writes its record.
base::Result<Installed> install(const std::string& file, const fs::path& prefix, LinkOptions opts = {}) {
    fs::path pkg = cache().get(file);
    PI_TRY(PackageInfo info, read_package_info(pkg));
    if (!opts.python) opts.python = py311();
    PI_TRY(LinkResult res, link_package(pkg, info, prefix, opts));
    PackageRecord pr;
    pr.fn = file;
    pr.url = "https://example.invalid/channel/" + info.index.subdir + "/" + file;
    pr.channel = "https://example.invalid/channel/";
    complete_from_index(pr, info.index);
    PI_TRY_VOID(prepare_conda_meta(prefix));
    PrefixRecord rec = make_prefix_record(pr, res.paths, res.link_type, pkg.string());
    PI_TRY_VOID(write_prefix_record(prefix, rec));
    return Installed{std::move(rec), std::move(res)};
}

std::vector<std::string> corpus_files() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(corpus())) {
        std::string n = e.path().filename().string();
        if (n.size() > 6 && (stem_of(n) != n)) out.push_back(n);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Tree listing (relative path -> "f:<content hash>", "l:<target>", "d") outside conda-meta.
std::map<std::string, std::string> tree(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        std::string rel = fs::relative(it->path(), root).string();
        if (rel.rfind("conda-meta", 0) == 0) continue;
        if (it->is_symlink()) out[rel] = "l:" + fs::read_symlink(it->path()).string();
        else if (it->is_directory()) out[rel] = "d";
        else out[rel] = "f:" + *base::hash_file(it->path(), base::HashAlgo::sha256);
    }
    return out;
}

}  // namespace

TEST_CASE("every corpus package links; the payload-stripped ones fail cleanly") {
    // Payload stripped (spiffy, flask) or paths.json naming a file the archive lacks (testfile).
    const std::set<std::string> broken = {"spiffy-test-app-0.5-pyh6afbcc8_0.tar.bz2", "flask-0.11.1-py_0.tar.bz2",
                                          "testfile-0.0.57-0.tar.bz2"};
    auto files = corpus_files();
    REQUIRE(files.size() >= 29);
    base::ThreadPool pool(2);
    for (const auto& f : files) {
        CAPTURE(f);
        auto tmp = *base::TempDir::create();
        fs::path prefix = tmp.path() / "env";
        auto r = install(f, prefix);
        if (broken.count(f)) {
            REQUIRE(!r.ok());
            CHECK(r.error().kind == base::ErrorKind::integrity);
            CHECK(r.error().to_string().find(stem_of(f).substr(0, 5)) != std::string::npos);
            continue;
        }
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().to_string()));
        auto recs = read_prefix_records(prefix);
        REQUIRE(recs.ok());
        REQUIRE(recs->size() == 1);
        CHECK((*recs)[0].files.size() == r->record.paths.size());
        auto v = verify_prefix(prefix, {}, pool);
        REQUIRE(v.ok());
        CHECK_MESSAGE(v->ok(), f << ": " << (v->issues.empty() ? "" : v->issues[0].path));
    }
}

TEST_CASE("binary and text placeholders in the osx zlib") {
    auto tmp = *base::TempDir::create();
    fs::path prefix = tmp.path() / "env";
    auto r = install("zlib-1.2.11-h1de35cc_3.conda", prefix);
    REQUIRE(r.ok());
    fs::path pkg = cache().get("zlib-1.2.11-h1de35cc_3.conda");
    std::string before = read(pkg / "lib/libz.1.2.11.dylib");
    std::string after = read(prefix / "lib/libz.1.2.11.dylib");
    CHECK(after.size() == before.size());
    CHECK(after.size() == 100996);
    CHECK(after.find("_h_env_placehold") == std::string::npos);
    const std::string placeholder = r->result.paths.size() ? "" : "";
    auto at = after.find(prefix.string() + "/lib\0"s);
    REQUIRE(at != std::string::npos);
    // the C-string is NUL padded up to where the original one ended
    auto orig = before.find("/opt/concourse/worker/volumes/live/");
    REQUIRE(orig != std::string::npos);
    CHECK(at == orig);
    auto orig_end = before.find('\0', orig);
    CHECK(after[orig_end - 1] == '\0');
    CHECK(after.substr(orig_end) == before.substr(orig_end));
    std::string pc = read(prefix / "lib/pkgconfig/zlib.pc");
    CHECK(pc.find("/opt/anaconda1anaconda2anaconda3") == std::string::npos);
    CHECK(pc.find("prefix=" + prefix.string()) != std::string::npos);
    for (const auto& p : r->record.paths) {
        if (p.path == "lib/libz.1.2.11.dylib") {
            CHECK(p.file_mode == FileMode::binary);
            CHECK(p.sha256_in_prefix == base::sha256_hex(after));
            CHECK(p.size == 100996u);
        }
    }
}

TEST_CASE("text placeholders in xtensor-io cmake and pkg-config files") {
    auto tmp = *base::TempDir::create();
    fs::path prefix = tmp.path() / "env";
    auto r = install("xtensor-io-0.10.3-hb585cf6_0.tar.bz2", prefix);
    REQUIRE(r.ok());
    int patched = 0;
    for (const auto& p : r->record.paths) {
        if (p.prefix_placeholder.empty()) continue;
        ++patched;
        std::string text = read(prefix / p.path);
        CHECK(text.find(p.prefix_placeholder) == std::string::npos);
        CHECK(inode_of(prefix / p.path) != inode_of(cache().get("xtensor-io-0.10.3-hb585cf6_0.tar.bz2") / p.path));
    }
    CHECK(patched > 0);
}

TEST_CASE("symlinks stay symlinks: directory links, chains and dangling links") {
    auto tmp = *base::TempDir::create();
    fs::path prefix = tmp.path() / "env";
    REQUIRE(install("cph_test_data-0.0.1-0.tar.bz2", prefix).ok());
    CHECK(fs::is_symlink(prefix / "bin/hello"));
    CHECK(fs::read_symlink(prefix / "bin/hello") == "hello-1.0");
    CHECK(fs::read_symlink(prefix / "libexec/greetings") == "../bin/hello");
    CHECK(fs::read_symlink(prefix / "lib/alib") == "alibrary");
    CHECK(fs::is_symlink(prefix / "lib/libdangle.lib"));
    CHECK(!fs::exists(prefix / "lib/libdangle.lib"));
    CHECK(read(prefix / "libexec/greetings") == read(prefix / "bin/hello-1.0"));
    CHECK((test::mode_of(prefix / "bin/hello-1.0") & 0111) != 0);

    auto tmp2 = *base::TempDir::create();
    REQUIRE(install("ca-certificates-2024.7.4-hbcca054_0.conda", tmp2.path()).ok());
    CHECK(fs::is_symlink(tmp2.path() / "ssl/cert.pem"));
    CHECK(fs::read_symlink(tmp2.path() / "ssl/cert.pem") == "cacert.pem");
}

TEST_CASE("noarch python: site-packages relocation, python-scripts, entry points that run") {
    auto tmp = *base::TempDir::create();
    fs::path prefix = tmp.path() / "env";
    auto r = install("conda-index-pkg-a-1.0-pyhed9eced_1.tar.bz2", prefix);
    REQUIRE(r.ok());
    CHECK(fs::exists(prefix / "lib/python3.11/site-packages/conda_index_pkg_a/__init__.py"));
    CHECK(!fs::exists(prefix / "site-packages"));
    CHECK(fs::exists(prefix / "bin/.conda-index-pkg-a-post-link.sh"));
    CHECK(r->result.post_link_script == "bin/.conda-index-pkg-a-post-link.sh");
    REQUIRE(fs::exists(prefix / "bin/conda-index-pkg-a"));
    REQUIRE(fs::exists(prefix / "bin/conda-index-pkg-a-helper"));

    if (!fs::exists("/usr/bin/python3")) return;
    fs::create_symlink("/usr/bin/python3", prefix / "bin/python3.11");
    std::string cmd = "cd / && MARKER=pixi-install-marker PYTHONPATH=" + prefix.string() +
                      "/lib/python3.11/site-packages " + prefix.string() + "/bin/conda-index-pkg-a";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    CHECK(::pclose(p) == 0);
    CHECK(out.find("\"MARKER\": \"pixi-install-marker\"") != std::string::npos);

    auto tmp2 = *base::TempDir::create();
    REQUIRE(install("foobar-0.1.0-pyhbf21a9e_0.conda", tmp2.path()).ok());
    CHECK(fs::is_directory(tmp2.path() / "lib/python3.11/site-packages"));
    auto free_threaded = *spec::PythonInfo::from_record("3.13.1", std::string("lib/python3.13t/site-packages"));
    auto tmp3 = *base::TempDir::create();
    LinkOptions o;
    o.python = free_threaded;
    REQUIRE(install("sample_noarch_python-1.0-py_0.conda", tmp3.path(), o).ok());
    CHECK(fs::exists(tmp3.path() / "lib/python3.13t/site-packages/sample.py"));
}

namespace {

void clobber_case(const std::vector<std::string>& files, const std::string& path, const std::string& winner,
                  bool python) {
    auto tmp = *base::TempDir::create();
    fs::path prefix = tmp.path() / "env";
    std::vector<PackageInfo> infos;
    std::vector<PackagePaths> claims;
    for (const auto& f : files) {
        infos.push_back(*read_package_info(cache().get(f)));
        claims.push_back(from_package(infos.back(), *target_paths(infos.back(), py311())));
    }
    ClobberPlan plan = resolve_clobbers(claims);
    REQUIRE(!plan.clobbers.empty());
    for (const auto& c : plan.clobbers) CHECK(c.winner == winner);
    // Link in reverse order: the winner is still the same.
    for (std::size_t k = files.size(); k-- > 0;) {
        LinkOptions o;
        o.clobbered = plan.redirects_for(infos[k].index.name);
        REQUIRE(install(files[k], prefix, o).ok());
    }
    std::string expected;
    for (std::size_t k = 0; k < files.size(); ++k) {
        fs::path src = cache().get(files[k]);
        std::string rel = python ? "site-packages/clobber/clobber.py" : path;
        if (infos[k].index.name == winner) expected = read(src / rel);
        else CHECK(fs::exists(prefix / "__clobbers__" / infos[k].index.name / (python ? "lib/python3.11/" + rel : rel)));
    }
    CHECK(read(prefix / (python ? "lib/python3.11/site-packages/clobber/clobber.py" : path)) == expected);
    base::ThreadPool pool(2);
    auto v = verify_prefix(prefix, {}, pool);
    REQUIRE(v.ok());
    CHECK(v->ok());
}

}  // namespace

TEST_CASE("clobbering packages: clobber-1 wins over clobber-2 and clobber-3, losers in __clobbers__") {
    clobber_case({"clobber-1-0.1.0-h4616a5c_0.tar.bz2", "clobber-2-0.1.0-h4616a5c_0.tar.bz2",
                  "clobber-3-0.1.0-h4616a5c_0.tar.bz2"},
                 "clobber.txt", "clobber-1", false);
    clobber_case({"clobber-pynoarch-1-0.1.0-pyh4616a5c_0.tar.bz2", "clobber-pynoarch-2-0.1.0-pyh4616a5c_0.tar.bz2"},
                 "", "clobber-pynoarch-1", true);
}

TEST_CASE("directory to file upgrade: clobber-directory-upgrade 0.1.0 -> 0.2.0") {
    auto tmp = *base::TempDir::create();
    fs::path prefix = tmp.path() / "env";
    auto v1 = install("clobber-directory-upgrade-0.1.0-h4616a5c_0.conda", prefix);
    REQUIRE(v1.ok());
    CHECK(fs::is_directory(prefix / "xbin"));
    auto installed = *read_prefix_records(prefix);
    REQUIRE(installed.size() == 1);
    REQUIRE(unlink_package(prefix, installed[0]).ok());
    auto v2 = install("clobber-directory-upgrade-0.2.0-h4616a5c_0.conda", prefix);
    REQUIRE_MESSAGE(v2.ok(), (v2.ok() ? "" : v2.error().to_string()));
    CHECK(fs::is_regular_file(prefix / "xbin"));
    CHECK(fs::is_regular_file(prefix / "bin/content.txt"));
    auto after = *read_prefix_records(prefix);
    REQUIRE(after.size() == 1);
    CHECK(after[0].package.version == "0.2.0");
}

TEST_CASE("legacy packages without paths.json") {
    auto tmp = *base::TempDir::create();
    auto d = install("distribute-0.0.1-py27_0.tar.bz2", tmp.path() / "a");
    REQUIRE(d.ok());
    CHECK(fs::is_regular_file(tmp.path() / "a/bin/testfile"));
    bool has_ph = false;
    for (const auto& p : d->record.paths)
        if (p.path == "bin/testfile") has_ph = p.prefix_placeholder == "/opt/anaconda1anaconda2anaconda3";
    CHECK(has_ph);
    auto g = install("conda_gc_test-1.2.1-py27_3.tar.bz2", tmp.path() / "b");
    REQUIRE(g.ok());
    CHECK(g->record.files.empty());
    CHECK(fs::exists(tmp.path() / "b/conda-meta/conda_gc_test-1.2.1-py27_3.json"));
}

TEST_CASE("link modes on corpus packages: hardlink shares the inode, copy does not, placeholders never linked") {
    auto tmp = *base::TempDir::create();
    const std::string f = "zlib-1.2.11-h7b6447c_3.conda";
    fs::path pkg = cache().get(f);
    LinkOptions hard;
    hard.mode = LinkMode::hardlink;
    auto h = install(f, tmp.path() / "hard", hard);
    REQUIRE(h.ok());
    CHECK(inode_of(tmp.path() / "hard/include/zlib.h") == inode_of(pkg / "include/zlib.h"));
    CHECK(inode_of(tmp.path() / "hard/lib/pkgconfig/zlib.pc") != inode_of(pkg / "lib/pkgconfig/zlib.pc"));
    CHECK(h->record.link_type == CondaLinkType::hardlink);
    LinkOptions copy;
    copy.mode = LinkMode::copy;
    auto c = install(f, tmp.path() / "copy", copy);
    REQUIRE(c.ok());
    CHECK(inode_of(tmp.path() / "copy/include/zlib.h") != inode_of(pkg / "include/zlib.h"));
    CHECK(read(tmp.path() / "copy/include/zlib.h") == read(pkg / "include/zlib.h"));
    CHECK(c->record.link_type == CondaLinkType::copy);
    CHECK(tree(tmp.path() / "hard").size() == tree(tmp.path() / "copy").size());
}

TEST_CASE("verify detects a deleted file, a modified file and a modified binary-placeholder file") {
    auto tmp = *base::TempDir::create();
    fs::path prefix = tmp.path() / "env";
    LinkOptions copy;
    copy.mode = LinkMode::copy;
    REQUIRE(install("zlib-1.2.11-h1de35cc_3.conda", prefix, copy).ok());
    REQUIRE(install("bcj-cffi-0.5.1-py310h295c915_0.tar.bz2", prefix, copy).ok());
    base::ThreadPool pool(2);
    auto fresh = verify_prefix(prefix, {}, pool);
    REQUIRE(fresh.ok());
    CHECK(fresh->ok());
    CHECK(fresh->packages == 2);

    fs::remove(prefix / "include/zlib.h");
    std::string a = read(prefix / "lib/libz.a");
    a[100] ^= 1;
    (void)base::write_file_atomic(prefix / "lib/libz.a", a);
    std::string dylib = read(prefix / "lib/libz.1.2.11.dylib");
    auto at = dylib.find(prefix.string());
    REQUIRE(at != std::string::npos);
    dylib[at + prefix.string().size() + 10] = 'Z';  // inside the NUL padding
    (void)base::write_file_atomic(prefix / "lib/libz.1.2.11.dylib", dylib);
    auto drift = verify_prefix(prefix, {}, pool);
    REQUIRE(drift.ok());
    std::map<std::string, IssueKind> got;
    for (const auto& i : drift->issues) got[i.path] = i.kind;
    CHECK(got.size() == 3);
    CHECK(got["include/zlib.h"] == IssueKind::missing);
    CHECK(got["lib/libz.a"] == IssueKind::modified);
    CHECK(got["lib/libz.1.2.11.dylib"] == IssueKind::modified);
}

TEST_CASE("unlink removes exactly the package's recorded files") {
    auto tmp = *base::TempDir::create();
    fs::path both = tmp.path() / "both";
    fs::path only = tmp.path() / "only";
    REQUIRE(install("bcj-cffi-0.5.1-py310h295c915_0.tar.bz2", only).ok());
    REQUIRE(install("bcj-cffi-0.5.1-py310h295c915_0.tar.bz2", both).ok());
    auto mock = install("mock-2.0.0-py37_1000.conda", both);
    REQUIRE(mock.ok());
    REQUIRE(install("cph_test_data-0.0.1-0.tar.bz2", both).ok());
    REQUIRE(install("cph_test_data-0.0.1-0.tar.bz2", only).ok());
    REQUIRE(unlink_package(both, mock->record).ok());
    auto tb = tree(both), to = tree(only);
    for (const auto& [k, v] : tb)
        if (!to.count(k) || to[k] != v) MESSAGE("only after unlink: " << k);
    for (const auto& [k, v] : to)
        if (!tb.count(k)) MESSAGE("missing after unlink: " << k);
    CHECK(tb == to);
    auto recs = *read_prefix_records(both);
    CHECK(recs.size() == 2);
}

TEST_CASE("link scripts are reported, not run") {
    auto tmp = *base::TempDir::create();
    auto r = install("link-scripts-0.1.0-h4616a5c_0.conda", tmp.path());
    REQUIRE(r.ok());
    CHECK(r->result.post_link_script == "bin/.link-scripts-post-link.sh");
    CHECK(r->result.pre_unlink_script == "bin/.link-scripts-pre-unlink.sh");
    auto p = install("post_link-c-1.0-0.conda", tmp.path());
    REQUIRE(p.ok());
    CHECK(p->result.post_link_script == "bin/.post_link-c-post-link.sh");
}

TEST_CASE("the .conda and .tar.bz2 of mock link to identical trees") {
    auto tmp = *base::TempDir::create();
    REQUIRE(install("mock-2.0.0-py37_1000.conda", tmp.path() / "a").ok());
    REQUIRE(install("mock-2.0.0-py37_1000.tar.bz2", tmp.path() / "b").ok());
    CHECK(tree(tmp.path() / "a") == tree(tmp.path() / "b"));
}
