// MatchSpec parsing and matching (the subset used in `depends`).
#include "pixi_install/spec/match_spec.hpp"
#include "pixi_install/base/strings.hpp"

#include <cctype>
#include <regex>
#include <vector>

namespace pixi_install::spec {

/// `*` matches any run; everything else literally.
bool glob_match(std::string_view pat, std::string_view s) {
    // Greedy with backtracking to the last star only: O(len(pat) * len(s)).
    std::size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
    while (i < s.size()) {
        if (p < pat.size() && pat[p] == '*') {
            star = p++;
            mark = i;
        } else if (p < pat.size() && pat[p] == s[i]) {
            ++p;
            ++i;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            i = ++mark;
        } else {
            return false;
        }
    }
    while (p < pat.size() && pat[p] == '*') ++p;
    return p == pat.size();
}

std::optional<std::string> unsafe_regex(std::string_view pattern) {
    // std::regex is a backtracking engine with its own failure modes on hostile
    // patterns (exponential time, back-reference overflow): accept only the plain
    // subset conda specs use (alternations, classes, simple quantifiers).
    if (pattern.size() > 256) return std::string("regular expression longer than 256 characters");
    int quantifiers = 0;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(pattern[i]);
        if (c < 0x20 || c >= 0x7f) return std::string("control or non-ASCII character in a regular expression");
        if (c == '{') return std::string("counted repetition in a regular expression is not supported");
        if (c == '\\') {
            if (i + 1 >= pattern.size()) return std::string("regular expression ends with a backslash");
            unsigned char e = static_cast<unsigned char>(pattern[++i]);
            bool ok = (std::ispunct(e) != 0) || e == 'd' || e == 'w' || e == 's';
            if (!ok) return std::string("unsupported escape in a regular expression");
            continue;
        }
        bool quantifier = c == '*' || c == '+' || c == '?';
        if (!quantifier) continue;
        if (i > 0 && pattern[i - 1] == ')')
            return std::string("quantified group in a regular expression (may backtrack exponentially)");
        char prev = i > 0 ? pattern[i - 1] : '\0';
        if ((prev == '*' || prev == '+' || prev == '?') && (i < 2 || pattern[i - 2] != '\\'))
            return std::string("repeated quantifier in a regular expression (may backtrack exponentially)");
        // Each quantifier multiplies the backtracking; conda's patterns use one or two.
        if (++quantifiers > 2) return std::string("more than two quantifiers in a regular expression");
    }
    return std::nullopt;
}


