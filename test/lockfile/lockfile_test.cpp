// parse_lockfile from strings: field derivation, selectors, select(), and the
// piecewise (parallel) parse of large files agreeing with the one-piece parse.
#include <doctest/doctest.h>

#include <algorithm>

#include "pixi_install/lockfile/lockfile.hpp"

using namespace pixi_install;
using lockfile::PackageKind;

namespace {

lockfile::LockFile parse_ok(const std::string& text, const std::filesystem::path& base = "/proj") {
    auto r = lockfile::parse_lockfile(text, "pixi.lock", base);
    if (!r.ok()) FAIL(r.error().to_string());
    return std::move(r).value();
}

std::string parse_err(const std::string& text) {
    auto r = lockfile::parse_lockfile(text, "pixi.lock", "/proj");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::lockfile);
    return r.error().message;
}

const char* kV6 = R"(version: 6
environments:
  default:
    channels:
    - url: https://conda.anaconda.org/conda-forge/
    packages:
      linux-64:
      - conda: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda
        subdir: linux-64
      - conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.12.3-h2628c8c_0_cpython.tar.bz2
      osx-64:
      - conda: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda
        subdir: osx-64
packages:
- conda: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda
  subdir: osx-64
  sha256: AAAA000000000000000000000000000000000000000000000000000000000000
- conda: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_0.conda
  subdir: linux-64
  sha256: bbbb000000000000000000000000000000000000000000000000000000000000
- conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.12.3-h2628c8c_0_cpython.tar.bz2
  md5: F07C8C5DD98767F9A652DE5D039B284E
  timestamp: 1713208036
)";

}  // namespace

TEST_CASE("v6 fields are derived from the location and selectors pick by subdir") {
    auto lock = parse_ok(kV6);
    CHECK(lock.version == 6);
    auto sel = lockfile::select(lock, "default", "linux-64");
    REQUIRE(sel.ok());
    REQUIRE(sel->conda.size() == 2);
    const auto& tz = *sel->conda[0];
    CHECK(tz.name == "tzdata");
    CHECK(tz.version == "2024b");
    CHECK(tz.build == "hc8b5060_0");
    CHECK(tz.subdir == "linux-64");
    CHECK(tz.sha256 == std::optional<std::string>("bbbb000000000000000000000000000000000000000000000000000000000000"));
    CHECK(tz.noarch.empty());  // its subdir is linux-64, as written
    const auto& py = *sel->conda[1];
    CHECK(py.name == "python");
    CHECK(py.build == "h2628c8c_0_cpython");
    CHECK(py.build_number == 0);  // "_cpython" does not end in digits
    CHECK(py.subdir == "linux-64");
    CHECK(py.channel == "https://conda.anaconda.org/conda-forge/");
    CHECK(py.file_name == "python-3.12.3-h2628c8c_0_cpython.tar.bz2");
    CHECK(py.md5 == std::optional<std::string>("f07c8c5dd98767f9a652de5d039b284e"));
    CHECK(py.timestamp == std::optional<std::int64_t>(1713208036000));  // seconds -> ms
    CHECK(py.url == py.location);
    CHECK(py.path.empty());

    auto osx = lockfile::select(lock, "default", "osx-64");
    REQUIRE(osx.ok());
    REQUIRE(osx->conda.size() == 1);
    CHECK(osx->conda[0]->sha256->starts_with("aaaa"));  // lower-cased
    CHECK(osx->subdir == "osx-64");
    CHECK(osx->channels == std::vector<std::string>{"https://conda.anaconda.org/conda-forge/"});
}

TEST_CASE("noarch and build number are derived for noarch URLs") {
    auto lock = parse_ok(R"(version: 6
environments:
  default:
    packages:
      linux-64:
      - conda: https://conda.anaconda.org/conda-forge/noarch/six-1.17.0-pyhd8ed1ab_100.conda
      - conda: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_7.conda
packages:
- conda: https://conda.anaconda.org/conda-forge/noarch/six-1.17.0-pyhd8ed1ab_100.conda
- conda: https://conda.anaconda.org/conda-forge/noarch/tzdata-2024b-hc8b5060_7.conda
)");
    auto sel = lockfile::select(lock, "default", "linux-64");
    REQUIRE(sel.ok());
    CHECK(sel->conda[0]->noarch == "python");
    CHECK(sel->conda[0]->build_number == 100);
    CHECK(sel->conda[0]->subdir == "noarch");
    CHECK(sel->conda[1]->noarch == "generic");
    CHECK(sel->conda[1]->build_number == 7);
}

