// The CUDA version from the NVIDIA driver's files: /proc/driver/nvidia/version and the
// version suffix of libcuda.so.<release>, mapped through NVIDIA's published table.
#include "pixi_install/host/nvidia_driver.hpp"

#include <array>
#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>

namespace pixi_install::host {

namespace fs = std::filesystem;

namespace {

struct Release {
    int major = 0, minor = 0, patch = 0;
    bool operator<(const Release& o) const {
        if (major != o.major) return major < o.major;
        if (minor != o.minor) return minor < o.minor;
        return patch < o.patch;
    }
};

/// "535.104.05" -> {535, 104, 5}; "530.30" -> {530, 30, 0}. Digits and dots only,
/// two or three parts.
std::optional<Release> parse_release(std::string_view s) {
    std::array<int, 3> parts{0, 0, 0};
    std::size_t n = 0, i = 0;
    while (true) {
        if (n == 3 || i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
        long v = 0;
        std::size_t digits = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            v = v * 10 + (s[i] - '0');
            if (++digits > 6) return std::nullopt;
            ++i;
        }
        parts[n++] = static_cast<int>(v);
        if (i == s.size()) break;
        if (s[i] != '.') return std::nullopt;
        ++i;
    }
    if (n < 2) return std::nullopt;
    return Release{parts[0], parts[1], parts[2]};
}

/// NVIDIA CUDA Toolkit Release Notes, "CUDA Toolkit and Corresponding Driver Versions"
/// (docs.nvidia.com/cuda/cuda-toolkit-release-notes, Table 3): the minimum Linux x86_64
/// driver of each toolkit's first (GA) release, oldest first. The CUDA version a driver
/// supports is that of the newest row it meets; it is what nvidia-smi shows and what
/// cuDriverGetVersion answers.
struct Row {
    const char* cuda;
    Release minimum;
};
constexpr Row kTable[] = {
    {"7.0", {346, 46, 0}},   {"7.5", {352, 31, 0}},   {"8.0", {367, 48, 0}},   {"9.0", {384, 81, 0}},
    {"9.1", {390, 46, 0}},   {"9.2", {396, 26, 0}},   {"10.0", {410, 48, 0}},  {"10.1", {418, 39, 0}},
    {"10.2", {440, 33, 0}},  {"11.0", {450, 36, 6}},  {"11.1", {455, 23, 5}},  {"11.2", {460, 27, 3}},
    {"11.3", {465, 19, 1}},  {"11.4", {470, 42, 1}},  {"11.5", {495, 29, 5}},  {"11.6", {510, 39, 1}},
    {"11.7", {515, 43, 4}},  {"11.8", {520, 61, 5}},  {"12.0", {525, 60, 13}}, {"12.1", {530, 30, 2}},
    {"12.2", {535, 54, 3}},  {"12.3", {545, 23, 6}},  {"12.4", {550, 54, 14}}, {"12.5", {555, 42, 2}},
    {"12.6", {560, 28, 3}},  {"12.8", {570, 26, 0}},  {"12.9", {575, 51, 3}},  {"13.0", {580, 65, 6}},
};

std::string read_small_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return {};
    std::string out(4096, '\0');
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    out.resize(static_cast<std::size_t>(in.gcount()));
    return out;
}

}  // namespace

std::optional<std::string> driver_release_from_proc(std::string_view text) {
    auto line_end = text.find('\n');
    std::string_view line = text.substr(0, line_end);
    if (line.rfind("NVRM version:", 0) != 0) return std::nullopt;
    // The release is the first word after "Kernel Module" (and "for <arch>") that parses.
    auto km = line.find("Kernel Module");
    if (km == std::string_view::npos) return std::nullopt;
    std::istringstream words{std::string(line.substr(km + 13))};
    std::string w;
    while (words >> w)
        if (parse_release(w)) return w;
    return std::nullopt;
}

std::optional<std::string> driver_release_from_libcuda_name(std::string_view name) {
    constexpr std::string_view prefix = "libcuda.so.";
    if (name.rfind(prefix, 0) != 0) return std::nullopt;
    std::string_view rest = name.substr(prefix.size());
    auto r = parse_release(rest);
    if (!r || r->major < 100) return std::nullopt;  // libcuda.so.1, libcuda.so.1.1
    return std::string(rest);
}

std::optional<std::string> cuda_version_for_driver(std::string_view release) {
    auto r = parse_release(release);
    if (!r) return std::nullopt;
    const char* best = nullptr;
    for (const auto& row : kTable)
        if (!(*r < row.minimum)) best = row.cuda;
    if (!best) return std::nullopt;
    return std::string(best);
}

const std::vector<std::string>& libcuda_directories() {
    static const std::vector<std::string> dirs = {
        "usr/lib/x86_64-linux-gnu", "usr/lib/aarch64-linux-gnu", "usr/lib/powerpc64le-linux-gnu",
        "usr/lib64",                "usr/lib64/nvidia",          "usr/lib",
        "usr/local/nvidia/lib64",   "usr/local/nvidia/lib",
    };
    return dirs;
}

std::optional<DriverFiles> probe_driver_files(const fs::path& root) {
    for (const auto& d : libcuda_directories()) {
        std::error_code ec;
        fs::directory_iterator it(root / d, ec), end;
        if (ec) continue;
        // The newest release present (a machine keeps one; an upgrade may leave two).
        std::optional<Release> best;
        std::string best_name;
        for (; it != end; it.increment(ec)) {
            if (ec) break;
            std::string name = it->path().filename().string();
            auto rel = driver_release_from_libcuda_name(name);
            if (!rel) continue;
            auto parsed = parse_release(*rel);
            if (!best || *best < *parsed) {
                best = parsed;
                best_name = name;
            }
        }
        if (best) {
            std::string rel = *driver_release_from_libcuda_name(best_name);
            if (auto cuda = cuda_version_for_driver(rel)) return DriverFiles{rel, *cuda, "/" + d + "/" + best_name};
        }
    }
    std::string text = read_small_file(root / "proc/driver/nvidia/version");
    if (auto rel = driver_release_from_proc(text))
        if (auto cuda = cuda_version_for_driver(*rel)) return DriverFiles{*rel, *cuda, "/proc/driver/nvidia/version"};
    return std::nullopt;
}

}  // namespace pixi_install::host
