// Private: the lexical check behind safe_relative(), as a reason string.
#pragma once

#include <string_view>

namespace pixi_install::archive::detail {

/// Why `entry` is not a clean relative path ("absolute path", "'..' component", ...),
/// or an empty view when it is fine.
std::string_view lexical_problem(std::string_view entry);

}  // namespace pixi_install::archive::detail
