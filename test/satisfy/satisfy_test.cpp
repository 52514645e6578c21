// One test per satisfiability rule, on small manifests and locks written here.
#include <doctest/doctest.h>

#include <string>

#include "pixi_install/lockfile/lockfile.hpp"
#include "pixi_install/manifest/workspace.hpp"
#include "pixi_install/satisfy/satisfy.hpp"

using namespace pixi_install;

namespace {

constexpr std::int64_t kNow = 1767225600000;  // 2026-01-01T00:00:00Z

const char* const kPython =
    "- conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.12.3-h1_0_cpython.conda\n"
    "  sha256: 1a95494abe572a8819c933f978df89f00bde72ea9432d46a70632599e8029ea4\n"
    "  depends:\n"
    "  - __glibc >=2.17\n"
    "  timestamp: 1700000000000\n";

std::string lock_with(const std::string& env_extra, const std::string& selectors, const std::string& packages) {
    return "version: 6\nenvironments:\n  default:\n    channels:\n    - url: https://conda.anaconda.org/conda-forge/\n" +
           env_extra + "    packages:\n      linux-64:\n" + selectors + "packages:\n" + packages;
}

const std::string kPythonSel = "      - conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.12.3-h1_0_cpython.conda\n";

std::vector<std::string> reasons(const std::string& manifest, const std::string& lock) {
    auto ws = manifest::parse_workspace(manifest, "/nonexistent/pixi.toml", false);
    REQUIRE_MESSAGE(ws.ok(), (ws.ok() ? "" : ws.error().message));
    auto lf = lockfile::parse_lockfile(lock, "<string>", "/nonexistent");
    REQUIRE_MESSAGE(lf.ok(), (lf.ok() ? "" : lf.error().message));
    auto r = satisfy::check(*lf, *ws, kNow);
    std::vector<std::string> out;
    for (const auto& s : r.stale)
        for (const auto& x : s.reasons) out.push_back(x);
    return out;
}

const std::string kHead = "[workspace]\nname = \"t\"\nchannels = [\"conda-forge\"]\nplatforms = [\"linux-64\"]\n";

}  // namespace

TEST_CASE("a satisfied lock has no reasons") {
    CHECK(reasons(kHead + "[dependencies]\npython = \"3.12.*\"\n", lock_with("", kPythonSel, kPython)).empty());
}

TEST_CASE("conda specs: a locked record that does not match, and a missing one") {
    auto r = reasons(kHead + "[dependencies]\npython = \"3.11.*\"\n", lock_with("", kPythonSel, kPython));
    REQUIRE(!r.empty());
    CHECK(r[0] == "the requirement 'python 3.11.*' could not be satisfied (required by '<environment>')");
    r = reasons(kHead + "[dependencies]\npython = \"*\"\nnumpy = \"*\"\n", lock_with("", kPythonSel, kPython));
    REQUIRE(!r.empty());
    CHECK(r[0] == "the requirement 'numpy *' could not be satisfied (required by '<environment>')");
}

TEST_CASE("depends must be closed; virtual packages come from the system requirements") {
    // __glibc >=2.17 is met by the linux default (2.28); raising the requirement in depends is not
    std::string py = kPython;
    std::string hi = py;
    hi.replace(hi.find("__glibc >=2.17"), 14, "__glibc >=2.34");
    auto r = reasons(kHead + "[dependencies]\npython = \"*\"\n", lock_with("", kPythonSel, hi));
    REQUIRE(r.size() == 1);
    CHECK(r[0] == "the requirement '__glibc >=2.34' could not be satisfied (required by 'python-3.12.3-h1_0_cpython.conda')");
    CHECK(reasons(kHead + "[system-requirements]\nlibc = \"2.35\"\n[dependencies]\npython = \"*\"\n",
                  lock_with("", kPythonSel, hi)).empty());
}

