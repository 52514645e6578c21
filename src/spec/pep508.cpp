// PEP 508 requirement and marker parsing and evaluation.
#include "pixi_install/spec/pep508.hpp"

#include <algorithm>
#include <cctype>

#include "pixi_install/base/strings.hpp"

namespace pixi_install::spec::pep508 {

using base::ErrorKind;
using base::fail;

namespace {

bool is_version_variable(std::string_view n) {
    return n == "python_version" || n == "python_full_version" || n == "implementation_version" ||
           n == "platform_release";
}

std::string canonical_variable(std::string_view n) {
    if (n == "os.name") return "os_name";
    if (n == "sys.platform") return "sys_platform";
    if (n == "platform.version") return "platform_version";
    if (n == "platform.machine") return "platform_machine";
    if (n == "platform.python_implementation" || n == "python_implementation") return "platform_python_implementation";
    return std::string(n);
}

bool is_variable(std::string_view n) {
    static const char* const names[] = {"implementation_name", "implementation_version", "os_name", "platform_machine",
                                        "platform_python_implementation", "platform_release", "platform_system",
                                        "platform_version", "python_full_version", "python_version", "sys_platform",
                                        "extra"};
    for (const char* k : names)
        if (n == k) return true;
    return false;
}

}  // namespace

const std::string* MarkerEnvironment::get(std::string_view name) const {
    if (name == "implementation_name") return &implementation_name;
    if (name == "implementation_version") return &implementation_version;
    if (name == "os_name") return &os_name;
    if (name == "platform_machine") return &platform_machine;
    if (name == "platform_python_implementation") return &platform_python_implementation;
    if (name == "platform_release") return &platform_release;
    if (name == "platform_system") return &platform_system;
    if (name == "platform_version") return &platform_version;
    if (name == "python_full_version") return &python_full_version;
    if (name == "python_version") return &python_version;
    if (name == "sys_platform") return &sys_platform;
    return nullptr;
}

std::optional<MarkerEnvironment> MarkerEnvironment::for_platform(std::string_view subdir, std::string_view python) {
    MarkerEnvironment e;
    std::string_view os = subdir.substr(0, subdir.find('-'));
    std::string_view arch = subdir.find('-') == std::string_view::npos ? std::string_view() : subdir.substr(subdir.find('-') + 1);
    if (os == "linux") {
        e.sys_platform = "linux";
        e.platform_system = "Linux";
        e.os_name = "posix";
        e.platform_machine = arch == "64" ? "x86_64" : arch == "32" ? "i386" : std::string(arch);
    } else if (os == "osx") {
        e.sys_platform = "darwin";
        e.platform_system = "Darwin";
        e.os_name = "posix";
        e.platform_machine = arch == "64" ? "x86_64" : "arm64";
    } else if (os == "win") {
        e.sys_platform = "win32";
        e.platform_system = "Windows";
        e.os_name = "nt";
        e.platform_machine = arch == "64" ? "AMD64" : arch == "32" ? "x86" : "ARM64";
    } else {
        return std::nullopt;
    }
    e.python_full_version = std::string(python);
    e.implementation_version = std::string(python);
    auto v = pep440::Version::parse(python);
    if (v && v->release().size() >= 2)
        e.python_version = std::to_string(v->release()[0]) + "." + std::to_string(v->release()[1]);
    else
        e.python_version = std::string(python);
    return e;
}

// ------------------------------------------------------------------ markers

struct Marker::Node {
    enum class Kind { compare, and_, or_ } kind = Kind::compare;
    // compare: lhs op rhs, each either a variable or a quoted literal
    std::string lhs, op, rhs;
    bool lhs_var = false, rhs_var = false;
    std::shared_ptr<const Node> a, b;
};

namespace {

using NodePtr = std::shared_ptr<const Marker::Node>;

class MarkerParser {
public:
    explicit MarkerParser(std::string_view s) : s_(s) {}

