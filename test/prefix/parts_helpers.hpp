// Shared by the prefix tests of work placed in parts (PackageLink, WheelInstall).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "pixi_install/base/result.hpp"
#include "pixi_install/base/thread_pool.hpp"

namespace pixi_install::test {

/// Calls `place(begin, end)` for ranges of 1, 2, 3, ... items covering [0, n), on four
/// threads, the last range first; returns the errors as text, and the number of ranges in
/// `parts` when given.
inline std::vector<std::string> place_in_parts(std::size_t n,
                                               const std::function<base::Result<void>(std::size_t, std::size_t)>& place,
                                               std::size_t* parts = nullptr) {
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    for (std::size_t b = 0, w = 1; b < n; b += w, ++w) ranges.emplace_back(b, std::min(b + w, n));
    if (parts) *parts = ranges.size();
    base::ThreadPool pool(4);
    std::mutex mu;
    std::vector<std::string> errors;
    pool.parallel_for(ranges.size(), [&](std::size_t k) {
        const auto& [begin, end] = ranges[ranges.size() - 1 - k];
        auto r = place(begin, end);
        if (!r.ok()) {
            std::lock_guard lk(mu);
            errors.push_back(r.error().to_string());
        }
    });
    return errors;
}

}  // namespace pixi_install::test
