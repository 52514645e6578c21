#include "pixi_install/prefix/link_scripts.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "pixi_install/base/fs.hpp"

namespace pixi_install::prefix {

namespace fs = std::filesystem;

base::Result<ScriptOutcome> run_link_script(const fs::path& prefix, const std::string& script,
                                            const ScriptPackage& package, const std::vector<std::string>& env) {
    fs::path abs_prefix = base::absolute_normal(prefix);
    fs::path script_path = abs_prefix / script;
    PI_TRY(base::TempDir tmp, base::TempDir::create());
    fs::path out_file = tmp.path() / "output";

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
    std::vector<char*> envp;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string sh = "/bin/sh", sp = script_path.string();
    char* argv[] = {sh.data(), sp.data(), nullptr};

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addchdir_np(&fa, abs_prefix.c_str());
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, sh.c_str(), &fa, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return base::fail_errno("cannot run link script", script_path.string(), rc);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return base::fail_errno("cannot wait for link script", script_path.string(), errno);
    }
    ScriptOutcome out;
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (auto o = base::read_file(out_file); o.ok()) out.output = std::move(*o);
    fs::path messages = abs_prefix / ".messages.txt";
    if (auto m = base::read_file(messages); m.ok()) {
        out.messages = std::move(*m);
        std::error_code ec;
        fs::remove(messages, ec);
    }
    return out;
}

}  // namespace pixi_install::prefix
