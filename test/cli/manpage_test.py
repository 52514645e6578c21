#!/usr/bin/env python3
"""The man page exists, is roff, and documents every subcommand with its options.

usage: manpage_test.py PIXI_INSTALL PIXI_INSTALL_1
"""
import os
import shutil
import subprocess
import sys


def main():
    exe, page_path = sys.argv[1], sys.argv[2]
    assert os.path.isfile(page_path), "man page not built: " + page_path
    page = open(page_path, encoding="utf-8").read()
    assert page.startswith(".TH PIXI-INSTALL 1"), page[:80]
    for section in (".SH NAME", ".SH SYNOPSIS", ".SH COMMANDS", '.SH "EXIT STATUS"', ".SH ENVIRONMENT"):
        assert section in page, "missing " + section

    top = subprocess.run([exe, "--help"], stdout=subprocess.PIPE, check=True).stdout.decode()
    lines = top.split("Subcommands:", 1)[1].splitlines()
    names = [l.split()[0] for l in lines if l.startswith("  ") and not l.startswith("   ")]
    assert names, "no subcommands in --help:\n" + top
    for name in names:
        assert '.SS "pixi-install %s"' % name in page, "subcommand %s is not in the man page" % name
        sub = subprocess.run([exe, name, "--help"], stdout=subprocess.PIPE, check=True).stdout.decode()
        for word in sub.split():
            if word.startswith("--") and word[2:3].isalpha():
                opt = word.split(",")[0].split("=")[0].split(":")[0]
                assert opt.replace("\\", "\\e") in page, "option %s of %s is not in the man page" % (opt, name)
    for code in ("130", "\n.B 6\n", "\n.B 4\n"):
        assert code in page, "exit status %r not documented" % code

    groff = shutil.which("groff")
    if groff:
        r = subprocess.run([groff, "-man", "-Tutf8", "-ww", page_path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        assert r.returncode == 0 and not r.stderr.strip(), r.stderr.decode()
        assert b"shell-hook" in r.stdout
    print("ok: %d subcommands documented" % len(names))


if __name__ == "__main__":
    main()
