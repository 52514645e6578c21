#include "progress.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

using namespace pixi_install;
using namespace pixi_install::cli;

namespace {

/// A FILE* writing into memory.
struct MemFile {
    char* data = nullptr;
    std::size_t size = 0;
    std::FILE* f = ::open_memstream(&data, &size);
    ~MemFile() {
        std::fclose(f);
        std::free(data);
    }
    std::string text() {
        std::fflush(f);
        return std::string(data, size);
    }
};

std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

OutputStyle plain_style() {
    OutputStyle st;
    st.interactive = false;
    st.width = 80;
    return st;
}

Summary demo_summary() {
    Summary s;
    s.environment = "default";
    s.prefix = "/opt/env";
    s.platform = "linux-64";
    s.installed = 2;
    s.unchanged = 1;
    s.bytes_downloaded = 1536 * 1024;
    s.seconds = 2.0;
    return s;
}

/// The event sequence of a small install: two packages, one downloaded, one
/// from the cache, a warning.
void replay_small_install(base::Reporter& r) {
    r.phase(base::Phase::read, 0);
    r.phase(base::Phase::check, 0);
    r.phase(base::Phase::plan, 0);
    r.phase(base::Phase::fetch, 2);
    r.fetch_started("numpy-2.2.1-py312h_0.conda", 1024 * 1024);
    r.fetch_progress("numpy-2.2.1-py312h_0.conda", 512 * 1024);
    r.warning("mirror https://m.example is slow");
    r.fetch_progress("numpy-2.2.1-py312h_0.conda", 512 * 1024);
    r.fetch_finished("numpy-2.2.1-py312h_0.conda", 1024 * 1024, true);
    r.fetch_finished("zlib-1.3.1-h_2.conda", 4096, false);
    r.phase(base::Phase::extract, 2);
    r.extracted("numpy-2.2.1-py312h_0.conda");
    r.extracted("zlib-1.3.1-h_2.conda");
    r.phase(base::Phase::link, 2);
    r.linked("numpy-2.2.1-py312h_0");
    r.linked("zlib-1.3.1-h_2");
    r.info("wrote activate.sh");
    r.phase(base::Phase::record, 0);
    r.phase(base::Phase::done, 0);
}

}  // namespace

TEST_CASE("format: bytes, durations, elision") {
    CHECK(format_bytes(0) == "0 B");
    CHECK(format_bytes(1023) == "1023 B");
    CHECK(format_bytes(1536) == "1.5 KiB");
    CHECK(format_bytes(12 * 1024 * 1024 + 300 * 1024) == "12.3 MiB");
    CHECK(format_bytes(456ull * 1024 * 1024) == "456 MiB");
    CHECK(format_bytes(3ull * 1024 * 1024 * 1024) == "3.0 GiB");
    CHECK(format_duration(0.042) == "0.04s");
    CHECK(format_duration(3.21) == "3.2s");
    CHECK(format_duration(65) == "1m05s");
    CHECK(format_duration(3725) == "1h02m");
    CHECK(elide_middle("short", 10) == "short");
    CHECK(elide_middle("numpy-2.2.1-py312h6a7f5e9_0.conda", 16) == "numpy-2....conda");
    CHECK(elide_middle("numpy-2.2.1-py312h6a7f5e9_0.conda", 15).size() == 15);
    CHECK(elide_middle("numpy-2.2.1-py312h6a7f5e9_0.conda", 9, true) == "nump\u2026onda");
    CHECK(LinePrinter::visible_width(elide_middle("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", 4, true)) == 4);
}

TEST_CASE("line printer: visible width and fitting ignore escapes") {
    const std::string colored = "\x1b[32mgreen\x1b[0m text";
    CHECK(LinePrinter::visible_width(colored) == 10);
    CHECK(LinePrinter::visible_width("\u2501\u2501x") == 3);
    CHECK(LinePrinter::fit(colored, 20) == colored);
    CHECK(LinePrinter::fit(colored, 3) == "\x1b[32mgre\x1b[0m");
    CHECK(LinePrinter::fit("abcdef", 4) == "abcd");
}

TEST_CASE("summary: what happened, counts, bytes and time") {
    OutputStyle st = plain_style();
    auto lines = format_summary(demo_summary(), st);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "installed environment 'default' into /opt/env (linux-64)");
    CHECK(lines[1] == "  2 installed, 0 removed, 1 unchanged, 1.5 MiB downloaded, 2.0s");

    Summary noop;
    noop.environment = "prod";
    noop.prefix = "/opt/prod";
    noop.unchanged = 53;
    noop.seconds = 0.012;
    lines = format_summary(noop, st);
    CHECK(lines[0] == "environment 'prod' is up to date at /opt/prod");
    CHECK(lines[1] == "  0 installed, 0 removed, 53 unchanged, 0 B downloaded, 0.01s");

    Summary dry = demo_summary();
    dry.dry_run = true;
    lines = format_summary(dry, st);
    CHECK(lines[0] == "dry run: environment 'default' at /opt/env (linux-64) was not changed");
    CHECK(lines[1] == "  2 to install, 0 to remove, 1 unchanged, 2.0s");

    st.unicode = true;
    lines = format_summary(demo_summary(), st);
    CHECK(lines[0] == "\u2714 installed environment 'default' into /opt/env (linux-64)");
    CHECK(lines[1].find(" \u00b7 1.5 MiB downloaded") != std::string::npos);
}

