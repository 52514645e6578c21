// Private to base: the one loop over the '/'-separated components of a path, shared by the
// safe-path checks and the beneath walk.
#pragma once

#include <string_view>

namespace pixi_install::base::detail {

/// Calls `f(component)` for each '/'-separated component of `path`, empty ones included
/// ("a//b/" gives "a", "", "b", ""), and stops when `f` returns false. False when it stopped.
template <class F>
bool for_each_path_component(std::string_view path, F&& f) {
    std::size_t pos = 0;
    while (pos <= path.size()) {
        std::size_t slash = path.find('/', pos);
        if (slash == std::string_view::npos) slash = path.size();
        if (!f(path.substr(pos, slash - pos))) return false;
        pos = slash + 1;
    }
    return true;
}

}  // namespace pixi_install::base::detail
