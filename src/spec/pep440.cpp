// PEP 440 versions and specifiers.
#include "pixi_install/spec/pep440.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "pixi_install/base/strings.hpp"

namespace pixi_install::spec::pep440 {

namespace {

using base::ErrorKind;
using base::fail;

base::Error bad_version(std::string_view text, const std::string& why) {
    return fail(ErrorKind::failure, "invalid PEP 440 version '" + std::string(text) + "': " + why);
}

bool is_sep(char c) { return c == '.' || c == '-' || c == '_'; }

/// Reads digits at `i`; false when there are none.
bool read_number(std::string_view s, std::size_t& i, std::uint64_t& out) {
    std::size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i) return false;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + j, out);
    if (ec != std::errc()) return false;
    i = j;
    return true;
}

bool starts_with_word(std::string_view s, std::size_t i, std::string_view w) {
    return s.substr(i, w.size()) == w;
}

/// Matches one of the spellings of a pre-release/post/dev marker at `i`.
int match_pre(std::string_view s, std::size_t& i) {
    static const std::pair<std::string_view, int> words[] = {
        {"preview", 2}, {"alpha", 0}, {"beta", 1}, {"pre", 2}, {"rc", 2}, {"a", 0}, {"b", 1}, {"c", 2}};
    for (const auto& [w, k] : words) {
        if (starts_with_word(s, i, w)) {
            i += w.size();
            return k;
        }
    }
    return -1;
}

}  // namespace

base::Result<Version> Version::parse(std::string_view text) {
    std::string lower = base::ascii_lower(base::trim(text));
    std::string_view s = lower;
    Version v;
    std::size_t i = 0;
    if (i < s.size() && s[i] == 'v') ++i;
    // epoch
    {
        std::size_t j = i;
        std::uint64_t n = 0;
        if (read_number(s, j, n) && j < s.size() && s[j] == '!') {
            v.epoch_ = n;
            i = j + 1;
        }
    }
    // release
    for (;;) {
        std::uint64_t n = 0;
        if (!read_number(s, i, n)) return bad_version(text, "expected a release number");
        v.release_.push_back(n);
        if (i + 1 < s.size() && s[i] == '.' && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            ++i;
            continue;
        }
        break;
    }
    // pre-release
    {
        std::size_t j = i;
        if (j < s.size() && is_sep(s[j])) ++j;
        int kind = match_pre(s, j);
        if (kind >= 0) {
            std::size_t k = j;
            if (k < s.size() && is_sep(s[k])) ++k;
            std::uint64_t n = 0;
            if (read_number(s, k, n)) j = k;
            v.pre_ = std::make_pair(kind, n);
            i = j;
        }
    }
    // post-release: `-N` or [sep](post|rev|r)[sep][N]
    {
        std::size_t j = i;
        std::uint64_t n = 0;
        if (j < s.size() && s[j] == '-' && j + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[j + 1]))) {
            ++j;
            read_number(s, j, n);
            v.post_ = n;
            i = j;
        } else {
            if (j < s.size() && is_sep(s[j])) ++j;
            std::size_t w = 0;
            if (starts_with_word(s, j, "post")) w = 4;
            else if (starts_with_word(s, j, "rev")) w = 3;
            else if (starts_with_word(s, j, "r")) w = 1;
            if (w) {
                j += w;
                std::size_t k = j;
                if (k < s.size() && is_sep(s[k])) ++k;
                if (read_number(s, k, n)) j = k;
                v.post_ = n;
                i = j;
            }
        }
    }
    // dev
    {
        std::size_t j = i;
        if (j < s.size() && is_sep(s[j])) ++j;
        if (starts_with_word(s, j, "dev")) {
            j += 3;
            std::size_t k = j;
            std::uint64_t n = 0;
            if (k < s.size() && is_sep(s[k])) ++k;
            if (read_number(s, k, n)) j = k;
            v.dev_ = n;
            i = j;
        }
    }
    // local
    if (i < s.size() && s[i] == '+') {
        ++i;
        for (;;) {
            std::size_t j = i;
            while (j < s.size() && std::isalnum(static_cast<unsigned char>(s[j]))) ++j;
            if (j == i) return bad_version(text, "empty local version segment");
            std::string_view part = s.substr(i, j - i);
            bool digits = std::all_of(part.begin(), part.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
            std::uint64_t n = 0;
            if (digits && std::from_chars(part.data(), part.data() + part.size(), n).ec == std::errc())
                v.local_.emplace_back(n);
            else
                v.local_.emplace_back(std::string(part));
            i = j;
            if (i < s.size() && is_sep(s[i])) {
                ++i;
                continue;
            }
            break;
        }
    }
    if (i != s.size()) return bad_version(text, "unexpected '" + std::string(s.substr(i)) + "'");
    return v;
}

