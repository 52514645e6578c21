// probe_host(): uname, the C library, the NVIDIA driver, the CPU. Impure edge.
#include "pixi_install/host/probe.hpp"
#include "pixi_install/base/strings.hpp"

#if !defined(PIXI_INSTALL_STATIC)
#include <dlfcn.h>
#endif
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif

#include "pixi_install/host/nvidia_driver.hpp"
#include "pixi_install/spec/platform.hpp"

namespace pixi_install::host {

namespace {

std::string trim(std::string_view s) { return std::string(base::trim(s)); }

#if defined(__linux__) && !defined(__GLIBC__)
/// The whole of a (small, regular) file, mapped read-only and searched in place.
std::optional<std::string> glibc_version_in_file(const char* path) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    struct stat st {};
    std::optional<std::string> out;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size < (64 << 20)) {
        auto size = static_cast<std::size_t>(st.st_size);
        void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            std::string v = glibc_version_from_library(std::string_view(static_cast<const char*>(p), size));
            if (!v.empty()) out = std::move(v);
            ::munmap(p, size);
        }
    }
    ::close(fd);
    return out;
}

std::optional<std::string> glibc_version_from_library_files(std::string& source) {
#if defined(__x86_64__)
#define PI_MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define PI_MULTIARCH "aarch64-linux-gnu"
#elif defined(__powerpc64__)
#define PI_MULTIARCH "powerpc64le-linux-gnu"
#else
#define PI_MULTIARCH "unknown-linux-gnu"
#endif
    // Debian/Ubuntu (multiarch), then RHEL/Fedora/SUSE (lib64), then others.
    for (const char* p : {"/lib/" PI_MULTIARCH "/libc.so.6", "/usr/lib/" PI_MULTIARCH "/libc.so.6",
                          "/lib64/libc.so.6", "/usr/lib64/libc.so.6", "/lib/libc.so.6", "/usr/lib/libc.so.6"}) {
        if (auto v = glibc_version_in_file(p)) {
            source = std::string("release banner of ") + p;
            return v;
        }
    }
#undef PI_MULTIARCH
    return std::nullopt;
}
#endif

std::optional<std::string> glibc_version(std::string& source) {
#if defined(__GLIBC__)
    if (const char* v = gnu_get_libc_version(); v && *v) {
        source = "gnu_get_libc_version";
        return std::string(v);
    }
#endif
#if defined(_CS_GNU_LIBC_VERSION)
    char buf[128] = {};
    std::size_t n = confstr(_CS_GNU_LIBC_VERSION, buf, sizeof buf);
    if (n > 0 && n <= sizeof buf) {
        std::string s(buf);  // "glibc 2.39"
        if (s.rfind("glibc ", 0) == 0) {
            source = "confstr";
            return s.substr(6);
        }
    }
#endif
#if defined(__linux__) && !defined(__GLIBC__)
    // Not linked against glibc (the static musl build): the host's glibc, if it has one, is
    // the libc.so.6 its programs load; its release banner names the version.
    if (auto v = glibc_version_from_library_files(source)) return v;
#endif
    source.clear();
    return std::nullopt;
}

#if !defined(PIXI_INSTALL_STATIC)
void* open_first(std::initializer_list<const char*> names) {
    for (const char* n : names)
        if (void* h = ::dlopen(n, RTLD_NOW | RTLD_LOCAL)) return h;
    return nullptr;
}

std::optional<int> cuda_from_nvml() {
    void* h = open_first({"libnvidia-ml.so.1", "libnvidia-ml.so", "/usr/lib64/nvidia/libnvidia-ml.so.1",
                          "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", "/usr/lib/wsl/lib/libnvidia-ml.so.1",
                          "libnvidia-ml.1.dylib"});
    if (!h) return std::nullopt;
    using InitFn = int (*)();
    using VersionFn = int (*)(int*);
    auto init = reinterpret_cast<InitFn>(::dlsym(h, "nvmlInit_v2"));
    if (!init) init = reinterpret_cast<InitFn>(::dlsym(h, "nvmlInit"));
    auto version = reinterpret_cast<VersionFn>(::dlsym(h, "nvmlSystemGetCudaDriverVersion_v2"));
    if (!version) version = reinterpret_cast<VersionFn>(::dlsym(h, "nvmlSystemGetCudaDriverVersion"));
    auto shutdown = reinterpret_cast<InitFn>(::dlsym(h, "nvmlShutdown"));
    std::optional<int> out;
    if (init && version && init() == 0) {
        int v = 0;
        if (version(&v) == 0 && v > 0) out = v;
        if (shutdown) shutdown();
    }
    ::dlclose(h);
    return out;
}

