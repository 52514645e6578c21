// Conda version specs: `>=2.17,<3.0.a0`, `1.2.*`, `=1.2`, `~=1.0`, `!=1.0.*`,
// `*`, `|` (or) and `,` (and, binds tighter), parentheses. Pure.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"
#include "pixi_install/spec/version.hpp"

namespace pixi_install::spec {

class VersionSpec {
public:
    /// Parses a bare version spec; a clause without operator (`1.2`) means `==1.2`.
    /// Whitespace is allowed around `,`, `|` and parentheses, not after an operator.
    static base::Result<VersionSpec> parse(std::string_view text);
    /// A spec that matches every version (`*`).
    static VersionSpec any();

    bool matches(const Version& v) const;
    /// The text it was parsed from (trimmed).
    const std::string& str() const { return source_; }
    /// True for `*` (and specs that reduce to it).
    bool is_any() const;

    /// The smallest version the spec names as admissible (`>=2.17,<3` -> 2.17,
    /// `12.*` -> 12, `>=1|>=3` -> 1), or nullopt when it has no lower bound
    /// (`<3`, `*`). Used to suggest a value that satisfies a requirement.
    std::optional<Version> lower_bound() const;

    struct Node;

private:
    std::shared_ptr<const Node> root_;
    std::string source_;
};

}  // namespace pixi_install::spec
