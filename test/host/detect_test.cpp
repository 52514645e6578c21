// detect(facts, overrides) from literal facts: kernel strings, glibc, CUDA, overrides.
#include <doctest/doctest.h>

#include "pixi_install/host/detect.hpp"
#include "pixi_install/host/probe.hpp"

using namespace pixi_install::host;

namespace {

HostFacts linux_facts() {
    HostFacts f;
    f.subdir = "linux-64";
    f.kernel_release = "6.18.44-fc-v657-gpu";
    f.glibc_version = "2.39";
    f.cpu.machine = "x86_64";
    f.cpu.vendor = "GenuineIntel";
    return f;
}

std::string str_of(const VirtualPackages& vps, const char* name) {
    const VirtualPackage* p = vps.find(name);
    return p ? p->str() : "<none>";
}

}  // namespace

TEST_CASE("kernel release: the numeric part") {
    CHECK(kernel_version_from_release("5.10.102.1-microsoft-standard-WSL2") == "5.10.102.1");
    CHECK(kernel_version_from_release("6.18.44-fc-v657-gpu") == "6.18.44");
    CHECK(kernel_version_from_release("2.6.32-220.17.1.el6.i686") == "2.6.32");
    CHECK(kernel_version_from_release("4.18.0") == "4.18.0");
    CHECK(kernel_version_from_release("6.1") == "6.1");
    CHECK_FALSE(kernel_version_from_release("6-custom").has_value());
    CHECK_FALSE(kernel_version_from_release("custom").has_value());
}

TEST_CASE("CUDA driver integers decode to major.minor") {
    CHECK(cuda_version_from_driver(13000) == "13.0");
    CHECK(cuda_version_from_driver(12040) == "12.4");
    CHECK(cuda_version_from_driver(11080) == "11.8");
    CHECK_FALSE(cuda_version_from_driver(0).has_value());
    CHECK_FALSE(cuda_version_from_driver(100000).has_value());
    CHECK(cuda_version_from_nvidia_smi_xml("<nvidia_smi_log><cuda_version>13.0</cuda_version>") == "13.0");
    CHECK(cuda_version_from_nvidia_smi_xml("<nvidia_smi_log></nvidia_smi_log>").empty());
}

TEST_CASE("glibc version from a libc.so.6 release banner (the static build's glibc probe)") {
    using namespace std::string_literals;
    // Text around the banner as it sits in the library: NUL-separated strings.
    std::string image = "\x7f" "ELF\0\0GLIBC_2.2.5\0"s +
                        "GNU C Library (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36.\n"s + "\0more"s;
    CHECK(glibc_version_from_library(image) == "2.36");
    CHECK(glibc_version_from_library("GNU C Library (GNU libc) development release version 2.39.9000.\n"s) ==
          "2.39.9000");
    CHECK(glibc_version_from_library("GNU C Library (GNU libc) stable release version 2.17, by Roland McGrath"s) ==
          "2.17");
    // A mention without a release version, then the real banner further on.
    CHECK(glibc_version_from_library("GNU C Library\0x\0GNU C Library (Ubuntu GLIBC 2.39-0ubuntu8) stable release "
                                     "version 2.39.\n"s) == "2.39");
    CHECK(glibc_version_from_library("musl libc (x86_64)\0Version 1.2.4\0"s).empty());
    CHECK(glibc_version_from_library("GNU C Library stable release version x.y"s).empty());
    CHECK(glibc_version_from_library("GNU C Library release version 2"s).empty());
    CHECK(glibc_version_from_library(""s).empty());
}

TEST_CASE("linux host: the virtual packages pixi would see") {
    auto f = linux_facts();
    f.cuda_driver_version = 13000;
    f.cuda_source = "nvml";
    auto vps = detect(f, {});
    REQUIRE(vps.ok());
    CHECK(str_of(*vps, "__unix") == "__unix=0=0");
    CHECK(str_of(*vps, "__linux") == "__linux=6.18.44=0");
    CHECK(str_of(*vps, "__glibc") == "__glibc=2.39=0");
    CHECK(str_of(*vps, "__cuda") == "__cuda=13.0=0");
    CHECK(str_of(*vps, "__archspec") == "__archspec=1=x86_64");
    CHECK(vps->find("__osx") == nullptr);
    CHECK(vps->find("__cuda")->source == Source::detected);
}

TEST_CASE("WSL kernel and nvidia-smi only CUDA") {
    auto f = linux_facts();
    f.kernel_release = "5.10.102.1-microsoft-standard-WSL2";
    f.cuda_version_text = "12.2";
    auto vps = detect(f, {});
    REQUIRE(vps.ok());
    CHECK(str_of(*vps, "__linux") == "__linux=5.10.102.1=0");
    CHECK(str_of(*vps, "__cuda") == "__cuda=12.2=0");
}