Version Version::min() {
    Version v;
    v.release_ = {0};
    v.pre_ = std::make_pair(0, std::uint64_t{0});
    v.dev_ = 0;
    return v;
}

Version Version::public_version() const {
    Version v = *this;
    v.local_.clear();
    return v;
}

Version Version::base_version() const {
    Version v;
    v.epoch_ = epoch_;
    v.release_ = release_;
    return v;
}

std::string Version::str() const {
    std::string out;
    if (epoch_) out += std::to_string(epoch_) + "!";
    for (std::size_t i = 0; i < release_.size(); ++i) out += (i ? "." : "") + std::to_string(release_[i]);
    if (pre_) out += std::string(pre_->first == 0 ? "a" : pre_->first == 1 ? "b" : "rc") + std::to_string(pre_->second);
    if (post_) out += ".post" + std::to_string(*post_);
    if (dev_) out += ".dev" + std::to_string(*dev_);
    for (std::size_t i = 0; i < local_.size(); ++i) {
        out += i ? "." : "+";
        if (const auto* n = std::get_if<std::uint64_t>(&local_[i])) out += std::to_string(*n);
        else out += std::get<std::string>(local_[i]);
    }
    return out;
}

int Version::compare(const Version& o) const {
    auto cmp = [](auto a, auto b) { return a < b ? -1 : a > b ? 1 : 0; };
    if (int c = cmp(epoch_, o.epoch_)) return c;
    std::size_t n = std::max(release_.size(), o.release_.size());
    for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t a = i < release_.size() ? release_[i] : 0;
        std::uint64_t b = i < o.release_.size() ? o.release_[i] : 0;
        if (int c = cmp(a, b)) return c;
    }
    // (phase, number): a dev-only release sorts before any pre-release, a final after.
    auto pre_key = [](const Version& v) -> std::pair<int, std::uint64_t> {
        if (!v.pre_ && !v.post_ && v.dev_) return {-1, 0};
        if (!v.pre_) return {3, 0};
        return {v.pre_->first, v.pre_->second};
    };
    auto pa = pre_key(*this), pb = pre_key(o);
    if (int c = cmp(pa.first, pb.first)) return c;
    if (int c = cmp(pa.second, pb.second)) return c;
    // no post sorts first
    if (post_.has_value() != o.post_.has_value()) return post_ ? 1 : -1;
    if (post_) {
        if (int c = cmp(*post_, *o.post_)) return c;
    }
    // no dev sorts last
    if (dev_.has_value() != o.dev_.has_value()) return dev_ ? -1 : 1;
    if (dev_) {
        if (int c = cmp(*dev_, *o.dev_)) return c;
    }
    // local: none first; numeric segments above alphanumeric ones; shorter is less
    if (local_.empty() != o.local_.empty()) return local_.empty() ? -1 : 1;
    std::size_t m = std::min(local_.size(), o.local_.size());
    for (std::size_t i = 0; i < m; ++i) {
        const auto& a = local_[i];
        const auto& b = o.local_[i];
        if (a.index() != b.index()) return a.index() == 0 ? 1 : -1;
        if (a.index() == 0) {
            if (int c = cmp(std::get<0>(a), std::get<0>(b))) return c;
        } else if (int c = std::get<1>(a).compare(std::get<1>(b))) {
            return c < 0 ? -1 : 1;
        }
    }
    return cmp(local_.size(), o.local_.size());
}

// ---------------------------------------------------------------- specifiers

base::Result<Specifier> Specifier::parse(std::string_view text) {
    std::string_view t = base::trim(text);
    auto bad = [&](const std::string& why) {
        return fail(ErrorKind::failure, "invalid PEP 440 specifier '" + std::string(t) + "': " + why);
    };
    static const std::pair<std::string_view, Op> ops[] = {{"===", Op::arbitrary}, {"==", Op::eq}, {"!=", Op::ne},
                                                          {"<=", Op::le},         {">=", Op::ge}, {"~=", Op::compatible},
                                                          {"<", Op::lt},          {">", Op::gt}};
    Specifier s;
    bool found = false;
    for (const auto& [o, op] : ops) {
        if (t.substr(0, o.size()) == o) {
            s.op_ = op;
            t.remove_prefix(o.size());
            found = true;
            break;
        }
    }
    if (!found) return bad("expected an operator (==, !=, <=, >=, <, >, ~=, ===)");
    t = base::trim(t);
    if (t.empty()) return bad("missing version");
    if (s.op_ == Op::arbitrary) {
        s.arbitrary_ = std::string(t);
        return s;
    }
    if (t.size() >= 2 && t.substr(t.size() - 2) == ".*") {
        if (s.op_ != Op::eq && s.op_ != Op::ne) return bad("'.*' is only allowed with == and !=");
        s.op_ = s.op_ == Op::eq ? Op::eq_prefix : Op::ne_prefix;
        t.remove_suffix(2);
    }
    auto v = Version::parse(t);
    if (!v) return bad(v.error().message);
    s.version_ = std::move(v).value();
    if ((s.op_ == Op::eq_prefix || s.op_ == Op::ne_prefix) && (s.version_.is_prerelease() || s.version_.is_postrelease() || s.version_.has_local()))
        return bad("'.*' must follow a release number");
    if (s.op_ == Op::compatible && s.version_.release().size() < 2) return bad("'~=' needs at least two release numbers");
    if (s.version_.has_local() && s.op_ != Op::eq && s.op_ != Op::ne)
        return bad("a local version is only allowed with == and !=");
    return s;
}

