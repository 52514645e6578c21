#include "pixi_install/spec/wheel_tags.hpp"

namespace pixi_install::spec {

namespace {

std::string canonical_arch(const std::string& arch, TagOs os) {
    if (arch == "amd64" || arch == "x64") return "x86_64";
    if (arch == "x86" || arch == "i386" || arch == "i586") return "i686";
    if (os != TagOs::macos && arch == "arm64") return "aarch64";
    if (os == TagOs::macos && arch == "aarch64") return "arm64";
    return arch;
}

/// The lowest glibc minor a manylinux tag exists for, per architecture.
std::optional<int> manylinux_min_minor(const std::string& arch) {
    if (arch == "x86_64" || arch == "i686") return 5;
    if (arch == "aarch64" || arch == "armv7l" || arch == "ppc64" || arch == "ppc64le" || arch == "s390x") return 17;
    if (arch == "riscv64") return 31;
    if (arch == "loongarch64") return 36;
    return std::nullopt;
}

base::Error bad_platform(const std::string& why) {
    return base::fail(base::ErrorKind::host, "cannot compute wheel tags: " + why);
}

std::vector<std::string> mac_formats(const std::string& arch) {
    if (arch == "x86_64") return {"x86_64", "intel", "fat64", "fat32", "universal2", "universal"};
    if (arch == "arm64") return {"arm64", "universal2"};
    return {arch};
}

}  // namespace

base::Result<std::vector<std::string>> platform_tags(const TagPlatform& platform) {
    const std::string arch = canonical_arch(platform.arch, platform.os);
    if (arch.empty()) return bad_platform("no architecture given");
    std::vector<std::string> out;
    switch (platform.os) {
        case TagOs::linux: {
            if (platform.glibc) {
                auto min = manylinux_min_minor(arch);
                if (platform.glibc->major != 2)
                    return bad_platform("unsupported glibc major version " + std::to_string(platform.glibc->major));
                if (min) {
                    for (int m = platform.glibc->minor; m >= *min; --m) {
                        out.push_back("manylinux_2_" + std::to_string(m) + "_" + arch);
                        const bool legacy_2014 = arch == "x86_64" || arch == "i686" || arch == "aarch64" ||
                                                 arch == "armv7l" || arch == "ppc64" || arch == "ppc64le" ||
                                                 arch == "s390x";
                        const bool legacy_old = arch == "x86_64" || arch == "i686";
                        if (m == 17 && legacy_2014) out.push_back("manylinux2014_" + arch);
                        if (m == 12 && legacy_old) out.push_back("manylinux2010_" + arch);
                        if (m == 5 && legacy_old) out.push_back("manylinux1_" + arch);
                    }
                }
            } else if (platform.musl) {
                if (platform.musl->major != 1)
                    return bad_platform("unsupported musl major version " + std::to_string(platform.musl->major));
                for (int m = platform.musl->minor; m >= 0; --m)
                    out.push_back("musllinux_1_" + std::to_string(m) + "_" + arch);
            } else {
                return bad_platform("a linux platform needs a glibc or musl version");
            }
            out.push_back("linux_" + arch);
            break;
        }
        case TagOs::macos: {
            if (!platform.macos) return bad_platform("a macOS platform needs a macOS version");
            const auto formats = mac_formats(arch);
            const int major = platform.macos->major;
            if (major >= 11) {
                for (int m = major; m >= 11; --m)
                    for (const auto& f : formats) out.push_back("macosx_" + std::to_string(m) + "_0_" + f);
            }
            if (major >= 10) {
                const int top = major == 10 ? platform.macos->minor : 16;
                for (int minor = top; minor >= 4; --minor)
                    for (const auto& f : formats) {
                        if (arch == "arm64" && f != "universal2") continue;  // no arm64 on macOS 10
                        out.push_back("macosx_10_" + std::to_string(minor) + "_" + f);
                    }
            }
            if (out.empty()) return bad_platform("unsupported macOS version " + std::to_string(major));
            break;
        }
        case TagOs::windows: {
            if (arch == "x86_64") out.push_back("win_amd64");
            else if (arch == "i686") out.push_back("win32");
            else if (arch == "aarch64" || arch == "arm64") out.push_back("win_arm64");
            else return bad_platform("unsupported windows architecture '" + arch + "'");
            break;
        }
    }
    return out;
}

void TagSet::add(std::string python, std::string abi, const std::string& platform) {
    WheelTag t{std::move(python), std::move(abi), platform};
    auto key = t.to_string();
    if (index_.emplace(std::move(key), tags_.size()).second) tags_.push_back(std::move(t));
}

base::Result<TagSet> TagSet::from_env(const TagPlatform& platform, const TagPython& python) {
    if (python.major != 3 || python.minor < 0)
        return bad_platform("unsupported python version " + std::to_string(python.major) + "." +
                            std::to_string(python.minor));
    PI_TRY(auto plats, spec::platform_tags(platform));
    TagSet s;
    s.platforms_ = plats;
    const int y = python.minor;
    const std::string py_major = "py3";
    auto py = [&](int m) { return "py3" + std::to_string(m); };
    auto cp = [&](int m) { return "cp3" + std::to_string(m); };

    if (python.implementation == "cpython") {
        // 1. the interpreter's exact ABI
        std::string abi = cp(y) + (python.free_threaded ? "t" : (y <= 7 ? "m" : ""));
        for (const auto& p : plats) s.add(cp(y), abi, p);
        // 2. the stable ABI (abi3t for free-threaded builds) and binaries without ABI
        for (int m = y; m >= 2; --m) {
            for (const auto& p : plats) s.add(cp(m), python.free_threaded ? "abi3t" : "abi3", p);
            if (m == y)
                for (const auto& p : plats) s.add(cp(y), "none", p);
        }
    } else if (python.implementation == "pypy") {
        // PyPy's ABI tag depends on the PyPy release, which the lock does not carry;
        // only the ABI-independent tags below apply.
    } else {
        return bad_platform("unsupported python implementation '" + python.implementation + "'");
    }
    // 3. no ABI, platform-specific
    for (int m = y; m >= 0; --m) {
        for (const auto& p : plats) s.add(py(m), "none", p);
        if (m == y)
            for (const auto& p : plats) s.add(py_major, "none", p);
    }
    // 4. pure python
    if (python.implementation == "cpython") s.add(cp(y), "none", "any");
    for (int m = y; m >= 0; --m) {
        s.add(py(m), "none", "any");
        if (m == y) s.add(py_major, "none", "any");
    }
    return s;
}

std::optional<std::size_t> TagSet::compatible(const std::vector<WheelTag>& tags) const {
    std::optional<std::size_t> best;
    for (const auto& t : tags) {
        auto it = index_.find(t.to_string());
        if (it != index_.end() && (!best || it->second < *best)) best = it->second;
    }
    return best;
}

}  // namespace pixi_install::spec