TEST_CASE("no driver, no glibc (musl): those packages are absent, not errors") {
    auto f = linux_facts();
    f.glibc_version.reset();
    auto vps = detect(f, {});
    REQUIRE(vps.ok());
    REQUIRE(vps->find("__glibc"));
    CHECK_FALSE(vps->find("__glibc")->present());
    CHECK(vps->find("__glibc")->source == Source::absent);
    CHECK_FALSE(vps->find("__cuda")->present());
    CHECK(vps->find("__cuda")->override_variable == "CONDA_OVERRIDE_CUDA");
}

TEST_CASE("an unparsable kernel release leaves __linux absent with a warning") {
    auto f = linux_facts();
    f.kernel_release = "custom-kernel";
    auto vps = detect(f, {});
    REQUIRE(vps.ok());
    CHECK_FALSE(vps->find("__linux")->present());
    REQUIRE(vps->warnings.size() == 1);
    CHECK(vps->warnings[0].find("CONDA_OVERRIDE_LINUX") != std::string::npos);
}

TEST_CASE("overrides replace detection; an empty value removes the package") {
    auto f = linux_facts();
    f.cuda_driver_version = 13000;
    auto o = Overrides::from_environment({{"CONDA_OVERRIDE_CUDA", "12.0"},
                                          {"CONDA_OVERRIDE_GLIBC", ""},
                                          {"CONDA_OVERRIDE_LINUX", " 5.4 "},
                                          {"CONDA_OVERRIDE_ARCHSPEC", "x86_64_v3"},
                                          {"HOME", "/root"}});
    CHECK(o.values.size() == 4);
    auto vps = detect(f, o);
    REQUIRE(vps.ok());
    CHECK(str_of(*vps, "__cuda") == "__cuda=12.0=0");
    CHECK(vps->find("__cuda")->source == Source::override_value);
    CHECK_FALSE(vps->find("__glibc")->present());
    CHECK(vps->find("__glibc")->source == Source::override_value);
    CHECK(str_of(*vps, "__linux") == "__linux=5.4=0");
    CHECK(str_of(*vps, "__archspec") == "__archspec=1=x86_64_v3");
}

TEST_CASE("override on a GPU-less host mocks __cuda") {
    auto vps = detect(linux_facts(), Overrides::from_environment({{"CONDA_OVERRIDE_CUDA", "12.0"}}));
    REQUIRE(vps.ok());
    CHECK(str_of(*vps, "__cuda") == "__cuda=12.0=0");
}

TEST_CASE("invalid override values are usage errors naming the variable") {
    auto bad = detect(linux_facts(), Overrides::from_environment({{"CONDA_OVERRIDE_CUDA", "twelve!"}}));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == pixi_install::base::ErrorKind::usage);
    CHECK(bad.error().message.find("CONDA_OVERRIDE_CUDA") != std::string::npos);

    auto arch = detect(linux_facts(), Overrides::from_environment({{"CONDA_OVERRIDE_ARCHSPEC", "x86-64-v3"}}));
    REQUIRE_FALSE(arch.ok());
    CHECK(arch.error().message.find("did you mean 'x86_64_v3'") != std::string::npos);

    auto zero = detect(linux_facts(), Overrides::from_environment({{"CONDA_OVERRIDE_ARCHSPEC", "0"}}));
    REQUIRE(zero.ok());
    CHECK(str_of(*zero, "__archspec") == "__archspec=1=0");
}

TEST_CASE("overrides of packages the platform does not carry are ignored with a warning") {
    auto vps = detect(linux_facts(), Overrides::from_environment({{"CONDA_OVERRIDE_OSX", "13"}}));
    REQUIRE(vps.ok());
    CHECK(vps->find("__osx") == nullptr);
    REQUIRE(vps->warnings.size() == 1);
    CHECK(vps->warnings[0].find("CONDA_OVERRIDE_OSX is ignored") != std::string::npos);
}

TEST_CASE("macOS and Windows hosts") {
    HostFacts mac;
    mac.subdir = "osx-arm64";
    mac.osx_version = "14.4.1";
    mac.cpu.machine = "arm64";
    mac.cpu.brand = "Apple M2 Pro";
    auto vps = detect(mac, {});
    REQUIRE(vps.ok());
    CHECK(str_of(*vps, "__unix") == "__unix=0=0");
    CHECK(str_of(*vps, "__osx") == "__osx=14.4.1=0");
    CHECK(str_of(*vps, "__archspec") == "__archspec=1=m2");
    CHECK(vps->find("__glibc") == nullptr);

    HostFacts win;
    win.subdir = "win-64";
    win.win_version = "10.0.26100";
    auto wv = detect(win, {});
    REQUIRE(wv.ok());
    CHECK(str_of(*wv, "__win") == "__win=10.0.26100=0");
    CHECK(wv->find("__unix") == nullptr);
    CHECK(str_of(*wv, "__archspec") == "__archspec=1=x86_64");
}
