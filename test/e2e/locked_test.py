#!/usr/bin/env python3
"""`--locked`: `check --locked` and `install --locked` against pixi's satisfiability
cases: exit 0 for a lock that satisfies its manifest (the host check skipped
where the lock has no platform for this machine), 7 with pixi's reason and the fix
for a stale one (text and JSON), 2 without a manifest; `install --locked` refuses
before it creates anything; `--frozen` installs the lock as it is."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import lockgen

BIN = os.environ.get("PIXI_INSTALL_BIN", "pixi-install")
CASES = os.path.join(lockgen.corpus_dir(), "satisfiability")
failures = []


def run(*args, cwd=None):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def case(kind, name):
    return os.path.join(CASES, kind, name)


def test_ok_and_host_skipped():
    rc, out, err = run("check", "--locked", "-l", case("satisfiability", "pypi-extras"))
    check(rc == 0, f"a satisfied win-64 lock exits 0 here (got {rc}: {err})")
    check("host check of environment 'default' skipped" in out, "says the host check was skipped")
    check("satisfies the manifest" in out, "says the lock satisfies the manifest")


def test_stale_text():
    d = case("non-satisfiability", "missing-dependency")
    rc, out, err = run("check", "--locked", "-l", d)
    check(rc == 7, f"a stale lock exits 7 (got {rc})")
    with open(os.path.join(d, "pixi-says.txt")) as f:
        pixi = [l.split("Caused by: ", 1)[1] for l in f.read().splitlines() if "Caused by: " in l][0]
    check(pixi in err, "the reason is pixi's")
    check("for platform 'win-64'" in err, "names the platform")
    check("pixi lock" in err, "says how to fix it")


def test_stale_json():
    rc, out, err = run("check", "--locked", "--json", "-l", case("non-satisfiability", "mismatch-channel-priority"))
    check(rc == 7, f"--json exits 7 (got {rc})")
    doc = json.loads(out)
    check(doc["ok"] is False and doc["exit_code"] == 7, "ok false, exit_code 7")
    first = doc["stale"][0]
    check(first["environment"] == "default" and first["platform"] is None, "environment-wide reason has platform null")
    check(first["reasons"][0].startswith("the lock file was solved with a different channel priority (strict)"), "reason")


def test_no_manifest_is_usage():
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(case("satisfiability", "pypi-extras"), "pixi.lock"), tmp)
        rc, out, err = run("check", "--locked", "-l", tmp)
        check(rc == 2, f"--locked without a manifest exits 2 (got {rc})")
        check("--manifest" in err, "says how to name the manifest")
        rc, out, err = run("install", "--locked", "-l", tmp, "--dry-run")
        check(rc == 2, f"install --locked without a manifest exits 2 (got {rc})")


def test_install_refuses_before_anything():
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "env")
        rc, out, err = run("install", "--locked", "-l", case("non-satisfiability", "too-many-platforms"), "-p", prefix)
        check(rc == 7, f"install --locked of a stale lock exits 7 (got {rc}: {err})")
        check(not os.path.exists(prefix), "nothing was created")
        check("platform(s) 'osx-arm64' present in the lock file but not in the environment" in err, "pixi's reason")
        rc, out, err = run("install", "--locked", "--json", "-l", case("non-satisfiability", "too-many-platforms"), "-p", prefix)
        check(rc == 7 and json.loads(out)["exit_code"] == 7, "install --json gives the stale document")
        rc, out, err = run("install", "--locked", "--frozen", "-l", case("non-satisfiability", "too-many-platforms"), "-p", prefix)
        check(rc == 2, "--locked with --frozen is a usage error")


def main():
    if not os.path.isdir(CASES):
        print(f"FAIL: the corpus has no satisfiability/ ({CASES})")
        return 1
    for t in (test_ok_and_host_skipped, test_stale_text, test_stale_json, test_no_manifest_is_usage,
              test_install_refuses_before_anything):
        t()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
