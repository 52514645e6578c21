// Private to cli: progress and summary output.
//
// Three layers, so that what is said can be tested apart from how a terminal
// is driven:
//   - formatting (pure functions): byte counts, durations, middle elision, the
//     live display's lines from a ProgressSnapshot, the final Summary;
//   - LinePrinter: the terminal writer (overprinting a block of lines on a
//     smart terminal, fitting lines to the width, plain lines elsewhere);
//   - StatusPrinter: the base::Reporter the library reports to. Any thread may
//     report; events are only recorded under a mutex. Only the main thread
//     draws, through tick()/render()/finish(), at most about ten times a second.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "command.hpp"
#include "pixi_install/base/reporter.hpp"

namespace pixi_install::cli {

/// How output looks, decided once from the command line and the environment.
struct OutputStyle {
    bool interactive = false;  ///< a live, redrawn display (stderr is a terminal, progress wanted)
    bool color = false;        ///< ANSI colors
    bool unicode = false;      ///< the locale is UTF-8: bars, spinner and check mark may use it
    int verbosity = 0;         ///< -v: per-package lines and info; -vv: also fetch/extract lines
    bool quiet = false;        ///< -q: nothing but errors
    int width = 80;            ///< terminal columns (fallback when the terminal cannot say)
};

/// From -q/-v/--no-progress/--color, the terminal, NO_COLOR, CLICOLOR_FORCE,
/// TERM=dumb, COLUMNS and the locale variables.
OutputStyle output_style(const Globals& g);

// ---- formatting (pure) ----

/// "0 B", "999 B", "1.5 KiB", "12.3 MiB", "1.02 GiB".
std::string format_bytes(std::uint64_t n);
/// "0.04s", "3.2s", "1m05s", "1h02m".
std::string format_duration(double seconds);
/// `s` shortened to at most `width` characters (UTF-8 code points) by replacing
/// its middle with "..." ("…" when unicode), keeping the start and the end.
std::string elide_middle(std::string_view s, std::size_t width, bool unicode = false);

/// One transfer in flight.
struct Transfer {
    std::string name;
    std::uint64_t done = 0;
    std::uint64_t total = 0;  ///< 0 when unknown
};

/// What the live display shows; StatusPrinter keeps it.
struct ProgressSnapshot {
    base::Phase phase = base::Phase::read;
    std::size_t fetch_total = 0;    ///< from phase(fetch, n)
    std::size_t extract_total = 0;  ///< from phase(extract, n)
    std::size_t link_total = 0;     ///< from phase(link, n)
    std::size_t fetched = 0;
    std::size_t from_cache = 0;     ///< fetched without the network
    std::size_t extracted = 0;
    std::size_t linked = 0;
    std::size_t removed = 0;
    std::uint64_t bytes_downloaded = 0;  ///< from the network
    std::uint64_t bytes_done = 0;        ///< of all transfers, finished or not
    std::uint64_t bytes_expected = 0;    ///< known totals of all transfers
    std::vector<Transfer> in_flight;     ///< largest first
    double fetch_seconds = 0;            ///< since the first transfer started (for the rate)
    /// Hosts that could not be reached and are being tried again: "HOST: attempt 2 of 5 (why)".
    std::map<std::string, std::string> retrying;
};

/// "conda.anaconda.org: attempt 2 of 5 in 0.5s (Could not resolve host: ...)".
std::string format_retry(std::string_view host, unsigned attempt, unsigned attempts, long delay_ms,
                         std::string_view why);

/// The live display's lines (not yet fitted to the width; LinePrinter does
/// that): an overall bar with bytes, rate and package counts, then the
/// largest transfers in flight. `frame` animates the spinner.
std::vector<std::string> format_live(const ProgressSnapshot& s, const OutputStyle& style, unsigned frame);

/// The line printed when a phase begins in plain (non-terminal) output, or
/// empty when the phase has none.
std::string format_phase_line(base::Phase p, std::size_t items);

/// What an install did to one environment; the install command fills it.
struct Summary {
    std::string environment;  ///< "default"
    std::string prefix;       ///< where it is
    std::string platform;     ///< optional: "linux-64"
    std::size_t installed = 0;
    std::size_t removed = 0;
    std::size_t unchanged = 0;
    std::uint64_t bytes_downloaded = 0;
    double seconds = 0;
    bool dry_run = false;
};

/// Two lines: what happened to which environment where, then the counts,
/// the bytes downloaded and the time.
std::vector<std::string> format_summary(const Summary& s, const OutputStyle& style);

// ---- the terminal writer ----

class LinePrinter {
public:
    /// `smart`: a terminal that understands cursor movement; else plain lines.
    LinePrinter(std::FILE* out, bool smart, int width);

