// Every lock in fixtures/locks/invalid/ is refused with one clear line naming
// the file (and the line/column where there is one), never a crash.
#include <doctest/doctest.h>

#include "pixi_install/lockfile/lockfile.hpp"
#include "support.hpp"

using namespace pixi_install;

namespace {

std::string refuse(const std::string& name) {
    auto path = test::fixtures_dir() / "locks" / "invalid" / name;
    REQUIRE(std::filesystem::exists(path));
    auto r = lockfile::load_lockfile(path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::lockfile);
    const std::string& m = r.error().message;
    CHECK(m.find(path.string()) == 0);
    CHECK(m.find('\n') == std::string::npos);
    return m;
}

bool has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("not YAML: line and column") {
    auto m = refuse("not-yaml.lock");
    CHECK(has(m, "not-yaml.lock:3:1: invalid YAML"));
}

TEST_CASE("empty file, top level not a mapping") {
    CHECK(has(refuse("empty.lock"), "empty"));
    CHECK(has(refuse("not-a-mapping.lock"), "not-a-mapping.lock:1:1: not a pixi.lock"));
}

TEST_CASE("version missing, not an integer, newer than supported") {
    CHECK(has(refuse("no-version.lock"), "missing `version`"));
    CHECK(has(refuse("version-not-integer.lock"), ":1:10: `version` must be a positive integer, got `six`"));
    CHECK(has(refuse("version-8.lock"),
              "pixi.lock format version 8 is newer than this pixi-install supports (1–7)"));
}

TEST_CASE("a selector pointing at no record names environment, platform and location") {
    auto m = refuse("missing-package.lock");
    CHECK(has(m, "missing-package.lock:9:9: environment `default` platform `linux-64`"));
    CHECK(has(m, "libgcc-15.2.0-h767d61c_4.conda"));
}

TEST_CASE("a conda location whose name/version/build cannot be derived") {
    auto m = refuse("underivable-conda.lock");
    CHECK(has(m, ":8:3: conda package `https://example.org/downloads/zlib-latest.zip`"));
    CHECK(has(m, "no name, version or build"));
}

TEST_CASE("wrong types, duplicate keys, bad hashes") {
    CHECK(has(refuse("wrong-type.lock"), ":10:9: `size` must be an integer"));
    CHECK(has(refuse("wrong-type-depends.lock"), ":10:5: `depends` must be a list of strings"));
    CHECK(has(refuse("duplicate-key.lock"), ":10:3: duplicate key `sha256`"));
    CHECK(has(refuse("bad-hash.lock"), "invalid sha256 `not-a-hash`"));
}

TEST_CASE("v7 environment keyed by a platform not listed under platforms") {
    CHECK(has(refuse("unknown-platform-v7.lock"), "uses platform `p1`, which is not listed under `platforms` (listed: linux-64)"));
}

TEST_CASE("deep nesting and alias expansion are bounded") {
    CHECK(has(refuse("deep-nesting.lock"), "nested deeper than 64 levels"));
    CHECK(has(refuse("alias-bomb.lock"), "aliases expand to too many nodes"));
}

TEST_CASE("a missing file is a lockfile error naming it") {
    auto r = lockfile::load_lockfile(test::fixtures_dir() / "locks" / "invalid" / "does-not-exist.lock");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::lockfile);
    CHECK(has(r.error().to_string(), "does-not-exist.lock"));
}

TEST_CASE("no input crashes: truncations of a valid lock are read or refused") {
    auto text = std::string(R"(version: 6
environments:
  default:
    channels: [{url: https://conda.anaconda.org/conda-forge/}]
    packages:
      linux-64:
      - conda: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda
      - pypi: https://files.pythonhosted.org/packages/aa/bb/six-1.17.0-py2.py3-none-any.whl
packages:
- conda: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda
  sha256: 5d7c0e5f0005f74112a34a7425179f4eb6e73c92f5d109e6af4ddeef4c7b7f56
  depends: ["__glibc >=2.17,<3.0.a0"]
- pypi: https://files.pythonhosted.org/packages/aa/bb/six-1.17.0-py2.py3-none-any.whl
  name: six
  version: 1.17.0
)");
    int ok = 0;
    for (std::size_t n = 0; n <= text.size(); ++n) {
        auto r = lockfile::parse_lockfile(std::string_view(text).substr(0, n), "t.lock");
        if (r.ok()) ++ok;
        else CHECK(r.error().kind == base::ErrorKind::lockfile);
    }
    CHECK(ok >= 1);  // at least the whole text
}
