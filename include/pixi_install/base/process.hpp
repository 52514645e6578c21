#pragma once
// Starting a child process whose output goes to a file: the one place that turns argument
// and environment lists into what posix_spawn takes.

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::base {

/// What a child runs and where its input and output go.
struct ChildSpec {
    std::vector<std::string> argv;  ///< argv[0] is the executable's path (no PATH search)
    std::vector<std::string> env;   ///< exactly this environment
    std::filesystem::path cwd;      ///< where it runs
    std::filesystem::path output;   ///< its stdout and stderr, together; stdin is /dev/null
    bool append = false;            ///< add to `output` (made 0600 when missing) instead of replacing it
    /// Leader of a process group of its own (so that the group can be ended whole), with an
    /// empty signal mask and every signal at its default action.
    bool own_group = false;
};

/// Starts `spec`; its process id, or an error naming `what` (e.g. "the post-link script").
Result<pid_t> spawn_child(const ChildSpec& spec, const std::string& what);

/// The exit code of a status waitpid gave: the child's own, or 128 + N after signal N.
int exit_code_of(int wait_status);

}  // namespace pixi_install::base
