// Locks written to attack the installer: names that would become paths outside the
// prefix or the cache, control characters, duplicate records, alias bombs. Each is
// refused at parse as an invalid lock, with one line naming what and where.
#include <doctest/doctest.h>

#include <string>

#include "pixi_install/lockfile/lockfile.hpp"

using namespace pixi_install;

namespace {

const std::string kZlib = "https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda";
const std::string kSha = "5d7c0e5f0005f74112a34a7425179f4eb6e73c92f5d109e6af4ddeef4c7b7f56";

/// A v6 lock with one environment `env` listing the given selectors and records.
std::string lock_v6(const std::string& env, const std::string& selectors, const std::string& records) {
    return "version: 6\nenvironments:\n  " + env + ":\n    channels:\n    - url: https://conda.anaconda.org/conda-forge/\n"
           "    packages:\n      linux-64:\n" + selectors + "packages:\n" + records;
}

std::string zlib_lock(const std::string& extra) {
    return lock_v6("default", "      - conda: " + kZlib + "\n", "- conda: " + kZlib + "\n  sha256: " + kSha + "\n" + extra);
}

std::string refuse(const std::string& text) {
    auto r = lockfile::parse_lockfile(text, "pixi.lock", "/tmp");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::lockfile);
    const std::string& m = r.error().message;
    CHECK(m.rfind("pixi.lock", 0) == 0);
    CHECK(m.find('\n') == std::string::npos);
    CHECK(m.find('\x1b') == std::string::npos);
    return m;
}

bool has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("the plain lock these tests start from is accepted") {
    auto r = lockfile::parse_lockfile(zlib_lock(""), "pixi.lock", "/tmp");
    REQUIRE(r.ok());
    CHECK(r->environments.count("default") == 1);
}

TEST_CASE("python_site_packages_path must stay inside the environment") {
    auto m = refuse(zlib_lock("  python_site_packages_path: ../../../canary\n"));
    CHECK(has(m, "unsafe `python_site_packages_path` `../../../canary` ('..' component)"));
    CHECK(has(refuse(zlib_lock("  python_site_packages_path: /usr/lib/python3/site-packages\n")), "absolute path"));
    auto ok = lockfile::parse_lockfile(zlib_lock("  python_site_packages_path: lib/python3.13t/site-packages\n"),
                                       "pixi.lock", "/tmp");
    CHECK(ok.ok());
}

TEST_CASE("file_name must be one safe path segment") {
    CHECK(has(refuse(zlib_lock("  file_name: ../../../../tmp/x.conda\n")), "unsafe `file_name` `../../../../tmp/x.conda` (contains '/')"));
    CHECK(has(refuse(zlib_lock("  file_name: /tmp/x.conda\n")), "contains '/'"));
    CHECK(has(refuse(zlib_lock("  file_name: ..\n")), "unsafe `file_name`"));
}

TEST_CASE("a percent-encoded '/' in a wheel's location is refused") {
    std::string wheel = "https://files.example.org/a%2F..%2F..%2Fdemo-1.0-py3-none-any.whl";
    std::string text = lock_v6("default", "      - pypi: " + wheel + "\n",
                               "- pypi: " + wheel + "\n  name: demo\n  version: '1.0'\n");
    CHECK(has(refuse(text), "unsafe `file name` `a/../../demo-1.0-py3-none-any.whl`"));
    std::string local = "wheels/a%2F..%2Fdemo-1.0-py3-none-any.whl";
    CHECK(has(refuse(lock_v6("default", "      - pypi: " + local + "\n",
                             "- pypi: " + local + "\n  name: demo\n  version: '1.0'\n")),
              "unsafe `file name` `a/../demo-1.0-py3-none-any.whl`"));
}

TEST_CASE("names, versions and builds with separators or control characters are refused") {
    CHECK(has(refuse(zlib_lock("  name: ../zlib\n")), "unsafe `name` `../zlib`"));
    CHECK(has(refuse(zlib_lock("  version: \"1.3\\n1\"\n")), "unsafe `version` `1.3\\n1` (contains a control character)"));
    CHECK(has(refuse(zlib_lock("  build: \"h\\e[31m_2\"\n")), "unsafe `build` `h\\e[31m_2`"));
}

TEST_CASE("environment names follow pixi's rule") {
    std::string sel = "      - conda: " + kZlib + "\n";
    std::string rec = "- conda: " + kZlib + "\n";
    auto m = refuse(lock_v6("../../x", sel, rec));
    CHECK(has(m, "environment name `../../x` is not allowed"));
    CHECK(has(m, "lower-case letters, digits and '-'"));
    CHECK(has(refuse(lock_v6("\"a\\nb\"", sel, rec)), "environment name `a\\nb`"));
    CHECK(lockfile::parse_lockfile(lock_v6("py311-cuda", sel, rec), "pixi.lock", "/tmp").ok());
}

TEST_CASE("two records of one name in one environment and platform are refused, naming both") {
    std::string other = "https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.0-hb9d3cd8_0.conda";
    std::string text = lock_v6("default", "      - conda: " + kZlib + "\n      - conda: " + other + "\n",
                               "- conda: " + kZlib + "\n- conda: " + other + "\n");
    auto m = refuse(text);
    CHECK(has(m, "environment `default` platform `linux-64` lists package `zlib` twice"));
    CHECK(has(m, kZlib));
    CHECK(has(m, other));
    std::string w1 = "https://files.example.org/Demo_Pkg-1.0-py3-none-any.whl";
    std::string w2 = "https://files.example.org/demo.pkg-2.0-py3-none-any.whl";
    std::string pypi = lock_v6("default", "      - pypi: " + w1 + "\n      - pypi: " + w2 + "\n",
                               "- pypi: " + w1 + "\n  name: Demo_Pkg\n  version: '1.0'\n- pypi: " + w2 +
                                   "\n  name: demo.pkg\n  version: '2.0'\n");
    CHECK(has(refuse(pypi), "lists package `demo.pkg` twice"));
}

TEST_CASE("aliases are bounded by the bytes they expand to, not only by nodes") {
    // 1 MiB scalar, aliased 3000 times (3 GiB expanded) in a ~1 MiB document.
    std::string text = "version: 6\nbig: &big \"" + std::string(1 << 20, 'x') + "\"\nrefs:\n";
    for (int i = 0; i < 3000; ++i) text += "- *big\n";
    text += "environments:\n  default:\n    packages: {}\npackages: []\n";
    auto m = refuse(text);
    CHECK(has(m, "YAML aliases expand to more than"));
    // A few aliases of a small value stay fine.
    std::string small = "version: 6\nx: &x abc\nrefs: [*x, *x, *x]\nenvironments:\n  default:\n    packages: {}\npackages: []\n";
    CHECK(lockfile::parse_lockfile(small, "pixi.lock", "/tmp").ok());
}