std::optional<int> cuda_from_libcuda() {
    void* h = open_first({"libcuda.so.1", "libcuda.so", "/usr/lib64/nvidia/libcuda.so.1",
                          "/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1",
                          "libcuda.1.dylib"});
    if (!h) return std::nullopt;
    using VersionFn = int (*)(int*);
    auto version = reinterpret_cast<VersionFn>(::dlsym(h, "cuDriverGetVersion"));
    std::optional<int> out;
    int v = 0;
    // cuDriverGetVersion answers without cuInit, so CUDA_VISIBLE_DEVICES cannot hide the driver.
    if (version && version(&v) == 0 && v > 0) out = v;
    ::dlclose(h);
    return out;
}
#endif

std::string find_in_path(const std::string& path, const char* exe) {
    std::size_t i = 0;
    while (i <= path.size()) {
        auto j = path.find(':', i);
        std::string dir = path.substr(i, j == std::string::npos ? std::string::npos : j - i);
        if (!dir.empty()) {
            std::string full = dir + "/" + exe;
            if (::access(full.c_str(), X_OK) == 0) return full;
        }
        if (j == std::string::npos) break;
        i = j + 1;
    }
    return "";
}

/// Runs a program with a small environment, collecting stdout for at most `timeout_ms`.
std::optional<std::string> run_capture(const std::string& exe, std::vector<std::string> args,
                                       const std::string& path, int timeout_ms) {
    int fds[2];
    if (::pipe(fds) != 0) return std::nullopt;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    args.insert(args.begin(), exe);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string path_var = "PATH=" + path;
    char* envp[] = {path_var.data(), nullptr};
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), envp);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        return std::nullopt;
    }
    std::string out;
    char buf[4096];
    struct timespec start {};
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    bool timed_out = false;
    while (true) {
        struct timespec now {};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= timeout_ms) {
            timed_out = true;
            break;
        }
        struct pollfd p {fds[0], POLLIN, 0};
        int pr = ::poll(&p, 1, static_cast<int>(timeout_ms - elapsed));
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) {
            timed_out = pr == 0;
            break;
        }
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) return std::nullopt;
    return out;
}

std::optional<std::string> cuda_from_nvidia_smi(const std::string& path) {
    std::string exe = find_in_path(path, "nvidia-smi");
    if (exe.empty()) return std::nullopt;
    auto out = run_capture(exe, {"--query", "-u", "-x"}, path, 10000);
    if (!out) return std::nullopt;
    std::string v = cuda_version_from_nvidia_smi_xml(*out);
    if (v.empty()) return std::nullopt;
    return v;
}

#if defined(__APPLE__)
std::string sysctl_string(const char* name) {
    std::size_t len = 0;
    if (::sysctlbyname(name, nullptr, &len, nullptr, 0) != 0 || len == 0) return "";
    std::string s(len, '\0');
    if (::sysctlbyname(name, s.data(), &len, nullptr, 0) != 0) return "";
    s.resize(std::strlen(s.c_str()));
    return s;
}

std::optional<std::string> macos_version() {
    std::ifstream in("/System/Library/CoreServices/SystemVersion.plist");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    auto key = text.find("<key>ProductVersion</key>");
    if (key == std::string::npos) return std::nullopt;
    auto open = text.find("<string>", key);
    auto close = text.find("</string>", open);
    if (open == std::string::npos || close == std::string::npos) return std::nullopt;
    return trim(std::string_view(text).substr(open + 8, close - open - 8));
}
#endif

}  // namespace

