#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <unordered_set>

#include "fake_package.hpp"
#include "link_helpers.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/thread_pool.hpp"
#include "pixi_install/prefix/clobber.hpp"
#include "pixi_install/prefix/conda_meta.hpp"
#include "pixi_install/prefix/link.hpp"
#include "pixi_install/prefix/package_info.hpp"
#include "pixi_install/spec/python_info.hpp"
#include "pixi_install/prefix/unlink.hpp"
#include "pixi_install/prefix/verify.hpp"

using namespace pixi_install;
using namespace pixi_install::prefix;
using namespace pixi_install::test;
using namespace std::string_literals;
namespace fs = std::filesystem;

TEST_CASE("topological order: dependencies first, independent packages reverse-alphabetical") {
    std::vector<std::pair<std::string, std::vector<std::string>>> pk{
        {"clobber-2", {}}, {"clobber-1", {}}, {"clobber-3", {}}};
    auto order = topological_order(pk);
    REQUIRE(order.size() == 3);
    CHECK(pk[order[0]].first == "clobber-3");
    CHECK(pk[order[2]].first == "clobber-1");
    std::vector<std::pair<std::string, std::vector<std::string>>> deps{
        {"python", {"libzlib >=1.2"}}, {"libzlib", {"libgcc-ng >=12"}}, {"libgcc-ng", {"_openmp_mutex"}},
        {"_openmp_mutex", {"libgcc-ng"}}};  // a cycle too
    auto o2 = topological_order(deps);
    REQUIRE(o2.size() == 4);
    CHECK(deps[o2.back()].first == "python");
}

TEST_CASE("clobbers: the last package in topological order wins, losers go to __clobbers__") {
    auto tmp = *base::TempDir::create();
    fs::path prefix = tmp.path() / "env";
    std::vector<fs::path> pkgs;
    for (int i = 1; i <= 3; ++i)
        pkgs.push_back(make_package(tmp.path() / "pkgs", "clob-" + std::to_string(i), "0.1", "0",
                                    {{"clobber.txt", "from " + std::to_string(i)}, {"own-" + std::to_string(i), "x"}}));
    std::vector<PackageInfo> infos;
    std::vector<PackagePaths> claims;
    for (auto& p : pkgs) {
        infos.push_back(*read_package_info(p));
        claims.push_back(from_package(infos.back(), *target_paths(infos.back(), std::nullopt)));
    }
    ClobberPlan plan = resolve_clobbers(claims);
    REQUIRE(plan.clobbers.size() == 1);
    CHECK(plan.clobbers[0].path == "clobber.txt");
    CHECK(plan.clobbers[0].winner == "clob-1");
    CHECK(plan.clobbers[0].losers == std::vector<std::string>{"clob-2", "clob-3"});
    CHECK(plan.redirects_for("clob-1") == nullptr);
    REQUIRE(plan.redirects_for("clob-3") != nullptr);

    // Link in an arbitrary order: the outcome does not depend on it.
    std::vector<PrefixRecord> recs(3);
    for (int i : {2, 0, 1}) {
        LinkOptions o;
        o.clobbered = plan.redirects_for(infos[i].index.name);
        auto res = link_package(pkgs[i], infos[i], prefix, o);
        REQUIRE(res.ok());
        PackageRecord pr;
        complete_from_index(pr, infos[i].index);
        recs[i] = make_prefix_record(pr, res->paths, res->link_type, pkgs[i].string());
        REQUIRE(prepare_conda_meta(prefix).ok());
        REQUIRE(write_prefix_record(prefix, recs[i]).ok());
    }
    CHECK(read(prefix / "clobber.txt") == "from 1");
    CHECK(read(prefix / "__clobbers__/clob-2/clobber.txt") == "from 2");
    CHECK(read(prefix / "__clobbers__/clob-3/clobber.txt") == "from 3");
    bool redirected = false;
    for (const auto& p : recs[1].paths)
        if (p.original_path == "clobber.txt") redirected = p.path == "__clobbers__/clob-2/clobber.txt";
    CHECK(redirected);

    // Removing the winner hands the path to the next package (clob-2).
    REQUIRE(unlink_package(prefix, recs[0]).ok());
    CHECK(!fs::exists(prefix / "clobber.txt"));
    auto installed = *read_prefix_records(prefix);
    REQUIRE(installed.size() == 2);
    std::vector<PackagePaths> remaining;
    for (auto& r : installed) remaining.push_back(from_record(r));
    ClobberPlan after = resolve_clobbers(remaining);
    CHECK(after.moves.size() == 1);
    REQUIRE(apply_clobber_moves(prefix, after, remaining).ok());
    CHECK(read(prefix / "clobber.txt") == "from 2");
    CHECK(!fs::exists(prefix / "__clobbers__/clob-2"));
    auto reread = *read_prefix_records(prefix);
    for (const auto& r : reread)
        if (r.package.name == "clob-2")
            CHECK(std::find(r.files.begin(), r.files.end(), "clobber.txt") != r.files.end());

    base::ThreadPool pool(2);
    auto v = verify_prefix(prefix, {}, pool);
    REQUIRE(v.ok());
    CHECK(v->ok());
}

