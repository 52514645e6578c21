// Private to prefix: small helpers over nlohmann::json shared by the readers of
// info/*.json and conda-meta records.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pixi_install::prefix::detail {

/// A list of strings under `key`: a JSON array of strings, or one string of
/// space/comma-separated items (old `track_features`); missing -> empty.
inline std::vector<std::string> string_list(const nlohmann::json& j, const char* key) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end()) return out;
    if (it->is_array()) {
        for (const auto& v : *it)
            if (v.is_string()) out.push_back(v.get<std::string>());
    } else if (it->is_string()) {
        std::string cur;
        for (char c : it->get<std::string>()) {
            if (c == ' ' || c == ',') {
                if (!cur.empty()) out.push_back(std::move(cur));
                cur.clear();
            } else {
                cur.push_back(c);
            }
        }
        if (!cur.empty()) out.push_back(std::move(cur));
    }
    return out;
}

}  // namespace pixi_install::prefix::detail