TEST_CASE("relative and file:// locations resolve against the lock's directory") {
    auto lock = parse_ok(R"(version: 6
environments:
  default:
    packages:
      linux-64:
      - conda: ./pkgs/zlib-1.3.1-hb9d3cd8_2.conda
      - conda: file:///srv/chan/linux-64/bzip2-1.0.8-h4bc722e_7.conda
      - pypi: ../wheels/six-1.17.0-py2.py3-none-any.whl
packages:
- conda: ./pkgs/zlib-1.3.1-hb9d3cd8_2.conda
  subdir: linux-64
- conda: file:///srv/chan/linux-64/bzip2-1.0.8-h4bc722e_7.conda
- pypi: ../wheels/six-1.17.0-py2.py3-none-any.whl
  name: six
  version: 1.17.0
)",
                         "/work/proj");
    auto sel = lockfile::select(lock, "default", "linux-64");
    REQUIRE(sel.ok());
    CHECK(sel->conda[0]->path == std::filesystem::path("/work/proj/pkgs/zlib-1.3.1-hb9d3cd8_2.conda"));
    CHECK(sel->conda[0]->url.empty());
    CHECK(sel->conda[0]->location == "./pkgs/zlib-1.3.1-hb9d3cd8_2.conda");
    CHECK(sel->conda[1]->path == std::filesystem::path("/srv/chan/linux-64/bzip2-1.0.8-h4bc722e_7.conda"));
    CHECK(sel->conda[1]->subdir == "linux-64");
    CHECK(sel->pypi[0]->path == std::filesystem::path("/work/wheels/six-1.17.0-py2.py3-none-any.whl"));
}

TEST_CASE("a v6 selector with no matching record names environment, platform and location") {
    std::string text = kV6;
    text.replace(text.find("subdir: osx-64\npackages"), 14, "subdir: win-64");
    std::string m = parse_err(text);
    CHECK(m.find("environment `default` platform `osx-64`") != std::string::npos);
    CHECK(m.find("tzdata-2024b-hc8b5060_0.conda") != std::string::npos);
    CHECK(m.starts_with("pixi.lock:12:9: "));
}

TEST_CASE("version: rules for missing, zero, non-integer and newer versions") {
    CHECK(parse_err("environments: {}\npackages: []\n").find("missing `version`") != std::string::npos);
    CHECK(parse_err("version: 0\nenvironments: {}\npackages: []\n").find("positive integer") != std::string::npos);
    CHECK(parse_err("version: '6'\nenvironments: {}\npackages: []\n").find("positive integer") != std::string::npos);
    CHECK(parse_err("version: 1000\nenvironments: {}\npackages: []\n") ==
          "pixi.lock:1:10: pixi.lock format version 1000 is newer than this pixi-install supports (1–7); "
          "upgrade pixi-install");
}

TEST_CASE("select and resolve_platform list what exists") {
    auto lock = parse_ok(kV6);
    auto bad_env = lockfile::select(lock, "prod", "linux-64");
    REQUIRE_FALSE(bad_env.ok());
    CHECK(bad_env.error().kind == base::ErrorKind::lockfile);
    CHECK(bad_env.error().message.find("no environment `prod`") != std::string::npos);
    CHECK(bad_env.error().message.find("it has: default") != std::string::npos);
    auto bad_platform = lockfile::select(lock, "default", "win-64");
    REQUIRE_FALSE(bad_platform.ok());
    CHECK(bad_platform.error().message.find("it has: linux-64, osx-64") != std::string::npos);
    auto same = lockfile::resolve_platform(lock, "default", "osx-64");
    REQUIRE(same.ok());
    CHECK(*same == "osx-64");
}

