#include <doctest/doctest.h>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/fetch/bundle.hpp"
#include "pixi_install/fetch/fetch.hpp"
#include "test_server.hpp"

using namespace pixi_install;
using namespace pixi_install::fetch;
namespace fs = std::filesystem;

namespace {

struct Packed {
    base::TempDir dir;
    std::vector<BundleItem> items;
    std::vector<Artifact> artifacts;
};

Packed make_items() {
    Packed p{base::TempDir::create().value(), {}, {}};
    std::vector<std::string> names = {"zlib-1.3.1-hb9d3cd8_2.conda", "python-3.12.8-h9e4cc4f_1_cpython.conda",
                                      std::string(120, 'l') + "-1.0-0.tar.bz2", "numpy-2.2.1-cp312-cp312-manylinux_2_17_x86_64.whl"};
    unsigned seed = 1;
    for (const auto& n : names) {
        fs::path src = p.dir.path() / "src" / n;
        std::string data = test::write_random(src, 1000 + seed * 777, seed);
        ++seed;
        std::string sha = base::sha256_hex(data);
        auto md5 = base::hash_file(src, base::HashAlgo::md5).value();
        p.items.push_back({n, sha, md5, src, {"https://conda.anaconda.org/conda-forge/linux-64/" + n}});
        p.artifacts.push_back({n, "https://unreachable.invalid/" + n, {}, sha, "", data.size()});
    }
    return p;
}

}  // namespace

TEST_CASE("a tar bundle is byte-for-byte reproducible and readable") {
    Packed p = make_items();
    fs::path a = p.dir.path() / "a.tar", b = p.dir.path() / "b.tar";
    std::vector<BundleFile> files = {{"pixi.lock", "version: 6\n"}};
    REQUIRE(write_bundle(a, p.items, files).ok());
    // Different input order, same bundle.
    std::vector<BundleItem> reversed(p.items.rbegin(), p.items.rend());
    REQUIRE(write_bundle(b, reversed, files).ok());
    CHECK(test::slurp(a) == test::slurp(b));
    CHECK(fs::file_size(a) % 512 == 0);

    auto bundle = Bundle::open(a);
    REQUIRE(bundle.ok());
    CHECK(bundle->size() == p.items.size());
    for (const auto& it : p.items) {
        const BundleEntry* e = bundle->find_sha256(it.sha256);
        REQUIRE(e != nullptr);
        CHECK(e->size == fs::file_size(it.source));
        CHECK(bundle->find_md5(it.md5) == e);
    }
    CHECK(bundle->read_file("pixi.lock").value() == "version: 6\n");
    auto manifest = bundle->read_file("manifest.tsv");
    REQUIRE(manifest.ok());
    CHECK(manifest->find("https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda") !=
          std::string::npos);
    // Rewriting over a previous bundle is allowed; over unrelated data it is refused.
    REQUIRE(write_bundle(a, p.items, files).ok());
    fs::create_directories(p.dir.path() / "precious");
    test::write_random(p.dir.path() / "precious" / "thesis.tex", 10, 1);
    auto refused = write_bundle(p.dir.path() / "precious", p.items, files);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == base::ErrorKind::usage);
    CHECK(fs::exists(p.dir.path() / "precious" / "thesis.tex"));
}

TEST_CASE("the system tar reads our bundle") {
    Packed p = make_items();
    fs::path a = p.dir.path() / "a.tar";
    REQUIRE(write_bundle(a, p.items, {{"pixi.lock", "x"}}).ok());
    fs::path out = p.dir.path() / "x";
    fs::create_directories(out);
    std::string cmd = "tar -xf '" + a.string() + "' -C '" + out.string() + "' 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    for (const auto& it : p.items)
        CHECK(test::slurp(out / "artifacts" / it.sha256 / it.file_name) == test::slurp(it.source));
    CHECK(test::slurp(out / "pixi.lock") == "x");
}

TEST_CASE("offline fetch from a packed bundle on an empty cache returns verified files") {
    Packed p = make_items();
    for (const char* out_name : {"bundle.tar", "bundle-dir"}) {
        CAPTURE(out_name);
        fs::path out = p.dir.path() / out_name;
        REQUIRE(write_bundle(out, p.items, {{"pixi.lock", "x"}}).ok());
        auto cache = base::TempDir::create().value();
        FetchOptions o;
        o.cache_dir = cache.path();
        o.offline = true;
        o.bundles = {out};
        auto r = fetch_all(p.artifacts, o, base::null_reporter());
        REQUIRE_MESSAGE(r.ok(), r.error().to_string());
        REQUIRE(r->size() == p.artifacts.size());
        for (std::size_t i = 0; i < r->size(); ++i) {
            CHECK((*r)[i].string().rfind(cache.path().string(), 0) == 0);
            CHECK(test::slurp((*r)[i]) == test::slurp(p.items[i].source));
        }
        // Without the bundle the same offline request names every missing artifact.
        auto cache2 = base::TempDir::create().value();
        o.cache_dir = cache2.path();
        o.bundles.clear();
        auto miss = fetch_all(p.artifacts, o, base::null_reporter());
        REQUIRE_FALSE(miss.ok());
        CHECK(miss.error().kind == base::ErrorKind::unavailable);
        for (const auto& a : p.artifacts) CHECK(miss.error().message.find(a.url) != std::string::npos);
    }
}

TEST_CASE("a tampered bundle fails the hash check and stores nothing") {
    Packed p = make_items();
    fs::path out = p.dir.path() / "bundle";
    REQUIRE(write_bundle(out, p.items, {}).ok());
    fs::path victim = out / "artifacts" / p.items[0].sha256 / p.items[0].file_name;
    std::string data = test::slurp(victim);
    data[10] ^= 0x55;
    REQUIRE(base::write_file_atomic(victim, data).ok());
    auto cache = base::TempDir::create().value();
    FetchOptions o;
    o.cache_dir = cache.path();
    o.offline = true;
    o.bundles = {out};
    auto r = fetch_all({p.artifacts[0]}, o, base::null_reporter());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::integrity);
    CHECK(r.error().message.find(p.items[0].file_name) != std::string::npos);
    CHECK(r.error().message.find(p.items[0].sha256) != std::string::npos);
    CHECK(test::count_files(cache.path() / "artifacts" / "sha256") == 0);
    CHECK(test::count_files(cache.path() / "artifacts" / "tmp") == 0);
}

TEST_CASE("hostile bundle manifests are refused") {
    auto dir = base::TempDir::create().value();
    std::string sha(64, 'a');
    for (const char* path : {"../../etc/passwd", "/etc/passwd", "artifacts/../x", "artifacts//x"}) {
        CAPTURE(path);
        REQUIRE(base::write_file_atomic(dir.path() / "manifest.tsv",
                                        "# pixi-install bundle 1\n" + sha + "\t\t3\t" + path + "\tloc\n")
                    .ok());
        auto b = Bundle::open(dir.path());
        REQUIRE_FALSE(b.ok());
        CHECK(b.error().kind == base::ErrorKind::integrity);
    }
    REQUIRE(base::write_file_atomic(dir.path() / "manifest.tsv", "not a manifest\n").ok());
    CHECK_FALSE(Bundle::open(dir.path()).ok());
    // A truncated tar is an error, not a crash.
    REQUIRE(base::write_file_atomic(dir.path() / "b.tar", std::string(700, 'x')).ok());
    auto t = Bundle::open(dir.path() / "b.tar");
    REQUIRE_FALSE(t.ok());
}
