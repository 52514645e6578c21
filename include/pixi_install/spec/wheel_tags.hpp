// The ordered list of wheel tags an environment supports (the order of uv's
// Tags::from_env), built from plain values: the platform's OS, architecture,
// libc or macOS version, and the environment's python. Pure; the host module
// and the install pipeline fill in the values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/spec/wheel_name.hpp"

namespace pixi_install::spec {

enum class TagOs { linux, macos, windows };

/// A (major, minor) pair such as glibc 2.28, musl 1.2 or macOS 14.0.
struct OsVersion {
    int major = 0;
    int minor = 0;
};

struct TagPlatform {
    TagOs os = TagOs::linux;
    /// Machine name: x86_64, aarch64 (arm64 accepted), armv7l, ppc64le, ppc64,
    /// s390x, riscv64, loongarch64, i686 (x86 accepted).
    std::string arch;
    std::optional<OsVersion> glibc;  ///< Linux with glibc
    std::optional<OsVersion> musl;   ///< Linux with musl (used when glibc is absent)
    std::optional<OsVersion> macos;  ///< macOS version
};

struct TagPython {
    std::string implementation = "cpython";  ///< "cpython" or "pypy"
    int major = 3;
    int minor = 0;
    bool free_threaded = false;  ///< python_abi *_cp313t
};

class TagSet {
public:
    /// ErrorKind::host when the platform cannot be described (unknown arch,
    /// Linux without a libc version, macOS without a version).
    static base::Result<TagSet> from_env(const TagPlatform& platform, const TagPython& python);

    /// Highest priority first.
    const std::vector<WheelTag>& tags() const { return tags_; }
    /// The platform tags, highest priority first.
    const std::vector<std::string>& platform_tags() const { return platforms_; }

    /// The priority (0 = best) of the best of `tags` this environment supports, or nullopt.
    std::optional<std::size_t> compatible(const std::vector<WheelTag>& tags) const;
    std::optional<std::size_t> compatible(const WheelName& wheel) const {
        return compatible(wheel.expanded_tags());
    }

private:
    void add(std::string python, std::string abi, const std::string& platform);
    std::vector<WheelTag> tags_;
    std::vector<std::string> platforms_;
    std::unordered_map<std::string, std::size_t> index_;
};

/// The platform tags alone, highest priority first (exposed for messages and tests).
base::Result<std::vector<std::string>> platform_tags(const TagPlatform& platform);

}  // namespace pixi_install::spec
