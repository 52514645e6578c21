// Conda version specs (CEP 29 version part, conda's documented semantics).
#include "pixi_install/spec/version_spec.hpp"
#include "pixi_install/base/strings.hpp"

#include "pixi_install/spec/match_spec.hpp"

#include <cctype>
#include <regex>
#include <vector>

namespace pixi_install::spec {

namespace {

using base::trim;

using base::ErrorKind;
using base::fail;

enum class Op { any, never, eq, ne, lt, le, gt, ge, starts_with, not_starts_with, compatible, regex, glob, group_and, group_or };

bool has_space(std::string_view s) {
    for (char c : s)
        if (std::isspace(static_cast<unsigned char>(c))) return true;
    return false;
}

bool is_op_char(char c) { return c == '=' || c == '<' || c == '>' || c == '!' || c == '~'; }

}  // namespace

struct VersionSpec::Node {
    Op op = Op::any;
    std::optional<Version> version;  // compared or prefix version
    std::optional<Version> prefix;   // compatible: the starts-with part
    std::shared_ptr<const std::regex> rx;
    std::string glob;  // lower-case glob over the version text
    std::vector<std::shared_ptr<const Node>> children;

    bool matches(const Version& v) const {
        switch (op) {
            case Op::any: return true;
            case Op::never: return false;
            case Op::eq: return v.compare(*version) == 0;
            case Op::ne: return v.compare(*version) != 0;
            case Op::lt: return v.compare(*version) < 0;
            case Op::le: return v.compare(*version) <= 0;
            case Op::gt: return v.compare(*version) > 0;
            case Op::ge: return v.compare(*version) >= 0;
            case Op::starts_with: return v.starts_with(*version);
            case Op::not_starts_with: return !v.starts_with(*version);
            case Op::compatible: return v.compare(*version) >= 0 && v.starts_with(*prefix);
            case Op::regex: return std::regex_search(base::ascii_lower(v.str()), *rx);
            case Op::glob: return glob_match(glob, base::ascii_lower(v.str()));
            case Op::group_and:
                for (const auto& c : children)
                    if (!c->matches(v)) return false;
                return true;
            case Op::group_or:
                for (const auto& c : children)
                    if (c->matches(v)) return true;
                return false;
        }
        return false;
    }

