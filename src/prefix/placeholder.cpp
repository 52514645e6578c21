// Prefix placeholder rewriting (text and binary) and entry-point scripts.
#include <algorithm>
#include <string>

#include "pixi_install/prefix/link.hpp"

#include "pixi_install/base/shell_quote.hpp"
#include "pixi_install/base/strings.hpp"

namespace pixi_install::prefix {

namespace {

constexpr std::size_t kShebangLimit = 127;  // Linux BINPRM_BUF_SIZE - 1

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    if (from.empty()) return;
    std::string out;
    std::size_t pos = 0;
    for (;;) {
        std::size_t hit = s.find(from, pos);
        if (hit == std::string::npos) break;
        if (out.empty()) out.reserve(s.size() + 64);
        out.append(s, pos, hit - pos);
        out.append(to);
        pos = hit + from.size();
    }
    if (pos == 0) return;
    out.append(s, pos, std::string::npos);
    s = std::move(out);
}

bool is_python_name(std::string_view base) {
    if (base.substr(0, 6) != "python") return false;
    std::string_view rest = base.substr(6);
    if (rest.empty()) return true;
    // pythonX or pythonX.Y
    std::size_t i = 0;
    auto digits = [&] {
        std::size_t s = i;
        while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
        return i > s;
    };
    if (!digits()) return false;
    if (i == rest.size()) return true;
    if (rest[i] != '.') return false;
    ++i;
    return digits() && i == rest.size();
}

// `line` is the original first line without "#!" and without the newline; the
// interpreter path and arguments are split there (before substitution, where
// the path has no spaces), then substituted.
base::Result<std::string> rewrite_shebang(std::string_view line, std::string_view placeholder,
                                          std::string_view new_prefix) {
    std::size_t b = line.find_first_not_of(" \t");
    if (b == std::string_view::npos) b = line.size();
    std::size_t e = line.find_first_of(" \t", b);
    if (e == std::string_view::npos) e = line.size();
    std::string interp(line.substr(b, e - b));
    std::string args(line.substr(e));
    replace_all(interp, placeholder, new_prefix);
    replace_all(args, placeholder, new_prefix);
    std::string name = interp.substr(interp.rfind('/') == std::string::npos ? 0 : interp.rfind('/') + 1);
    // Linux passes the rest of a shebang line, trimmed, as one argument.
    if (is_python_name(name)) return base::sh_python_trampoline(interp, base::trim(args));
    return "#!/usr/bin/env " + name + args;
}

}  // namespace

base::Result<std::string> replace_text_placeholder(std::string_view content, std::string_view placeholder,
                                                   std::string_view new_prefix) {
    std::string out;
    std::string_view rest = content;
    if (content.size() >= 2 && content[0] == '#' && content[1] == '!') {
        std::size_t nl = content.find('\n');
        std::string_view first = content.substr(0, nl == std::string_view::npos ? content.size() : nl);
        std::string_view body = first.substr(2);
        bool has_ph = !placeholder.empty() && first.find(placeholder) != std::string_view::npos;
        std::string replaced(first);
        replace_all(replaced, placeholder, new_prefix);
        bool spaces = has_ph && new_prefix.find_first_of(" \t") != std::string_view::npos;
        if (has_ph && (spaces || replaced.size() > kShebangLimit)) {
            PI_TRY(out, rewrite_shebang(body, placeholder, new_prefix));
        } else
            out = std::move(replaced);
        rest = nl == std::string_view::npos ? std::string_view() : content.substr(nl);
    }
    std::string tail(rest);
    replace_all(tail, placeholder, new_prefix);
    out += tail;
    return out;
}

base::Result<std::string> replace_binary_placeholder(std::string_view content, std::string_view placeholder,
                                                     std::string_view new_prefix) {
    if (new_prefix.size() > placeholder.size())
        return base::fail(base::ErrorKind::failure,
                          "the prefix '" + std::string(new_prefix) + "' is longer (" +
                              std::to_string(new_prefix.size()) + " bytes) than the package's binary placeholder (" +
                              std::to_string(placeholder.size()) + " bytes); install into a shorter path");
    std::string out(content);
    if (placeholder.empty()) return out;
    const std::size_t pad_each = placeholder.size() - new_prefix.size();
    std::size_t pos = 0;
    for (;;) {
        std::size_t hit = content.find(placeholder, pos);
        if (hit == std::string_view::npos) break;
        std::size_t end = content.find('\0', hit);
        if (end == std::string_view::npos) end = content.size();
        std::string seg(content.substr(hit, end - hit));
        std::size_t n = 0;
        for (std::size_t p = seg.find(placeholder); p != std::string::npos; p = seg.find(placeholder, p + placeholder.size()))
            ++n;
        replace_all(seg, placeholder, new_prefix);
        seg.append(n * pad_each, '\0');
        std::copy(seg.begin(), seg.end(), out.begin() + static_cast<std::ptrdiff_t>(hit));
        pos = end;
    }
    return out;
}

base::Result<std::string> entry_point_script(const NoarchEntryPoint& ep, std::string_view interpreter) {
    PI_TRY_VOID(base::check_script_value(interpreter, "the interpreter path"));
    std::string shebang = "#!" + std::string(interpreter);
    if (shebang.size() > kShebangLimit || interpreter.find_first_of(" \t") != std::string_view::npos) {
        PI_TRY(shebang, base::sh_python_trampoline(interpreter));
    }
    std::string first = ep.function.substr(0, ep.function.find('.'));
    std::string s;
    s += shebang;
    s += "\n# -*- coding: utf-8 -*-\nimport re\nimport sys\n\nfrom ";
    s += ep.module + " import " + first + "\n\nif __name__ == '__main__':\n";
    s += "\tsys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n";
    s += "\tsys.exit(" + ep.function + "())\n";
    return s;
}

}  // namespace pixi_install::prefix