    base::Result<NodePtr> parse_all() {
        PI_TRY(NodePtr n, parse_or());
        ws();
        if (i_ != s_.size()) return err("unexpected '" + std::string(s_.substr(i_)) + "'");
        return n;
    }

private:
    base::Error err(const std::string& why) const {
        return fail(ErrorKind::failure, "invalid marker '" + std::string(s_) + "': " + why);
    }
    void ws() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    bool keyword(std::string_view k) {
        ws();
        if (s_.substr(i_, k.size()) != k) return false;
        std::size_t e = i_ + k.size();
        if (e < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[e])) || s_[e] == '_')) return false;
        i_ = e;
        return true;
    }
    base::Result<NodePtr> parse_or() {
        PI_TRY(NodePtr l, parse_and());
        while (keyword("or")) {
            PI_TRY(NodePtr r, parse_and());
            auto n = std::make_shared<Marker::Node>();
            n->kind = Marker::Node::Kind::or_;
            n->a = l;
            n->b = r;
            l = n;
        }
        return l;
    }
    base::Result<NodePtr> parse_and() {
        PI_TRY(NodePtr l, parse_atom());
        while (keyword("and")) {
            PI_TRY(NodePtr r, parse_atom());
            auto n = std::make_shared<Marker::Node>();
            n->kind = Marker::Node::Kind::and_;
            n->a = l;
            n->b = r;
            l = n;
        }
        return l;
    }
    base::Result<NodePtr> parse_atom() {
        ws();
        if (i_ < s_.size() && s_[i_] == '(') {
            ++i_;
            PI_TRY(NodePtr n, parse_or());
            ws();
            if (i_ >= s_.size() || s_[i_] != ')') return err("missing ')'");
            ++i_;
            return n;
        }
        auto n = std::make_shared<Marker::Node>();
        PI_TRY_VOID(value(n->lhs, n->lhs_var));
        PI_TRY(n->op, parse_op());
        PI_TRY_VOID(value(n->rhs, n->rhs_var));
        if (!n->lhs_var && !n->rhs_var) return err("a comparison needs a marker variable");
        return NodePtr(n);
    }
    base::Result<void> value(std::string& out, bool& is_var) {
        ws();
        if (i_ >= s_.size()) return err("expected a value");
        char q = s_[i_];
        if (q == '\'' || q == '"') {
            std::size_t e = s_.find(q, i_ + 1);
            if (e == std::string_view::npos) return err("unterminated string");
            out = std::string(s_.substr(i_ + 1, e - i_ - 1));
            i_ = e + 1;
            is_var = false;
            return {};
        }
        std::size_t j = i_;
        while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_' || s_[j] == '.')) ++j;
        std::string name = canonical_variable(s_.substr(i_, j - i_));
        if (!is_variable(name)) return err("unknown marker variable '" + std::string(s_.substr(i_, j - i_)) + "'");
        out = name;
        is_var = true;
        i_ = j;
        return {};
    }
    base::Result<std::string> parse_op() {
        ws();
        static const char* const ops[] = {"===", "==", "!=", "<=", ">=", "~=", "<", ">"};
        for (const char* o : ops) {
            std::string_view ov(o);
            if (s_.substr(i_, ov.size()) == ov) {
                i_ += ov.size();
                return std::string(ov);
            }
        }
        if (keyword("in")) return std::string("in");
        std::size_t save = i_;
        if (keyword("not") && keyword("in")) return std::string("not in");
        i_ = save;
        return err("expected a comparison operator");
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

bool compare_strings(const std::string& l, const std::string& op, const std::string& r) {
    if (op == "==" || op == "===") return l == r;
    if (op == "!=") return l != r;
    if (op == "<") return l < r;
    if (op == "<=") return l <= r;
    if (op == ">") return l > r;
    if (op == ">=") return l >= r;
    if (op == "in") return r.find(l) != std::string::npos;
    if (op == "not in") return r.find(l) == std::string::npos;
    return false;
}

/// PEP 508: version comparison when the operator and both sides make a PEP 440
/// specifier, else string comparison.
bool compare_values(const std::string& l, const std::string& op, const std::string& r, bool version_var) {
    if (version_var && op != "in" && op != "not in") {
        auto v = pep440::Version::parse(l);
        auto s = pep440::Specifier::parse(op + r);
        if (v && s) return s->contains(*v);
    }
    return compare_strings(l, op, r);
}

bool eval(const Marker::Node& n, const MarkerEnvironment& env, const std::vector<std::string>& extras) {
    using K = Marker::Node::Kind;
    if (n.kind == K::and_) return eval(*n.a, env, extras) && eval(*n.b, env, extras);
    if (n.kind == K::or_) return eval(*n.a, env, extras) || eval(*n.b, env, extras);
    if ((n.lhs_var && n.lhs == "extra") || (n.rhs_var && n.rhs == "extra")) {
        // `extra == 'x'` holds when x was requested; other operators compare each extra.
        const std::string& lit = n.lhs_var && n.lhs == "extra" ? n.rhs : n.lhs;
        std::string want = pep440::normalize_name(lit);
        if (n.op == "==" || n.op == "===")
            return std::find(extras.begin(), extras.end(), want) != extras.end();
        if (n.op == "!=") return std::find(extras.begin(), extras.end(), want) == extras.end();
        for (const auto& e : extras) {
            bool r = n.lhs_var && n.lhs == "extra" ? compare_strings(e, n.op, lit) : compare_strings(lit, n.op, e);
            if (r) return true;
        }
        return false;
    }
    const std::string* lv = n.lhs_var ? env.get(n.lhs) : &n.lhs;
    const std::string* rv = n.rhs_var ? env.get(n.rhs) : &n.rhs;
    if (!lv || !rv) return false;
    bool version_var = (n.lhs_var && is_version_variable(n.lhs)) || (n.rhs_var && is_version_variable(n.rhs));
    if (n.lhs_var || !version_var) return compare_values(*lv, n.op, *rv, version_var);
    // literal on the left of a version variable: `'3.8' < python_version`
    if (n.op == "in" || n.op == "not in") return compare_strings(*lv, n.op, *rv);
    static const std::pair<const char*, const char*> flip[] = {{"<", ">"}, {">", "<"}, {"<=", ">="}, {">=", "<="}};
    std::string op = n.op;
    for (const auto& [a, b] : flip)
        if (op == a) {
            op = b;
            break;
        }
    return compare_values(*rv, op, *lv, true);
}

std::string quote(const std::string& s) {
    return s.find('\'') == std::string::npos ? "'" + s + "'" : "\"" + s + "\"";
}

std::string render(const Marker::Node& n, bool in_and) {
    using K = Marker::Node::Kind;
    if (n.kind == K::compare) {
        std::string l = n.lhs_var ? n.lhs : quote(n.lhs);
        std::string r = n.rhs_var ? n.rhs : quote(n.rhs);
        return l + " " + n.op + " " + r;
    }
    if (n.kind == K::and_) return render(*n.a, true) + " and " + render(*n.b, true);
    std::string s = render(*n.a, false) + " or " + render(*n.b, false);
    return in_and ? "(" + s + ")" : s;
}

}  // namespace