TEST_CASE("v7 platform names map to subdirs; selection by name or subdir") {
    auto lock = parse_ok(R"(version: 7
platforms:
- name: p1
  subdir: linux-64
  virtual-packages: [__cuda=12, __glibc=2.28]
environments:
  default:
    packages:
      p1:
      - conda: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda
      - conda_source: "demo[10db969c] @ ."
      - pypi: ./tool
packages:
- conda: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda
  run_exports: {weak: ["libzlib >=1.3.1,<2.0a0"]}
- conda_source: "demo[10db969c] @ ."
  subdir: linux-64
  depends: [zlib]
- pypi: ./tool
  name: tool
)");
    auto name = lockfile::resolve_platform(lock, "default", "linux-64");
    REQUIRE(name.ok());
    CHECK(*name == "p1");
    auto sel = lockfile::select(lock, "default", "p1");
    REQUIRE(sel.ok());
    CHECK(sel->subdir == "linux-64");
    CHECK(sel->virtual_packages == std::vector<std::string>{"__cuda=12", "__glibc=2.28"});
    REQUIRE(sel->conda.size() == 1);
    REQUIRE(sel->conda[0]->run_exports.has_value());
    CHECK(sel->conda[0]->run_exports->weak == std::vector<std::string>{"libzlib >=1.3.1,<2.0a0"});
    REQUIRE(sel->sources.size() == 1);
    CHECK(sel->sources[0]->name == "demo");
    CHECK(sel->sources[0]->location == "demo[10db969c] @ .");
    CHECK_FALSE(sel->sources[0]->version.has_value());
    REQUIRE(sel->pypi.size() == 1);
    CHECK_FALSE(sel->pypi[0]->version.has_value());
    CHECK(sel->pypi[0]->path == std::filesystem::path("/proj/tool"));
}

TEST_CASE("records shared between environments are held once") {
    auto lock = parse_ok(R"(version: 6
environments:
  a:
    packages:
      linux-64: [{conda: "https://c.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda"}]
  b:
    packages:
      linux-64: [{conda: "https://c.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda"}]
packages:
- conda: https://c.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda
)");
    CHECK(lock.environments.at("a").packages.at("linux-64")[0].conda ==
          lock.environments.at("b").packages.at("linux-64")[0].conda);
}

namespace {

/// A v6 lock with n conda records, large enough to be parsed in pieces.
std::string big_lock(std::size_t n, const std::string& broken_record = "") {
    std::string env = "version: 6\nenvironments:\n  default:\n    packages:\n      linux-64:\n";
    std::string pkgs = "packages:\n";
    for (std::size_t i = 0; i < n; ++i) {
        std::string url = "https://conda.anaconda.org/conda-forge/linux-64/pkg" + std::to_string(i) + "-1.0-h0_" +
                          std::to_string(i % 7) + ".conda";
        env += "      - conda: " + url + "\n";
        pkgs += "- conda: " + url + "\n  sha256: " + std::string(64, 'a') + "\n  depends:\n  - libfoo >=1.0\n" +
                "  - 'libbar 2.*'\n  license: MIT\n  size: " + std::to_string(1000 + i) + "\n";
        if (i == n / 2 && !broken_record.empty()) pkgs += broken_record;
    }
    return env + pkgs + "# trailing comment\n";
}

}  // namespace

TEST_CASE("a large lock parsed in pieces gives the same records in order") {
    std::string text = big_lock(3000);
    REQUIRE(text.size() > 512 * 1024);
    auto lock = parse_ok(text);
    const auto& pkgs = lock.environments.at("default").packages.at("linux-64");
    REQUIRE(pkgs.size() == 3000);
    for (std::size_t i = 0; i < pkgs.size(); ++i) {
        CHECK(pkgs[i].conda->name == "pkg" + std::to_string(i));
        CHECK(*pkgs[i].conda->size == 1000 + i);
        CHECK(pkgs[i].conda->build_number == i % 7);
    }
}

TEST_CASE("an error deep inside a large lock names its true line") {
    std::string text = big_lock(3000, "  size: huge\n");
    std::string m = parse_err(text);
    // The broken record is record 1500; each record is 8 lines after the headers.
    std::size_t prefix = text.find("  size: huge");
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(prefix), '\n'));
    CHECK(m.find("pixi.lock:" + std::to_string(line) + ":") == 0);
    CHECK(m.find("duplicate key `size`") != std::string::npos);
}

TEST_CASE("a record error found after a piecewise parse names the record's true line") {
    std::string text = big_lock(3000, "  md5: not-hex\n");
    std::string m = parse_err(text);
    std::size_t at = text.find("  md5: not-hex");
    std::size_t record = text.rfind("\n- conda:", at) + 1;
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(record), '\n'));
    CHECK(m.find("pixi.lock:" + std::to_string(line) + ":3: ") == 0);
    CHECK(m.find("invalid md5 `not-hex`") != std::string::npos);
}