TEST_CASE("a locked package nothing requires is too many") {
    auto r = reasons(kHead + "[dependencies]\nzlib = \"*\"\n",
                     lock_with("", kPythonSel + "      - conda: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3-h0_0.conda\n",
                               std::string(kPython) + "- conda: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3-h0_0.conda\n"));
    REQUIRE(r.size() == 1);
    CHECK(r[0] == "there are more conda packages in the lock file than are used by the environment: python");
}

TEST_CASE("channels: order matters, appending is reported as an extension") {
    auto r = reasons("[workspace]\nchannels = [\"bioconda\", \"conda-forge\"]\nplatforms = [\"linux-64\"]\n[dependencies]\npython = \"*\"\n",
                     lock_with("", kPythonSel, kPython));
    REQUIRE(!r.empty());
    CHECK(r[0] == "the channels in the lock file do not match the environments channels");
    r = reasons("[workspace]\nchannels = [\"conda-forge\", \"bioconda\"]\nplatforms = [\"linux-64\"]\n[dependencies]\npython = \"*\"\n",
                lock_with("", kPythonSel, kPython));
    REQUIRE(!r.empty());
    CHECK(r[0] == "channels were extended with additional lower-priority channels");
}

TEST_CASE("platforms: a locked platform the workspace dropped") {
    std::string lock = "version: 6\nenvironments:\n  default:\n    channels:\n    - url: https://conda.anaconda.org/conda-forge/\n"
                       "    packages:\n      linux-64:\n" + kPythonSel + "      osx-64:\n" + kPythonSel + "packages:\n" + kPython;
    auto r = reasons(kHead + "[dependencies]\npython = \"*\"\n", lock);
    REQUIRE(!r.empty());
    CHECK(r[0] == "platform(s) 'osx-64' present in the lock file but not in the environment");
}

TEST_CASE("solver options: strategy, channel priority, prerelease mode, exclude-newer") {
    auto r = reasons(kHead + "solve-strategy = \"lowest-direct\"\nchannel-priority = \"disabled\"\n[dependencies]\npython = \"*\"\n"
                             "[pypi-options]\nprerelease-mode = \"allow\"\n",
                     lock_with("", kPythonSel, kPython));
    REQUIRE(r.size() == 3);
    CHECK(r[0] == "the lock file was solved with a different strategy (highest) than the one selected (lowest-version-direct)");
    CHECK(r[1] == "the lock file was solved with a different channel priority (strict) than the one selected (disabled)");
    CHECK(r[2] == "the lock file was solved with a different PyPI prerelease mode (if-necessary-or-explicit) than the one selected (allow)");
    r = reasons("[workspace]\nchannels = [\"conda-forge\"]\nplatforms = [\"linux-64\"]\nexclude-newer = \"2023-11-13\"\n"
                "[dependencies]\npython = \"*\"\n",
                lock_with("", kPythonSel, kPython));
    REQUIRE(r.size() == 1);
    CHECK(r[0] == "the locked package 'python' has timestamp 2023-11-14T22:13:20Z, which is newer than the environment's "
                  "exclude-newer cutoff 2023-11-14T00:00:00Z");
    CHECK(reasons("[workspace]\nchannels = [\"conda-forge\"]\nplatforms = [\"linux-64\"]\nexclude-newer = \"7d\"\n"
                  "[dependencies]\npython = \"*\"\n", lock_with("", kPythonSel, kPython)).empty());
}

