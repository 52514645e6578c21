#!/usr/bin/env python3
"""Command-line mistakes: short sentences after `error:`, a "did you mean", a JSON
error document under --json, exit 2 for every command; global options before or
after the subcommand, in both forms.
Exit 77 (skip) when the binary is not built.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlab import check, outcome  # noqa: E402

BIN = os.environ.get("PIXI_INSTALL_BIN", "")
SRC = os.environ.get("PIXI_INSTALL_SOURCE", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEMO = os.path.join(SRC, "fixtures", "demo", "pixi.lock")


def run(args):
    r = subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def one_sentence(err):
    lines = [l for l in err.splitlines() if l.strip()]
    return len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) < 200


def main():
    if not BIN or not os.path.exists(BIN):
        print("skipped: PIXI_INSTALL_BIN is not built")
        return 77

    tmp = tempfile.mkdtemp()
    # Global options, space and = forms, before or after the subcommand.
    for args in (["--color", "always", "list", "-l", DEMO], ["--color=never", "list", "-l", DEMO],
                 ["list", "-l", DEMO, "--color", "never"], ["-v", "--color", "never", "list", "-l", DEMO],
                 ["--color", "never", "-l", DEMO, "--dry-run", "--offline", "-p", os.path.join(tmp, "env")]):
        rc, out, err = run(args)
        check(rc == 0, "%s: exit 0 (%d %s)" % (" ".join(args), rc, err.strip()[-200:]))

    # Range and parse errors.
    rc, out, err = run(["install", "-l", DEMO, "-j", "0"])
    check(rc == 2 and one_sentence(err) and "--jobs" in err and "17976931348623157" not in err,
          "-j 0: one short sentence, exit 2 (%d %r)" % (rc, err))
    rc, out, err = run(["install", "-l", DEMO, "--retries", "many"])
    check(rc == 2 and one_sentence(err) and "'many' is not a whole number" in err, "--retries many (%r)" % err)
    rc, out, err = run(["install", "-l", DEMO, "--connect-timeout=-3"])
    check(rc == 2 and one_sentence(err) and "greater than 0" in err, "--connect-timeout -3 (%r)" % err)
    rc, out, err = run(["--color", "alwys", "list", "-l", DEMO])
    check(rc == 2 and one_sentence(err) and "did you mean 'always'" in err, "--color alwys (%r)" % err)

    # Did you mean.
    rc, out, err = run(["instal", "-l", DEMO])
    check(rc == 2 and one_sentence(err) and "'instal'" in err and "did you mean 'install'" in err,
          "instal: did you mean install (%r)" % err)
    rc, out, err = run(["shell-hok", "-p", "x"])
    check(rc == 2 and "did you mean 'shell-hook'" in err, "shell-hok: did you mean shell-hook (%r)" % err)
    rc, out, err = run(["install", "-l", DEMO, "--ofline"])
    check(rc == 2 and one_sentence(err) and "did you mean '--offline'" in err, "--ofline (%r)" % err)
    rc, out, err = run(["verify", "-p", "x", "--jsn"])
    check(rc == 2 and "did you mean '--json'" in err, "verify --jsn (%r)" % err)

    # JSON error documents.
    rc, out, err = run(["install", "-l", DEMO, "-j", "0", "--json"])
    try:
        doc = json.loads(out)
    except ValueError:
        doc = {}
    check(rc == 2 and doc.get("ok") is False and doc.get("error", {}).get("kind") == "usage" and
          doc.get("error", {}).get("exit_code") == 2 and "--jobs" in doc.get("error", {}).get("message", ""),
          "--json -j 0: a JSON error document (%r)" % out)
    rc, out, err = run(["verify", "--json", "--bogus", "-p", "x"])
    try:
        doc = json.loads(out)
    except ValueError:
        doc = {}
    check(rc == 2 and doc.get("error", {}).get("kind") == "usage", "verify --json --bogus: JSON (%r)" % out)

    # One exit code for a usage mistake, whatever the command.
    for args in (["list", "--nope"], ["check", "--nope"], ["info", "--nope"], ["pack", "--nope"],
                 ["verify", "--nope"], ["shell-hook", "--nope"], ["install", "--nope"],
                 ["shell-hook", "--shell", "tcsh", "-p", "x"], ["install", "--link-mode", "sideways"]):
        rc, out, err = run(args)
        check(rc == 2 and err.startswith("error: "), "%s: exit 2 with error: (%d %r)" % (" ".join(args), rc, err))
    shutil.rmtree(tmp, ignore_errors=True)
    return outcome()


if __name__ == "__main__":
    sys.exit(main())
