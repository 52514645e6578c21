// Microarchitecture detection from CPU flag sets.
#include <doctest/doctest.h>

#include <sstream>

#include "pixi_install/host/archspec.hpp"
#include "pixi_install/host/probe.hpp"

using namespace pixi_install::host;

namespace {

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

const char* const kV2 = "fpu mmx sse sse2 pni ssse3 cx16 sse4_1 sse4_2 popcnt lahf_lm";
const char* const kV3Extra = " avx avx2 bmi1 bmi2 f16c fma abm movbe xsave";
const char* const kV4Extra = " avx512f avx512bw avx512cd avx512dq avx512vl";

CpuFacts x86(const std::string& vendor, const std::string& flags) {
    CpuFacts c;
    c.machine = "x86_64";
    c.vendor = vendor;
    c.flags = words(flags);
    return c;
}

}  // namespace

TEST_CASE("x86-64 levels from flag sets") {
    CHECK(x86_64_level(x86("GenuineIntel", "fpu mmx sse sse2")) == 1);
    CHECK(x86_64_level(x86("GenuineIntel", kV2)) == 2);
    CHECK(x86_64_level(x86("GenuineIntel", std::string(kV2) + kV3Extra)) == 3);
    CHECK(x86_64_level(x86("GenuineIntel", std::string(kV2) + kV3Extra + kV4Extra)) == 4);
    CpuFacts arm;
    arm.machine = "aarch64";
    CHECK(x86_64_level(arm) == 0);
}

TEST_CASE("generic levels for an unknown vendor") {
    CHECK(detect_microarchitecture(x86("HygonGenuine", std::string(kV2) + kV3Extra)) == "x86_64_v3");
    CHECK(detect_microarchitecture(x86("HygonGenuine", std::string(kV2) + kV3Extra + kV4Extra)) == "x86_64_v4");
    CHECK(detect_microarchitecture(x86("HygonGenuine", kV2)) == "x86_64_v2");
    CHECK(detect_microarchitecture(x86("HygonGenuine", "fpu")) == "x86_64");
}

TEST_CASE("named Intel and AMD microarchitectures") {
    std::string haswell = std::string(kV2) + kV3Extra + " aes pclmulqdq rdrand";
    CHECK(detect_microarchitecture(x86("GenuineIntel", haswell)) == "haswell");
    std::string skylake = haswell + " rdseed adx clflushopt xsavec xsaveopt";
    CHECK(detect_microarchitecture(x86("GenuineIntel", skylake)) == "skylake");
    std::string skx = skylake + kV4Extra + " clwb";
    CHECK(detect_microarchitecture(x86("GenuineIntel", skx)) == "skylake_avx512");
    // The same flags from an AMD CPU only reach the generic level.
    CHECK(detect_microarchitecture(x86("AuthenticAMD", skx)) == "x86_64_v4");
}

TEST_CASE("aarch64: vendor from the implementer code, part narrows the choice") {
    CpuFacts c;
    c.machine = "aarch64";
    c.vendor = "0x41";
    c.cpu_part = "0xd0c";
    c.flags = words("fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs");
    CHECK(detect_microarchitecture(c) == "neoverse_n1");
    c.vendor = "0x99";
    CHECK(detect_microarchitecture(c) == "aarch64");
    CpuFacts mac;
    mac.machine = "arm64";
    mac.brand = "Apple M4 Max";
    CHECK(detect_microarchitecture(mac) == "m4");
}

TEST_CASE("cpuinfo text: the first processor block") {
    CpuFacts c;
    c.machine = "x86_64";
    parse_cpuinfo("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\nflags\t\t: " +
                      std::string(kV2) + kV3Extra + "\n\nprocessor\t: 1\nflags\t\t: fpu\n",
                  c);
    CHECK(c.vendor == "GenuineIntel");
    CHECK(c.model_name == "Xeon");
    CHECK(x86_64_level(c) == 3);
}

TEST_CASE("names, platform fallbacks and compatibility") {
    CHECK(is_known_microarchitecture("zen4"));
    CHECK_FALSE(is_known_microarchitecture("x86-64-v3"));
    CHECK(closest_microarchitecture("x86-64-v3") == "x86_64_v3");
    CHECK(closest_microarchitecture("completely-unrelated").empty());
    CHECK(platform_microarchitecture("linux-64") == "x86_64");
    CHECK(platform_microarchitecture("osx-arm64") == "m1");
    CHECK(platform_microarchitecture("linux-aarch64") == "aarch64");
    CHECK(platform_microarchitecture("linux-ppc64le") == "ppc64le");
    CHECK(platform_microarchitecture("noarch").empty());
    CHECK(microarchitecture_compatible("skylake_avx512", "x86_64_v3"));
    CHECK(microarchitecture_compatible("zen4", "zen2"));
    CHECK_FALSE(microarchitecture_compatible("x86_64_v3", "skylake"));
}
