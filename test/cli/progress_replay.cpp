// progress_replay: replays a scripted reporter event sequence through the real
// progress output (output_style -> LinePrinter -> StatusPrinter, events sent
// from a worker thread while the main thread draws), then prints a summary.
// Lets tests see what a user sees, on a terminal (under a pty) or in a log.
//
// usage: progress_replay [-q] [-v]... [--no-progress] [--color auto|always|never] SCRIPT
//
// SCRIPT, one event a line (blank lines and # comments ignored):
//   phase read|check|plan|fetch|extract|link|record|done [N]
//   start NAME TOTAL          progress NAME DELTA       finish NAME BYTES net|cache
//   extracted NAME            linked NAME               removed NAME
//   warning MESSAGE...        info MESSAGE...           sleep MILLISECONDS
//   summary ENV PREFIX INSTALLED REMOVED UNCHANGED BYTES SECONDS
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "progress.hpp"

extern char** environ;

using namespace pixi_install;
using namespace pixi_install::cli;

namespace {

base::Phase parse_phase(const std::string& s) {
    for (auto p : {base::Phase::read, base::Phase::check, base::Phase::plan, base::Phase::fetch, base::Phase::extract,
                   base::Phase::link, base::Phase::record, base::Phase::done}) {
        if (s == base::phase_name(p)) return p;
    }
    throw std::runtime_error("unknown phase " + s);
}

std::string rest_of(std::istringstream& in) {
    std::string rest;
    std::getline(in >> std::ws, rest);
    return rest;
}

}  // namespace

int main(int argc, char** argv) {
    Globals g;
    for (char** e = environ; e && *e; ++e) {
        const char* eq = std::strchr(*e, '=');
        if (eq) g.env.emplace(std::string(*e, static_cast<std::size_t>(eq - *e)), std::string(eq + 1));
    }
    g.stdout_tty = ::isatty(1);
    g.stderr_tty = ::isatty(2);
    std::string script_path;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-q") g.quiet = true;
        else if (a == "-v") g.verbosity += 1;
        else if (a == "-vv") g.verbosity += 2;
        else if (a == "--no-progress") g.no_progress = true;
        else if (a == "--color" && i + 1 < argc) g.color = argv[++i];
        else script_path = a;
    }
    std::ifstream in(script_path);
    if (!in) {
        std::cerr << "progress_replay: cannot read " << script_path << "\n";
        return 2;
    }
    std::vector<std::string> events;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line[0] != '#') events.push_back(line);
    }

    const OutputStyle style = output_style(g);
    LinePrinter printer(stderr, style.interactive, style.width);
    StatusPrinter status(style, printer);
    Summary summary;
    bool has_summary = false;

    status.drive([&] {
        for (const auto& e : events) {
            std::istringstream ev(e);
            std::string kind, name;
            ev >> kind;
            std::uint64_t n = 0;
            if (kind == "phase") {
                std::string p;
                ev >> p;
                std::size_t items = 0;
                ev >> items;
                status.phase(parse_phase(p), items);
            } else if (kind == "start") {
                ev >> name >> n;
                status.fetch_started(name, n);
            } else if (kind == "progress") {
                ev >> name >> n;
                status.fetch_progress(name, n);
            } else if (kind == "finish") {
                std::string how;
                ev >> name >> n >> how;
                status.fetch_finished(name, n, how == "net");
            } else if (kind == "extracted") {
                ev >> name;
                status.extracted(name);
            } else if (kind == "linked") {
                ev >> name;
                status.linked(name);
            } else if (kind == "removed") {
                ev >> name;
                status.removed(name);
            } else if (kind == "warning") {
                status.warning(rest_of(ev));
            } else if (kind == "info") {
                status.info(rest_of(ev));
            } else if (kind == "sleep") {
                ev >> n;
                std::this_thread::sleep_for(std::chrono::milliseconds(n));
            } else if (kind == "summary") {
                ev >> summary.environment >> summary.prefix >> summary.installed >> summary.removed >>
                    summary.unchanged >> summary.bytes_downloaded >> summary.seconds;
                has_summary = true;
            } else {
                throw std::runtime_error("unknown event: " + e);
            }
        }
        return 0;
    });
    status.finish(has_summary ? &summary : nullptr);
    return 0;
}
