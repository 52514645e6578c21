// host::check, choose_platform and decide_host_check on literal inputs.
#include <doctest/doctest.h>

#include "pixi_install/host/check.hpp"

using namespace pixi_install::host;
using pixi_install::base::ErrorKind;

namespace {

VirtualPackages host(std::map<std::string, std::string> env = {}) {
    HostFacts f;
    f.subdir = "linux-64";
    f.kernel_release = "6.1.0-18-amd64";
    f.glibc_version = "2.36";
    f.cpu.machine = "x86_64";
    return detect(f, Overrides::from_environment(env)).value();
}

std::vector<PackageRequirements> pytorch_env() {
    return {
        {"bzip2", {"__glibc >=2.17,<3.0.a0", "libgcc >=13"}},
        {"zlib", {"__glibc >=2.17,<3.0.a0"}},
        {"pytorch", {"__cuda", "__glibc >=2.28,<3.0.a0", "python >=3.12"}},
        {"torchvision", {"__cuda", "libtorch"}},
        {"cuda-cudart", {"__glibc >=2.28,<3.0.a0", "__unix"}},
    };
}

const Requirement* find(const CheckReport& r, const std::string& spec) {
    for (const auto& q : r.requirements)
        if (q.spec == spec) return &q;
    return nullptr;
}

}  // namespace

TEST_CASE("one entry per distinct requirement, with every package that needs it") {
    auto report = check(pytorch_env(), {}, host());
    REQUIRE(report.ok());
    CHECK(report->requirements.size() == 4);
    const Requirement* glibc = find(*report, "__glibc >=2.17,<3.0.a0");
    REQUIRE(glibc);
    CHECK(glibc->satisfied);
    CHECK(glibc->required_by == std::vector<std::string>{"bzip2", "zlib"});
    CHECK(glibc->host == "__glibc=2.36=0");
    CHECK(glibc->override_variable == "CONDA_OVERRIDE_GLIBC");
    CHECK(glibc->suggested_override.empty());

    const Requirement* cuda = find(*report, "__cuda");
    REQUIRE(cuda);
    CHECK_FALSE(cuda->satisfied);
    CHECK(cuda->enforced);
    CHECK_FALSE(cuda->host.has_value());
    CHECK(cuda->required_by == std::vector<std::string>{"pytorch", "torchvision"});
    CHECK(cuda->suggested_override == "CONDA_OVERRIDE_CUDA=12.0");

    const Requirement* unix_req = find(*report, "__unix");
    REQUIRE(unix_req);
    CHECK(unix_req->satisfied);
    CHECK_FALSE(unix_req->enforced);

    CHECK_FALSE(report->ok());
    REQUIRE(report->unmet().size() == 1);
    CHECK(report->unmet()[0]->name == "__cuda");
}

TEST_CASE("the refusal names requirement, packages, host value and override") {
    auto report = check(pytorch_env(), {}, host()).value();
    auto e = host_error(report, "default", "linux-64");
    CHECK(e.kind == ErrorKind::host);
    CHECK(e.message.find("environment 'default'") != std::string::npos);
    CHECK(e.message.find("__cuda (required by pytorch, torchvision): this machine has no __cuda") !=
          std::string::npos);
    CHECK(e.message.find("CONDA_OVERRIDE_CUDA=12.0") != std::string::npos);
}

TEST_CASE("CONDA_OVERRIDE_CUDA=12.0 satisfies a bare __cuda and __cuda >=12") {
    auto vps = host({{"CONDA_OVERRIDE_CUDA", "12.0"}});
    std::vector<PackageRequirements> pkgs = pytorch_env();
    pkgs.push_back({"cupy", {"__cuda >=12"}});
    auto report = check(pkgs, {}, vps).value();
    CHECK(report.ok());
    CHECK(find(report, "__cuda >=12")->host == "__cuda=12.0=0");
}

TEST_CASE("suggested values come from the requirements' lower bounds, one per variable") {
    std::vector<PackageRequirements> pkgs = {{"a", {"__cuda >=12.4"}}, {"b", {"__glibc >=2.39"}},
                                             {"c", {"__cuda"}}, {"d", {"__linux >=7"}}, {"e", {"__cuda >=11.8"}}};
    CheckOptions opts;
    opts.cuda_hint = "12.6";
    auto report = check(pkgs, {}, host(), opts).value();
    CHECK(find(report, "__cuda >=12.4")->suggested_override == "CONDA_OVERRIDE_CUDA=12.4");
    CHECK(find(report, "__cuda")->suggested_override == "CONDA_OVERRIDE_CUDA=12.4");
    CHECK(find(report, "__cuda >=11.8")->suggested_override == "CONDA_OVERRIDE_CUDA=12.4");
    CHECK(find(report, "__glibc >=2.39")->suggested_override == "CONDA_OVERRIDE_GLIBC=2.39");
    CHECK(find(report, "__glibc >=2.39")->host == "__glibc=2.36=0");
    CHECK(find(report, "__linux >=7")->suggested_override == "CONDA_OVERRIDE_LINUX=7.0");
    CHECK(report.unmet().size() == 5);
}