    bool smart() const { return smart_; }
    /// The terminal's columns now (the configured width when it cannot say).
    int width() const { return columns(); }
    /// Replaces the live block (the lines redrawn in place) with `lines`.
    /// Ignored when not smart.
    void set_live(const std::vector<std::string>& lines);
    /// Prints a permanent line; on a smart terminal above the live block.
    void print(std::string_view line);
    /// Removes the live block from the screen.
    void clear_live();

    /// Terminal columns `s` takes: UTF-8 code points, escape sequences excluded.
    static std::size_t visible_width(std::string_view s);
    /// `s` cut to `width` visible columns, escape sequences kept (and colors reset when cut).
    static std::string fit(std::string_view s, std::size_t width);

private:
    int columns() const;
    std::string move_to_block_start() const;

    std::FILE* out_;
    bool smart_;
    int width_;
    std::vector<std::string> live_;  ///< what the block shows now
};

// ---- the reporter ----

class StatusPrinter final : public base::Reporter {
public:
    using Clock = std::function<double()>;  ///< seconds, monotonic

    StatusPrinter(OutputStyle style, LinePrinter& printer, Clock clock = {});

    // base::Reporter; any thread. They only record.
    void phase(base::Phase p, std::size_t total_items) override;
    void fetch_started(std::string_view name, std::uint64_t total) override;
    void fetch_progress(std::string_view name, std::uint64_t delta) override;
    void fetch_finished(std::string_view name, std::uint64_t bytes, bool from_network) override;
    void fetch_retry(std::string_view host, unsigned attempt, unsigned attempts, long delay_ms,
                     std::string_view why) override;
    /// Recorded for the JSON error; printed with -v.
    void fetch_given_up(std::string_view host, std::string_view name, std::string_view url) override;
    void extracted(std::string_view name) override;
    void linked(std::string_view name) override;
    void removed(std::string_view name) override;
    void warning(std::string_view message) override;
    void info(std::string_view message) override;
    void building(std::string_view line) override;

    // Main thread only.
    /// Prints the lines recorded since the last call and, on a terminal,
    /// redraws the live display if at least 0.1 s passed since the last draw.
    void tick();
    /// The same, drawing now.
    void render();
    /// Flushes what is pending, removes the live display, prints the summary
    /// (if any; not with -q). Call once, at the end.
    void finish(const Summary* summary = nullptr);

    ProgressSnapshot snapshot() const;
    /// "HOST: NAME (URL)" for every artifact not downloaded because its host was given up.
    std::vector<std::string> given_up() const;

    /// Runs `work` on a separate thread while this (main) thread draws; returns its result.
    template <class F>
    std::invoke_result_t<F&> drive(F&& work) {
        using R = std::invoke_result_t<F&>;
        std::optional<R> result;
        drive_impl([&] { result.emplace(work()); });
        return std::move(*result);
    }

private:
    void drive_impl(const std::function<void()>& work);
    void queue_line(std::string line);  // mutex held
    void draw(bool force);
    double now() const;

    OutputStyle style_;
    LinePrinter& printer_;
    Clock clock_;
    double started_at_ = 0;
    double last_draw_ = -1;
    unsigned frame_ = 0;
    bool finished_ = false;

    mutable std::mutex mutex_;
    ProgressSnapshot state_;                   ///< guarded by mutex_
    std::map<std::string, Transfer, std::less<>> transfers_;  ///< guarded by mutex_
    std::optional<double> fetch_started_at_;   ///< guarded by mutex_
    std::vector<std::string> pending_;         ///< lines to print; guarded by mutex_
    std::vector<std::string> given_up_;        ///< guarded by mutex_
};

}  // namespace pixi_install::cli
