// StatusPrinter: records reporter events from any thread, draws from the main
// thread (see progress.hpp).
#include "progress.hpp"

#include <algorithm>
#include <cctype>
#include <thread>

namespace pixi_install::cli {

namespace {

const std::string* env_value(const Globals& g, const char* name) {
    auto it = g.env.find(name);
    return it == g.env.end() ? nullptr : &it->second;
}

bool non_empty(const std::string* v) { return v && !v->empty(); }

bool locale_is_utf8(const Globals& g) {
    for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
        const std::string* v = env_value(g, name);
        if (!non_empty(v)) continue;
        std::string lower;
        for (char c : *v) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return lower.find("utf-8") != std::string::npos || lower.find("utf8") != std::string::npos;
    }
    return false;
}

}  // namespace

OutputStyle output_style(const Globals& g) {
    OutputStyle st;
    st.quiet = g.quiet;
    st.verbosity = g.verbosity;
    const std::string* term = env_value(g, "TERM");
    const bool dumb = term && (*term == "dumb" || term->empty());
    st.interactive = g.stderr_tty && !dumb && !g.no_progress && !g.quiet;
    if (g.color == "always") st.color = true;
    else if (g.color == "never") st.color = false;
    else if (non_empty(env_value(g, "NO_COLOR"))) st.color = false;
    else if (const std::string* f = env_value(g, "CLICOLOR_FORCE"); non_empty(f) && *f != "0") st.color = true;
    else st.color = g.stderr_tty && !dumb;
    st.unicode = locale_is_utf8(g);
    if (const std::string* cols = env_value(g, "COLUMNS"); non_empty(cols)) {
        try {
            const int c = std::stoi(*cols);
            if (c > 0) st.width = c;
        } catch (const std::exception&) {
            // not a number: keep the default
        }
    }
    return st;
}

StatusPrinter::StatusPrinter(OutputStyle style, LinePrinter& printer, Clock clock)
    : style_(style), printer_(printer), clock_(std::move(clock)) {
    if (!clock_) {
        clock_ = [] {
            using namespace std::chrono;
            return duration<double>(steady_clock::now().time_since_epoch()).count();
        };
    }
    started_at_ = now();
}

double StatusPrinter::now() const { return clock_(); }

void StatusPrinter::queue_line(std::string line) {
    if (!style_.quiet) pending_.push_back(std::move(line));
}

void StatusPrinter::phase(base::Phase p, std::size_t total_items) {
    std::lock_guard lock(mutex_);
    state_.phase = p;
    if (p == base::Phase::fetch) state_.fetch_total = total_items;
    if (p == base::Phase::extract) state_.extract_total = total_items;
    if (p == base::Phase::link) state_.link_total = total_items;
    if (!style_.interactive) {
        std::string line = format_phase_line(p, total_items);
        if (!line.empty()) queue_line(std::move(line));
    }
}

void StatusPrinter::fetch_started(std::string_view name, std::uint64_t total) {
    std::lock_guard lock(mutex_);
    if (!fetch_started_at_) fetch_started_at_ = now();
    auto [it, fresh] = transfers_.try_emplace(std::string(name), Transfer{std::string(name), 0, total});
    if (!fresh) {  // restarted (a retry): forget what the first try counted
        state_.bytes_done -= std::min(state_.bytes_done, it->second.done);
        state_.bytes_expected -= std::min(state_.bytes_expected, it->second.total);
        it->second = Transfer{std::string(name), 0, total};
    }
    state_.bytes_expected += total;
}

void StatusPrinter::fetch_progress(std::string_view name, std::uint64_t delta) {
    std::lock_guard lock(mutex_);
    state_.bytes_done += delta;
    if (auto it = transfers_.find(name); it != transfers_.end()) it->second.done += delta;
}

void StatusPrinter::fetch_finished(std::string_view name, std::uint64_t bytes, bool from_network) {
    std::lock_guard lock(mutex_);
    std::uint64_t done = 0;
    std::uint64_t total = 0;
    if (auto it = transfers_.find(name); it != transfers_.end()) {
        done = it->second.done;
        total = it->second.total;
        transfers_.erase(it);
    }
    // The transfer now counts exactly `bytes`, whatever its progress said.
    state_.bytes_done = state_.bytes_done - std::min(state_.bytes_done, done) + bytes;
    state_.bytes_expected = state_.bytes_expected - std::min(state_.bytes_expected, total) + bytes;
    ++state_.fetched;
    if (from_network) state_.bytes_downloaded += bytes;
    else ++state_.from_cache;
    if (style_.verbosity >= 2) {
        queue_line("fetched " + std::string(name) + " (" + format_bytes(bytes) +
                   (from_network ? ")" : ", without the network)"));
    }
}

