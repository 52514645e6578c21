// `pixi-install info`: the platform, the virtual packages and where each came
// from, the facts behind them, the cache directory, a manifest's requirements.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "pixi_install/base/redact.hpp"
#include "command.hpp"
#include "common.hpp"
#include "fetch_options.hpp"
#include "settings.hpp"
#include "pixi_install/base/fs.hpp"
#include "pixi_install/host/archspec.hpp"
#include "pixi_install/host/probe.hpp"
#include "pixi_install/install/state.hpp"

namespace pixi_install::cli {

namespace {

struct InfoFlags {
    std::string manifest;
    std::string prefix;
    bool json = false;
    std::string config;
    NetworkFlags network;
};

nlohmann::json opt(const std::optional<std::string>& s) { return s ? nlohmann::json(*s) : nlohmann::json(); }

nlohmann::json requirements_json(const manifest::SystemRequirements& r) {
    nlohmann::json j = nlohmann::json::object();
    if (r.linux) j["linux"] = *r.linux;
    if (r.libc) j["libc"] = {{"family", r.libc_family}, {"version", *r.libc}};
    if (r.cuda) j["cuda"] = *r.cuda;
    if (r.macos) j["macos"] = *r.macos;
    if (r.archspec) j["archspec"] = *r.archspec;
    return j;
}

std::string requirements_text(const manifest::SystemRequirements& r) {
    std::string out;
    auto add = [&](const std::string& k, const std::optional<std::string>& v) {
        if (v) out += (out.empty() ? "" : ", ") + k + " " + *v;
    };
    add("linux", r.linux);
    add(r.libc_family == "glibc" ? "libc" : "libc (" + r.libc_family + ")", r.libc);
    add("cuda", r.cuda);
    add("macos", r.macos);
    add("archspec", r.archspec);
    return out.empty() ? "none" : out;
}

nlohmann::json manifest_json(const manifest::Manifest& m) {
    nlohmann::json j;
    j["path"] = m.path.string();
    j["workspace"] = m.workspace_name;
    nlohmann::json platforms = nlohmann::json::array();
    for (const auto& p : m.platforms)
        platforms.push_back({{"name", p.name}, {"subdir", p.subdir}, {"requirements", requirements_json(p.requirements)}});
    j["platforms"] = std::move(platforms);
    j["system_requirements"] = requirements_json(m.system_requirements);
    nlohmann::json features = nlohmann::json::object();
    for (const auto& [name, r] : m.feature_requirements) features[name] = requirements_json(r);
    j["feature_system_requirements"] = std::move(features);
    return j;
}

std::string cuda_fact(const host::HostFacts& f) {
    if (f.cuda_driver_version)
        return std::to_string(*f.cuda_driver_version) + " (" + f.cuda_source + ")";
    if (f.cuda_version_text && !f.cuda_driver_release.empty())
        return *f.cuda_version_text + " (" + f.cuda_source + ": driver " + f.cuda_driver_release + " named by " +
               f.cuda_driver_file + ")";
    if (f.cuda_version_text) return *f.cuda_version_text + " (" + f.cuda_source + ")";
    return std::string("no NVIDIA driver found (") + host::cuda_probe_order() + ")";
}

}  // namespace

Command make_info_command() {
    auto f = std::make_shared<InfoFlags>();
    Command c;
    c.name = "info";
    c.setup = [f](CLI::App& sub, Globals&) {
        sub.description("Show the platform, the virtual packages this machine provides and where they come from");
        sub.add_option("--manifest", f->manifest,
                       "A pixi.toml or pyproject.toml whose system requirements to show (default: ./pixi.toml "
                       "or ./pyproject.toml when present)");
        sub.add_option("-p,--prefix", f->prefix,
                       "Also show the state of this environment (exit 4 when its last install did not finish)");
        sub.add_flag("--json", f->json, "Write a JSON document");
        add_network_flags(sub, f->config, f->network);
    };
    c.run = [f](Globals& g) -> RunResult {
        PI_TRY(HostView host, probe_and_detect(g));
        std::vector<std::string> warnings = host.packages.warnings;
        PI_TRY(auto manifest, load_manifest_for("./pixi.lock", f->manifest, warnings));
        const auto& facts = host.facts;
        auto uarch = host::detect_microarchitecture(facts.cpu);
        int level = host::x86_64_level(facts.cpu);
        std::string cache = default_cache_dir(g).string();
        SettingsRequest request;
        request.config_flag = f->config;
        request.network = f->network;
        request.workspace = ".";
        PI_TRY(EffectiveSettings settings, effective_settings(g, request));
        std::optional<std::filesystem::path> prefix;
        if (!f->prefix.empty()) prefix = base::absolute_normal(std::filesystem::path(f->prefix));
        const base::Result<void> finished = prefix ? install::require_finished(*prefix) : base::Result<void>();
        auto state_name = [&] {
            if (!finished.ok()) return "unfinished";
            if (install::read_state(*prefix).state == install::PrefixState::complete) return "complete";
            std::error_code ec;
            return std::filesystem::is_directory(*prefix / "conda-meta", ec) ? "not made by pixi-install" : "absent";
        };

        if (f->json) {
            nlohmann::json j;
            j["platform"] = host.packages.subdir;
            nlohmann::json vps = nlohmann::json::array();
            for (const auto& vp : host.packages.packages) {
                vps.push_back({{"name", vp.name},
                               {"version", vp.version ? nlohmann::json(vp.version->str()) : nlohmann::json()},
                               {"build", vp.version ? nlohmann::json(vp.build) : nlohmann::json()},
                               {"source", host::source_name(vp.source)},
                               {"override", vp.override_variable.empty() ? nlohmann::json()
                                                                         : nlohmann::json(vp.override_variable)}});
            }
            j["virtual_packages"] = std::move(vps);
            nlohmann::json cpu = {{"machine", facts.cpu.machine},
                                  {"vendor", facts.cpu.vendor},
                                  {"model_name", facts.cpu.model_name},
                                  {"microarchitecture", opt(uarch)},
                                  {"x86_64_level", level == 0 ? nlohmann::json() : nlohmann::json(level)}};
            j["host"] = {{"kernel_release", opt(facts.kernel_release)},
                         {"glibc_version", opt(facts.glibc_version)},
                         {"glibc_source", facts.glibc_source.empty() ? nlohmann::json() : nlohmann::json(facts.glibc_source)},
                         {"cuda_driver_version", facts.cuda_driver_version ? nlohmann::json(*facts.cuda_driver_version)
                                                                           : nlohmann::json()},
                         {"cuda_version_text", opt(facts.cuda_version_text)},
                         {"cuda_source", facts.cuda_source.empty() ? nlohmann::json() : nlohmann::json(facts.cuda_source)},
                         {"cuda_driver_release", facts.cuda_driver_release.empty() ? nlohmann::json()
                                                                                    : nlohmann::json(facts.cuda_driver_release)},
                         {"cuda_driver_file", facts.cuda_driver_file.empty() ? nlohmann::json()
                                                                             : nlohmann::json(facts.cuda_driver_file)},
                         {"cuda_probes", host::cuda_probe_order()},
                         {"osx_version", opt(facts.osx_version)},
                         {"cpu", std::move(cpu)}};
            j["cache_dir"] = cache;
            nlohmann::json js = nlohmann::json::object();
            nlohmann::json files = nlohmann::json::array();
            nlohmann::json problems = nlohmann::json::array();
            for (const auto& l : settings.lines) {
                if (l.key == "config file") files.push_back({{"path", l.value}, {"kind", l.origin}});
                else {
                    js[l.key] = {{"value", l.value}, {"origin", l.origin}};
                    if (!l.problem.empty()) {
                        js[l.key]["problem"] = l.problem;
                        problems.push_back({{"setting", l.key}, {"origin", l.origin}, {"problem", l.problem}});
                    }
                }
            }
            j["problems"] = std::move(problems);
            j["settings"] = std::move(js);
            j["config_files"] = std::move(files);
            j["manifest"] = manifest ? manifest_json(*manifest) : nlohmann::json();
            j["warnings"] = warnings;
            if (prefix) j["environment"] = {{"prefix", prefix->string()}, {"state", state_name()}};
            if (!finished.ok()) {
                j["ok"] = false;
                j["error"] = {{"kind", base::kind_name(finished.error().kind)},
                              {"exit_code", base::exit_code(finished.error().kind)},
                              {"message", finished.error().message}};
            }
            std::cout << base::redact(j.dump(2)) << "\n";
            return finished.ok() ? 0 : base::exit_code(finished.error().kind);
        }
        std::ostringstream out;
        out << "platform          " << host.packages.subdir << "\n";
        bool first = true;
        for (const auto& vp : host.packages.packages) {
            out << (first ? "virtual packages  " : "                  ");
            first = false;
            if (vp.present()) out << vp.str() << " (" << host::source_name(vp.source) << ")";
            else {
                out << vp.name << " (" << (vp.source == host::Source::override_value ? "removed by override" : "absent");
                if (!vp.override_variable.empty()) out << "; mock it with " << vp.override_variable;
                out << ")";
            }
            out << "\n";
        }
        if (facts.kernel_release) out << "kernel            " << *facts.kernel_release << "\n";
        if (facts.subdir.rfind("linux", 0) == 0)
            out << "glibc             "
                << (facts.glibc_version ? *facts.glibc_version + " (" + facts.glibc_source + ")"
                                        : std::string("none (not a glibc system)"))
                << "\n";
        if (facts.osx_version) out << "macOS             " << *facts.osx_version << "\n";
        out << "CUDA driver       " << cuda_fact(facts) << "\n";
        out << "CPU               " << (facts.cpu.model_name.empty() ? facts.cpu.machine : facts.cpu.model_name);
        out << " (" << facts.cpu.machine;
        if (!facts.cpu.vendor.empty()) out << ", " << facts.cpu.vendor;
        if (uarch) out << ", " << *uarch;
        if (level > 0 && (!uarch || uarch->rfind("x86_64", 0) != 0)) out << ", x86-64-v" << level;
        out << ")\n";
        out << "cache dir         " << cache << "\n";
        out << "settings\n";
        for (const auto& l : settings.lines) {
            std::string key = "  " + l.key;
            if (key.size() < 22) key.resize(22, ' ');
            out << key << " " << l.value << "  (" << l.origin << ")\n";
            if (!l.problem.empty()) out << "  problem:             " << l.problem << "\n";
        }
        if (manifest) {
            out << "manifest          " << manifest->path.string() << "\n";
            out << "  requirements    " << requirements_text(manifest->system_requirements) << "\n";
            for (const auto& [name, r] : manifest->feature_requirements)
                out << "  feature " << name << "  " << requirements_text(r) << "\n";
            for (const auto& p : manifest->platforms)
                if (p.name != p.subdir || !p.requirements.empty())
                    out << "  platform " << p.name << " (" << p.subdir << ")  " << requirements_text(p.requirements)
                        << "\n";
        }
        if (prefix) out << "environment       " << prefix->string() << " (" << state_name() << ")\n";
        std::cout << base::redact(out.str()) << std::flush;
        if (!finished.ok()) return finished.error();
        if (!g.quiet)
            for (const auto& w : warnings) std::cerr << "warning: " << base::redact(w) << "\n";
        for (const auto& w : settings.warnings) std::cerr << "warning: " << base::redact(w) << "\n";
        return 0;
    };
    c.wants_json = [f] { return f->json; };
    return c;
}

}  // namespace pixi_install::cli
