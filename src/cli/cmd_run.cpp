// `pixi-install run -p PREFIX -- CMD ARGS...`: runs a command in the activated
// environment (a Docker ENTRYPOINT without pixi).
//
// The process is replaced by the command (execve), so the command gets the
// signals sent to us and its exit status is the status the caller sees: an
// exit code passes through unchanged, and a command killed by signal N is
// seen by a shell or by Docker as 128+N.
//
// Activation: when the prefix has no etc/conda/activate.d/*.sh scripts, the
// command is executed directly with the computed activation environment (no
// shell needed: distroless images work). When it has some, they may set any
// variable or run code, so the command is executed by a shell that sources the
// same activation script `shell-hook` prints and then `exec`s the command
// (bash when /bin/bash exists, since conda packages' activate.d scripts are
// written for bash; /bin/sh otherwise).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "env_location.hpp"
#include "installed_prefix.hpp"
#include "pixi_install/install/state.hpp"
#include "pixi_install/prefix/activation.hpp"

namespace pixi_install::cli {

namespace fs = std::filesystem;

namespace {

struct RunOptions {
    LocationFlags where;
    std::vector<std::string> command;  ///< the words after `--`
    CLI::App* app = nullptr;           ///< for the words when there is no `--`
};

/// `name` looked up in `path` the way a shell does: a name with a slash is used
/// as is; otherwise the first executable regular file in a PATH directory.
std::string find_program(const std::string& name, const std::string& path) {
    if (name.find('/') != std::string::npos) return name;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        if (dir.empty()) dir = ".";
        const std::string candidate = dir + "/" + name;
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return {};
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

/// Replaces the process; returns only on failure, with the exit status to use
/// (127: not found, 126: not executable), after printing why.
int exec_or_status(const std::string& program, std::vector<std::string> argv,
                   const std::map<std::string, std::string>& env, const std::string& shown_name) {
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    auto c_argv = c_strings(argv);
    auto c_env = c_strings(env_strings);
    std::cout.flush();
    std::cerr.flush();
    ::execve(program.c_str(), c_argv.data(), c_env.data());
    const int err = errno;
    std::cerr << "error: cannot run " << shown_name << ": " << std::strerror(err) << "\n";
    return err == ENOENT ? 127 : 126;
}

}  // namespace

Command make_run_command() {
    auto o = std::make_shared<RunOptions>();
    Command c;
    c.name = "run";
    c.setup = [o](CLI::App& sub, Globals&) {
        sub.description(
            "Run a command in an installed environment, activated (PATH, CONDA_PREFIX, activate.d "
            "scripts); its exit status passes through");
        add_location_flags(sub, o->where, "The environment's directory");
        sub.footer("Usage: pixi-install run [-p PREFIX | -e ENV] [--] CMD [ARGS...]\n"
                   "Everything from CMD on belongs to the command, options included; global options\n"
                   "(-v, -q, --color) go before `run`.");
        // Two spellings reach the command intact: after `--` every word fills the
        // `command` positional (CLI11 keeps `--` in remaining()); without `--` the
        // positional refuses the first word, and prefix_command() moves it and
        // everything after it, options included, to remaining().
        CLI::App* app = &sub;
        sub.add_option("command", o->command, "The command and its arguments")
            ->expected(-1)
            ->check(CLI::Validator(
                [app](std::string&) -> std::string {
                    return app->remaining().empty() ? std::string("options first") : std::string();
                },
                ""));
        sub.validate_positionals();
        sub.prefix_command();
        sub.fallthrough(false);
        o->app = &sub;
    };
    c.run = [o](Globals& g) -> RunResult {
        std::vector<std::string> command = o->command.empty() ? o->app->remaining() : o->command;
        if (command.empty()) return base::fail(base::ErrorKind::usage, "no command given (pixi-install run -p PREFIX -- CMD)");
        PI_TRY(fs::path prefix, installed_prefix(located_prefix(o->where).string()));
        PI_TRY_VOID(install::require_finished(prefix));
        const auto info = prefix::ActivationInfo::recorded(prefix);
        PI_TRY(auto scripts, prefix::activate_d_scripts(prefix, prefix::Shell::sh));

        if (scripts.empty()) {
            auto env = prefix::activation_environment(info, g.env);
            const std::string program = find_program(command[0], env["PATH"]);
            if (program.empty()) {
                std::cerr << "error: command '" << command[0] << "' not found in the environment's PATH ("
                          << env["PATH"] << ")\n";
                return 127;
            }
            return exec_or_status(program, command, env, command[0]);
        }

        std::error_code ec;
        const bool bash = fs::exists("/bin/bash", ec);
        const std::string shell = bash ? "/bin/bash" : "/bin/sh";
        PI_TRY(std::string script,
               prefix::activation_script(info, bash ? prefix::Shell::bash : prefix::Shell::sh, scripts));
        script += "exec \"$@\"\n";
        std::vector<std::string> argv{shell, "-c", script, "pixi-install-run"};
        argv.insert(argv.end(), command.begin(), command.end());
        return exec_or_status(shell, std::move(argv), g.env, shell);
    };
    c.wants_json = [] { return false; };
    return c;
}

}  // namespace pixi_install::cli
