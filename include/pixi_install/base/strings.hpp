// Small locale-independent string helpers shared by the parsers.
#pragma once

#include <string>
#include <string_view>

namespace pixi_install::base {

/// `s` without leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view trim(std::string_view s);

/// `s` with the ASCII letters A-Z lower-cased; other bytes (UTF-8 included) unchanged.
std::string ascii_lower(std::string_view s);

}  // namespace pixi_install::base
