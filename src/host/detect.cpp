// detect(facts, overrides): the host's virtual packages. Pure.
#include "pixi_install/host/detect.hpp"
#include "pixi_install/base/strings.hpp"

#include <cctype>

namespace pixi_install::host {

namespace {

std::string trim(std::string_view s) { return std::string(base::trim(s)); }

using base::ErrorKind;
using base::fail;

std::string os_of(std::string_view subdir) {
    auto dash = subdir.find('-');
    return std::string(subdir.substr(0, dash));
}

bool is_unix(const std::string& os) {
    return os == "linux" || os == "osx" || os == "freebsd" || os == "emscripten" || os == "ios" ||
           os == "android";
}

/// Fills `vp` from an override when one is set; returns true when it did.
base::Result<bool> apply_override(VirtualPackage& vp, const Overrides& overrides) {
    const std::string key = vp.override_variable.substr(std::string_view("CONDA_OVERRIDE_").size());
    const std::string* value = overrides.find(key);
    if (!value) return false;
    vp.source = Source::override_value;
    if (value->empty()) {
        vp.version.reset();
        return true;
    }
    auto v = spec::Version::parse(*value);
    if (!v)
        return fail(ErrorKind::usage, vp.override_variable + "='" + *value + "' is not a conda version (" +
                                          v.error().message + "); set a version such as " +
                                          (vp.name == "__cuda" ? "12.0" : "2.28") +
                                          ", or an empty value to remove " + vp.name);
    vp.version = std::move(v).value();
    return true;
}

VirtualPackage make(std::string name) {
    VirtualPackage vp;
    vp.override_variable = override_variable(name);
    vp.name = std::move(name);
    return vp;
}

void set_detected(VirtualPackage& vp, const std::optional<std::string>& text) {
    if (!text) return;
    if (auto v = spec::Version::parse(*text)) {
        vp.version = std::move(v).value();
        vp.source = Source::detected;
    }
}

}  // namespace

Overrides Overrides::from_environment(const std::map<std::string, std::string>& env) {
    Overrides o;
    for (const char* key : {"CUDA", "GLIBC", "LINUX", "OSX", "ARCHSPEC", "WIN"}) {
        auto it = env.find(std::string("CONDA_OVERRIDE_") + key);
        if (it != env.end()) o.values[key] = trim(it->second);
    }
    return o;
}

const std::string* Overrides::find(std::string_view key) const {
    auto it = values.find(std::string(key));
    return it == values.end() ? nullptr : &it->second;
}

const char* source_name(Source s) noexcept {
    switch (s) {
        case Source::detected: return "detected";
        case Source::override_value: return "override";
        case Source::absent: return "absent";
    }
    return "absent";
}

std::string VirtualPackage::str() const {
    if (!version) return "";
    return name + "=" + version->str() + "=" + build;
}

const VirtualPackage* VirtualPackages::find(std::string_view name) const {
    for (const auto& p : packages)
        if (p.name == name) return &p;
    return nullptr;
}

std::optional<std::string> kernel_version_from_release(std::string_view release) {
    // digits.digits(.digits)?(.digits)?
    std::size_t i = 0;
    int groups = 0;
    std::size_t end = 0;
    while (groups < 4) {
        std::size_t start = i;
        while (i < release.size() && std::isdigit(static_cast<unsigned char>(release[i]))) ++i;
        if (i == start) break;
        ++groups;
        end = i;
        if (i < release.size() && release[i] == '.' && i + 1 < release.size() &&
            std::isdigit(static_cast<unsigned char>(release[i + 1])))
            ++i;
        else
            break;
    }
    if (groups < 2) return std::nullopt;
    return std::string(release.substr(0, end));
}

std::optional<std::string> cuda_version_from_driver(int value) {
    if (value < 1000 || value > 99990) return std::nullopt;
    return std::to_string(value / 1000) + "." + std::to_string((value % 1000) / 10);
}

std::string override_variable(std::string_view package_name) {
    if (package_name == "__cuda") return "CONDA_OVERRIDE_CUDA";
    if (package_name == "__glibc") return "CONDA_OVERRIDE_GLIBC";
    if (package_name == "__linux") return "CONDA_OVERRIDE_LINUX";
    if (package_name == "__osx") return "CONDA_OVERRIDE_OSX";
    if (package_name == "__win") return "CONDA_OVERRIDE_WIN";
    if (package_name == "__archspec") return "CONDA_OVERRIDE_ARCHSPEC";
    return "";
}

base::Result<VirtualPackages> detect(const HostFacts& facts, const Overrides& overrides) {
    VirtualPackages out;
    out.subdir = facts.subdir;
    const std::string os = os_of(facts.subdir);
    std::vector<std::string> carried;  // override keys that apply on this platform

    if (is_unix(os)) {
        VirtualPackage vp = make("__unix");
        vp.version = spec::Version::parse("0").value();
        vp.source = Source::detected;
        out.packages.push_back(std::move(vp));
    }
    if (os == "linux") {
        VirtualPackage lx = make("__linux");
        PI_TRY(bool lx_over, apply_override(lx, overrides));
        if (!lx_over && facts.kernel_release) {
            auto numeric = kernel_version_from_release(*facts.kernel_release);
            if (numeric) set_detected(lx, numeric);
            else
                out.warnings.push_back("the kernel release '" + *facts.kernel_release +
                                       "' has no version number; __linux is absent (set CONDA_OVERRIDE_LINUX)");
        }
        out.packages.push_back(std::move(lx));
        carried.push_back("LINUX");

        VirtualPackage gl = make("__glibc");
        PI_TRY(bool gl_over, apply_override(gl, overrides));
        if (!gl_over) set_detected(gl, facts.glibc_version);
        out.packages.push_back(std::move(gl));
        carried.push_back("GLIBC");
    }
    if (os == "osx") {
        VirtualPackage vp = make("__osx");
        PI_TRY(bool over, apply_override(vp, overrides));
        if (!over) set_detected(vp, facts.osx_version);
        out.packages.push_back(std::move(vp));
        carried.push_back("OSX");
    }
    if (os == "win") {
        VirtualPackage vp = make("__win");
        PI_TRY(bool over, apply_override(vp, overrides));
        if (!over) set_detected(vp, facts.win_version);
        out.packages.push_back(std::move(vp));
        carried.push_back("WIN");
    }
    if (os == "linux" || os == "win" || os == "osx") {
        VirtualPackage vp = make("__cuda");
        PI_TRY(bool over, apply_override(vp, overrides));
        if (!over) {
            std::optional<std::string> text;
            if (facts.cuda_driver_version) text = cuda_version_from_driver(*facts.cuda_driver_version);
            if (!text) text = facts.cuda_version_text;
            set_detected(vp, text);
        }
        out.packages.push_back(std::move(vp));
        carried.push_back("CUDA");
    }
    {
        VirtualPackage vp = make("__archspec");
        vp.version = spec::Version::parse("1").value();
        const std::string* value = overrides.find("ARCHSPEC");
        if (value) {
            vp.source = Source::override_value;
            if (value->empty()) {
                vp.version.reset();
            } else if (*value == "0" || is_known_microarchitecture(*value)) {
                vp.build = *value;
            } else {
                std::string near = closest_microarchitecture(*value);
                return fail(ErrorKind::usage,
                            "CONDA_OVERRIDE_ARCHSPEC='" + *value + "' is not a known microarchitecture" +
                                (near.empty() ? std::string(" (use a name such as x86_64_v3, or 0)")
                                              : " (did you mean '" + near + "'?)"));
            }
        } else {
            auto name = detect_microarchitecture(facts.cpu);
            if (!name || name->empty()) name = platform_microarchitecture(facts.subdir);
            vp.build = name->empty() ? "0" : *name;
            vp.source = Source::detected;
        }
        out.packages.push_back(std::move(vp));
        carried.push_back("ARCHSPEC");
    }
    for (const auto& [key, value] : overrides.values) {
        bool applies = false;
        for (const auto& c : carried) applies |= (c == key);
        if (!applies)
            out.warnings.push_back("CONDA_OVERRIDE_" + key + " is ignored: " + facts.subdir +
                                   " has no such virtual package");
    }
    return out;
}

}  // namespace pixi_install::host
