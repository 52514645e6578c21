#include "pixi_install/base/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

namespace pixi_install::base {

namespace {

/// posix_spawn's attributes and file actions, released whatever happens.
struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

/// Pointers into `strings`, ended by a null pointer, as exec takes them.
std::vector<char*> c_list(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace

Result<pid_t> spawn_child(const ChildSpec& spec, const std::string& what) {
    const std::string doing = what.empty() ? "cannot run" : "cannot run " + what;
    if (spec.argv.empty()) return fail(ErrorKind::failure, doing + ": no program was given");
    std::vector<std::string> args = spec.argv, envs = spec.env;
    std::vector<char*> argp = c_list(args), envp = c_list(envs);
    SpawnSetup s;
    posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
    const int out_flags = O_WRONLY | O_CREAT | (spec.append ? O_APPEND : O_TRUNC);
    posix_spawn_file_actions_addopen(&s.actions, 1, spec.output.c_str(), out_flags, 0600);
    posix_spawn_file_actions_adddup2(&s.actions, 1, 2);
    if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&s.actions, spec.cwd.c_str());
    if (spec.own_group) {
        posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawnattr_setpgroup(&s.attr, 0);
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&s.attr, &none);
        posix_spawnattr_setsigdefault(&s.attr, &all);
    }
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, args.front().c_str(), &s.actions, &s.attr, argp.data(), envp.data());
    if (rc != 0) return fail_errno(doing, args.front(), rc);
    return pid;
}

int exit_code_of(int wait_status) {
    return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

}  // namespace pixi_install::base
