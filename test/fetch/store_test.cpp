#include <doctest/doctest.h>
#include <unistd.h>

#include <set>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/hash.hpp"
#include "pixi_install/fetch/store.hpp"
#include "test_server.hpp"

using namespace pixi_install;
using namespace pixi_install::fetch;
namespace fs = std::filesystem;

TEST_CASE("the store keys files by digest and keeps the archive suffix") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    auto store = ArtifactStore::open(tmp->path() / "cache");
    REQUIRE(store.ok());
    CHECK(archive_suffix("zlib-1.3.1-h_0.tar.bz2") == ".tar.bz2");
    CHECK(archive_suffix("numpy-2.2.1-cp312-cp312-manylinux_2_17_x86_64.whl") == ".whl");
    CHECK(archive_suffix("README") == "");

    std::string content = "hello artifact";
    Digest d{base::HashAlgo::sha256, base::sha256_hex(content)};
    CHECK_FALSE(store->find(d, "a.conda").has_value());

    fs::path t1 = store->temp_path("a.conda");
    REQUIRE(base::write_file_atomic(t1, content).ok());
    auto p = store->commit(t1, d, "a.conda");
    REQUIRE(p.ok());
    CHECK(p->filename() == d.hex + ".conda");
    CHECK(test::slurp(*p) == content);
    CHECK(store->find(d, "a.conda", content.size()) == *p);
    // A size that does not match is not a hit.
    CHECK_FALSE(store->find(d, "a.conda", content.size() + 1).has_value());

    // A second commit of the same digest (another process won the race) lands at the same path.
    fs::path t2 = store->temp_path("a.conda");
    REQUIRE(base::write_file_atomic(t2, content).ok());
    auto p2 = store->commit(t2, d, "a.conda");
    REQUIRE(p2.ok());
    CHECK(*p2 == *p);
    CHECK_FALSE(fs::exists(t2));
    CHECK(test::slurp(*p) == content);
}

TEST_CASE("temporary names are unique and stale temporaries are cleaned") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    auto store = ArtifactStore::open(tmp->path());
    REQUIRE(store.ok());
    std::set<fs::path> names;
    for (int i = 0; i < 100; ++i) names.insert(store->temp_path("same.conda"));
    CHECK(names.size() == 100);
    fs::path old = store->temp_path("old.conda");
    REQUIRE(base::write_file_atomic(old, "x").ok());
    fs::last_write_time(old, fs::file_time_type::clock::now() - std::chrono::hours(48));
    fs::path fresh = store->temp_path("fresh.conda");
    REQUIRE(base::write_file_atomic(fresh, "y").ok());
    auto removed = store->clean_temporaries(std::chrono::hours(24));
    REQUIRE(removed.ok());
    CHECK(*removed == 1);
    CHECK_FALSE(fs::exists(old));
    CHECK(fs::exists(fresh));
}

TEST_CASE("temporary names are the store's own: a hostile file name cannot place one outside tmp/") {
    auto tmp = base::TempDir::create();
    REQUIRE(tmp.ok());
    auto store = ArtifactStore::open(tmp->path() / "cache");
    REQUIRE(store.ok());
    const fs::path dir = store->root() / "tmp";
    for (const char* hostile : {"../../../../outside/x.conda", "/tmp/abs.tar.bz2", "a/../../b.whl", "..",
                                "x\n.conda", ""}) {
        fs::path t = store->temp_path(hostile);
        CHECK(t.parent_path() == dir);
        CHECK(t.filename().string().find("download") != std::string::npos);
        CHECK(t.filename().string().find("outside") == std::string::npos);
        CHECK(t.filename().string().find('\n') == std::string::npos);
    }
    CHECK(store->temp_path("../x.tar.bz2").filename().string().find(".tar.bz2") != std::string::npos);
}