void StatusPrinter::fetch_retry(std::string_view host, unsigned attempt, unsigned attempts, long delay_ms,
                                std::string_view why) {
    std::lock_guard lock(mutex_);
    std::string what = format_retry(host, attempt, attempts, delay_ms, why);
    if (!style_.interactive) queue_line("retrying " + what);
    state_.retrying[std::string(host)] = std::move(what);
}

void StatusPrinter::fetch_given_up(std::string_view host, std::string_view name, std::string_view url) {
    std::lock_guard lock(mutex_);
    std::string line = std::string(host) + ": " + std::string(name) + " (" + std::string(url) + ")";
    if (style_.verbosity >= 1) queue_line("not downloaded: " + line);
    given_up_.push_back(std::move(line));
}

std::vector<std::string> StatusPrinter::given_up() const {
    std::lock_guard lock(mutex_);
    return given_up_;
}

void StatusPrinter::extracted(std::string_view name) {
    std::lock_guard lock(mutex_);
    ++state_.extracted;
    if (style_.verbosity >= 2) queue_line("extracted " + std::string(name));
}

void StatusPrinter::linked(std::string_view name) {
    std::lock_guard lock(mutex_);
    ++state_.linked;
    if (style_.verbosity >= 1) queue_line("linked " + std::string(name));
}

void StatusPrinter::removed(std::string_view name) {
    std::lock_guard lock(mutex_);
    ++state_.removed;
    if (style_.verbosity >= 1) queue_line("removed " + std::string(name));
}

void StatusPrinter::warning(std::string_view message) {
    std::lock_guard lock(mutex_);
    const std::string tag = style_.color ? "\x1b[33mwarning:\x1b[0m " : "warning: ";
    queue_line(tag + std::string(message));
}

void StatusPrinter::info(std::string_view message) {
    std::lock_guard lock(mutex_);
    if (style_.verbosity >= 1) queue_line(std::string(message));
}

void StatusPrinter::building(std::string_view line) {
    std::lock_guard lock(mutex_);
    if (style_.verbosity >= 0) queue_line(std::string(line));
}

ProgressSnapshot StatusPrinter::snapshot() const {
    std::lock_guard lock(mutex_);
    ProgressSnapshot s = state_;
    s.in_flight.clear();
    for (const auto& [name, t] : transfers_) s.in_flight.push_back(t);
    std::stable_sort(s.in_flight.begin(), s.in_flight.end(),
                     [](const Transfer& a, const Transfer& b) { return a.total > b.total; });
    s.fetch_seconds = fetch_started_at_ ? now() - *fetch_started_at_ : 0;
    return s;
}

void StatusPrinter::draw(bool force) {
    if (finished_) return;
    std::vector<std::string> lines;
    {
        std::lock_guard lock(mutex_);
        lines.swap(pending_);
    }
    for (const auto& l : lines) printer_.print(l);
    if (!style_.interactive) return;
    const double t = now();
    if (!force && last_draw_ >= 0 && t - last_draw_ < 0.1) return;
    OutputStyle st = style_;
    st.width = printer_.width();
    printer_.set_live(format_live(snapshot(), st, frame_++));
    last_draw_ = t;
}

void StatusPrinter::tick() { draw(false); }

void StatusPrinter::render() { draw(true); }

void StatusPrinter::finish(const Summary* summary) {
    if (finished_) return;
    finished_ = true;
    std::vector<std::string> lines;
    {
        std::lock_guard lock(mutex_);
        lines.swap(pending_);
    }
    printer_.clear_live();
    for (const auto& l : lines) printer_.print(l);
    if (summary && !style_.quiet) {
        for (const auto& l : format_summary(*summary, style_)) printer_.print(l);
    }
}

void StatusPrinter::drive_impl(const std::function<void()>& work) {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::exception_ptr error;
    std::thread worker([&] {
        try {
            work();
        } catch (...) {
            error = std::current_exception();
        }
        {
            std::lock_guard lock(m);
            done = true;
        }
        cv.notify_one();
    });
    for (;;) {
        std::unique_lock lock(m);
        if (cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return done; })) break;
        lock.unlock();
        tick();
    }
    worker.join();
    tick();
    if (error) std::rethrow_exception(error);
}

}  // namespace pixi_install::cli
