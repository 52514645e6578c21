#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/install/preflight.hpp"

using namespace pixi_install;

namespace {

std::shared_ptr<lockfile::CondaRecord> conda(std::string name, std::vector<std::string> depends = {},
                                             std::string noarch = "") {
    auto r = std::make_shared<lockfile::CondaRecord>();
    r->name = std::move(name);
    r->version = "1";
    r->build = "0";
    r->depends = std::move(depends);
    r->noarch = std::move(noarch);
    return r;
}

std::shared_ptr<lockfile::PypiRecord> pypi(std::string name, std::vector<std::string> requires_dist = {}) {
    auto r = std::make_shared<lockfile::PypiRecord>();
    r->name = std::move(name);
    r->version = "1";
    r->location = "https://files.pythonhosted.org/x/" + r->name + "-1-py3-none-any.whl";
    r->requires_dist = std::move(requires_dist);
    return r;
}

lockfile::Selection demo() {
    lockfile::Selection s;
    s.environment = "default";
    s.conda = {conda("python", {"libzlib >=1.2", "openssl 3.*"}), conda("libzlib"), conda("openssl"),
               conda("hello", {"python >=3.8"}, "python"), conda("tool")};
    s.pypi = {pypi("Demo_Greet", {"six>=1; python_version>'3'"}), pypi("six")};
    return s;
}

std::vector<std::string> names(const lockfile::Selection& s) {
    std::vector<std::string> out;
    for (const auto& r : s.conda) out.push_back(r->name);
    for (const auto& r : s.pypi) out.push_back(r->name);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("--only keeps the named packages and their dependencies") {
    install::InstallOptions o;
    o.only = {"hello"};
    CHECK(names(install::filter_selection(demo(), o)) ==
          std::vector<std::string>{"hello", "libzlib", "openssl", "python"});
    o.only = {"demo-greet"};  // PyPI names compare normalized; a PyPI package needs python
    CHECK(names(install::filter_selection(demo(), o)) ==
          std::vector<std::string>{"Demo_Greet", "libzlib", "openssl", "python", "six"});
}

TEST_CASE("--skip leaves out only the named package (its dependencies stay)") {
    install::InstallOptions o;
    o.only = {"hello"};
    o.skip = {"python"};
    CHECK(names(install::filter_selection(demo(), o)) == std::vector<std::string>{"hello", "libzlib", "openssl"});
    o.only.clear();
    o.skip = {"tool", "six"};
    CHECK(names(install::filter_selection(demo(), o)) ==
          std::vector<std::string>{"Demo_Greet", "hello", "libzlib", "openssl", "python"});
}

TEST_CASE("unknown --only/--skip names are usage errors with near names") {
    auto s = demo();
    std::vector<const lockfile::Selection*> sel{&s};
    auto r = install::check_package_names(sel, {}, {"pythn"});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::usage);
    CHECK(r.error().message.find("did you mean python") != std::string::npos);
    CHECK_FALSE(install::check_package_names(sel, {"pythn"}, {}).ok());
    auto both = install::check_package_names(sel, {"python"}, {"python"});
    REQUIRE_FALSE(both.ok());
    CHECK(both.error().kind == base::ErrorKind::usage);
    CHECK(install::check_package_names(sel, {"tool"}, {"demo_greet", "hello"}).ok());
}

TEST_CASE("a noarch: python package without python is refused before anything changes") {
    install::InstallOptions o;
    o.only = {"hello"};
    o.skip = {"python"};
    auto r = install::check_installable(install::filter_selection(demo(), o), o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::failure);
    CHECK(r.error().message.find("hello is noarch: python") != std::string::npos);
    o.skip.clear();
    CHECK(install::check_installable(install::filter_selection(demo(), o), o).ok());
}

TEST_CASE("the target directory: new, empty or an environment; else refused unless allowed") {
    auto tmp = base::TempDir::create(std::filesystem::temp_directory_path(), "preflight");
    REQUIRE(tmp.ok());
    const auto root = tmp->path();
    CHECK(install::check_target_directory(root / "new", false).ok());
    std::filesystem::create_directories(root / "empty");
    CHECK(install::check_target_directory(root / "empty", false).ok());
    std::filesystem::create_directories(root / "env" / "conda-meta");
    CHECK(install::check_target_directory(root / "env", false).ok());
    std::filesystem::create_directories(root / "mine" / "bin");
    auto r = install::check_target_directory(root / "mine", false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == base::ErrorKind::usage);
    CHECK(install::check_target_directory(root / "mine", true).ok());
    std::ofstream(root / "file") << "x";
    CHECK_FALSE(install::check_target_directory(root / "file", true).ok());
}
