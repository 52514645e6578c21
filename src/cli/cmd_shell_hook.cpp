// `pixi-install shell-hook -p PREFIX [--shell bash|zsh|fish|sh]`: prints the
// activation script of an installed prefix, without pixi, a manifest or the
// network (for `eval "$(pixi-install shell-hook -p /opt/env)"` and Docker
// entrypoints).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "env_location.hpp"
#include "installed_prefix.hpp"
#include "pixi_install/install/state.hpp"
#include "pixi_install/prefix/activation.hpp"
#include "usage.hpp"

namespace pixi_install::cli {

namespace fs = std::filesystem;

base::Result<fs::path> installed_prefix(const std::string& prefix) {
    if (prefix.empty()) return base::fail(base::ErrorKind::usage, "no prefix given (use -p PREFIX)");
    fs::path p = fs::absolute(fs::path(prefix)).lexically_normal();
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
        return base::fail(base::ErrorKind::failure,
                          "prefix " + p.string() + " does not exist (install it first: pixi-install -p " + prefix + ")");
    }
    if (!fs::is_directory(p / "conda-meta", ec) && ec && ec != std::errc::no_such_file_or_directory)
        return base::fail(base::ErrorKind::failure, "cannot read " + (p / "conda-meta").string() + ": " + ec.message() +
                                                        " (run as a user who may read the environment)");
    if (!fs::is_directory(p / "conda-meta", ec)) {
        return base::fail(base::ErrorKind::failure, "prefix " + p.string() +
                                                        " is not an environment (it has no conda-meta directory; "
                                                        "install it first: pixi-install -p " + prefix + ")");
    }
    return p;
}

namespace {

struct ShellHookOptions {
    LocationFlags where;
    std::string shell;  ///< empty: from $SHELL, else sh
};

}  // namespace

Command make_shell_hook_command() {
    auto o = std::make_shared<ShellHookOptions>();
    Command c;
    c.name = "shell-hook";
    c.setup = [o](CLI::App& sub, Globals&) {
        sub.description(
            "Print the activation script of an installed environment (eval it, or save it as an "
            "entrypoint); needs neither pixi nor the network");
        add_location_flags(sub, o->where, "The environment's directory");
        sub.add_option("--shell", o->shell, "The shell to write for (default: from $SHELL, else sh)")
            ->check(one_of({"bash", "zsh", "fish", "sh"}));
    };
    c.run = [o](Globals& g) -> RunResult {
        PI_TRY(fs::path prefix, installed_prefix(located_prefix(o->where).string()));
        PI_TRY_VOID(install::require_finished(prefix));
        prefix::Shell shell = prefix::Shell::sh;
        if (!o->shell.empty()) {
            PI_TRY(shell, prefix::parse_shell(o->shell));
        } else if (const std::string* s = g.getenv("SHELL"); s && !s->empty()) {
            if (auto parsed = prefix::parse_shell(*s); parsed.ok()) shell = *parsed;
        }
        PI_TRY(std::string text, prefix::activation_script(prefix::ActivationInfo::recorded(prefix), shell));
        // The script's "# Use: . <prefix>/activate.sh" line only where that file exists (an
        // environment made by conda or pixi has none).
        const char* saved = shell == prefix::Shell::fish ? "activate.fish" : "activate.sh";
        std::error_code ec;
        if (!fs::exists(prefix / saved, ec)) {
            auto at = text.find("\n# Use: ");
            if (at != std::string::npos) text.erase(at + 1, text.find('\n', at + 1) - at);
        }
        std::cout << text << std::flush;
        return 0;
    };
    c.wants_json = [] { return false; };
    return c;
}

}  // namespace pixi_install::cli
