// Conda version literals and their ordering (CEP 33, as conda and rattler
// implement it): epochs, local versions, dev/post, zero padding, `_`/`-`.
#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::spec {

/// One component of a version segment. Order: dev < string < number < post.
struct VersionComponent {
    enum class Kind { dev, string, number, post };
    Kind kind = Kind::number;
    /// For numbers: the decimal digits without leading zeros ("" is zero), any length.
    /// For strings: the lower-case text. Empty for dev/post.
    std::string text;

    static VersionComponent zero() { return {}; }
    bool is_zero() const { return kind == Kind::number && text.empty(); }
};

using VersionSegment = std::vector<VersionComponent>;

class Version {
public:
    /// Parses a version literal ("1.2.3", "1!2.0rc1+local", "3.0.a0"). Errors name the text.
    static base::Result<Version> parse(std::string_view text);

    /// The text it was parsed from (trimmed, case preserved).
    const std::string& str() const { return source_; }
    /// The epoch's digits without leading zeros ("" for epoch 0).
    const std::string& epoch() const { return epoch_; }
    const std::vector<VersionSegment>& segments() const { return main_; }
    const std::vector<VersionSegment>& local() const { return local_; }
    bool has_local() const { return !local_.empty(); }

    /// Three-way conda comparison: epoch, then main segments, then local segments,
    /// missing segments/components counting as zero.
    int compare(const Version& other) const;
    /// Conda's "starts with" (what `V.*`, `=V` and `~=` use): the candidate's
    /// segments begin with `prefix`'s, the last prefix segment may be followed by
    /// more components (`1.0rc1` starts with `1.0`); with a local part in
    /// `prefix`, the main parts must be equal and the local parts are compared so.
    bool starts_with(const Version& prefix) const;

    friend bool operator==(const Version& a, const Version& b) { return a.compare(b) == 0; }
    friend std::strong_ordering operator<=>(const Version& a, const Version& b) {
        int c = a.compare(b);
        return c < 0 ? std::strong_ordering::less
                     : c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal;
    }

private:
    std::string source_;
    std::string epoch_;
    std::vector<VersionSegment> main_;
    std::vector<VersionSegment> local_;
};

/// Compares two segment lists with zero padding (exposed for tests and specs).
int compare_segments(const std::vector<VersionSegment>& a, const std::vector<VersionSegment>& b);

}  // namespace pixi_install::spec
