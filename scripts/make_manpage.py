#!/usr/bin/env python3
"""Writes the pixi-install(1) man page from the program's own --help texts.

usage: make_manpage.py PIXI_INSTALL OUTPUT [VERSION]

Runs `PIXI_INSTALL --help` and `PIXI_INSTALL <sub> --help` for every
subcommand the top-level help lists, and writes roff: NAME, SYNOPSIS,
DESCRIPTION (global options), one COMMANDS subsection per subcommand with its
help verbatim, EXIT STATUS and ENVIRONMENT. No date is written, so the page is
reproducible. Python 3 standard library only.
"""
import subprocess
import sys

EXIT_STATUS = [
    ("0", "success"),
    ("1", "any other failure"),
    ("2", "usage error (bad command line)"),
    ("3", "the host does not meet the environment's requirements (virtual packages, wheel tags)"),
    ("4", "integrity failure: hash or size mismatch, corrupt or unsafe archive"),
    ("5", "an artifact is unavailable (offline miss, HTTP failure after retries)"),
    ("6", "the lock file is invalid or of an unsupported version"),
    ("130", "interrupted"),
]

ENVIRONMENT = [
    ("CONDA_OVERRIDE_GLIBC, CONDA_OVERRIDE_CUDA, CONDA_OVERRIDE_OSX, ...",
     "Override a detected virtual package (an empty value removes it)."),
    ("NO_COLOR", "When set and not empty, no colors (unless --color always)."),
    ("CLICOLOR_FORCE", "When set and not 0, colors even when not writing to a terminal."),
    ("TERM", "dumb: no live progress display."),
    ("SOURCE_DATE_EPOCH", "install: a reproducible prefix, every file with this time (seconds since 1970)."),
    ("PIXI_INSTALL_COMPILE_BYTECODE", "install: 1 compiles bytecode as --compile-bytecode does."),
    ("PIXI_INSTALL_REQUIRE_HASHES", "install, pack: 1 refuses artifacts without a hash as --require-hashes does."),
    ("PIXI_INSTALL_<OPTION>",
     "install: any option, named in upper case with _ for - (PIXI_INSTALL_OFFLINE=1, PIXI_INSTALL_CACHE_DIR=DIR, "
     "PIXI_INSTALL_LINK_MODE=copy, PIXI_INSTALL_JOBS=8); -e, --skip and --only take comma-separated lists; "
     "the command line wins."),
    ("PIXI_FROZEN, PIXI_LOCKED", "install: pixi's variables; true acts as --frozen or --locked."),
]


def help_text(exe, args):
    out = subprocess.run([exe] + args + ["--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         check=True, env={"COLUMNS": "100", "LANG": "C", "PATH": "/usr/bin:/bin"})
    return out.stdout.decode("utf-8").rstrip() + "\n"


def subcommands(top_help):
    subs, inside = [], False
    for line in top_help.splitlines():
        if line.strip() == "Subcommands:":
            inside = True
            continue
        if inside:
            if not line.startswith("  ") or not line.strip():
                if line.strip():
                    inside = False
                continue
            name = line.split()[0]
            if not line.startswith("   "):
                subs.append((name, line[len(name) + 2:].strip()))
    return subs


def roff_escape(text):
    lines = []
    for line in text.replace("\\", "\\e").splitlines():
        if line.startswith(".") or line.startswith("'"):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def verbatim(text):
    return ".nf\n" + roff_escape(text) + "\n.fi\n"


def main():
    exe, output = sys.argv[1], sys.argv[2]
    version = sys.argv[3] if len(sys.argv) > 3 else ""
    top = help_text(exe, [])
    first_line = top.splitlines()[0]
    summary = first_line.split(":", 1)[1].strip() if ":" in first_line else first_line
    subs = subcommands(top)

    page = []
    page.append('.TH PIXI-INSTALL 1 "" "pixi-install %s" "User Commands"\n' % version)
    page.append(".SH NAME\npixi-install \\- %s\n" % roff_escape(summary))
    page.append(".SH SYNOPSIS\n")
    page.append(".B pixi-install\n[\\fIOPTIONS\\fR] [\\fBinstall\\fR] [\\fIINSTALL-OPTIONS\\fR]\n.br\n")
    for name, _ in subs:
        page.append(".B pixi-install\n[\\fIOPTIONS\\fR] \\fB%s\\fR [\\fIOPTIONS\\fR]\n.br\n" % roff_escape(name))
    page.append(".SH DESCRIPTION\n")
    page.append(
        "pixi-install materializes the environments recorded in a pixi.lock into prefixes: it reads the "
        "lock, checks the host's virtual packages, verifies every artifact's hash, and extracts and links "
        "conda packages and PyPI wheels in parallel. It never solves, needs neither pixi nor a manifest, "
        "and works offline when the artifacts are at hand. Without a subcommand, \\fBinstall\\fR runs.\n")
    page.append(".SS Global options\n")
    page.append(verbatim(top))
    page.append(".SH COMMANDS\n")
    for name, desc in subs:
        page.append('.SS "pixi-install %s"\n' % roff_escape(name))
        page.append(roff_escape(desc) + "\n")
        page.append(verbatim(help_text(exe, [name])))
    page.append('.SH "EXIT STATUS"\n')
    for code, what in EXIT_STATUS:
        page.append(".TP\n.B %s\n%s\n" % (code, roff_escape(what)))
    page.append(".SH ENVIRONMENT\n")
    for name, what in ENVIRONMENT:
        page.append(".TP\n.B %s\n%s\n" % (roff_escape(name), roff_escape(what)))
    with open(output, "w", encoding="utf-8") as f:
        f.write("".join(page))


if __name__ == "__main__":
    main()
