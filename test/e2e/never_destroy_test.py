#!/usr/bin/env python3
"""What the user has is never destroyed, and a broken install is never reported as fine.

- plan, then touch: --only means the named packages and their dependencies; unknown names
  in --only/--skip/--reinstall-package and a name in both --only and --skip are usage errors
  (exit 2, "did you mean"); a selection that cannot be installed (a noarch: python package
  without python) is refused with the prefix byte-for-byte as it was;
- an unfinished install (state "installing") makes verify exit 4 (JSON ok:false), and run
  and shell-hook refuse it; shell-hook never points at an activate.sh that is not there;
- install refuses a directory that is neither empty nor an environment (exit 2) unless
  --allow-non-env-prefix; nothing of the user's is overwritten;
- pack -o never replaces a file or a directory that is not a bundle (exit 2), refuses
  compressed names, and -o NAME.tar writes one file that --bundle reads;
- verify names the command that repairs; install --reinstall / --reinstall-package relink
  from the cache (a cache entry changed through a hard link is extracted again); verify
  --extra does not flag the files the installer writes itself;
- check refuses what install refuses before fetching, with the same exit code and message;
  list -e with an unknown environment exits 2.
Uses the demo lock (local paths, no network). Exit 77 when the binary is not built.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402

BIN = os.environ.get("PIXI_INSTALL_BIN", "")
SOURCE = os.environ.get("PIXI_INSTALL_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO = os.path.join(SOURCE, "fixtures", "demo", "pixi.lock")


class Ctx:
    def __init__(self, tmp):
        self.tmp = tmp
        self.cache = os.path.join(tmp, "cache")
        self.env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "LANG": "C"}

    def run(self, *args, expect=None):
        r = subprocess.run([BIN, *args], capture_output=True, text=True, env=self.env, timeout=120)
        if expect is not None:
            assert r.returncode == expect, (args, r.returncode, r.stdout, r.stderr)
        return r

    def install(self, prefix, *extra, expect=0, lock=DEMO):
        return self.run("install", "-l", lock, "-p", prefix, "--cache-dir", self.cache, "--offline", *extra,
                        expect=expect)


def state_of(prefix):
    with open(os.path.join(prefix, "conda-meta", "pixi-install-state")) as f:
        return f.read().split()[0]


def test_only_and_refusals(c, good):
    # --only follows pixi: the package and what it depends on (hello-noarch needs python).
    only = os.path.join(c.tmp, "only")
    c.install(only, "--only", "hello-noarch")
    names = set(lockgen.conda_meta_records(only))
    assert names == {"hello-noarch", "python"}, names
    c.run("verify", "-p", only, expect=0)

    before = lockgen.snapshot(good)
    for args, words in [(["--only", "pythn"], "did you mean python"),
                        (["--skip", "pythn"], "did you mean python"),
                        (["--only", "python", "--skip", "python"], "contradict"),
                        (["--reinstall-package", "hello-prefx"], "did you mean hello-prefix")]:
        r = c.install(good, *args, expect=2)
        assert words in r.stderr, (args, r.stderr)
        assert lockgen.snapshot(good) == before, args
    # A selection that cannot be installed is refused before the prefix changes.
    r = c.install(good, "--only", "hello-noarch", "--skip", "python", expect=1)
    assert "noarch: python" in r.stderr and "nothing was changed" in r.stderr, r.stderr
    assert lockgen.snapshot(good) == before
    assert state_of(good) == "complete"
    c.run("verify", "-p", good, expect=0)


def test_unfinished(c, good):
    broken = os.path.join(c.tmp, "broken")
    shutil.copytree(good, broken, symlinks=True)
    with open(os.path.join(broken, "conda-meta", "pixi-install-state")) as f:
        fp = f.read().split()[1]
    with open(os.path.join(broken, "conda-meta", "pixi-install-state"), "w") as f:
        f.write("installing %s\n" % fp)  # what an interrupted or failed install leaves
    r = c.run("verify", "-p", broken, expect=4)
    assert "did not finish" in r.stderr and "pixi-install install" in r.stderr, r.stderr
    doc = json.loads(c.run("verify", "-p", broken, "--json", expect=4).stdout)
    assert doc["ok"] is False and doc["error"]["exit_code"] == 4, doc
    r = c.run("shell-hook", "-p", broken, "--shell", "bash", expect=4)
    assert r.stdout == "", r.stdout
    r = c.run("run", "-p", broken, "--", "true", expect=4)
    assert "did not finish" in r.stderr, r.stderr
    r = c.run("info", "-p", broken, expect=4)
    assert "unfinished" in r.stdout and "did not finish" in r.stderr, (r.stdout, r.stderr)
    doc = json.loads(c.run("info", "-p", broken, "--json", expect=4).stdout)
    assert doc["ok"] is False and doc["environment"]["state"] == "unfinished", doc
    assert "(complete)" in c.run("info", "-p", good, expect=0).stdout
    # The next install finishes it.
    c.install(broken)
    c.run("verify", "-p", broken, expect=0)

    # A real interruption: SIGINT while the first install runs.
    cut = os.path.join(c.tmp, "cut")
    p = subprocess.Popen([BIN, "install", "-l", DEMO, "-p", cut, "--cache-dir", os.path.join(c.tmp, "cold"),
                          "--offline"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=c.env)
    try:
        p.wait(0.05)
    except subprocess.TimeoutExpired:
        p.send_signal(2)
        p.wait(60)
    if os.path.exists(os.path.join(cut, "conda-meta", "pixi-install-state")) and state_of(cut) != "complete":
        c.run("verify", "-p", cut, expect=4)
        assert ". " not in c.run("shell-hook", "-p", cut, "--shell", "bash").stdout

    # An environment made by conda or pixi has no activate.sh: shell-hook does not point at one.
    conda_env = os.path.join(c.tmp, "conda-env")
    os.makedirs(os.path.join(conda_env, "conda-meta"))
    out = c.run("shell-hook", "-p", conda_env, "--shell", "bash", expect=0).stdout
    assert "activate.sh" not in out, out
    assert "activate.sh" in c.run("shell-hook", "-p", good, "--shell", "bash", expect=0).stdout


def test_non_env_prefix(c):
    x = os.path.join(c.tmp, "x")
    os.makedirs(os.path.join(x, "bin"))
    for rel, text in [("bin/hello-prefix", "mine\n"), ("activate.sh", "# mine\n")]:
        with open(os.path.join(x, rel), "w") as f:
            f.write(text)
    before = lockgen.snapshot(x)
    r = c.install(x, expect=2)
    assert "neither empty nor an environment" in r.stderr and "--allow-non-env-prefix" in r.stderr, r.stderr
    assert lockgen.snapshot(x) == before
    r = c.install(x, "--dry-run", expect=2)
    assert lockgen.snapshot(x) == before
    afile = os.path.join(c.tmp, "afile")
    with open(afile, "w") as f:
        f.write("keep\n")
    c.install(afile, expect=2)
    assert open(afile).read() == "keep\n"
    empty = os.path.join(c.tmp, "empty")
    os.makedirs(empty)
    c.install(empty)
    c.install(x, "--allow-non-env-prefix")
    c.run("verify", "-p", x, expect=0)


def test_pack(c):
    notes = os.path.join(c.tmp, "notes.md")
    with open(notes, "w") as f:
        f.write("precious\n")
    r = c.run("pack", "-l", DEMO, "-o", notes, "--cache-dir", c.cache, "--offline", expect=2)
    assert "not a previous bundle" in r.stderr, r.stderr
    assert open(notes).read() == "precious\n"
    mine = os.path.join(c.tmp, "mine")
    os.makedirs(mine)
    with open(os.path.join(mine, "a.txt"), "w") as f:
        f.write("a\n")
    c.run("pack", "-l", DEMO, "-o", mine, "--cache-dir", c.cache, "--offline", expect=2)
    assert os.listdir(mine) == ["a.txt"]
    gz = os.path.join(c.tmp, "bundle.tar.gz")
    r = c.run("pack", "-l", DEMO, "-o", gz, "--cache-dir", c.cache, "--offline", expect=2)
    assert "bundle.tar" in r.stderr and not os.path.exists(gz), r.stderr

    tar = os.path.join(c.tmp, "bundle.tar")
    c.run("pack", "-l", DEMO, "-o", tar, "--cache-dir", c.cache, "--offline", expect=0)
    assert os.path.isfile(tar)
    c.run("pack", "-l", DEMO, "-o", tar, "--cache-dir", c.cache, "--offline", expect=0)  # a previous bundle
    fresh = os.path.join(c.tmp, "from-bundle")
    c.run("install", "-l", DEMO, "-p", fresh, "--cache-dir", os.path.join(c.tmp, "cache2"), "--offline",
          "--bundle", tar, expect=0)
    c.run("verify", "-p", fresh, expect=0)


def test_reinstall(c, good):
    c.run("verify", "-p", good, "--extra", expect=0)  # activate.sh/.fish, CACHEDIR.TAG are the tool's
    target = os.path.join(good, "bin", "hello-prefix")
    with open(target, "r+b") as f:  # in place: a hard-linked cache file changes too
        f.seek(0)
        f.write(b"#!/bin/sh\necho changed\n#")
    r = c.run("verify", "-p", good, expect=4)
    assert "--reinstall-package hello-prefix" in r.stderr, r.stderr
    r = c.install(good)  # a plain install trusts the state: unchanged
    c.run("verify", "-p", good, expect=4)
    c.install(good, "--reinstall-package", "hello-prefix")
    c.run("verify", "-p", good, expect=0)

    # A hard-linked file edited in place changed the cache's copy too: it is extracted again.
    script = os.path.join(good, "etc", "conda", "activate.d", "demo.sh")
    assert os.stat(script).st_nlink > 1, "expected a hard link into the cache"
    with open(script, "r+b") as f:
        f.write(b"X")
    c.run("verify", "-p", good, expect=4)
    os.remove(os.path.join(good, "bin", "hello-prefix"))
    r = c.install(good, "--reinstall")
    assert "extracting it again" in r.stderr, r.stderr
    c.run("verify", "-p", good, expect=0)
    c.run("verify", "-p", good, "--extra", expect=0)


def test_check_and_list(c):
    d = os.path.join(c.tmp, "srclock")
    lock = lockgen.write_lock(d, [lockgen.conda_source("mytool")])
    dry = c.run("install", "-l", lock, "--dry-run", "--cache-dir", c.cache, "--offline", expect=1)
    chk = c.run("check", "-l", lock, expect=1)
    msg = [line for line in dry.stderr.splitlines() if "cannot be installed from the lock" in line]
    assert msg and msg[0] in chk.stderr, (dry.stderr, chk.stderr)
    j = json.loads(c.run("check", "-l", lock, "--json", expect=1).stdout)
    assert j["ok"] is False and j["error"]["exit_code"] == 1, j
    c.run("check", "-l", DEMO, expect=0)
    r = c.run("list", "-l", DEMO, "-e", "missing", expect=2)
    assert "missing" in r.stderr, r.stderr


def main():
    if not BIN or not os.access(BIN, os.X_OK):
        print("skip: PIXI_INSTALL_BIN is not built")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        c = Ctx(tmp)
        good = os.path.join(tmp, "good")
        c.install(good)
        test_only_and_refusals(c, good)
        test_unfinished(c, good)
        test_non_env_prefix(c)
        test_pack(c)
        test_check_and_list(c)
        test_reinstall(c, good)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
