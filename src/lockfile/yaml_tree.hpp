// Private to lockfile: a small YAML tree built from yaml-cpp's event API.
//
// Only the parts of a lock that are not package records are kept as a tree;
// the items of the top-level `packages:` (v4+) / `package:` (v1-3) sequence are
// handed to a callback one at a time and dropped, so memory stays small.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::lockfile::detail {

struct YNode {
    enum class Type : std::uint8_t { null, scalar, seq, map };
    Type type = Type::null;
    bool plain = true;  ///< scalar written without quotes or block style
    int line = 0;       ///< 1-based
    int col = 0;        ///< 1-based
    std::string value;               ///< scalar text
    std::vector<std::string> keys;   ///< map keys (same length as items)
    std::vector<YNode> items;        ///< seq items / map values

    bool is_null() const { return type == Type::null; }
    bool is_scalar() const { return type == Type::scalar; }
    bool is_seq() const { return type == Type::seq; }
    bool is_map() const { return type == Type::map; }
    /// The value for `key` in a map, or nullptr.
    const YNode* find(std::string_view key) const;
};

/// Called with each item of the top-level record sequence, in order.
using ItemSink = std::function<base::Result<void>(YNode&& item)>;

struct YamlOptions {
    std::string_view origin;  ///< names the file in errors
    int line_offset = 0;      ///< added to every line (for a piece of a larger text)
    /// When true the text is one top-level sequence whose items all go to the
    /// sink; otherwise the text is a mapping whose `packages`/`package` items do.
    bool items_only = false;
};

/// Parses `text` (one YAML document). The top-level mapping (without the record
/// items) is returned; a YAML error names origin:line:column.
base::Result<YNode> parse_yaml(std::string_view text, const YamlOptions& opts, const ItemSink& sink);

/// `origin:line:col: message` as a lockfile error.
base::Error yaml_error(std::string_view origin, int line, int col, const std::string& message);
/// The same, at a node's position.
base::Error node_error(std::string_view origin, const YNode& at, const std::string& message);

}  // namespace pixi_install::lockfile::detail