TEST_CASE("live display: overall bar, counts and the largest transfers first") {
    ProgressSnapshot s;
    s.phase = base::Phase::fetch;
    s.fetch_total = 10;
    s.fetched = 4;
    s.extract_total = 10;
    s.extracted = 3;
    s.bytes_done = 50 * 1024 * 1024;
    s.bytes_expected = 100 * 1024 * 1024;
    s.fetch_seconds = 10;
    s.in_flight = {{"pytorch-2.5.1-cuda126_py312h1234567_300.conda", 30 << 20, 900 << 20},
                   {"numpy-2.2.1-py312h_0.conda", 1 << 20, 8 << 20},
                   {"small-1.0-0.conda", 0, 1 << 20},
                   {"tiny-1.0-0.conda", 0, 1024}};
    OutputStyle st = plain_style();
    auto lines = format_live(s, st, 0);
    REQUIRE(lines.size() == 6);
    CHECK(lines[0] == "- Downloading [############------------] 50.0 MiB / 100 MiB, 5.0 MiB/s");
    CHECK(lines[1] == "  downloaded 4/10, extracted 3/10");
    CHECK(lines[2].rfind("  > pytorch-2.5.1-cuda...", 0) == 0);
    CHECK(lines[2].find("30.0 MiB / 900 MiB") != std::string::npos);
    CHECK(lines[3].rfind("  > numpy-2.2.1-py312h_0.conda ", 0) == 0);
    CHECK(lines[5] == "  and 1 more");

    s.phase = base::Phase::link;
    s.link_total = 4;
    s.linked = 1;
    s.in_flight.clear();
    lines = format_live(s, st, 1);
    CHECK(lines[0].rfind("\\ Linking     [######------------------]", 0) == 0);
    CHECK(lines[1] == "  downloaded 4/10, extracted 3/10, linked 1/4");
}

TEST_CASE("status printer, not a terminal: one plain line per phase, warnings, the summary") {
    MemFile out;
    LinePrinter printer(out.f, false, 80);
    StatusPrinter status(plain_style(), printer);
    replay_small_install(status);
    status.tick();
    status.finish(nullptr);
    const Summary sum = demo_summary();
    for (const auto& l : format_summary(sum, plain_style())) printer.print(l);
    const std::string text = out.text();
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find('\r') == std::string::npos);
    const std::vector<std::string> expected{
        "reading the lock file",
        "checking the host",
        "planning",
        "fetching 2 packages",
        "warning: mirror https://m.example is slow",
        "extracting 2 packages",
        "linking 2 packages",
        "writing the environment's records",
        "installed environment 'default' into /opt/env (linux-64)",
        "  2 installed, 0 removed, 1 unchanged, 1.5 MiB downloaded, 2.0s",
    };
    CHECK(split_lines(text) == expected);

    const auto snap = status.snapshot();
    CHECK(snap.fetched == 2);
    CHECK(snap.from_cache == 1);
    CHECK(snap.bytes_downloaded == 1024 * 1024);
    CHECK(snap.bytes_done == 1024 * 1024 + 4096);
    CHECK(snap.bytes_expected == 1024 * 1024 + 4096);
    CHECK(snap.in_flight.empty());
}

TEST_CASE("status printer: -v adds per-package lines and info, -vv fetch and extract lines, -q nothing") {
    auto run = [](OutputStyle st) {
        MemFile out;
        LinePrinter printer(out.f, false, 80);
        StatusPrinter status(st, printer);
        replay_small_install(status);
        const Summary sum = demo_summary();
        status.finish(&sum);
        return split_lines(out.text());
    };
    OutputStyle v = plain_style();
    v.verbosity = 1;
    auto lines = run(v);
    CHECK(std::count(lines.begin(), lines.end(), "linked numpy-2.2.1-py312h_0") == 1);
    CHECK(std::count(lines.begin(), lines.end(), "wrote activate.sh") == 1);
    CHECK(std::count(lines.begin(), lines.end(), "extracted zlib-1.3.1-h_2.conda") == 0);

    v.verbosity = 2;
    lines = run(v);
    CHECK(std::count(lines.begin(), lines.end(), "fetched numpy-2.2.1-py312h_0.conda (1.0 MiB)") == 1);
    CHECK(std::count(lines.begin(), lines.end(), "fetched zlib-1.3.1-h_2.conda (4.0 KiB, without the network)") == 1);
    CHECK(std::count(lines.begin(), lines.end(), "extracted zlib-1.3.1-h_2.conda") == 1);

    OutputStyle q = plain_style();
    q.quiet = true;
    CHECK(run(q).empty());
}

