// Small locale-independent string helpers shared by the parsers.
#pragma once

#include <string>
#include <string_view>

namespace pixi_install::base {

/// `s` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim(std::string_view s);

/// `s` with the ASCII letters A-Z lower-cased; other bytes (UTF-8 included) unchanged.
std::string ascii_lower(std::string_view s);
/// `s` with every %XX (hex, either case) replaced by its byte; other bytes, a '%' not
/// followed by two hex digits and '+' unchanged (URL paths, not forms).
std::string percent_decode(std::string_view s);

}  // namespace pixi_install::base
