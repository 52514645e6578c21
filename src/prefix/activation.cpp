#include "pixi_install/prefix/activation.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>

#include "pixi_install/base/fs.hpp"
#include "pixi_install/base/shell_quote.hpp"

namespace pixi_install::prefix {

namespace fs = std::filesystem;

const char* shell_name(Shell s) noexcept {
    switch (s) {
        case Shell::sh: return "sh";
        case Shell::bash: return "bash";
        case Shell::zsh: return "zsh";
        case Shell::fish: return "fish";
    }
    return "sh";
}

base::Result<Shell> parse_shell(std::string_view name_or_path) {
    std::string_view name = name_or_path;
    if (auto slash = name.rfind('/'); slash != std::string_view::npos) name = name.substr(slash + 1);
    // A login shell's argv[0] may be "-bash".
    if (!name.empty() && name.front() == '-') name.remove_prefix(1);
    if (name == "sh" || name == "dash" || name == "ash" || name == "busybox") return Shell::sh;
    if (name == "bash") return Shell::bash;
    if (name == "zsh") return Shell::zsh;
    if (name == "fish") return Shell::fish;
    return base::fail(base::ErrorKind::usage,
                      "unsupported shell '" + std::string(name_or_path) + "' (use bash, zsh, fish or sh)");
}

ActivationInfo ActivationInfo::for_prefix(const fs::path& prefix) {
    ActivationInfo info;
    info.prefix = base::absolute_normal(prefix);
    fs::path p = info.prefix;
    if (!p.has_filename() && p.has_parent_path()) p = p.parent_path();  // trailing slash
    info.environment_name = p.filename().string();
    fs::path envs = p.parent_path();
    fs::path dot_pixi = envs.parent_path();
    if (envs.filename() == "envs" && dot_pixi.filename() == ".pixi" && dot_pixi.has_parent_path()) {
        info.project_root = dot_pixi.parent_path();
    }
    return info;
}

fs::path activation_record_path(const fs::path& prefix) { return prefix / "conda-meta" / "pixi-install-environment"; }

ActivationInfo ActivationInfo::recorded(const fs::path& prefix) {
    ActivationInfo info = for_prefix(prefix);
    std::ifstream in(activation_record_path(info.prefix), std::ios::binary);
    if (!in) return info;
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) return info;
    auto text_of = [&](const char* key) -> std::string {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    // A name with a control character is not one install wrote.
    auto clean = [](const std::string& s) {
        return std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    };
    std::string env = text_of("environment"), project = text_of("project_name"), root = text_of("project_root");
    if (!env.empty() && clean(env)) info.environment_name = env;
    if (clean(project)) info.project_name = project;
    if (!root.empty() && clean(root) && fs::path(root).is_absolute()) info.project_root = root;
    return info;
}

namespace {

std::string prefix_string(const ActivationInfo& info) {
    std::string s = info.prefix.string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

std::string env_name(const ActivationInfo& info) {
    if (!info.environment_name.empty()) return info.environment_name;
    fs::path p(prefix_string(info));
    return p.filename().string();
}

std::string bin_dir(const ActivationInfo& info) { return prefix_string(info) + "/bin"; }

}  // namespace

std::vector<std::pair<std::string, std::string>> activation_variables(const ActivationInfo& info) {
    std::vector<std::pair<std::string, std::string>> v;
    const std::string name = env_name(info);
    v.emplace_back("CONDA_PREFIX", prefix_string(info));
    v.emplace_back("CONDA_DEFAULT_ENV", name);
    v.emplace_back("PIXI_ENVIRONMENT_NAME", name);
    if (!info.project_name.empty()) v.emplace_back("PIXI_PROJECT_NAME", info.project_name);
    if (!info.project_root.empty()) v.emplace_back("PIXI_PROJECT_ROOT", info.project_root.string());
    return v;
}

base::Result<std::vector<fs::path>> activate_d_scripts(const fs::path& prefix, Shell shell) {
    std::vector<fs::path> out;
    const fs::path dir = prefix / "etc" / "conda" / "activate.d";
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return out;
    const std::string ext = shell == Shell::fish ? ".fish" : ".sh";
    fs::directory_iterator it(dir, ec);
    if (ec) return base::fail_errno("cannot list", dir.string(), ec.value());
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) return base::fail_errno("cannot list", dir.string(), ec.value());
        const fs::path& p = it->path();
        if (p.extension() != ext) continue;
        std::error_code fec;
        if (!fs::is_regular_file(p, fec)) continue;  // follows symlinks; skips dangling ones
        out.push_back(p);
    }
    std::sort(out.begin(), out.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().native() < b.filename().native(); });
    return out;
}

