#include "pixi_install/prefix/wheel_files.hpp"
#include "pixi_install/base/strings.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "pixi_install/base/hash.hpp"
#include "pixi_install/base/shell_quote.hpp"
#include "pixi_install/prefix/package_info.hpp"

namespace pixi_install::prefix {

using base::ErrorKind;

namespace {

using base::trim;

bool ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           static_cast<unsigned char>(c) >= 0x80;
}

bool valid_dotted(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    return std::all_of(s.begin(), s.end(), ident_char);
}

std::string quote_field(std::string_view f) {
    if (f.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(f);
    std::string out = "\"";
    for (char c : f) {
        if (c == '"') out += "\"\"";
        else out.push_back(c);
    }
    out += '"';
    return out;
}

}  // namespace

base::Result<std::vector<RecordRow>> parse_record(std::string_view text) {
    std::vector<RecordRow> rows;
    std::vector<std::string> fields;
    std::string field;
    std::size_t line = 1;
    std::size_t i = 0;
    auto end_row = [&]() -> base::Result<void> {
        fields.push_back(std::move(field));
        field.clear();
        bool blank = fields.size() == 1 && fields[0].empty();
        if (!blank) {
            if (fields.size() > 3 || fields[0].empty())
                return base::fail(ErrorKind::integrity,
                                  "RECORD line " + std::to_string(line) + " is not 'path,hash,size'");
            fields.resize(3);
            rows.push_back({std::move(fields[0]), std::move(fields[1]), std::move(fields[2])});
        }
        fields.clear();
        ++line;
        return {};
    };
    while (i < text.size()) {
        char c = text[i];
        if (c == '"' && field.empty()) {
            ++i;  // quoted field
            while (true) {
                if (i >= text.size())
                    return base::fail(ErrorKind::integrity,
                                      "RECORD line " + std::to_string(line) + " has an unterminated quote");
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        field.push_back('"');
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field.push_back(text[i++]);
            }
            continue;
        }
        if (c == ',') {
            fields.push_back(std::move(field));
            field.clear();
            ++i;
        } else if (c == '\n' || c == '\r') {
            PI_TRY_VOID(end_row());
            i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
        } else {
            field.push_back(c);
            ++i;
        }
    }
    if (!field.empty() || !fields.empty()) PI_TRY_VOID(end_row());
    return rows;
}

std::string format_record(std::vector<RecordRow> rows) {
    std::sort(rows.begin(), rows.end(), [](const RecordRow& a, const RecordRow& b) {
        return std::tie(a.path, a.hash, a.size) < std::tie(b.path, b.hash, b.size);
    });
    std::string out;
    for (const auto& r : rows) {
        out += quote_field(r.path);
        out += ',';
        out += quote_field(r.hash);
        out += ',';
        out += quote_field(r.size);
        out += '\n';
    }
    return out;
}

std::string record_hash(std::string_view raw_sha256) { return "sha256=" + base::base64_urlsafe_nopad(raw_sha256); }

std::vector<std::pair<std::string, std::string>> parse_headers(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (trim(line).empty()) break;  // the body starts
        if ((line.front() == ' ' || line.front() == '\t') && !out.empty()) {
            out.back().second.append(1, '\n').append(trim(line));  // continuation
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        out.emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
    }
    return out;
}

std::optional<std::string> header_value(const std::vector<std::pair<std::string, std::string>>& headers,
                                        std::string_view key) {
    auto k = base::ascii_lower(key);
    for (const auto& [name, value] : headers)
        if (base::ascii_lower(name) == k) return value;
    return std::nullopt;
}

base::Result<std::vector<EntryPoint>> parse_entry_points(std::string_view text) {
    std::vector<EntryPoint> out;
    std::string section;
    std::size_t pos = 0;
    std::size_t lineno = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() : nl + 1;
        ++lineno;
        line = trim(line);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            if (line.back() != ']')
                return base::fail(ErrorKind::integrity,
                                  "entry_points.txt line " + std::to_string(lineno) + " has an unclosed section");
            section = std::string(trim(line.substr(1, line.size() - 2)));
            continue;
        }
        if (section != "console_scripts" && section != "gui_scripts") continue;
        auto eq = line.find('=');
        if (eq == std::string_view::npos)
            return base::fail(ErrorKind::integrity, "entry_points.txt line " + std::to_string(lineno) +
                                                        " has no '=' in section [" + section + "]");
        EntryPoint ep;
        ep.gui = section == "gui_scripts";
        ep.name = std::string(trim(line.substr(0, eq)));
        std::string_view value = trim(line.substr(eq + 1));
        if (auto br = value.find('['); br != std::string_view::npos) value = trim(value.substr(0, br));  // extras
        auto colon = value.find(':');
        std::string_view mod = colon == std::string_view::npos ? value : trim(value.substr(0, colon));
        std::string_view attr = colon == std::string_view::npos ? std::string_view{} : trim(value.substr(colon + 1));
        if (ep.name.empty() || ep.name.find('/') != std::string::npos || !valid_dotted(mod) || !valid_dotted(attr))
            return base::fail(ErrorKind::integrity,
                              "entry_points.txt line " + std::to_string(lineno) + " ('" + std::string(line) +
                                  "') is not 'name = module:function'");
        ep.module = std::string(mod);
        ep.attr = std::string(attr);
        out.push_back(std::move(ep));
    }
    return out;
}

