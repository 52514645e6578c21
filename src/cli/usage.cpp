#include "usage.hpp"

#include <cerrno>
#include <cstdlib>

#include "pixi_install/base/strings.hpp"

namespace pixi_install::cli {

std::string did_you_mean(const std::vector<std::string>& candidates, std::string_view word) {
    auto near = base::closest_names(candidates, word, 3);
    if (near.empty()) return {};
    std::string out = " (did you mean ";
    for (std::size_t i = 0; i < near.size(); ++i) {
        if (i) out += i + 1 == near.size() ? " or " : ", ";
        out += "'" + near[i] + "'";
    }
    return out + "?)";
}

std::string unexpected_words(const std::vector<std::string>& words, const std::vector<std::string>& options,
                             const std::vector<std::string>& commands) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty()) out += "; ";
        const bool option = w.size() > 1 && w[0] == '-';
        if (option) {
            std::string name = w.substr(0, w.find('='));
            out += "unknown option '" + name + "'" + did_you_mean(options, name);
        } else {
            out += "unexpected argument '" + w + "'" + did_you_mean(commands, w);
        }
    }
    return out;
}

namespace {

bool parse_number(const std::string& text, bool whole, long double& out) {
    if (text.empty()) return false;
    const char* s = text.c_str();
    char* end = nullptr;
    errno = 0;
    out = whole ? static_cast<long double>(std::strtoll(s, &end, 10)) : std::strtold(s, &end);
    return errno == 0 && end && *end == '\0' && end != s;
}

}  // namespace

CLI::Validator whole_number_at_least(long long min, long long max) {
    return CLI::Validator(
        [min, max](std::string& v) -> std::string {
            long double n = 0;
            if (!parse_number(v, true, n)) return "'" + v + "' is not a whole number";
            if (n < static_cast<long double>(min))
                return "must be at least " + std::to_string(min) + ", not " + v;
            if (n > static_cast<long double>(max))
                return "must be at most " + std::to_string(max) + ", not " + v;
            return {};
        },
        "N");
}

CLI::Validator positive_number() {
    return CLI::Validator(
        [](std::string& v) -> std::string {
            long double n = 0;
            if (!parse_number(v, false, n)) return "'" + v + "' is not a number";
            if (!(n > 0)) return "must be greater than 0, not " + v;
            return {};
        },
        "NUMBER");
}

CLI::Validator one_of(std::vector<std::string> choices) {
    std::string desc;
    for (const auto& c : choices) desc += (desc.empty() ? "" : "|") + c;
    return CLI::Validator(
        [choices](std::string& v) -> std::string {
            for (const auto& c : choices)
                if (v == c) return {};
            std::string list;
            for (std::size_t i = 0; i < choices.size(); ++i)
                list += (i ? (i + 1 == choices.size() ? " or " : ", ") : "") + choices[i];
            return "'" + v + "' is not one of " + list + did_you_mean(choices, v);
        },
        desc);
}

}  // namespace pixi_install::cli