TEST_CASE("status printer, terminal: redraws at most every 0.1 s, ends with the summary alone") {
    double t = 0;
    MemFile out;
    LinePrinter printer(out.f, true, 80);
    OutputStyle st = plain_style();
    st.interactive = true;
    StatusPrinter status(st, printer, [&] { return t; });
    status.phase(base::Phase::fetch, 1);
    status.fetch_started("a-1.0-0.conda", 1000);
    status.tick();  // first draw
    t = 0.05;
    status.fetch_progress("a-1.0-0.conda", 500);
    status.tick();  // too soon: no draw
    const std::string after_two = out.text();
    CHECK(after_two.find("500 B / 1000 B") == std::string::npos);
    CHECK(after_two.find("0 B / 1000 B") != std::string::npos);
    t = 0.2;
    status.tick();
    CHECK(out.text().find("500 B / 1000 B") != std::string::npos);

    status.warning("careful");  // printed above the live block on the next draw
    status.render();
    const std::string with_warning = out.text();
    CHECK(with_warning.find("warning: careful\n") != std::string::npos);

    const Summary sum = demo_summary();
    status.finish(&sum);
    const std::string all = out.text();
    // The live block is erased (cursor back to its start, clear to the end of
    // the screen) and only the summary follows.
    const std::size_t clear = all.rfind("\x1b[J");
    REQUIRE(clear != std::string::npos);
    CHECK(all.substr(clear + 3) ==
          "installed environment 'default' into /opt/env (linux-64)\n"
          "  2 installed, 0 removed, 1 unchanged, 1.5 MiB downloaded, 2.0s\n");
}

TEST_CASE("status printer: events from many threads are all counted") {
    MemFile out;
    LinePrinter printer(out.f, false, 80);
    StatusPrinter status(plain_style(), printer);
    status.phase(base::Phase::link, 400);
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w) {
        workers.emplace_back([&status, w] {
            for (int i = 0; i < 100; ++i) {
                const std::string name = "p" + std::to_string(w) + "-" + std::to_string(i);
                status.fetch_started(name, 10);
                status.fetch_progress(name, 10);
                status.fetch_finished(name, 10, true);
                status.extracted(name);
                status.linked(name);
            }
        });
    }
    for (auto& w : workers) w.join();
    const auto s = status.snapshot();
    CHECK(s.fetched == 400);
    CHECK(s.linked == 400);
    CHECK(s.bytes_downloaded == 4000);
    CHECK(s.bytes_done == 4000);
}

TEST_CASE("status printer: drive runs the work off the main thread and returns its result") {
    MemFile out;
    LinePrinter printer(out.f, false, 80);
    StatusPrinter status(plain_style(), printer);
    const auto main_id = std::this_thread::get_id();
    int r = status.drive([&] {
        CHECK(std::this_thread::get_id() != main_id);
        status.phase(base::Phase::fetch, 3);
        return 42;
    });
    CHECK(r == 42);
    CHECK(out.text() == "fetching 3 packages\n");
    CHECK_THROWS_AS(status.drive([]() -> int { throw std::runtime_error("boom"); }), std::runtime_error);
}

TEST_CASE("output style from the command line and the environment") {
    Globals g;
    g.stderr_tty = true;
    g.env = {{"TERM", "xterm-256color"}, {"LANG", "en_US.UTF-8"}, {"COLUMNS", "120"}};
    OutputStyle st = output_style(g);
    CHECK(st.interactive);
    CHECK(st.color);
    CHECK(st.unicode);
    CHECK(st.width == 120);

    g.env["NO_COLOR"] = "1";
    CHECK(!output_style(g).color);
    g.color = "always";
    CHECK(output_style(g).color);
    g.color = "auto";
    g.no_progress = true;
    CHECK(!output_style(g).interactive);
    g.no_progress = false;
    g.env["TERM"] = "dumb";
    CHECK(!output_style(g).interactive);

    Globals ci;  // CI log or docker build: no terminal
    ci.env = {{"CLICOLOR_FORCE", "1"}, {"LC_ALL", "C"}};
    st = output_style(ci);
    CHECK(!st.interactive);
    CHECK(st.color);
    CHECK(!st.unicode);
}

TEST_CASE("status printer: a host tried again is shown, on the live display and as a plain line") {
    MemFile out;
    LinePrinter printer(out.f, false, 80);
    StatusPrinter status(plain_style(), printer);
    status.phase(base::Phase::fetch, 191);
    status.fetch_retry("conda.anaconda.org", 2, 5, 500, "Could not resolve host: conda.anaconda.org");
    status.tick();
    status.finish(nullptr);
    const std::vector<std::string> expected{
        "fetching 191 packages",
        "retrying conda.anaconda.org: attempt 2 of 5 in 0.50s (Could not resolve host: conda.anaconda.org)",
    };
    CHECK(split_lines(out.text()) == expected);

    OutputStyle st = plain_style();
    st.interactive = true;
    auto lines = format_live(status.snapshot(), st, 0);
    REQUIRE(!lines.empty());
    CHECK(lines.back() ==
          "  retrying conda.anaconda.org: attempt 2 of 5 in 0.50s (Could not resolve host: conda.anaconda.org)");
}
