// pixi.toml / pyproject.toml: system requirements, features, environments, platforms.
#include <doctest/doctest.h>

#include "pixi_install/manifest/manifest.hpp"

using namespace pixi_install::manifest;

TEST_CASE("workspace system requirements become specs for the matching subdirs") {
    auto m = parse_manifest(R"(
[workspace]
name = "gpu"
platforms = ["linux-64", "osx-arm64", "win-64"]

[system-requirements]
cuda = "12.0"
libc = { family = "glibc", version = "2.28" }
linux = "5.4"
macos = "13.0"
)", "pixi.toml", false);
    REQUIRE(m.ok());
    CHECK(m->workspace_name == "gpu");
    REQUIRE(m->platforms.size() == 3);
    CHECK(m->platforms[1].subdir == "osx-arm64");
    auto req = m->requirements_for("default").value();
    CHECK(req.specs_for("linux-64") ==
          std::vector<std::string>{"__linux >=5.4", "__glibc >=2.28", "__cuda >=12.0"});
    CHECK(req.specs_for("osx-arm64") == std::vector<std::string>{"__osx >=13.0"});
    CHECK(req.specs_for("win-64") == std::vector<std::string>{"__cuda >=12.0"});
}

TEST_CASE("features combine: the highest version of each field wins") {
    auto m = parse_manifest(R"(
[project]
name = "x"
platforms = ["linux-64"]
[system-requirements]
cuda = "11.8"
libc = "2.17"
[feature.gpu.system-requirements]
cuda = "12.4"
[feature.cpu-only]
dependencies = {}
[environments]
gpu = ["gpu"]
bare = { features = ["gpu"], no-default-feature = true }
)", "pixi.toml", false);
    REQUIRE(m.ok());
    CHECK(m->requirements_for("default")->cuda == "11.8");
    CHECK(m->requirements_for("gpu")->cuda == "12.4");
    CHECK(m->requirements_for("gpu")->libc == "2.17");
    CHECK_FALSE(m->requirements_for("bare")->libc.has_value());
    CHECK(m->feature_requirements.count("gpu") == 1);
}

TEST_CASE("pyproject.toml reads [tool.pixi]") {
    auto m = parse_manifest(R"(
[project]
name = "pkg"
[tool.pixi.workspace]
platforms = ["linux-64"]
[tool.pixi.system-requirements]
cuda = "12"
)", "pyproject.toml", true);
    REQUIRE(m.ok());
    CHECK(m->workspace_name == "pkg");
    CHECK(m->system_requirements.cuda == "12");
    CHECK(m->origin() == "pyproject.toml [tool.pixi.system-requirements]");
    CHECK_FALSE(parse_manifest("[project]\nname = 'x'\n", "pyproject.toml", true).ok());
}

TEST_CASE("rich platforms and TOML 1.1 inline tables") {
    auto m = parse_manifest(R"(
[workspace]
name = "rich"
platforms = [
  { name = "gpu", platform = "linux-64", cuda = "12" },
  "osx-arm64",
]
channels = ["conda-forge"]
[dependencies]
python = { version = ">=3.12",
           channel = "conda-forge", }
)", "pixi.toml", false);
    REQUIRE(m.ok());
    REQUIRE(m->platforms.size() == 2);
    CHECK(m->platforms[0].name == "gpu");
    CHECK(m->platforms[0].subdir == "linux-64");
    CHECK(m->platforms[0].requirements.cuda == "12");
    CHECK(m->platforms[1].name == "osx-arm64");
}

TEST_CASE("errors: unknown keys, conflicting libc families, bad TOML") {
    auto unknown = parse_manifest("[system-requirements]\nopengl = '4'\n", "pixi.toml", false);
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().message.find("opengl") != std::string::npos);
    auto fam = parse_manifest(R"(
[system-requirements]
libc = "2.28"
[feature.m.system-requirements]
libc = { family = "musl", version = "1.2" }
[environments]
m = ["m"]
)", "pixi.toml", false);
    REQUIRE(fam.ok());
    auto combined = fam->requirements_for("m");
    REQUIRE_FALSE(combined.ok());
    CHECK(combined.error().message.find("two different libc families") != std::string::npos);
    auto bad = parse_manifest("[workspace\n", "broken.toml", false);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("broken.toml") != std::string::npos);
}