TEST_CASE("a bare __cuda alone suggests the environment's cuda-version pin") {
    CheckOptions opts;
    opts.cuda_hint = "12.6";
    std::vector<PackageRequirements> pkgs = {{"pytorch", {"__cuda"}}};
    CHECK(check(pkgs, {}, host(), opts)->requirements[0].suggested_override == "CONDA_OVERRIDE_CUDA=12.6");
    CHECK(check(pkgs, {}, host())->requirements[0].suggested_override == "CONDA_OVERRIDE_CUDA=12.0");
}

TEST_CASE("manifest requirements are checked like package requirements") {
    std::vector<ExtraRequirement> extra = {{"__cuda >=12.0", "pixi.toml [system-requirements]"}};
    auto report = check({}, extra, host()).value();
    CHECK_FALSE(report.ok());
    CHECK(report.requirements[0].required_by == std::vector<std::string>{"pixi.toml [system-requirements]"});
    auto mocked = check({}, extra, host({{"CONDA_OVERRIDE_CUDA", "12.0"}})).value();
    CHECK(mocked.ok());
}

TEST_CASE("__archspec requirements are reported, not enforced (as pixi)") {
    auto report = check(std::vector<PackageRequirements>{{"pinocchio", {"__archspec 1=skylake"}}}, {}, host()).value();
    CHECK(report.ok());
    CHECK_FALSE(report.requirements[0].satisfied);
    CHECK_FALSE(report.requirements[0].enforced);
}

TEST_CASE("an unreadable __ requirement is a lock file error naming the package") {
    auto r = check(std::vector<PackageRequirements>{{"broken", {"__glibc >=2.17,<<3"}}}, {}, host());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::lockfile);
    CHECK(r.error().message.find("broken") != std::string::npos);
}

TEST_CASE("choose_platform: v7 rich platforms") {
    std::vector<PlatformCandidate> c = {
        {"p1", "linux-64", {"__unix=0=0", "__linux=4.18", "__glibc=2.28", "__cuda=12", "__archspec=0=x86_64"}},
        {"p2", "linux-64", {"__unix=0=0", "__linux=4.18", "__glibc=2.28", "__archspec=0=x86_64"}},
        {"osx-arm64", "osx-arm64", {}},
    };
    auto no_gpu = choose_platform(c, "linux-64", host());
    REQUIRE(no_gpu.ok());
    CHECK(no_gpu->name == "p2");
    CHECK(no_gpu->declared_runnable);

    auto gpu = choose_platform(c, "linux-64", host({{"CONDA_OVERRIDE_CUDA", "12.4"}}));
    REQUIRE(gpu.ok());
    CHECK(gpu->name == "p1");

    std::vector<PlatformCandidate> only_gpu = {c[0]};
    auto fallback = choose_platform(only_gpu, "linux-64", host());
    REQUIRE(fallback.ok());
    CHECK(fallback->name == "p1");
    CHECK_FALSE(fallback->declared_runnable);
    CHECK(fallback->missing == std::vector<std::string>{"__cuda=12"});
}

TEST_CASE("choose_platform: v1-v6 names are subdirs; a missing subdir is a host error") {
    std::vector<PlatformCandidate> c = {{"linux-64", "linux-64", {}}, {"osx-arm64", "osx-arm64", {}}};
    CHECK(choose_platform(c, "linux-64", host())->name == "linux-64");
    std::vector<PlatformCandidate> mac_only = {{"osx-arm64", "osx-arm64", {}}, {"osx-64", "osx-64", {}}};
    auto none = choose_platform(mac_only, "linux-64", host());
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().kind == ErrorKind::host);
    CHECK(none.error().message.find("osx-arm64, osx-64") != std::string::npos);
    // An Apple silicon host runs osx-64 environments (Rosetta).
    CHECK(choose_platform(std::vector<PlatformCandidate>{{"osx-64", "osx-64", {}}}, "osx-arm64", host())->name ==
          "osx-64");
}

TEST_CASE("decide_host_check: cross installs and --no-host-check skip with one line") {
    CHECK(decide_host_check("linux-64", "linux-64", false).run);
    auto cross = decide_host_check("osx-arm64", "linux-64", false);
    CHECK_FALSE(cross.run);
    CHECK(cross.warning.find("osx-arm64") != std::string::npos);
    auto skip = decide_host_check("linux-64", "linux-64", true);
    CHECK_FALSE(skip.run);
    CHECK(skip.warning.find("--no-host-check") != std::string::npos);
    CHECK(decide_host_check("osx-64", "osx-arm64", false).run);
}