namespace {

using base::trim;

using base::ErrorKind;
using base::fail;

bool is_op_char(char c) { return c == '=' || c == '<' || c == '>' || c == '!' || c == '~'; }

base::Error bad(std::string_view text, const std::string& why) {
    return fail(ErrorKind::failure, "invalid match spec '" + std::string(text) + "': " + why);
}

bool is_known_key(const std::string& key) {
    static const char* const keys[] = {"build_number", "channel", "subdir", "fn", "md5", "sha256",
                                       "url", "license", "license_family", "track_features",
                                       "features", "namespace"};
    for (const char* k : keys)
        if (key == k) return true;
    return false;
}

/// conda accepts a `*` in a MatchSpec version only at the end of a constraint.
bool has_inner_glob(std::string_view v) {
    std::size_t start = 0;
    while (start <= v.size()) {
        auto end = v.find_first_of(",|", start);
        std::string_view clause = v.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        // trailing `*`, `.*` and repeated `.*.*` (`1.*.*`, which conda and rattler accept;
        // VersionSpec reads it by conda's rule, a glob over the version text)
        while (!clause.empty() && (clause.back() == '*' || clause.back() == ')' || clause.back() == '.'))
            clause.remove_suffix(1);
        if (clause.find('*') != std::string_view::npos && clause.front() != '^') return true;
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return false;
}

struct Bracket {
    std::optional<std::string> version;
    std::optional<std::string> build;
};

base::Result<Bracket> parse_bracket(std::string_view whole, std::string_view body) {
    Bracket b;
    std::size_t i = 0;
    while (i < body.size()) {
        while (i < body.size() && (std::isspace(static_cast<unsigned char>(body[i])) || body[i] == ',')) ++i;
        if (i >= body.size()) break;
        auto eq = body.find('=', i);
        if (eq == std::string_view::npos) return bad(whole, "expected key=value inside '[...]'");
        std::string key = base::ascii_lower(trim(body.substr(i, eq - i)));
        i = eq + 1;
        while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
        std::string value;
        if (i < body.size() && (body[i] == '\'' || body[i] == '"')) {
            char q = body[i++];
            auto end = body.find(q, i);
            if (end == std::string_view::npos) return bad(whole, "unterminated quote inside '[...]'");
            value = std::string(body.substr(i, end - i));
            i = end + 1;
        } else {
            auto end = body.find(',', i);
            if (end == std::string_view::npos) end = body.size();
            value = std::string(trim(body.substr(i, end - i)));
            i = end;
        }
        if (key == "version") b.version = value;
        else if (key == "build") b.build = value;
        else if (!is_known_key(key)) return bad(whole, "unknown key '" + key + "' inside '[...]'");
    }
    return b;
}

}  // namespace

struct StringMatcher::Impl {
    enum class Kind { exact, glob, regex } kind = Kind::exact;
    std::string text;    // lower-case pattern (exact matches ignore case)
    std::string source;  // the pattern as written (globs and regexes are case-sensitive)
    std::optional<std::regex> rx;
};

base::Result<StringMatcher> StringMatcher::parse(std::string_view pattern) {
    auto impl = std::make_shared<Impl>();
    std::string_view p = trim(pattern);
    impl->text = base::ascii_lower(p);
    impl->source = std::string(p);
    if (p.size() >= 2 && p.front() == '^' && p.back() == '$') {
        impl->kind = Impl::Kind::regex;
        if (auto why = unsafe_regex(p))
            return fail(ErrorKind::failure, "invalid build pattern '" + std::string(p) + "': " + *why);
        try {
            impl->rx.emplace(std::string(p), std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            return fail(ErrorKind::failure,
                        "invalid build pattern '" + std::string(p) + "': " + e.what());
        }
    } else if (p.find('*') != std::string_view::npos) {
        impl->kind = Impl::Kind::glob;
    }
    StringMatcher m;
    m.source_ = std::string(p);
    m.impl_ = std::move(impl);
    return m;
}

bool StringMatcher::matches(std::string_view value) const {
    if (!impl_) return true;
    switch (impl_->kind) {
        case Impl::Kind::exact: return base::ascii_lower(value) == impl_->text;
        case Impl::Kind::glob: return glob_match(impl_->source, value);
        case Impl::Kind::regex: return std::regex_search(std::string(value), *impl_->rx);
    }
    return false;
}

base::Result<MatchSpec> MatchSpec::parse(std::string_view text) {
    std::string_view t = trim(text);
    if (t.empty()) return bad(t, "empty");
    MatchSpec m;
    m.source_ = std::string(t);

    std::string_view positional = t;
    Bracket bracket;
    if (auto lb = t.find('['); lb != std::string_view::npos) {
        if (t.back() != ']') return bad(t, "'[' without a closing ']' at the end");
        PI_TRY(bracket, parse_bracket(t, t.substr(lb + 1, t.size() - lb - 2)));
        positional = trim(t.substr(0, lb));
    }
    if (auto cc = positional.rfind("::"); cc != std::string_view::npos) positional = positional.substr(cc + 2);

    std::size_t n = 0;
    while (n < positional.size() && !std::isspace(static_cast<unsigned char>(positional[n])) &&
           !is_op_char(positional[n]))
        ++n;
    if (n == 0) return bad(t, "missing package name");
    m.name_ = base::ascii_lower(positional.substr(0, n));
    if (m.name_.find('*') != std::string::npos) {
        PI_TRY(auto g, StringMatcher::parse(m.name_));
        m.name_glob_ = std::move(g);
    }
    std::string_view rest = trim(positional.substr(n));

    std::optional<std::string> version_text;
    std::optional<std::string> build_text;
    if (!rest.empty()) {
        std::vector<std::string_view> tokens;
        std::size_t i = 0;
        while (i < rest.size()) {
            while (i < rest.size() && std::isspace(static_cast<unsigned char>(rest[i]))) ++i;
            std::size_t j = i;
            while (j < rest.size() && !std::isspace(static_cast<unsigned char>(rest[j]))) ++j;
            if (j > i) tokens.push_back(rest.substr(i, j - i));
            i = j;
        }
        // The version part: whitespace after an operator or around ',' / '|' is dropped.
        std::string v(tokens[0]);
        std::size_t k = 1;
        while (k < tokens.size()) {
            char last = v.back();
            char next = tokens[k].front();
            if (is_op_char(last) || last == ',' || last == '|' || next == ',' || next == '|') {
                v += tokens[k++];
            } else {
                break;
            }
        }
        if (k < tokens.size()) {
            std::string b;
            for (; k < tokens.size(); ++k) {
                if (!b.empty()) b += ' ';
                b += tokens[k];
            }
            build_text = std::move(b);
        } else {
            // `V=B`, `=V=B`, `==V=B`: an '=' that is not part of an operator starts the build.
            bool grouped = v.find_first_of(",|") != std::string::npos;
            for (std::size_t p = 1; !grouped && p + 1 < v.size(); ++p) {
                if (v[p] == '=' && !is_op_char(v[p - 1]) && v[p + 1] != '=') {
                    build_text = v.substr(p + 1);
                    v = v.substr(0, p);
                    bool fuzzy = v.size() >= 2 && v[0] == '=' && v[1] != '=';
                    if (fuzzy && v.back() != '*') v = "=" + v;  // `name=V=B` pins V exactly
                    break;
                }
            }
        }
        version_text = std::move(v);
    }
    if (bracket.version) version_text = bracket.version;
    if (bracket.build) build_text = bracket.build;

    if (version_text) {
        if (has_inner_glob(*version_text)) return bad(t, "a '*' is only allowed at the end of a version");
        auto vs = VersionSpec::parse(*version_text);
        if (!vs) return bad(t, vs.error().message);
        m.version_ = std::move(vs).value();
    }
    if (build_text) {
        auto bm = StringMatcher::parse(*build_text);
        if (!bm) return bad(t, bm.error().message);
        m.build_ = std::move(bm).value();
    }
    return m;
}

bool MatchSpec::matches(std::string_view name, const Version& version, std::string_view build) const {
    if (name_glob_) {
        if (!name_glob_->matches(name)) return false;
    } else if (base::ascii_lower(name) != name_) {
        return false;
    }
    if (version_ && !version_->matches(version)) return false;
    if (build_ && !build_->matches(build)) return false;
    return true;
}

}  // namespace pixi_install::spec
