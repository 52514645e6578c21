// pixi-install entry point: parses the command line, dispatches to a
// subcommand, maps errors to exit codes. The only place that exits.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "pixi_install/base/redact.hpp"
#include "command.hpp"
#include "pixi_install/base/strings.hpp"
#include "pixi_install/archive/extract.hpp"
#include "pixi_install/build/build.hpp"
#include "pixi_install/fetch/fetch.hpp"
#include "signals.hpp"
#include "usage.hpp"

extern char** environ;

namespace pixi_install::cli {

const std::string* Globals::getenv(const std::string& name) const {
    auto it = env.find(name);
    return it == env.end() ? nullptr : &it->second;
}

bool Globals::use_color() const {
    if (color == "always") return true;
    if (color == "never") return false;
    if (getenv("NO_COLOR") && !getenv("NO_COLOR")->empty()) return false;
    return stderr_tty;
}

/// `text` with the control characters of each line escaped (messages quote untrusted names).
std::string printable_lines(std::string_view text) {
    std::string out;
    for (std::size_t pos = 0;;) {
        std::size_t nl = text.find('\n', pos);
        out += base::printable(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
        if (nl == std::string_view::npos) return out;
        out.push_back('\n');
        pos = nl + 1;
    }
}

void print_json_error(std::ostream& out, const base::Error& e) {
    nlohmann::json j;
    j["ok"] = false;
    j["error"] = {{"kind", base::kind_name(e.kind)},
                  {"exit_code", base::exit_code(e.kind)},
                  {"message", e.message},
                  {"context", e.context}};
    out << base::redact(j.dump(2)) << "\n";
}

std::vector<Command> all_commands();

namespace {

/// What --version prints: the version, what the binary was built for and from, and the
/// libraries in it (their own version strings; in a release build also the Debian source
/// package each was built from, with its patch level).
std::string version_text() {
    std::string target = PIXI_INSTALL_TARGET;
#if defined(PIXI_INSTALL_STATIC)
    target += " (static)";
#else
    target = "developer build (shared libraries)";
#endif
    std::string commit = PIXI_INSTALL_COMMIT;
    std::string out = std::string("pixi-install ") + PIXI_INSTALL_VERSION + "\n";
    out += "target: " + target + "\n";
    out += "commit: " + (commit.empty() ? std::string("unknown") : commit) + "\n";
    out += "libraries: " + fetch::http_library_versions() + " " + archive::archive_library_versions() + "\n";
    out += "git: " + build::git_library_version() + "\n";
    std::string bundled = PIXI_INSTALL_BUNDLED;
    if (!bundled.empty()) out += "bundled (Debian 12 source packages): " + bundled + "\n";
    return out;
}

int run_main(int argc, char** argv) {
    // The common `--version` answers before the command line is built (a startup-time path).
    if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
        std::cout << version_text() << std::flush;
        return 0;
    }
    Globals g;
    for (char** e = environ; e && *e; ++e) {
        const char* eq = std::strchr(*e, '=');
        if (eq) g.env.emplace(std::string(*e, static_cast<std::size_t>(eq - *e)), std::string(eq + 1));
    }
    g.stdout_tty = ::isatty(1);
    g.stderr_tty = ::isatty(2);

    std::vector<Command> commands = all_commands();

    // `pixi-install [install] ...`: with no subcommand name, the install command runs.
    // The subcommand's name is the first word that is neither an option nor the value of a
    // global option (`--color always install`).
    std::vector<std::string> args(argv + 1, argv + argc);
    bool has_sub = false;
    bool json = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--") break;
        json |= args[i] == "--json";
        if (!args[i].empty() && args[i][0] == '-') {
            if (args[i] == "--color") ++i;
            continue;
        }
        if (has_sub) continue;
        for (const auto& c : commands) has_sub |= (c.name == args[i]);
        if (!has_sub) break;
    }
    if (!json)  // after the subcommand too: `install ... --json`
        for (const auto& a : args) {
            if (a == "--") break;
            json |= a == "--json";
        }
    bool asks_top_help = !args.empty() && (args[0] == "-h" || args[0] == "--help" || args[0] == "--version");
    if (!has_sub && !asks_top_help) args.insert(args.begin(), "install");

    CLI::App app{"pixi-install: materialize the environments of a pixi.lock into prefixes"};
    app.name("pixi-install");
    app.set_version_flag("--version", [] {
        std::string t = version_text();
        if (!t.empty() && t.back() == '\n') t.pop_back();  // CLI11 adds the newline
        return t;
    });
    app.require_subcommand(1, 1);
    app.fallthrough();
    app.add_flag("-v,--verbose", g.verbosity, "More output (repeat for more)");
    app.add_flag("-q,--quiet", g.quiet, "Only errors");
    app.add_flag("--no-progress", g.no_progress, "No live progress display");
    app.add_option("--color", g.color, "Colored output")
        ->check(one_of({"auto", "always", "never"}))
        ->capture_default_str();

    std::vector<std::pair<CLI::App*, const Command*>> subs;
    for (const auto& c : commands) {
        CLI::App* sub = app.add_subcommand(c.name, "");
        c.setup(*sub, g);
        subs.emplace_back(sub, &c);
    }

    std::vector<std::string> rev(args.rbegin(), args.rend());
    try {
        app.parse(rev);
    } catch (const CLI::Success& e) {
        return app.exit(e);  // --help, --version
    } catch (const CLI::ParseError& e) {
        // One form for every mistake on the command line: a sentence after "error:", a hint,
        // the JSON error document under --json, exit 2.
        const CLI::App* chosen = nullptr;
        for (auto& [sub, cmd] : subs)
            if (sub->parsed()) chosen = sub;
        std::string message = e.what();
        if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
            std::vector<std::string> words = app.remaining(false);
            if (words.empty() && chosen) words = chosen->remaining(false);
            std::vector<std::string> options, names;
            for (const CLI::App* a : {static_cast<const CLI::App*>(&app), chosen}) {
                if (!a) continue;
                for (const CLI::Option* o : a->get_options()) {
                    for (const auto& l : o->get_lnames()) options.push_back("--" + l);
                    for (const auto& s : o->get_snames()) options.push_back("-" + s);
                }
            }
            for (const auto& c : commands) names.push_back(c.name);
            if (!words.empty()) message = unexpected_words(words, options, names);
        }
        const std::string help = std::string("pixi-install ") + (chosen ? chosen->get_name() + " " : "") + "--help";
        base::Error err = base::fail(base::ErrorKind::usage, message);
        if (json) print_json_error(std::cout, err);
        std::cerr << "error: " << message << " (see " << help << ")\n";
        return base::exit_code(base::ErrorKind::usage);
    }

    install_signal_handlers();
    for (auto& [sub, cmd] : subs) {
        if (!sub->parsed()) continue;
        RunResult r = cmd->run(g);
        if (r.ok()) return *r;
        const base::Error& e = r.error();
        if (cmd->wants_json && cmd->wants_json()) print_json_error(std::cout, e);
        std::cerr << "error: " << printable_lines(base::redact(e.to_string())) << "\n";
        return base::exit_code(e.kind);
    }
    return 2;
}

}  // namespace
}  // namespace pixi_install::cli

int main(int argc, char** argv) {
    try {
        return pixi_install::cli::run_main(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "error: internal error: " << e.what() << "\n";
        return 1;
    }
}
