// The terminal writer: a block of lines redrawn in place on a smart terminal,
// plain lines elsewhere (see progress.hpp).
#include <sys/ioctl.h>
#include <unistd.h>

#include "pixi_install/base/redact.hpp"
#include "progress.hpp"

namespace pixi_install::cli {

namespace {

/// Length of the escape sequence starting at s[i] (s[i] == ESC), or 1.
std::size_t escape_length(std::string_view s, std::size_t i) {
    if (i + 1 >= s.size() || s[i + 1] != '[') return 1;
    std::size_t j = i + 2;
    while (j < s.size()) {
        const auto c = static_cast<unsigned char>(s[j]);
        ++j;
        if (c >= 0x40 && c <= 0x7E) break;  // the final byte of a CSI sequence
    }
    return j - i;
}

}  // namespace

LinePrinter::LinePrinter(std::FILE* out, bool smart, int width) : out_(out), smart_(smart), width_(width) {}

std::size_t LinePrinter::visible_width(std::string_view s) {
    std::size_t w = 0;
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] == '\x1b') {
            i += escape_length(s, i);
            continue;
        }
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++w;
        ++i;
    }
    return w;
}

std::string LinePrinter::fit(std::string_view s, std::size_t width) {
    std::string out;
    std::size_t w = 0;
    bool styled = false;
    bool cut = false;
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] == '\x1b') {
            const std::size_t n = escape_length(s, i);
            if (!cut) {
                out.append(s.substr(i, n));
                styled = true;
            }
            i += n;
            continue;
        }
        const bool starts_code_point = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
        if (starts_code_point) {
            if (w == width) {
                cut = true;
                break;
            }
            ++w;
        }
        out += s[i];
        ++i;
    }
    if (cut && styled) out += "\x1b[0m";
    return out;
}

int LinePrinter::columns() const {
    struct winsize ws {};
    if (smart_ && ::ioctl(::fileno(out_), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return width_ > 0 ? width_ : 80;
}

std::string LinePrinter::move_to_block_start() const {
    if (live_.empty()) return "";
    std::string s = "\r";
    if (live_.size() > 1) s += "\x1b[" + std::to_string(live_.size() - 1) + "A";
    return s;
}

void LinePrinter::set_live(const std::vector<std::string>& lines) {
    if (!smart_) return;
    if (lines.empty()) {
        clear_live();
        return;
    }
    // One column short of the width: writing the last column leaves some
    // terminals in a pending-wrap state that breaks the cursor arithmetic.
    const auto w = static_cast<std::size_t>(std::max(columns() - 1, 1));
    std::string buf = move_to_block_start();
    for (std::size_t i = 0; i < lines.size(); ++i) {
        buf += "\x1b[2K" + fit(lines[i], w);
        if (i + 1 < lines.size()) buf += "\n";
    }
    if (lines.size() < live_.size()) buf += "\x1b[J";
    live_ = lines;
    std::fwrite(buf.data(), 1, buf.size(), out_);
    std::fflush(out_);
}

void LinePrinter::print(std::string_view shown) {
    // Every status, warning and -v/-vv line passes here: URLs in them lose their secrets.
    const std::string line = base::redact(shown);
    std::string buf;
    if (smart_ && !live_.empty()) {
        buf = move_to_block_start() + "\x1b[J" + std::string(line) + "\n";
        const auto w = static_cast<std::size_t>(std::max(columns() - 1, 1));
        for (std::size_t i = 0; i < live_.size(); ++i) {
            buf += "\x1b[2K" + fit(live_[i], w);
            if (i + 1 < live_.size()) buf += "\n";
        }
    } else {
        buf = std::string(line) + "\n";
    }
    std::fwrite(buf.data(), 1, buf.size(), out_);
    std::fflush(out_);
}

void LinePrinter::clear_live() {
    if (!smart_ || live_.empty()) return;
    const std::string buf = move_to_block_start() + "\x1b[J";
    live_.clear();
    std::fwrite(buf.data(), 1, buf.size(), out_);
    std::fflush(out_);
}

}  // namespace pixi_install::cli
