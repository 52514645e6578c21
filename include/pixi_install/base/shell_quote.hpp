// The one place where values become words of generated shell text: activation
// scripts, `shell-hook` output, `run`'s script, `/bin/sh` trampolines of
// scripts whose interpreter path cannot be a shebang, and comment lines.
//
// A quoted word never expands anything: `$(...)`, backquotes, `$VAR`, globs,
// spaces all stay literal text. Values holding NUL, a line feed or a carriage
// return cannot be written into a script line safely (a comment would end, a
// Python reader of a trampoline would see a new line) and are refused.
#pragma once

#include <string>
#include <string_view>

#include "pixi_install/base/result.hpp"

namespace pixi_install::base {

/// Fails (ErrorKind::usage) when `value` holds NUL, LF or CR; `what` names it in
/// the message ("the prefix", "the environment name").
Result<void> check_script_value(std::string_view value, std::string_view what);

/// One word for POSIX sh, bash and zsh: single quotes, a quote written as '\''
/// and a backslash as '\\' (outside the quotes), so the word is also valid
/// inside a Python '''...''' string (see `sh_python_trampoline`).
Result<std::string> sh_quote(std::string_view value);

/// One word for fish: single quotes, with \' and \\ inside.
Result<std::string> fish_quote(std::string_view value);

/// The head of a script run by `interpreter` (absolute) with the optional single
/// argument `argument` (the rest of a shebang line, as Linux passes it) when a
/// `#!` line cannot hold the path (too long, or a space or tab in it): `/bin/sh`
/// execs the interpreter on the script, and Python reads the two lines after
/// `#!/bin/sh` as a string. Ends without a newline.
Result<std::string> sh_python_trampoline(std::string_view interpreter, std::string_view argument = {});

}  // namespace pixi_install::base
