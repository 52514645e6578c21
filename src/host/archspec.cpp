// archspec-compatible CPU microarchitecture detection over the table in archspec_db.cpp.
#include "pixi_install/host/archspec.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "archspec_db.hpp"

namespace pixi_install::host {

namespace {

using detail::ArchTarget;

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i <= s.size() && !s.empty()) {
        auto j = s.find(sep, i);
        auto part = s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
        if (!part.empty()) out.push_back(part);
        if (j == std::string_view::npos) break;
        i = j + 1;
    }
    return out;
}

const ArchTarget* find_target(std::string_view name) {
    for (const auto& t : detail::arch_targets())
        if (t.name == name) return &t;
    return nullptr;
}

void collect_ancestors(std::string_view name, std::set<std::string_view>& out) {
    const ArchTarget* t = find_target(name);
    if (!t) return;
    for (auto p : split(t->parents, ','))
        if (out.insert(p).second) collect_ancestors(p, out);
}

std::set<std::string_view> ancestors(std::string_view name) {
    std::set<std::string_view> out;
    collect_ancestors(name, out);
    return out;
}

/// A feature the CPU has, directly or through archspec's aliases.
bool has_feature(const std::set<std::string>& flags, std::string_view feature, std::string_view family) {
    if (flags.count(std::string(feature))) return true;
    auto any = [&](std::initializer_list<const char*> names) {
        for (const char* n : names)
            if (flags.count(n)) return true;
        return false;
    };
    if (feature == "sse3") return any({"ssse3", "pni"});
    if (feature == "sse4.1") return any({"sse4_1"});
    if (feature == "sse4.2") return any({"sse4_2"});
    if (feature == "avx512") return any({"avx512f", "avx512vl", "avx512bw", "avx512dq", "avx512cd"});
    if (feature == "altivec" || feature == "vsx" || feature == "fma")
        return family == "ppc64" || family == "ppc64le";
    if (feature == "neon") return family == "aarch64";
    return false;
}

bool supports(const ArchTarget& t, const std::set<std::string>& flags) {
    for (auto f : split(t.features, ' '))
        if (!has_feature(flags, f, t.family)) return false;
    return true;
}

/// archspec's preference: the deepest target, then the one with most features.
bool less_specific(const ArchTarget* a, const ArchTarget* b) {
    auto na = ancestors(a->name).size(), nb = ancestors(b->name).size();
    if (na != nb) return na < nb;
    return split(a->features, ' ').size() < split(b->features, ' ').size();
}

std::string family_of_machine(std::string_view machine) {
    if (machine == "x86_64" || machine == "amd64" || machine == "AMD64") return "x86_64";
    if (machine == "aarch64" || machine == "arm64" || machine == "ARM64") return "aarch64";
    if (machine == "i386" || machine == "i686" || machine == "x86") return "x86";
    return std::string(machine);
}

std::optional<std::string> detect_x86_64(const CpuFacts& cpu, const std::set<std::string>& flags) {
    std::vector<const ArchTarget*> candidates;
    for (const auto& t : detail::arch_targets())
        if (t.family == "x86_64" && (t.vendor == "generic" || t.vendor == cpu.vendor) && supports(t, flags))
            candidates.push_back(&t);
    const ArchTarget* best_generic = nullptr;
    for (auto* c : candidates)
        if (c->vendor == "generic" && (!best_generic || less_specific(best_generic, c))) best_generic = c;
    if (!best_generic) return "x86_64";
    const ArchTarget* best = nullptr;
    for (auto* c : candidates) {
        if (!ancestors(c->name).count(best_generic->name)) continue;
        if (!best || less_specific(best, c)) best = c;
    }
    return std::string((best ? best : best_generic)->name);
}

