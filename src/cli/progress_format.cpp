// What the progress display and the summary say (pure; see progress.hpp).
#include <algorithm>
#include <cstdio>

#include "progress.hpp"

namespace pixi_install::cli {

namespace {

constexpr const char* k_reset = "\x1b[0m";
constexpr const char* k_bold = "\x1b[1m";
constexpr const char* k_green = "\x1b[32m";
constexpr const char* k_cyan = "\x1b[36m";
constexpr const char* k_yellow = "\x1b[33m";
constexpr const char* k_dim = "\x1b[2m";

std::string paint(const OutputStyle& st, const char* code, std::string_view s) {
    if (!st.color) return std::string(s);
    return std::string(code) + std::string(s) + k_reset;
}

std::string printf_string(const char* fmt, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

std::string plural(std::size_t n, std::string_view word) {
    return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

/// Byte offsets of the UTF-8 code points of `s` (plus s.size() at the end).
std::vector<std::size_t> code_points(std::string_view s) {
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) at.push_back(i);
    }
    at.push_back(s.size());
    return at;
}

/// A bar of `width` cells, `fraction` of it filled.
std::string bar(double fraction, std::size_t width, const OutputStyle& st) {
    fraction = std::clamp(fraction, 0.0, 1.0);
    const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(width) + 1e-9);
    if (!st.unicode) {
        std::string out = "[";
        out.append(filled, '#').append(width - filled, '-').push_back(']');
        return out;
    }
    std::string on, off;
    for (std::size_t i = 0; i < filled; ++i) on += "\u2501";
    for (std::size_t i = filled; i < width; ++i) off += "\u2500";
    return paint(st, k_green, on) + paint(st, k_dim, off);
}

const char* phase_label(base::Phase p) {
    switch (p) {
        case base::Phase::read: return "Reading";
        case base::Phase::check: return "Checking";
        case base::Phase::plan: return "Planning";
        case base::Phase::fetch: return "Downloading";
        case base::Phase::extract: return "Extracting";
        case base::Phase::link: return "Linking";
        case base::Phase::record: return "Recording";
        case base::Phase::done: return "Done";
    }
    return "";
}

}  // namespace

std::string format_bytes(std::uint64_t n) {
    if (n < 1024) return std::to_string(n) + " B";
    static const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = static_cast<double>(n) / 1024.0;
    std::size_t u = 0;
    while (v >= 1024.0 && u + 1 < std::size(units)) {
        v /= 1024.0;
        ++u;
    }
    return printf_string(v < 100.0 ? "%.1f" : "%.0f", v) + " " + units[u];
}