namespace {

/// `v` matches the release prefix `p` (with its epoch), the candidate padded with zeros.
bool prefix_match(const Version& v, const Version& p) {
    if (v.epoch() != p.epoch()) return false;
    const auto& a = v.release();
    const auto& b = p.release();
    for (std::size_t i = 0; i < b.size(); ++i) {
        std::uint64_t x = i < a.size() ? a[i] : 0;
        if (x != b[i]) return false;
    }
    // `==1.0.*` does not match `1.0rc1`'s release only when... PEP 440 matches pre/post
    // releases of a matching release, so nothing more to check.
    return true;
}

}  // namespace

bool Specifier::contains(const Version& v) const {
    switch (op_) {
        case Op::arbitrary: return base::ascii_lower(v.str()) == base::ascii_lower(arbitrary_);
        case Op::eq:
            return version_.has_local() ? v.compare(version_) == 0 : v.public_version().compare(version_) == 0;
        case Op::ne:
            return version_.has_local() ? v.compare(version_) != 0 : v.public_version().compare(version_) != 0;
        case Op::eq_prefix: return prefix_match(v.public_version(), version_);
        case Op::ne_prefix: return !prefix_match(v.public_version(), version_);
        case Op::le: return v.public_version().compare(version_) <= 0;
        case Op::ge: return v.public_version().compare(version_) >= 0;
        case Op::lt:
            if (v.compare(version_) >= 0) return false;
            if (!version_.is_prerelease() && v.is_prerelease() && v.base_version().compare(version_.base_version()) == 0)
                return false;
            return true;
        case Op::gt:
            if (v.compare(version_) <= 0) return false;
            if (!version_.is_postrelease() && v.is_postrelease() &&
                v.base_version().compare(version_.base_version()) == 0)
                return false;
            if (v.has_local() && v.base_version().compare(version_.base_version()) == 0) return false;
            return true;
        case Op::compatible: {
            if (v.public_version().compare(version_) < 0) return false;
            Version p = version_.base_version();
            std::vector<std::uint64_t> r = p.release();
            r.pop_back();
            std::string text = (p.epoch() ? std::to_string(p.epoch()) + "!" : std::string());
            for (std::size_t i = 0; i < r.size(); ++i) text += (i ? "." : "") + std::to_string(r[i]);
            auto pv = Version::parse(text);
            return pv && prefix_match(v.public_version(), *pv);
        }
    }
    return false;
}

std::string Specifier::str() const {
    switch (op_) {
        case Op::arbitrary: return "===" + arbitrary_;
        case Op::eq: return "==" + version_.str();
        case Op::ne: return "!=" + version_.str();
        case Op::eq_prefix: return "==" + version_.str() + ".*";
        case Op::ne_prefix: return "!=" + version_.str() + ".*";
        case Op::le: return "<=" + version_.str();
        case Op::ge: return ">=" + version_.str();
        case Op::lt: return "<" + version_.str();
        case Op::gt: return ">" + version_.str();
        case Op::compatible: return "~=" + version_.str();
    }
    return {};
}

base::Result<Specifiers> Specifiers::parse(std::string_view text) {
    Specifiers out;
    std::string_view t = base::trim(text);
    if (t.empty() || t == "*") return out;
    std::size_t start = 0;
    while (start <= t.size()) {
        std::size_t comma = t.find(',', start);
        std::string_view part = base::trim(t.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (part.empty()) return fail(ErrorKind::failure, "invalid PEP 440 specifiers '" + std::string(t) + "': empty clause");
        PI_TRY(Specifier s, Specifier::parse(part));
        out.items_.push_back(std::move(s));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

bool Specifiers::contains(const Version& v) const {
    for (const auto& s : items_)
        if (!s.contains(v)) return false;
    return true;
}

std::string Specifiers::str() const {
    std::string out;
    for (std::size_t i = 0; i < items_.size(); ++i) out += (i ? ", " : "") + items_[i].str();
    return out;
}

std::string normalize_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    bool sep = false;
    for (char c : base::trim(name)) {
        if (c == '-' || c == '_' || c == '.') {
            sep = true;
            continue;
        }
        if (sep && !out.empty()) out += '-';
        sep = false;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace pixi_install::spec::pep440
