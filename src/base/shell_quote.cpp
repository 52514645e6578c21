#include "pixi_install/base/shell_quote.hpp"

namespace pixi_install::base {

namespace {

/// `value` on one line: control characters as \n, \r, \0; at most 80 bytes.
std::string shown(std::string_view value) {
    std::string out;
    for (char c : value.substr(0, 80)) {
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\0') out += "\\0";
        else out += c;
    }
    if (value.size() > 80) out += "...";
    return out;
}

}  // namespace

Result<void> check_script_value(std::string_view value, std::string_view what) {
    for (char c : value) {
        const char* name = c == '\0' ? "a NUL byte" : c == '\n' ? "a line feed" : c == '\r' ? "a carriage return" : nullptr;
        if (name)
            return fail(ErrorKind::usage, std::string(what) + " '" + shown(value) + "' holds " + name +
                                              ", which cannot be written into the environment's scripts; "
                                              "choose a path or name without control characters");
    }
    return {};
}

Result<std::string> sh_quote(std::string_view value) {
    PI_TRY_VOID(check_script_value(value, "the value"));
    std::string q = "'";
    for (char c : value) {
        if (c == '\'') q += "'\\''";
        else if (c == '\\') q += "'\\\\'";
        else q += c;
    }
    q += '\'';
    return q;
}

Result<std::string> fish_quote(std::string_view value) {
    PI_TRY_VOID(check_script_value(value, "the value"));
    std::string q = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') q += '\\';
        q += c;
    }
    q += '\'';
    return q;
}

Result<std::string> sh_python_trampoline(std::string_view interpreter, std::string_view argument) {
    // Python sees `'''exec' ... \n' '''`: a string. sh_quote's words hold no run
    // of three unescaped quotes and no lone backslash, so the string always ends
    // where intended.
    PI_TRY(std::string exe, sh_quote(interpreter));
    std::string s = "#!/bin/sh\n'''exec' " + exe;
    if (!argument.empty()) {
        PI_TRY(std::string arg, sh_quote(argument));
        s += " " + arg;
    }
    s += " \"$0\" \"$@\"\n' '''";
    return s;
}

}  // namespace pixi_install::base
