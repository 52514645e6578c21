// The CUDA version from the NVIDIA driver's files, on fake roots.
#include <doctest/doctest.h>

#include <fstream>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/host/nvidia_driver.hpp"
#include "pixi_install/host/probe.hpp"

using namespace pixi_install;
using namespace pixi_install::host;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("the driver release in /proc/driver/nvidia/version, proprietary and open modules") {
    CHECK(driver_release_from_proc("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n"
                                   "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n") == "535.104.05");
    CHECK(driver_release_from_proc("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.14  Release Build  "
                                   "(dvs-builder@U16-I3-B03-4-3)  Thu Feb 22 01:25:25 UTC 2024\n") == "550.54.14");
    CHECK(driver_release_from_proc("NVRM version: NVIDIA UNIX aarch64 Kernel Module  470.82.01  Wed Oct 27 2021\n") ==
          "470.82.01");
    CHECK_FALSE(driver_release_from_proc(""));
    CHECK_FALSE(driver_release_from_proc("garbage\n"));
    CHECK_FALSE(driver_release_from_proc("NVRM version: NVIDIA UNIX x86_64 Kernel Module  unknown  \n"));
    CHECK_FALSE(driver_release_from_proc("GCC version: 535.104.05\nNVRM version: NVIDIA Kernel Module 535.1\n"));
}

TEST_CASE("the driver release in a libcuda file name") {
    CHECK(driver_release_from_libcuda_name("libcuda.so.535.104.05") == "535.104.05");
    CHECK(driver_release_from_libcuda_name("libcuda.so.580.65.06") == "580.65.06");
    CHECK(driver_release_from_libcuda_name("libcuda.so.530.30") == "530.30");
    CHECK_FALSE(driver_release_from_libcuda_name("libcuda.so"));
    CHECK_FALSE(driver_release_from_libcuda_name("libcuda.so.1"));
    CHECK_FALSE(driver_release_from_libcuda_name("libcuda.so.1.1"));  // WSL
    CHECK_FALSE(driver_release_from_libcuda_name("libcudart.so.12.2.140"));
    CHECK_FALSE(driver_release_from_libcuda_name("libcuda.so.535.104.05.bak"));
    CHECK_FALSE(driver_release_from_libcuda_name("libcuda.so.535..05"));
}

TEST_CASE("NVIDIA's table: the newest CUDA a driver release supports") {
    CHECK(cuda_version_for_driver("535.104.05") == "12.2");  // an R535 LTS driver
    CHECK(cuda_version_for_driver("535.54.03") == "12.2");
    CHECK(cuda_version_for_driver("535.54.02") == "12.1");
    CHECK(cuda_version_for_driver("550.54.14") == "12.4");
    CHECK(cuda_version_for_driver("470.141.03") == "11.4");
    CHECK(cuda_version_for_driver("525.60.13") == "12.0");
    CHECK(cuda_version_for_driver("570.124.06") == "12.8");
    CHECK(cuda_version_for_driver("580.65.06") == "13.0");
    CHECK(cuda_version_for_driver("610.10") == "13.0");  // newer than the table: its newest, a lower bound
    CHECK(cuda_version_for_driver("418.39") == "10.1");
    CHECK_FALSE(cuda_version_for_driver("340.108"));  // older than the table
    CHECK_FALSE(cuda_version_for_driver("abc"));
    CHECK_FALSE(cuda_version_for_driver("535"));
    CHECK_FALSE(cuda_version_for_driver("535.104.05.1"));
    CHECK_FALSE(cuda_version_for_driver("99999999.1"));
}

TEST_CASE("fake roots: libcuda's suffix first, then the kernel module, else nothing") {
    base::TempDir tmp = base::TempDir::create().value();
    const fs::path root = tmp.path();

    CHECK_FALSE(probe_driver_files(root));  // no driver at all

    // The kernel module alone (a container with /proc but the library elsewhere).
    write(root / "proc/driver/nvidia/version",
          "NVRM version: NVIDIA UNIX x86_64 Kernel Module  525.85.12  Sat Jan 28 02:10:06 UTC 2023\n");
    auto k = probe_driver_files(root);
    REQUIRE(k);
    CHECK(k->release == "525.85.12");
    CHECK(k->cuda_version == "12.0");
    CHECK(k->source == "/proc/driver/nvidia/version");

    // The user-mode driver as the NVIDIA container toolkit mounts it wins.
    write(root / "usr/lib/x86_64-linux-gnu/libcuda.so.1", "");
    write(root / "usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15", "");
    write(root / "usr/lib/x86_64-linux-gnu/libcuda.so.545.23.08", "");  // an older one left behind
    auto l = probe_driver_files(root);
    REQUIRE(l);
    CHECK(l->release == "550.54.15");
    CHECK(l->cuda_version == "12.4");
    CHECK(l->source == "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15");
}

TEST_CASE("fake roots: malformed and ancient files give no answer") {
    base::TempDir tmp = base::TempDir::create().value();
    const fs::path root = tmp.path();
    write(root / "proc/driver/nvidia/version", std::string("\0\0\0NVRM", 7));
    CHECK_FALSE(probe_driver_files(root));
    write(root / "proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  304.137  Tue Oct 3 2017\n");
    CHECK_FALSE(probe_driver_files(root));  // older than every CUDA in the table
    write(root / "usr/lib64/libcuda.so.garbage", "");
    write(root / "usr/lib64/libcuda.so.1.1", "");
    CHECK_FALSE(probe_driver_files(root));
    write(root / "usr/local/nvidia/lib64/libcuda.so.580.82.07", "");
    auto r = probe_driver_files(root);
    REQUIRE(r);
    CHECK(r->cuda_version == "13.0");
    CHECK(r->source == "/usr/local/nvidia/lib64/libcuda.so.580.82.07");
}

TEST_CASE("probe_host: the driver's files answer when nothing better does") {
    base::TempDir tmp = base::TempDir::create().value();
    write(tmp.path() / "proc/driver/nvidia/version",
          "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n");
    ProbeOptions o;
    o.root = tmp.path();
    o.path = (tmp.path() / "no-bin").string();  // no nvidia-smi
    HostFacts f = probe_host(o);
    // On a machine with a loadable NVIDIA driver the library answers first; here none is.
    if (f.cuda_source == "driver files") {
        CHECK(f.cuda_version_text == "12.2");
        CHECK(f.cuda_driver_release == "535.104.05");
        CHECK(f.cuda_driver_file == "/proc/driver/nvidia/version");
    } else {
        CHECK((f.cuda_source == "nvml" || f.cuda_source == "libcuda"));
    }
}