TEST_CASE("pypi: versions, missing packages, markers, extras and indexes") {
    std::string env = "    indexes:\n    - https://pypi.org/simple\n";
    std::string sel = kPythonSel + "      - pypi: https://files.example/requests-2.31.0-py3-none-any.whl\n";
    std::string pkgs = std::string(kPython) +
                       "- pypi: https://files.example/requests-2.31.0-py3-none-any.whl\n  name: requests\n  version: 2.31.0\n"
                       "  requires_dist:\n  - idna ; extra == 'socks'\n  - certifi>=2017.4.17 ; sys_platform == 'win32'\n";
    std::string m = kHead + "[dependencies]\npython = \"*\"\n[pypi-dependencies]\n";
    CHECK(reasons(m + "requests = \">=2.30\"\n", lock_with(env, sel, pkgs)).empty());
    auto r = reasons(m + "requests = \">=3\"\n", lock_with(env, sel, pkgs));
    REQUIRE(r.size() == 1);
    CHECK(r[0] == "'requests' with specifiers '>=3' does not match the locked version '2.31.0'");
    r = reasons(m + "requests = { version = \"*\", extras = [\"socks\"] }\n", lock_with(env, sel, pkgs));
    REQUIRE(r.size() == 1);
    CHECK(r[0] == "the requirement 'idna ; extra == 'socks'' could not be satisfied (required by 'requests')");
    r = reasons(m + "requests = \"*\"\nrich = { version = \"*\", env-markers = \"sys_platform == 'linux'\" }\n", lock_with(env, sel, pkgs));
    REQUIRE(r.size() == 1);
    CHECK(r[0] == "the requirement 'rich ; sys_platform == 'linux'' could not be satisfied (required by '<environment>')");
    CHECK(reasons(m + "requests = \"*\"\nrich = { version = \"*\", env-markers = \"sys_platform == 'darwin'\" }\n",
                  lock_with(env, sel, pkgs)).empty());
    r = reasons(m + "requests = \"*\"\n[pypi-options]\nindex-url = \"https://mirror.example/simple\"\n", lock_with(env, sel, pkgs));
    REQUIRE(!r.empty());
    CHECK(r[0].rfind("the indexes used to previously solve to lock file do not match the environments indexes", 0) == 0);
}

TEST_CASE("a conda record that only PyPI requirements reach is stale") {
    std::string env = "    indexes:\n    - https://pypi.org/simple\n";
    std::string sel = kPythonSel + "      - conda: https://conda.anaconda.org/conda-forge/noarch/boltons-24.0.0-pyhd8ed1ab_1.conda\n";
    std::string python_with_purls = std::string(kPython) + "  purls: []\n";
    std::string pkgs = python_with_purls +
                       "- conda: https://conda.anaconda.org/conda-forge/noarch/boltons-24.0.0-pyhd8ed1ab_1.conda\n"
                       "  sha256: 2c1ad5bb1f0dcf16ae4e8ee00be25ae4bbea6a0ad1c7a85b2e9e9b4a4b0d3b10\n"
                       "  depends:\n  - python >=3.7\n  purls:\n  - pkg:pypi/boltons@24.0.0\n"
                       "  timestamp: 1700000000000\n";
    // boltons is asked for on PyPI only: the locked conda record would be dropped by a solve.
    auto r = reasons(kHead + "[dependencies]\npython = \"*\"\n[pypi-dependencies]\nboltons = \"*\"\n", lock_with(env, sel, pkgs));
    REQUIRE(r.size() == 1);
    CHECK(r[0] == "'boltons' is locked as a conda package but only requested by pypi dependencies");
    // Also a conda dependency: fine.
    CHECK(reasons(kHead + "[dependencies]\npython = \"*\"\nboltons = \"*\"\n[pypi-dependencies]\nboltons = \"*\"\n",
                  lock_with(env, sel, pkgs)).empty());
}

TEST_CASE("pypi: no-build refuses locked source distributions") {
    std::string env = "    indexes:\n    - https://pypi.org/simple\n";
    std::string sel = kPythonSel + "      - pypi: https://files.example/sdist-1.0.tar.gz\n";
    std::string pkgs = std::string(kPython) + "- pypi: https://files.example/sdist-1.0.tar.gz\n  name: sdist\n  version: '1.0'\n";
    auto r = reasons(kHead + "[dependencies]\npython = \"*\"\n[pypi-dependencies]\nsdist = \"*\"\n[pypi-options]\nno-build = true\n",
                     lock_with(env, sel, pkgs));
    REQUIRE(!r.empty());
    CHECK(r[0] == "the lock file contains non-binary package: 'sdist', but the pypi-option `no-build` is set");
}