base::Result<Marker> Marker::parse(std::string_view text) {
    Marker m;
    std::string_view t = base::trim(text);
    if (t.empty()) return m;
    MarkerParser p(t);
    PI_TRY(m.root_, p.parse_all());
    return m;
}

bool Marker::evaluate(const MarkerEnvironment& env, const std::vector<std::string>& extras) const {
    return !root_ || eval(*root_, env, extras);
}

std::string Marker::str() const { return root_ ? render(*root_, false) : std::string(); }

// ------------------------------------------------------------ requirements

base::Result<Requirement> Requirement::parse(std::string_view text) {
    std::string_view t = base::trim(text);
    auto bad = [&](const std::string& why) {
        return fail(ErrorKind::failure, "invalid PEP 508 requirement '" + std::string(t) + "': " + why);
    };
    Requirement r;
    std::size_t i = 0;
    while (i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '-' || t[i] == '_' || t[i] == '.'))
        ++i;
    if (i == 0) return bad("missing package name");
    r.name = std::string(t.substr(0, i));
    r.normalized_name = pep440::normalize_name(r.name);
    auto ws = [&] {
        while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
    };
    ws();
    if (i < t.size() && t[i] == '[') {
        std::size_t e = t.find(']', i);
        if (e == std::string_view::npos) return bad("missing ']'");
        std::string_view inner = t.substr(i + 1, e - i - 1);
        std::size_t s = 0;
        while (s <= inner.size()) {
            std::size_t c = inner.find(',', s);
            std::string_view x = base::trim(inner.substr(s, c == std::string_view::npos ? std::string_view::npos : c - s));
            if (!x.empty()) r.extras.push_back(pep440::normalize_name(x));
            if (c == std::string_view::npos) break;
            s = c + 1;
        }
        i = e + 1;
        ws();
    }
    // the marker starts at the first ';' (for URLs, one preceded by whitespace)
    std::string_view rest = t.substr(i);
    std::string_view marker_text;
    if (!rest.empty() && rest[0] == '@') {
        rest.remove_prefix(1);
        rest = base::trim(rest);
        std::size_t semi = std::string_view::npos;
        for (std::size_t k = 1; k < rest.size(); ++k)
            if (rest[k] == ';' && std::isspace(static_cast<unsigned char>(rest[k - 1]))) {
                semi = k;
                break;
            }
        std::string_view url = base::trim(rest.substr(0, semi));
        if (url.empty()) return bad("missing URL after '@'");
        r.url = std::string(url);
        if (semi != std::string_view::npos) marker_text = rest.substr(semi + 1);
    } else {
        std::size_t semi = rest.find(';');
        std::string_view spec = base::trim(rest.substr(0, semi));
        if (semi != std::string_view::npos) marker_text = rest.substr(semi + 1);
        if (!spec.empty() && spec.front() == '(') {
            if (spec.back() != ')') return bad("missing ')'");
            spec = base::trim(spec.substr(1, spec.size() - 2));
        }
        auto s = pep440::Specifiers::parse(spec);
        if (!s) return bad(s.error().message);
        r.specifiers = std::move(s).value();
    }
    auto m = Marker::parse(marker_text);
    if (!m) return bad(m.error().message);
    r.marker = std::move(m).value();
    return r;
}

std::string Requirement::str() const {
    std::string out = name;
    if (!extras.empty()) {
        out += "[";
        for (std::size_t k = 0; k < extras.size(); ++k) out += (k ? "," : "") + extras[k];
        out += "]";
    }
    if (url) out += " @ " + *url;
    else out += specifiers.str();
    if (!marker.empty()) out += " ; " + marker.str();
    return out;
}

}  // namespace pixi_install::spec::pep508
