// PEP 440 versions and version specifiers (the PyPI side; conda versions are in
// version.hpp). Parsing normalises as PEP 440 says (`1.0-RC1` is `1.0rc1`);
// matching follows PEP 440's rules for every operator, with pre-releases always
// admitted (as uv does when checking a lock: whether a pre-release may be chosen
// is a resolver question, not a satisfiability one). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pixi_install/base/result.hpp"

namespace pixi_install::spec::pep440 {

class Version {
public:
    /// Parses a version ("1.0", "v2!1.0.post1.dev3+ubuntu.1"); errors name the text.
    static base::Result<Version> parse(std::string_view text);
    /// The lowest version there is, `0a0.dev0` (what pixi gives a locked PyPI
    /// package without a version).
    static Version min();

    std::uint64_t epoch() const { return epoch_; }
    const std::vector<std::uint64_t>& release() const { return release_; }
    bool is_prerelease() const { return pre_.has_value() || dev_.has_value(); }
    bool is_postrelease() const { return post_.has_value(); }
    bool has_local() const { return !local_.empty(); }
    /// The same version without its local part.
    Version public_version() const;
    /// epoch and release only (`1!2.0rc1+x` -> `1!2.0`).
    Version base_version() const;

    /// Normalised text: `1!2.0rc1.post2.dev3+abc.4`.
    std::string str() const;
    /// PEP 440 ordering (dev < pre < final < post; local versions after their public one).
    int compare(const Version& other) const;
    friend bool operator==(const Version& a, const Version& b) { return a.compare(b) == 0; }

    using LocalPart = std::variant<std::uint64_t, std::string>;

private:
    std::uint64_t epoch_ = 0;
    std::vector<std::uint64_t> release_;
    std::optional<std::pair<int, std::uint64_t>> pre_;  ///< 0 a, 1 b, 2 rc
    std::optional<std::uint64_t> post_;
    std::optional<std::uint64_t> dev_;
    std::vector<LocalPart> local_;
};

/// One clause: `>=1.0`, `==1.2.*`, `~=2.2`, `===foo`.
class Specifier {
public:
    enum class Op { eq, ne, le, ge, lt, gt, compatible, arbitrary, eq_prefix, ne_prefix };
    static base::Result<Specifier> parse(std::string_view text);
    bool contains(const Version& v) const;
    Op op() const { return op_; }
    const Version& version() const { return version_; }
    /// Normalised text: `>=1.0`, `==1.2.*`.
    std::string str() const;

private:
    Op op_ = Op::eq;
    Version version_;
    std::string arbitrary_;  ///< for ===
};

/// A comma-separated set of clauses, all of which must hold; empty matches everything.
class Specifiers {
public:
    static base::Result<Specifiers> parse(std::string_view text);
    bool contains(const Version& v) const;
    bool empty() const { return items_.empty(); }
    const std::vector<Specifier>& items() const { return items_; }
    /// The clauses joined by ", " (uv's form: `>=1.0, <2`).
    std::string str() const;

private:
    std::vector<Specifier> items_;
};

/// PEP 503 name normalisation: lower-case, runs of `-`, `_`, `.` become one `-`.
std::string normalize_name(std::string_view name);

}  // namespace pixi_install::spec::pep440