std::optional<std::string> detect_apple_silicon(std::string_view brand) {
    // "Apple M2 Pro" -> m2; newer chips than the table knows map to the newest known.
    auto pos = brand.find(" M");
    if (pos == std::string_view::npos) return "m1";
    int gen = 0;
    for (std::size_t i = pos + 2; i < brand.size() && std::isdigit(static_cast<unsigned char>(brand[i])); ++i)
        gen = gen * 10 + (brand[i] - '0');
    std::string best = "m1";
    for (int g = 1; g <= gen; ++g) {
        std::string name = std::to_string(g);
        name.insert(name.begin(), 'm');
        if (find_target(name)) best = name;
    }
    return best;
}

std::optional<std::string> detect_aarch64(const CpuFacts& cpu, const std::set<std::string>& flags) {
    if (cpu.brand.rfind("Apple", 0) == 0) return detect_apple_silicon(cpu.brand);
    std::string vendor = cpu.vendor;
    std::string implementer = cpu.vendor;
    std::transform(implementer.begin(), implementer.end(), implementer.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& v : detail::arm_vendors())
        if (v.implementer == implementer) vendor = std::string(v.name);
    std::vector<const ArchTarget*> candidates;
    for (const auto& t : detail::arch_targets()) {
        if (t.family != "aarch64") continue;
        if (t.vendor == "generic" ? t.name != "aarch64" : t.vendor != vendor) continue;
        if (supports(t, flags)) candidates.push_back(&t);
    }
    std::vector<const ArchTarget*> by_part;
    for (auto* c : candidates)
        if (!cpu.cpu_part.empty() && c->cpu_part == cpu.cpu_part) by_part.push_back(c);
    if (!by_part.empty()) candidates = by_part;
    const ArchTarget* best = nullptr;
    for (auto* c : candidates)
        if (!best || less_specific(best, c)) best = c;
    return best ? std::string(best->name) : std::string("aarch64");
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

}  // namespace

std::optional<std::string> detect_microarchitecture(const CpuFacts& cpu) {
    std::set<std::string> flags(cpu.flags.begin(), cpu.flags.end());
    std::string family = family_of_machine(cpu.machine);
    if (family == "x86_64") return detect_x86_64(cpu, flags);
    if (family == "aarch64") return detect_aarch64(cpu, flags);
    if (find_target(family)) return family;
    return std::nullopt;
}

int x86_64_level(const CpuFacts& cpu) {
    if (family_of_machine(cpu.machine) != "x86_64") return 0;
    std::set<std::string> flags(cpu.flags.begin(), cpu.flags.end());
    int level = 1;
    for (int l = 2; l <= 4; ++l) {
        std::string name = "x86_64_v";
        name += static_cast<char>('0' + l);
        const ArchTarget* t = find_target(name);
        if (!t || !supports(*t, flags)) break;
        level = l;
    }
    return level;
}

std::string platform_microarchitecture(std::string_view subdir) {
    if (subdir == "linux-32" || subdir == "win-32") return "x86";
    if (subdir == "linux-64" || subdir == "osx-64" || subdir == "win-64") return "x86_64";
    if (subdir == "linux-aarch64" || subdir == "linux-armv6l" || subdir == "linux-armv7l" || subdir == "win-arm64")
        return "aarch64";
    if (subdir == "osx-arm64") return "m1";
    auto dash = subdir.find('-');
    if (dash == std::string_view::npos) return "";
    std::string arch(subdir.substr(dash + 1));
    static const char* const same[] = {"ppc64le", "ppc64", "ppc", "s390x", "riscv32", "riscv64", "loongarch64"};
    for (const char* s : same)
        if (arch == s) return arch;
    return "";
}

bool is_known_microarchitecture(std::string_view name) { return find_target(name) != nullptr; }

std::string closest_microarchitecture(std::string_view name) {
    std::string norm(name);
    for (char& c : norm) c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string best;
    std::size_t best_d = 3;
    for (const auto& t : detail::arch_targets()) {
        std::size_t d = edit_distance(norm, t.name);
        if (d < best_d) {
            best_d = d;
            best = std::string(t.name);
        }
    }
    return best;
}

bool microarchitecture_compatible(std::string_view host, std::string_view target) {
    if (host == target) return true;
    return ancestors(host).count(target) > 0;
}

}  // namespace pixi_install::host