    std::optional<Version> lower_bound() const {
        switch (op) {
            case Op::eq: case Op::gt: case Op::ge: case Op::starts_with: case Op::compatible:
                return version;
            case Op::group_and: {
                std::optional<Version> best;
                for (const auto& c : children)
                    if (auto b = c->lower_bound(); b && (!best || b->compare(*best) > 0)) best = b;
                return best;
            }
            case Op::group_or: {
                std::optional<Version> best;
                for (const auto& c : children) {
                    auto b = c->lower_bound();
                    if (!b) return std::nullopt;
                    if (!best || b->compare(*best) < 0) best = b;
                }
                return best;
            }
            default: return std::nullopt;
        }
    }
};

namespace {

using NodePtr = std::shared_ptr<const VersionSpec::Node>;

NodePtr make(Op op, std::optional<Version> v = std::nullopt) {
    auto n = std::make_shared<VersionSpec::Node>();
    n->op = op;
    n->version = std::move(v);
    return n;
}

base::Error bad(std::string_view clause, const std::string& why) {
    return fail(ErrorKind::failure, "invalid version spec '" + std::string(clause) + "': " + why);
}

base::Result<NodePtr> make_regex(std::string_view clause, const std::string& pattern) {
    // std::regex backtracks: refuse the shapes that make it exponential on hostile input.
    if (auto why = unsafe_regex(pattern)) return bad(clause, *why);
    try {
        auto n = std::make_shared<VersionSpec::Node>();
        n->op = Op::regex;
        n->rx = std::make_shared<const std::regex>(pattern, std::regex::ECMAScript);
        return NodePtr(n);
    } catch (const std::regex_error& e) {
        return bad(clause, std::string("bad regular expression: ") + e.what());
    }
}

/// A glob over the version text (`1.*.3`, `*1`), matched like conda's anchored regex,
/// in linear time.
base::Result<NodePtr> make_glob(std::string_view clause) {
    auto n = std::make_shared<VersionSpec::Node>();
    n->op = Op::glob;
    for (char c : base::ascii_lower(clause)) {
        bool ok = c == '*' || c == '.' || c == '+' || c == '_' || c == '-' || c == '!' ||
                  std::isalnum(static_cast<unsigned char>(c));
        if (!ok) return bad(clause, "unexpected character in a glob");
        n->glob += c;
    }
    return NodePtr(n);
}

base::Result<Version> parse_version(std::string_view clause, std::string_view text) {
    auto v = Version::parse(text);
    if (!v) return bad(clause, v.error().message);
    return std::move(v).value();
}

base::Result<NodePtr> parse_operator_clause(std::string_view clause) {
    static const char* const ops[] = {"==", "!=", "<=", ">=", "~=", "<", ">", "="};
    std::string_view op;
    for (const char* o : ops) {
        if (clause.substr(0, std::char_traits<char>::length(o)) == o) {
            op = o;
            break;
        }
    }
    if (op.empty()) return bad(clause, "unknown operator");
    std::string_view rest = clause.substr(op.size());
    if (rest.empty()) return bad(clause, "missing version after the operator");
    if (is_op_char(rest.front())) return bad(clause, "unknown operator");
    if (has_space(rest)) return bad(clause, "a space is not allowed after the operator");

    if (rest == "*") {
        if (op == "=" || op == "==") return make(Op::never);
        if (op == "!=") return make(Op::any);
        if (op == ">=" || op == "<=") return make(Op::any);
        return bad(clause, "'*' cannot follow this operator");
    }
    if (op == "~=") {
        if (rest.back() == '*') return bad(clause, "'~=' cannot be combined with '*'");
        PI_TRY(Version v, parse_version(clause, rest));
        std::string low = base::ascii_lower(rest);
        auto dot = low.rfind('.');
        if (dot == 0) return bad(clause, "'~=' needs a version before the last '.'");
        // `~=1` (one segment) admits every version >= 1, as rattler reads it.
        if (dot == std::string::npos) return make(Op::ge, std::move(v));
        PI_TRY(Version prefix, parse_version(clause, std::string_view(low).substr(0, dot)));
        auto n = std::make_shared<VersionSpec::Node>();
        n->op = Op::compatible;
        n->version = std::move(v);
        n->prefix = std::move(prefix);
        return NodePtr(n);
    }
    if (rest.back() == '*') {
        bool dotted = rest.size() >= 2 && rest[rest.size() - 2] == '.';
        std::string_view base_text = rest.substr(0, rest.size() - (dotted ? 2 : 1));
        if (base_text.find('*') != std::string_view::npos) return bad(clause, "more than one '*'");
        if (op == "!=" && !dotted) return make(Op::any);  // compared with the literal text: never equal
        PI_TRY(Version v, parse_version(clause, base_text));
        if (op == "=") return make(Op::starts_with, std::move(v));
        if (op == "!=") return make(Op::not_starts_with, std::move(v));
        if (op == ">=") return make(Op::ge, std::move(v));
        if (op == "==") return make(Op::eq, std::move(v));
        if (op == "<") return make(Op::lt, std::move(v));
        if (op == "<=") return make(Op::le, std::move(v));
        return make(Op::gt, std::move(v));
    }
    PI_TRY(Version v, parse_version(clause, rest));
    if (op == "=") return make(Op::starts_with, std::move(v));
    if (op == "==") return make(Op::eq, std::move(v));
    if (op == "!=") return make(Op::ne, std::move(v));
    if (op == "<") return make(Op::lt, std::move(v));
    if (op == "<=") return make(Op::le, std::move(v));
    if (op == ">") return make(Op::gt, std::move(v));
    return make(Op::ge, std::move(v));
}

base::Result<NodePtr> parse_clause(std::string_view clause) {
    clause = trim(clause);
    if (clause.empty()) return bad(clause, "empty constraint");
    if (clause.front() == '^' || clause.back() == '$') {
        if (clause.front() != '^' || clause.back() != '$' || clause.size() < 2)
            return bad(clause, "a regular expression must start with '^' and end with '$'");
        return make_regex(clause, std::string(clause));
    }
    if (is_op_char(clause.front())) return parse_operator_clause(clause);
    if (clause == "*" || clause == "*.*") return make(Op::any);
    std::string_view stem = clause;
    while (!stem.empty() && stem.back() == '*') stem.remove_suffix(1);
    if (stem.find('*') != std::string_view::npos) return make_glob(clause);
    if (clause.back() == '*') {
        std::string_view p = clause.substr(0, clause.size() - 1);
        if (!p.empty() && p.back() == '.') p.remove_suffix(1);
        p = trim(p);
        PI_TRY(Version v, parse_version(clause, p));
        return make(Op::starts_with, std::move(v));
    }
    PI_TRY(Version v, parse_version(clause, clause));
    return make(Op::eq, std::move(v));
}

class Parser {
public:
    explicit Parser(std::string_view s) : s_(s) {}

