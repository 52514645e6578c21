// Private to cli: how subcommands plug into main.
#pragma once

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace CLI {
class App;
}

namespace pixi_install::cli {

/// Process-wide facts read once in main (environment variables, terminal),
/// passed down; nothing below cli reads the environment.
struct Globals {
    std::map<std::string, std::string> env;  ///< a copy of the process environment
    bool stdout_tty = false;
    bool stderr_tty = false;
    int verbosity = 0;        ///< -v / -vv
    bool quiet = false;       ///< -q
    bool no_progress = false;
    std::string color = "auto";  ///< auto|always|never

    /// The value of an environment variable, or nullptr when unset.
    const std::string* getenv(const std::string& name) const;
    bool use_color() const;
};

/// What a subcommand's run() returns: an error (printed by main, as JSON when
/// `json` was requested) or the exit code.
using RunResult = base::Result<int>;

/// A subcommand: registers its options on `app`, returns the function main calls
/// when it was chosen.
struct Command {
    std::string name;
    std::function<void(CLI::App& sub, Globals& g)> setup;
    std::function<RunResult(Globals& g)> run;
    std::function<bool()> wants_json;  ///< errors are then written as JSON to stdout
};

// One function per subcommand, each in its own cmd_<name>.cpp.
Command make_install_command();
Command make_pack_command();
Command make_list_command();
Command make_check_command();
Command make_info_command();
Command make_verify_command();
Command make_shell_hook_command();
Command make_run_command();

/// Writes an error as the JSON document `{"ok": false, "error": {...}}`.
void print_json_error(std::ostream& out, const base::Error& e);

}  // namespace pixi_install::cli
