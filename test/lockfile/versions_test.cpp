// One small hand-written lock per format version (fixtures/locks/vN.lock),
// loaded from disk: what each version's reader must produce.
#include <doctest/doctest.h>

#include "pixi_install/lockfile/lockfile.hpp"
#include "support.hpp"

using namespace pixi_install;
using lockfile::PackageKind;

namespace {

lockfile::LockFile load(const std::string& name) {
    auto r = lockfile::load_lockfile(test::fixtures_dir() / "locks" / name);
    if (!r.ok()) FAIL(r.error().to_string());
    return std::move(r).value();
}

lockfile::Selection sel(const lockfile::LockFile& lock, const std::string& env, const std::string& platform) {
    auto r = lockfile::select(lock, env, platform);
    if (!r.ok()) FAIL(r.error().to_string());
    return std::move(r).value();
}

}  // namespace

TEST_CASE("v1: trailing version, map dependencies, duplicates kept once per platform") {
    auto lock = load("v1.lock");
    CHECK(lock.version == 1);
    REQUIRE(lock.environments.size() == 1);
    auto s = sel(lock, "default", "linux-64");
    REQUIRE(s.conda.size() == 2);
    CHECK(s.conda[0]->name == "zlib");
    CHECK(s.conda[0]->depends == std::vector<std::string>{"__glibc >=2.17,<3.0.a0", "libgcc >=13"});
    CHECK(*s.conda[0]->sha256 == "5d7c0e5f0005f74112a34a7425179f4eb6e73c92f5d109e6af4ddeef4c7b7f56");
    CHECK(*s.conda[0]->md5 == "c9f075ab2f33b3bbee9e62d4ad0a6cd8");
    CHECK(*s.conda[0]->timestamp == 1727963153000);
    CHECK(s.conda[1]->name == "tzdata");
    CHECK(s.conda[1]->subdir == "noarch");
    CHECK(s.conda[1]->noarch == "generic");
    REQUIRE(s.pypi.size() == 1);
    CHECK(s.pypi[0]->name == "six");
    CHECK(s.channels == std::vector<std::string>{"https://conda.anaconda.org/conda-forge/"});
    CHECK(sel(lock, "default", "osx-arm64").conda.size() == 1);
}

TEST_CASE("v3: list dependencies and the pypi manager") {
    auto lock = load("v3.lock");
    auto s = sel(lock, "default", "linux-64");
    REQUIRE(s.conda.size() == 1);
    CHECK(s.conda[0]->license == std::optional<std::string>("Python-2.0"));
    CHECK(*s.conda[0]->size == 31991381);
    REQUIRE(s.pypi.size() == 1);
    CHECK(s.pypi[0]->requires_python == std::optional<std::string>(">=3.7"));
    CHECK(s.pypi[0]->requires_dist == std::vector<std::string>{"charset-normalizer <4, >=2"});
}

TEST_CASE("v4: per-platform noarch copies, the platform's copy preferred and merged") {
    auto lock = load("v4.lock");
    auto linux = sel(lock, "default", "linux-64");
    REQUIRE(linux.conda.size() == 2);
    CHECK(linux.conda[0]->build_number == 2);
    CHECK(linux.conda[1]->subdir == "linux-64");
    CHECK(linux.conda[1]->noarch == "generic");
    auto osx = sel(lock, "default", "osx-arm64");
    REQUIRE(osx.conda.size() == 1);
    CHECK(osx.conda[0]->subdir == "osx-arm64");
    CHECK(osx.conda[0]->md5 == std::optional<std::string>("8ac3367aafb1cc0a068483c580af8015"));
    REQUIRE(linux.pypi.size() == 1);
    CHECK(linux.pypi[0]->location.find("#sha256=") != std::string::npos);
}

TEST_CASE("v5: indexes, find-links, pypi paths and editable source trees") {
    auto lock = load("v5.lock");
    const auto& env = lock.environments.at("default");
    CHECK(env.indexes == std::vector<std::string>{"https://pypi.org/simple", "https://pypi.nvidia.com/"});
    CHECK(env.find_links == std::vector<std::string>{"./links", "https://example.org/wheels/"});
    auto s = sel(lock, "default", "linux-64");
    REQUIRE(s.pypi.size() == 2);
    CHECK(s.pypi[0]->path == lock.base_dir / "links" / "requests-2.31.0-py3-none-any.whl");
    CHECK_FALSE(s.pypi[0]->editable);
    CHECK(s.pypi[1]->editable);
    CHECK(s.pypi[1]->path == lock.base_dir / "src" / "mylib");
}

TEST_CASE("v6: explicit build_number, local archives, source packages told apart by subdir") {
    auto lock = load("v6.lock");
    auto s = sel(lock, "default", "linux-64");
    REQUIRE(s.conda.size() == 3);
    CHECK(s.conda[0]->name == "libpython");
    CHECK(s.conda[0]->build_number == 100);
    CHECK(s.conda[0]->python_site_packages_path == std::optional<std::string>("lib/python3.14/site-packages"));
    CHECK(s.conda[0]->constrains == std::vector<std::string>{"python 3.14.*"});
    CHECK(s.conda[1]->noarch == "generic");
    CHECK(s.conda[2]->name == "mypkg");
    CHECK(s.conda[2]->build_number == 3);
    CHECK(s.conda[2]->path == lock.base_dir / "local" / "mypkg-1.0-h0_3.tar.bz2");
    REQUIRE(s.sources.size() == 1);
    CHECK(s.sources[0]->build == std::optional<std::string>("hbf21a9e_0"));
    auto osx = sel(lock, "default", "osx-arm64");
    REQUIRE(osx.sources.size() == 1);
    CHECK(osx.sources[0]->build == std::optional<std::string>("h9352c13_0"));
    // The environment's package list keeps the lock's order and kinds.
    const auto& pkgs = lock.environments.at("default").packages.at("linux-64");
    REQUIRE(pkgs.size() == 5);
    CHECK(pkgs[3].kind == PackageKind::conda_source);
    CHECK(pkgs[3].location() == ".");
    CHECK(pkgs[4].kind == PackageKind::pypi);
}

TEST_CASE("v7: platforms with virtual packages, conda_source, run_exports, pypi without version") {
    auto lock = load("v7.lock");
    REQUIRE(lock.platforms.size() == 2);
    CHECK(lock.platform("p1")->subdir == "linux-64");
    CHECK(lock.platform("osx-arm64")->subdir == "osx-arm64");
    auto s = sel(lock, "default", "p1");
    CHECK(s.subdir == "linux-64");
    CHECK(s.virtual_packages.front() == "__cuda=12");
    REQUIRE(s.conda.size() == 1);
    CHECK(s.conda[0]->run_exports->weak.size() == 1);
    REQUIRE(s.sources.size() == 1);
    CHECK(s.sources[0]->name == "myproj");
    CHECK(s.sources[0]->version == std::optional<std::string>("0.1.0"));
    REQUIRE(s.pypi.size() == 1);
    CHECK_FALSE(s.pypi[0]->version.has_value());
    auto tz = sel(lock, "lint", "osx-arm64");
    REQUIRE(tz.conda.size() == 1);
    CHECK(tz.conda[0]->run_exports.has_value());  // `run_exports: {}` is known-empty
    CHECK(tz.conda[0]->run_exports->weak.empty());
}

TEST_CASE("a directory means its pixi.lock") {
    auto r = lockfile::load_lockfile(test::fixtures_dir() / "locks" / "project");
    REQUIRE(r.ok());
    CHECK(r->path.filename() == "pixi.lock");
    CHECK(r->version == 6);
}
