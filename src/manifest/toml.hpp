// toml++ as the manifest module compiles it (private to src/manifest).
//
// pixi manifests use TOML 1.1 inline tables (newlines, trailing commas), which toml++ 3.x
// parses only with its unreleased-features switch; that switch lives in the parser, so
// toml++ is compiled header-only into each reader rather than linked.
#pragma once

#undef TOML_HEADER_ONLY
#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_UNRELEASED_FEATURES 1
#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <string>

namespace pixi_install::manifest::detail {

/// A string or number as text (`2.28`, `12`, `"12.4"`); nullopt for other kinds.
inline std::optional<std::string> scalar_text(const toml::node* n) {
    if (!n) return std::nullopt;
    if (auto s = n->value<std::string>()) return *s;
    if (auto i = n->value<std::int64_t>()) return std::to_string(*i);
    if (auto d = n->value<double>()) {
        std::string s = std::to_string(*d);
        while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
        return s;
    }
    return std::nullopt;
}

}  // namespace pixi_install::manifest::detail
