#include "pixi_install/prefix/link_scripts.hpp"

#include "pixi_install/base/fs.hpp"

#include "file_ops.hpp"

namespace pixi_install::prefix {

namespace fs = std::filesystem;

base::Result<ScriptOutcome> run_link_script(const fs::path& prefix, const std::string& script,
                                            const ScriptPackage& package, const std::vector<std::string>& env) {
    fs::path abs_prefix = base::absolute_normal(prefix);
    fs::path script_path = abs_prefix / script;
    std::vector<std::string> envs;
    for (const auto& e : env) {
        auto eq = e.find('=');
        std::string key = e.substr(0, eq);
        if (key == "PREFIX" || key == "PKG_NAME" || key == "PKG_VERSION" || key == "PKG_BUILDNUM") continue;
        envs.push_back(e);
    }
    envs.push_back("PREFIX=" + abs_prefix.string());
    envs.push_back("PKG_NAME=" + package.name);
    envs.push_back("PKG_VERSION=" + package.version);
    envs.push_back("PKG_BUILDNUM=" + package.build_number);
    PI_TRY(detail::ProcessOutcome p, detail::run_captured({"/bin/sh", script_path.string()}, envs, abs_prefix,
                                                           "link script"));
    ScriptOutcome out;
    out.exit_code = p.exit_code;
    out.output = std::move(p.output);
    fs::path messages = abs_prefix / ".messages.txt";
    if (auto m = base::read_file(messages); m.ok()) {
        out.messages = std::move(*m);
        std::error_code ec;
        fs::remove(messages, ec);
    }
    return out;
}

}  // namespace pixi_install::prefix