std::string format_duration(double seconds) {
    if (seconds < 0) seconds = 0;
    if (seconds < 1.0) return printf_string("%.2f", seconds) + "s";
    if (seconds < 60.0) return printf_string("%.1f", seconds) + "s";
    const auto total = static_cast<long long>(seconds + 0.5);
    char buf[64];
    if (total < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", total / 60, total % 60);
    else std::snprintf(buf, sizeof buf, "%lldh%02lldm", total / 3600, (total % 3600) / 60);
    return buf;
}

std::string elide_middle(std::string_view s, std::size_t width, bool unicode) {
    const auto at = code_points(s);
    const std::size_t n = at.size() - 1;
    if (n <= width) return std::string(s);
    const std::string dots = unicode ? "\u2026" : "...";
    const std::size_t dots_w = unicode ? 1 : 3;
    if (width <= dots_w) return std::string(s.substr(0, at[width]));
    const std::size_t keep = width - dots_w;
    const std::size_t head = (keep + 1) / 2;
    const std::size_t tail = keep / 2;
    return std::string(s.substr(0, at[head])) + dots + std::string(s.substr(at[n - tail]));
}

std::vector<std::string> format_live(const ProgressSnapshot& s, const OutputStyle& st, unsigned frame) {
    static const char* const spin_unicode[] = {"\u280b", "\u2819", "\u2839", "\u2838", "\u283c",
                                               "\u2834", "\u2826", "\u2827", "\u2807", "\u280f"};
    static const char* const spin_ascii[] = {"-", "\\", "|", "/"};
    const char* spin = st.unicode ? spin_unicode[frame % 10] : spin_ascii[frame % 4];
    const std::string sep = st.unicode ? " \u00b7 " : ", ";

    double fraction = 0;
    const bool by_bytes = s.phase <= base::Phase::fetch && s.bytes_expected > 0;
    if (by_bytes) fraction = static_cast<double>(s.bytes_done) / static_cast<double>(s.bytes_expected);
    else if (s.phase == base::Phase::extract && s.extract_total > 0)
        fraction = static_cast<double>(s.extracted) / static_cast<double>(s.extract_total);
    else if (s.phase == base::Phase::link && s.link_total > 0)
        fraction = static_cast<double>(s.linked) / static_cast<double>(s.link_total);
    else if (s.phase >= base::Phase::record) fraction = 1;

    char label[32];
    std::snprintf(label, sizeof label, "%-11s", phase_label(s.phase));
    std::string head = paint(st, k_cyan, spin);
    head.append(" ").append(paint(st, k_bold, label)).append(" ").append(bar(fraction, 24, st));
    if (s.bytes_expected > 0) {
        head.append(" ").append(format_bytes(s.bytes_done)).append(" / ").append(format_bytes(s.bytes_expected));
        if (s.fetch_seconds > 0.5 && s.bytes_done > 0 && s.phase <= base::Phase::fetch) {
            head += sep + format_bytes(static_cast<std::uint64_t>(static_cast<double>(s.bytes_done) /
                                                                  s.fetch_seconds)) +
                    "/s";
        }
    }
    std::vector<std::string> lines{head};

    std::vector<std::string> counts;
    if (s.fetch_total > 0) counts.push_back("downloaded " + std::to_string(s.fetched) + "/" + std::to_string(s.fetch_total));
    if (s.extract_total > 0)
        counts.push_back("extracted " + std::to_string(s.extracted) + "/" + std::to_string(s.extract_total));
    if (s.link_total > 0) counts.push_back("linked " + std::to_string(s.linked) + "/" + std::to_string(s.link_total));
    if (s.removed > 0) counts.push_back("removed " + std::to_string(s.removed));
    if (!counts.empty()) {
        std::string l = "  ";
        for (std::size_t i = 0; i < counts.size(); ++i) l += (i ? sep : "") + counts[i];
        lines.push_back(paint(st, k_dim, l));
    }

    const std::size_t name_w = static_cast<std::size_t>(std::clamp(st.width - 42, 12, 48));
    const std::size_t shown = std::min<std::size_t>(s.in_flight.size(), 3);
    for (std::size_t i = 0; i < shown; ++i) {
        const Transfer& t = s.in_flight[i];
        std::string name = elide_middle(t.name, name_w, st.unicode);
        name.resize(name.size() + (name_w - std::min(name_w, LinePrinter::visible_width(name))), ' ');
        std::string l = std::string("  ") + (st.unicode ? "\u2193 " : "> ") + name + " ";
        if (t.total > 0) {
            l += bar(static_cast<double>(t.done) / static_cast<double>(t.total), 10, st) + " " +
                 format_bytes(t.done) + " / " + format_bytes(t.total);
        } else {
            l += format_bytes(t.done);
        }
        lines.push_back(l);
    }
    if (s.in_flight.size() > shown) {
        lines.push_back(paint(st, k_dim, "  and " + std::to_string(s.in_flight.size() - shown) + " more"));
    }
    if (s.phase <= base::Phase::fetch)
        for (const auto& [host, what] : s.retrying) lines.push_back(paint(st, k_yellow, "  retrying " + what));
    return lines;
}

std::string format_retry(std::string_view host, unsigned attempt, unsigned attempts, long delay_ms,
                         std::string_view why) {
    return std::string(host) + ": attempt " + std::to_string(attempt) + " of " + std::to_string(attempts) + " in " +
           format_duration(static_cast<double>(delay_ms) / 1000.0) + " (" + std::string(why) + ")";
}

std::string format_phase_line(base::Phase p, std::size_t items) {
    switch (p) {
        case base::Phase::read: return "reading the lock file";
        case base::Phase::check: return "checking the host";
        case base::Phase::plan: return "planning";
        case base::Phase::fetch: return items ? "fetching " + plural(items, "package") : "nothing to fetch";
        case base::Phase::extract: return items ? "extracting " + plural(items, "package") : "nothing to extract";
        case base::Phase::link: return items ? "linking " + plural(items, "package") : "nothing to link";
        case base::Phase::record: return "writing the environment's records";
        case base::Phase::done: return "";
    }
    return "";
}

std::vector<std::string> format_summary(const Summary& s, const OutputStyle& st) {
    const bool changed = s.installed > 0 || s.removed > 0;
    const std::string env = "environment '" + s.environment + "'";
    const std::string where = s.prefix + (s.platform.empty() ? "" : " (" + s.platform + ")");
    std::string first;
    if (s.dry_run) first = "dry run: " + env + " at " + where + " was not changed";
    else if (changed) first = "installed " + env + " into " + where;
    else first = env + " is up to date at " + where;
    if (st.unicode && !s.dry_run) first = paint(st, k_green, "\u2714") + " " + first;

    const std::string sep = st.unicode ? " \u00b7 " : ", ";
    std::string second = "  ";
    if (s.dry_run) {
        second += std::to_string(s.installed) + " to install" + sep + std::to_string(s.removed) + " to remove" +
                  sep + std::to_string(s.unchanged) + " unchanged";
    } else {
        second += std::to_string(s.installed) + " installed" + sep + std::to_string(s.removed) + " removed" + sep +
                  std::to_string(s.unchanged) + " unchanged" + sep + format_bytes(s.bytes_downloaded) +
                  " downloaded";
    }
    second += sep + format_duration(s.seconds);
    return {first, second};
}

}  // namespace pixi_install::cli