base::Result<std::string> script_shebang(std::string_view exe) {
    PI_TRY_VOID(base::check_script_value(exe, "the interpreter path"));
    if (2 + exe.size() + 1 <= 127 && exe.find_first_of(" \t") == std::string_view::npos)
        return "#!" + std::string(exe) + "\n";
    PI_TRY(std::string head, base::sh_python_trampoline(exe));
    return head + "\n";
}

base::Result<std::string> launcher_script(const EntryPoint& ep, std::string_view exe) {
    const std::string first = ep.attr.substr(0, ep.attr.find('.'));
    PI_TRY(std::string s, script_shebang(exe));
    s += "# -*- coding: utf-8 -*-\n";
    s += "import sys\n";
    s += "from " + ep.module + " import " + first + "\n";
    s += "if __name__ == \"__main__\":\n";
    s += "    if sys.argv[0].endswith(\"-script.pyw\"):\n";
    s += "        sys.argv[0] = sys.argv[0][:-11]\n";
    s += "    elif sys.argv[0].endswith(\".exe\"):\n";
    s += "        sys.argv[0] = sys.argv[0][:-4]\n";
    s += "    sys.exit(" + ep.attr + "())\n";
    return s;
}

bool is_reserved_script_name(std::string_view name) {
    std::string n = base::ascii_lower(name);
    for (std::string_view ext : {".exe", ".py"})
        if (n.size() > ext.size() && n.compare(n.size() - ext.size(), ext.size(), ext) == 0) {
            n.resize(n.size() - ext.size());
            break;
        }
    if (n == "python" || n == "pythonw" || n == "python3" || n == "pythonw3" || n == "pypy" || n == "pypy2" ||
        n == "pypy3" || n == "graalpy")
        return true;
    for (std::string_view stem : {"python3.", "pythonw3."}) {
        if (n.size() > stem.size() && n.compare(0, stem.size(), stem) == 0) {
            std::string_view rest = std::string_view(n).substr(stem.size());
            if (!rest.empty() && rest.back() == 't') rest.remove_suffix(1);
            if (!rest.empty() && std::all_of(rest.begin(), rest.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
                return true;
        }
    }
    return false;
}

std::string_view reserved_prefix_path(std::string_view dest, std::string_view bin_dir) {
    const std::string_view first = dest.substr(0, dest.find('/'));
    if (first == "conda-meta") return "the environment's package records";
    if (first == "__clobbers__") return "where the installer keeps clobbered files";
    if (auto why = installer_owned_path(dest); !why.empty()) return why;
    if (dest == "activate.sh" || dest == "activate.fish" || dest == "CACHEDIR.TAG") return "a file of the installer";
    if (dest.size() > bin_dir.size() && dest.compare(0, bin_dir.size(), bin_dir) == 0 && dest[bin_dir.size()] == '/' &&
        is_reserved_script_name(dest.substr(bin_dir.size() + 1)))
        return "the environment's interpreter";
    return {};
}

}  // namespace pixi_install::prefix
