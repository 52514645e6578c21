// The MatchSpec subset found in `depends`: `name`, `name spec`, `name spec build`,
// `name=V`, `name=V=B`, `name V=B`, `name[version='...', build='...']`,
// an optional `channel::` prefix. Build strings: exact, glob (`py*`) or `^regex$`,
// exact (case-insensitive, CEP 29), glob or regex (both case-sensitive, as rattler). Pure.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"
#include "pixi_install/spec/version.hpp"
#include "pixi_install/spec/version_spec.hpp"

namespace pixi_install::spec {

/// A build-string matcher: exact (case-insensitive), glob, or anchored regex.
class StringMatcher {
public:
    static base::Result<StringMatcher> parse(std::string_view pattern);
    bool matches(std::string_view value) const;
    const std::string& str() const { return source_; }

    struct Impl;

private:
    std::string source_;
    std::shared_ptr<const Impl> impl_;
};

class MatchSpec {
public:
    static base::Result<MatchSpec> parse(std::string_view text);

    /// The package name pattern, lower-case ("__glibc").
    const std::string& name() const { return name_; }
    const std::optional<VersionSpec>& version() const { return version_; }
    const std::optional<StringMatcher>& build() const { return build_; }
    /// The text it was parsed from (trimmed).
    const std::string& str() const { return source_; }

    bool matches(std::string_view name, const Version& version, std::string_view build) const;

private:
    std::string source_;
    std::string name_;
    std::optional<StringMatcher> name_glob_;
    std::optional<VersionSpec> version_;
    std::optional<StringMatcher> build_;
};

/// Glob matching with `*` only (case-sensitive), in O(len(pattern) * len(text)).
bool glob_match(std::string_view pattern, std::string_view text);

/// Why a `^...$` pattern is refused (too long, or a quantified group such as
/// `(a*)*` that makes backtracking exponential), or nullopt when it is accepted.
std::optional<std::string> unsafe_regex(std::string_view pattern);

}  // namespace pixi_install::spec
