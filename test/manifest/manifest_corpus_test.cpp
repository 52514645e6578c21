// Every manifest of the corpus (corpus/locks/*.pixi.toml, *.pyproject.toml) loads,
// and the declared system requirements come out as written.
#include <doctest/doctest.h>

#include "pixi_install/manifest/manifest.hpp"
#include "support.hpp"

using namespace pixi_install::manifest;
namespace fs = std::filesystem;

TEST_CASE("corpus manifests load") {
    auto dir = pixi_install::test::corpus_dir() / "locks";
    int loaded = 0, refused = 0, tomls = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        std::string name = e.path().filename().string();
        bool toml = name.size() > 5 && name.compare(name.size() - 5, 5, ".toml") == 0;
        if (!toml) continue;
        ++tomls;
        auto m = load_manifest(e.path());
        INFO(name);
        if (!m) {
            // One corpus entry is a symbolic-link placeholder holding a path, not TOML.
            CHECK(m.error().message.find("not valid TOML") != std::string::npos);
            ++refused;
            continue;
        }
        for (const auto& [env, decl] : m->environments) CHECK(m->requirements_for(env).ok());
        ++loaded;
    }
    // Every lock of the corpus comes with its manifest; all of them load but the placeholder.
    CHECK(tomls >= static_cast<int>(pixi_install::test::listed_in(dir / "SOURCES.tsv").size()));
    CHECK(refused == 1);
    CHECK(loaded == tomls - 1);
}

TEST_CASE("the PyTorch GPU example declares cuda 12.0") {
    auto p = pixi_install::test::corpus_dir() / "locks" /
             "matthewfeickert__pytorch-gpu-pixi-example__pixi.pixi.toml";
    auto m = load_manifest(p);
    REQUIRE(m.ok());
    CHECK(m->system_requirements.cuda == "12.0");
    CHECK(m->requirements_for("default")->specs_for("linux-64") == std::vector<std::string>{"__cuda >=12.0"});
}

TEST_CASE("feature requirements in a real manifest") {
    auto p = pixi_install::test::corpus_dir() / "locks" / "rerun-io__rerun__pixi@v6-83f82ef7.pixi.toml";
    auto m = load_manifest(p);
    REQUIRE(m.ok());
    CHECK(m->system_requirements.libc == "2.31");
    CHECK(m->system_requirements.macos == "11.0");
    REQUIRE(m->feature_requirements.count("examples-common"));
    CHECK(m->feature_requirements.at("examples-common").macos == "12.0");
}
