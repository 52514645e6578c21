// Small locale-independent string helpers shared by the parsers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pixi_install::base {

/// `s` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim(std::string_view s);

/// `s` with the ASCII letters A-Z lower-cased; other bytes (UTF-8 included) unchanged.
std::string ascii_lower(std::string_view s);
/// `s` with every %XX (hex, either case) replaced by its byte; other bytes, a '%' not
/// followed by two hex digits and '+' unchanged (URL paths, not forms).
std::string percent_decode(std::string_view s);

/// `s` safe to print on a terminal: every control byte (below 0x20, and 0x7f) is written
/// as `\n`, `\t`, `\r`, `\e` or `\xNN`; other bytes unchanged.
/// For untrusted names (from a lock, a package or a prefix) that end up in messages.
std::string printable(std::string_view s);

/// Edit distance (insertions, deletions, substitutions, adjacent transpositions; ASCII
/// case ignored) between `a` and `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidates nearest to `word` for a "did you mean" hint: those within an edit
/// distance of about a third of the word's length (at least 1, at most 3), or that start
/// with it, nearest first, at most `max` of them, in a stable order.
std::vector<std::string> closest_names(const std::vector<std::string>& candidates, std::string_view word,
                                       std::size_t max = 3);

}  // namespace pixi_install::base