TEST_CASE("a file below another package's file is a clobber too") {
    std::vector<PackagePaths> claims(2);
    claims[0].name = "a";
    claims[0].paths = {"xbin"};
    claims[1].name = "b";
    claims[1].paths = {"xbin/content.txt", "other"};
    auto plan = resolve_clobbers(claims);
    REQUIRE(plan.clobbers.size() == 1);
    CHECK(plan.clobbers[0].winner == "a");
    REQUIRE(plan.redirects_for("b"));
    CHECK(plan.redirects_for("b")->count("xbin/content.txt") == 1);
}


TEST_CASE("an installed package's entry point is a claim: another package's file there is a clobber") {
    PrefixRecord installed;
    installed.package.name = "tool-entry";
    PrefixPath ep;
    ep.path = "bin/tool";
    ep.type = PathType::unix_python_entry_point;
    installed.paths = {ep};
    std::vector<PackagePaths> claims{from_record(installed)};
    REQUIRE(claims[0].paths == std::vector<std::string>{"bin/tool"});
    PackagePaths owner;
    owner.name = "tool-owner";
    owner.paths = {"bin/tool"};
    claims.push_back(owner);
    auto plan = resolve_clobbers(claims);
    REQUIRE(plan.clobbers.size() == 1);
    CHECK(plan.clobbers[0].path == "bin/tool");
    CHECK(plan.clobbers[0].winner == "tool-entry");
    REQUIRE(plan.redirects_for("tool-owner"));
    CHECK(plan.redirects_for("tool-owner")->count("bin/tool") == 1);
}

TEST_CASE("a noarch entry point that lost a clobber is written under __clobbers__") {
    auto tmp = *base::TempDir::create();
    fs::path pkg = make_package(tmp.path() / "pkgs", "ep", "1", "py_0", {{"site-packages/ep.py", "x = 1\n"}}, "python",
                                R"({"noarch": {"type": "python", "entry_points": ["tool = ep:main"]}})");
    fs::path prefix = tmp.path() / "env";
    auto info = *read_package_info(pkg);
    std::unordered_set<std::string> lost{"bin/tool"};
    LinkOptions o;
    o.python = *spec::PythonInfo::from_record("3.11.4", "");
    o.clobbered = &lost;
    auto r = link_package(pkg, info, prefix, o);
    REQUIRE(r.ok());
    CHECK(!fs::exists(prefix / "bin/tool"));
    CHECK(fs::exists(prefix / "__clobbers__/ep/bin/tool"));
    bool found = false;
    for (const auto& p : r->paths)
        if (p.type == PathType::unix_python_entry_point) {
            found = true;
            CHECK(p.path == "__clobbers__/ep/bin/tool");
            CHECK(p.original_path == "bin/tool");
        }
    CHECK(found);
}

TEST_CASE("unlink leaves the files another installed package owns") {
    auto tmp = *base::TempDir::create();
    fs::path prefix = tmp.path() / "env";
    fs::create_directories(prefix / "share");
    (void)base::write_file_atomic(prefix / "share/mine.txt", "mine");
    (void)base::write_file_atomic(prefix / "share/shared.txt", "shared");
    PrefixRecord rec;
    rec.package.name = "leaving";
    rec.package.version = "1";
    rec.package.build = "0";
    for (const char* p : {"share/mine.txt", "share/shared.txt"}) {
        PrefixPath e;
        e.path = p;
        rec.paths.push_back(e);
    }
    std::unordered_set<std::string> keep{"share/shared.txt"};
    UnlinkOptions uo;
    uo.keep_files = &keep;
    uo.remove_record = false;
    auto r = unlink_package(prefix, rec, uo);
    REQUIRE(r.ok());
    CHECK(!fs::exists(prefix / "share/mine.txt"));
    CHECK(*base::read_file(prefix / "share/shared.txt") == "shared");
}