std::string glibc_version_from_library(std::string_view image) {
    // "GNU C Library (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36." and, in
    // development snapshots, "... development release version 2.39.9000."
    constexpr std::string_view banner = "GNU C Library";
    constexpr std::string_view marker = "release version ";
    std::size_t at = 0;
    while ((at = image.find(banner, at)) != std::string_view::npos) {
        std::size_t end = image.find('\0', at);
        std::string_view line = image.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
        at += banner.size();
        auto m = line.find(marker);
        if (m == std::string_view::npos) continue;
        std::size_t i = m + marker.size(), j = i;
        while (j < line.size() && (std::isdigit(static_cast<unsigned char>(line[j])) || line[j] == '.')) ++j;
        std::string_view v = line.substr(i, j - i);
        while (!v.empty() && v.back() == '.') v.remove_suffix(1);
        if (!v.empty() && std::isdigit(static_cast<unsigned char>(v.front())) && v.find('.') != std::string_view::npos)
            return std::string(v);
    }
    return {};
}

const char* cuda_probe_order() {
#if defined(PIXI_INSTALL_STATIC)
    return "nvidia-smi, driver files";  // a static binary cannot dlopen the driver's libraries
#else
    return "NVML, libcuda, nvidia-smi, driver files";
#endif
}

std::string cuda_version_from_nvidia_smi_xml(std::string_view xml) {
    auto open = xml.find("<cuda_version>");
    if (open == std::string_view::npos) return "";
    open += std::strlen("<cuda_version>");
    auto close = xml.find("</cuda_version>", open);
    if (close == std::string_view::npos) return "";
    return trim(xml.substr(open, close - open));
}

void parse_cpuinfo(std::string_view text, CpuFacts& cpu) {
    std::size_t i = 0;
    bool seen_key = false;
    while (i < text.size()) {
        auto nl = text.find('\n', i);
        std::string_view line = text.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i);
        i = nl == std::string_view::npos ? text.size() : nl + 1;
        if (trim(line).empty()) {
            if (seen_key && !cpu.flags.empty()) break;  // end of the first processor block
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        seen_key = true;
        std::string key = trim(line.substr(0, colon));
        std::string value = trim(line.substr(colon + 1));
        if (key == "vendor_id" || key == "CPU implementer") {
            if (cpu.vendor.empty()) cpu.vendor = value;
        } else if (key == "flags" || key == "Features") {
            if (cpu.flags.empty()) {
                std::istringstream ss(value);
                std::string f;
                while (ss >> f) cpu.flags.push_back(f);
            }
        } else if (key == "CPU part") {
            if (cpu.cpu_part.empty()) cpu.cpu_part = value;
        } else if (key == "model name") {
            if (cpu.model_name.empty()) cpu.model_name = value;
        }
    }
}

HostFacts probe_host(const ProbeOptions& options) {
    HostFacts f;
    f.subdir = spec::host_subdir();
    struct utsname u {};
    if (::uname(&u) == 0) {
        f.cpu.machine = u.machine;
#if defined(__linux__)
        f.kernel_release = std::string(u.release);
#endif
    }
#if defined(__linux__)
    f.glibc_version = glibc_version(f.glibc_source);
    {
        std::ifstream in("/proc/cpuinfo");
        if (in) {
            std::stringstream ss;
            ss << in.rdbuf();
            parse_cpuinfo(ss.str(), f.cpu);
        }
    }
#endif
#if defined(__APPLE__)
    f.osx_version = macos_version();
    f.cpu.brand = sysctl_string("machdep.cpu.brand_string");
    f.cpu.vendor = sysctl_string("machdep.cpu.vendor");
    f.cpu.model_name = f.cpu.brand;
#endif
    if (options.cuda) {
#if !defined(PIXI_INSTALL_STATIC)
        if (auto v = cuda_from_nvml()) {
            f.cuda_driver_version = v;
            f.cuda_source = "nvml";
        } else if (auto w = cuda_from_libcuda()) {
            f.cuda_driver_version = w;
            f.cuda_source = "libcuda";
        } else
#endif
        if (auto t = cuda_from_nvidia_smi(options.path)) {
            f.cuda_version_text = t;
            f.cuda_source = "nvidia-smi";
        } else if (auto d = probe_driver_files(options.root)) {
            // No better source answered: the release the driver's files name, through
            // NVIDIA's table.
            f.cuda_version_text = d->cuda_version;
            f.cuda_source = "driver files";
            f.cuda_driver_release = d->release;
            f.cuda_driver_file = d->source;
        }
    }
    return f;
}

}  // namespace pixi_install::host
