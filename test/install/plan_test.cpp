#include <doctest/doctest.h>

#include "pixi_install/install/plan.hpp"

using namespace pixi_install;
using install::InstalledConda;
using install::InstalledWheel;

namespace {
install::CondaPtr rec(std::string name, std::string version, std::string sha, std::string noarch = "",
                      std::uint64_t size = 0) {
    auto r = std::make_shared<lockfile::CondaRecord>();
    r->name = std::move(name);
    r->version = std::move(version);
    r->build = "0";
    r->sha256 = std::move(sha);
    r->noarch = std::move(noarch);
    if (size) r->size = size;
    return r;
}
InstalledConda inst(std::string name, std::string version, std::string sha, bool noarch_py = false) {
    InstalledConda i;
    i.name = std::move(name);
    i.version = std::move(version);
    i.build = "0";
    i.sha256 = std::move(sha);
    i.noarch_python = noarch_py;
    return i;
}
install::PypiPtr wheel(std::string name, std::string version, std::string sha) {
    auto r = std::make_shared<lockfile::PypiRecord>();
    r->name = std::move(name);
    r->version = std::move(version);
    r->sha256 = std::move(sha);
    return r;
}
}  // namespace

TEST_CASE("an up-to-date prefix plans nothing") {
    auto p = install::make_plan({inst("zlib", "1.3", "aa")}, {}, {rec("zlib", "1.3", "aa")}, {}, "", "");
    CHECK(p.empty());
    CHECK(p.unchanged.size() == 1);
}

TEST_CASE("install new, remove gone, change different content") {
    std::vector<InstalledConda> have = {inst("a", "1", "a1"), inst("b", "1", "b1"), inst("gone", "1", "g")};
    std::vector<install::CondaPtr> want = {rec("a", "1", "a1"), rec("b", "2", "b2"), rec("new", "1", "n")};
    auto p = install::make_plan(have, {}, want, {}, "", "");
    REQUIRE(p.install.size() == 1);
    CHECK(p.install[0]->name == "new");
    REQUIRE(p.change.size() == 1);
    CHECK(p.change[0].old.version == "1");
    CHECK(p.change[0].desired->version == "2");
    REQUIRE(p.remove.size() == 1);
    CHECK(p.remove[0].name == "gone");
    CHECK(p.unchanged.size() == 1);
}

TEST_CASE("same version with another hash is a change (rebuilt package)") {
    auto p = install::make_plan({inst("a", "1", "old")}, {}, {rec("a", "1", "new")}, {}, "", "");
    CHECK(p.change.size() == 1);
}

TEST_CASE("one-sided sha256 counts as different, md5 is used when neither has sha256") {
    InstalledConda i = inst("a", "1", "x");
    i.sha256.reset();
    i.md5 = "m";
    auto r = rec("a", "1", "x");
    CHECK_FALSE(install::same_content(i, *r));
    auto r2 = std::make_shared<lockfile::CondaRecord>(*r);
    r2->sha256.reset();
    r2->md5 = "m";
    CHECK(install::same_content(i, *r2));
    r2->md5 = "other";
    CHECK_FALSE(install::same_content(i, *r2));
}

TEST_CASE("a python minor change relinks noarch: python packages only") {
    std::vector<InstalledConda> have = {inst("python", "3.11.9", "p1"), inst("six", "1", "s", true),
                                        inst("zlib", "1", "z")};
    std::vector<install::CondaPtr> want = {rec("python", "3.12.1", "p2"), rec("six", "1", "s", "python"),
                                           rec("zlib", "1", "z")};
    auto p = install::make_plan(have, {}, want, {}, "3.11", "3.12");
    REQUIRE(p.change.size() == 2);
    CHECK(p.change[0].desired->name == "python");
    CHECK_FALSE(p.change[0].python_relink);
    CHECK(p.change[1].desired->name == "six");
    CHECK(p.change[1].python_relink);
    CHECK(p.unchanged.size() == 1);
}

TEST_CASE("forced reinstall (repair) changes unchanged packages") {
    auto p = install::make_plan({inst("a", "1", "a")}, {}, {rec("a", "1", "a")}, {}, "", "", {"a"});
    CHECK(p.change.size() == 1);
}

TEST_CASE("largest packages are installed first") {
    auto p = install::make_plan({}, {}, {rec("s", "1", "1", "", 10), rec("l", "1", "2", "", 1000),
                                         rec("m", "1", "3", "", 100)}, {}, "", "");
    REQUIRE(p.install.size() == 3);
    CHECK(p.install[0]->name == "l");
    CHECK(p.install[2]->name == "s");
}

TEST_CASE("wheels: names compare normalized; version or hash change replaces; gone is removed") {
    std::vector<InstalledWheel> have = {{"Typing_Extensions", "4.0", "lib/x/typing_extensions-4.0.dist-info", "h1", "pixi-install"},
                                        {"six", "1.16", "six.dist-info", "s1", "pixi-install"},
                                        {"old", "1", "old.dist-info", std::nullopt, "pip"}};
    std::vector<install::PypiPtr> want = {wheel("typing-extensions", "4.0", "h1"), wheel("six", "1.17", "s2"),
                                          wheel("new", "1", "n")};
    auto p = install::make_plan({}, have, {}, want, "3.12", "3.12");
    CHECK(p.wheel_unchanged.size() == 1);
    CHECK(p.wheel_install.size() == 2);
    REQUIRE(p.wheel_remove.size() == 2);
    CHECK(p.wheel_remove[0].name == "six");
    CHECK(p.wheel_remove[1].name == "old");
}

TEST_CASE("sources: the same source identity is unchanged, another one is rebuilt, whatever the version says") {
    auto dir = wheel("proj", "1.0", "");
    auto nov = std::make_shared<lockfile::PypiRecord>(*wheel("nov", "0", ""));
    nov->version.reset();  // v7 directories have no version
    std::vector<InstalledWheel> have = {{"proj", "1.0", "proj.dist-info", std::nullopt, "pixi-install", "tree:aa"},
                                        {"nov", "2.0", "nov.dist-info", std::nullopt, "pixi-install", "tree:bb"}};
    std::map<std::string, std::string> ids = {{"proj", "tree:aa"}, {"nov", "tree:bb"}};
    auto p = install::make_plan({}, have, {}, {dir, nov}, "3.12", "3.12", {}, ids);
    CHECK(p.wheel_unchanged.size() == 2);
    CHECK(p.wheel_install.empty());

    ids["proj"] = "tree:cc";  // its files changed
    p = install::make_plan({}, have, {}, {dir, nov}, "3.12", "3.12", {}, ids);
    REQUIRE(p.wheel_install.size() == 1);
    CHECK(p.wheel_install[0]->name == "proj");
    REQUIRE(p.wheel_remove.size() == 1);
    CHECK(p.wheel_remove[0].name == "proj");

    // A wheel installed from elsewhere (no identity) is replaced by the build.
    have[0].source_identity.reset();
    ids["proj"] = "tree:aa";
    p = install::make_plan({}, have, {}, {dir, nov}, "3.12", "3.12", {}, ids);
    CHECK(p.wheel_install.size() == 1);

    // A python change rebuilds too (the wheel may be for the other interpreter).
    have[0].source_identity = "tree:aa";
    p = install::make_plan({}, have, {}, {dir, nov}, "3.11", "3.12", {}, ids);
    CHECK(p.wheel_install.size() == 2);
}