TEST_CASE("pypi: locked wheels must fit the platform's system requirements") {
    // A manylinux_2_28 wheel needs glibc 2.28: the linux default, not a lowered libc = 2.17.
    std::string env = "    indexes:\n    - https://pypi.org/simple\n";
    const std::string whl = "https://files.example/native-1.0-cp312-cp312-manylinux_2_28_x86_64.whl";
    std::string sel = kPythonSel + "      - pypi: " + whl + "\n";
    std::string pkgs = std::string(kPython) + "- pypi: " + whl + "\n  name: native\n  version: '1.0'\n";
    std::string m = kHead + "[dependencies]\npython = \"*\"\n[pypi-dependencies]\nnative = \"*\"\n";
    CHECK(reasons(m, lock_with(env, sel, pkgs)).empty());
    auto r = reasons(m + "[system-requirements]\nlibc = \"2.17\"\n", lock_with(env, sel, pkgs));
    REQUIRE(r.size() == 1);
    CHECK(r[0] == "the lock file was solved with system requirements incompatible with the tags on wheel (native)");
    // another python than the wheel's
    std::string py311 = pkgs;
    py311.replace(py311.find("cp312-cp312"), 11, "cp311-cp311");
    std::string sel311 = sel;
    sel311.replace(sel311.find("cp312-cp312"), 11, "cp311-cp311");
    r = reasons(m, lock_with(env, sel311, py311));
    REQUIRE(r.size() == 1);
    CHECK(r[0] == "the lock file was solved with system requirements incompatible with the tags on wheel (native)");
}

TEST_CASE("features, targets and environments") {
    std::string m = kHead + "[dependencies]\npython = \"*\"\n[target.osx-64.dependencies]\nnumpy = \"*\"\n"
                            "[feature.extra.dependencies]\nzlib = \"*\"\n[environments]\nextra = [\"extra\"]\n";
    auto r = reasons(m, lock_with("", kPythonSel, kPython));
    // the osx target does not apply on linux-64; the `extra` environment is missing from the lock
    REQUIRE(r.size() == 1);
    CHECK(r[0] == "the lock file does not contain the environment 'extra'");
}

TEST_CASE("conditional dependencies apply only when their condition holds") {
    std::string m = kHead + "[dependencies]\npython = \"*\"\ngpu = { version = \"*\", when = \"__cuda>=12\" }\n";
    CHECK(reasons(m, lock_with("", kPythonSel, kPython)).empty());
    std::string cuda = "[workspace]\nchannels = [\"conda-forge\"]\nplatforms = [\"linux-64\"]\n[system-requirements]\ncuda = \"12\"\n"
                       "[dependencies]\npython = \"*\"\ngpu = { version = \"*\", when = \"__cuda>=12\" }\n";
    auto r = reasons(cuda, lock_with("", kPythonSel, kPython));
    REQUIRE(r.size() == 1);
    CHECK(r[0] == "the requirement 'gpu *[when=\"__cuda>=12\"]' could not be satisfied (required by '<environment>')");
}

TEST_CASE("render names environment, platform and the fix") {
    satisfy::Report rep;
    rep.stale.push_back({"default", std::string("win-64"), {"a reason"}});
    rep.stale.push_back({"dev", std::nullopt, {"another"}});
    std::string t = satisfy::render(rep);
    CHECK(t.find("environment 'default' does not satisfy the requirements of the project for platform 'win-64'\n    Caused by: a reason") != std::string::npos);
    CHECK(t.find("environment 'dev' does not satisfy the requirements of the project\n") != std::string::npos);
    CHECK(t.find("pixi lock") != std::string::npos);
}