base::Result<std::string> activation_script(const ActivationInfo& info, Shell shell,
                                            const std::vector<fs::path>& scripts) {
    const std::string prefix = prefix_string(info);
    PI_TRY_VOID(base::check_script_value(prefix, "the prefix"));
    PI_TRY_VOID(base::check_script_value(env_name(info), "the environment name"));
    const bool fish = shell == Shell::fish;
    auto quote = [fish](std::string_view v) { return fish ? base::fish_quote(v) : base::sh_quote(v); };
    PI_TRY(std::string name, quote(env_name(info)));
    PI_TRY(std::string where, quote(prefix));
    PI_TRY(std::string self, quote(prefix + (fish ? "/activate.fish" : "/activate.sh")));
    PI_TRY(std::string bin, quote(bin_dir(info)));
    std::string s;
    s += "# Activates the environment " + name + " at " + where +
         (fish ? " in fish.\n" : " in sh, bash or zsh.\n");
    s += (fish ? "# Use: source " : "# Use: . ") + self + "\n";
    for (const auto& [k, v] : activation_variables(info)) {
        PI_TRY(std::string value, quote(v));
        s += (fish ? "set -gx " + k + " " : "export " + k + "=") + value + "\n";
    }
    if (fish) {
        s += "set -gx PATH " + bin + " $PATH\n";
    } else {
        // An unset or empty PATH must not gain an empty entry (which would mean ".").
        s += "export PATH=" + bin + "\"${PATH:+:${PATH}}\"\n";
    }
    for (const auto& p : scripts) {
        PI_TRY(std::string script, quote(p.string()));
        s += (fish ? "source " : ". ") + script + "\n";
    }
    return s;
}

base::Result<std::string> activation_script(const ActivationInfo& info, Shell shell) {
    PI_TRY(auto scripts, activate_d_scripts(info.prefix, shell));
    return activation_script(info, shell, scripts);
}

base::Result<void> write_activation_scripts(const ActivationInfo& info) {
    PI_TRY(auto sh, activation_script(info, Shell::sh));
    PI_TRY(auto fish, activation_script(info, Shell::fish));
    nlohmann::ordered_json record;
    record["environment"] = env_name(info);
    record["project_name"] = info.project_name;
    record["project_root"] = info.project_root.string();
    std::string names = record.dump(2) + "\n";
    for (const auto& [name, text] : {std::pair{"activate.sh", &sh}, std::pair{"activate.fish", &fish},
                                     std::pair{"conda-meta/pixi-install-environment", &names}}) {
        auto r = base::write_file_atomic(info.prefix / name, *text, false, 0644);
        if (!r.ok()) return std::move(r).error().with_context("while writing the activation scripts of " +
                                                              info.prefix.string());
    }
    return {};
}

std::map<std::string, std::string> activation_environment(const ActivationInfo& info,
                                                          const std::map<std::string, std::string>& base_env) {
    std::map<std::string, std::string> env = base_env;
    for (const auto& [k, v] : activation_variables(info)) env[k] = v;
    std::string path = bin_dir(info);
    if (auto it = base_env.find("PATH"); it != base_env.end() && !it->second.empty()) path += ":" + it->second;
    env["PATH"] = path;
    return env;
}

}  // namespace pixi_install::prefix