    base::Result<NodePtr> parse_all() {
        PI_TRY(NodePtr n, parse_or());
        skip_ws();
        if (i_ != s_.size()) return bad(s_, "unexpected '" + std::string(1, s_[i_]) + "'");
        return n;
    }

private:
    void skip_ws() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    static constexpr int kMaxDepth = 32;
    int depth_ = 0;

    bool eat(char c) {
        skip_ws();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }

    base::Result<NodePtr> parse_or() {
        std::vector<NodePtr> parts;
        PI_TRY(NodePtr first, parse_and());
        parts.push_back(std::move(first));
        while (eat('|')) {
            PI_TRY(NodePtr next, parse_and());
            parts.push_back(std::move(next));
        }
        if (parts.size() == 1) return parts.front();
        auto n = std::make_shared<VersionSpec::Node>();
        n->op = Op::group_or;
        n->children = std::move(parts);
        return NodePtr(n);
    }

    base::Result<NodePtr> parse_and() {
        std::vector<NodePtr> parts;
        PI_TRY(NodePtr first, parse_atom());
        parts.push_back(std::move(first));
        while (eat(',')) {
            PI_TRY(NodePtr next, parse_atom());
            parts.push_back(std::move(next));
        }
        if (parts.size() == 1) return parts.front();
        auto n = std::make_shared<VersionSpec::Node>();
        n->op = Op::group_and;
        n->children = std::move(parts);
        return NodePtr(n);
    }

    base::Result<NodePtr> parse_atom() {
        skip_ws();
        if (eat('(')) {
            // Bounded nesting: a hostile spec must not exhaust the stack.
            if (++depth_ > kMaxDepth) return bad(s_, "parentheses nested too deeply");
            PI_TRY(NodePtr inner, parse_or());
            --depth_;
            if (!eat(')')) return bad(s_, "missing ')'");
            return inner;
        }
        std::size_t start = i_;
        if (i_ < s_.size() && s_[i_] == '^') {
            auto end = s_.find('$', i_);
            if (end == std::string_view::npos) return bad(s_, "a regular expression must end with '$'");
            i_ = end + 1;
        } else {
            while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '|' && s_[i_] != '(' && s_[i_] != ')') ++i_;
        }
        return parse_clause(s_.substr(start, i_ - start));
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

}  // namespace

base::Result<VersionSpec> VersionSpec::parse(std::string_view text) {
    std::string_view t = trim(text);
    if (t.empty()) return bad(t, "empty version spec");
    PI_TRY(NodePtr root, Parser(t).parse_all());
    VersionSpec s;
    s.root_ = std::move(root);
    s.source_ = std::string(t);
    return s;
}

VersionSpec VersionSpec::any() {
    VersionSpec s;
    s.root_ = make(Op::any);
    s.source_ = "*";
    return s;
}

bool VersionSpec::matches(const Version& v) const { return !root_ || root_->matches(v); }

bool VersionSpec::is_any() const { return !root_ || root_->op == Op::any; }

std::optional<Version> VersionSpec::lower_bound() const {
    return root_ ? root_->lower_bound() : std::nullopt;
}

}  // namespace pixi_install::spec
