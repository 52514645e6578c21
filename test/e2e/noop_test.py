#!/usr/bin/env python3
"""The no-op fast path of `install`: when the lock's bytes, every option, the manifest and
the host's virtual packages are as at the last install of an untouched prefix, the run
ends without parsing the lock (-v says "the lock was not read"). Everything that changes
the result misses it, and a miss runs the full path, which refreshes the memo:

- a lock rewritten without changes to the environment: full path, still up to date, then fast;
- a lock that does not parse (same size, other bytes): full path, exit 6;
- --skip, SOURCE_DATE_EPOCH, --compile-bytecode, a new pixi.toml next to the lock: full path;
- CONDA_OVERRIDE_GLIBC too old: full path, host check fails (exit 3);
- an entry added to conda-meta (another tool touched the prefix): full path;
- a removed memo or another cache directory: full path;
- --json on the fast path says up_to_date.
Exit 77 when the binary is not built.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

BIN = os.environ.get("PIXI_INSTALL_BIN", "")
SOURCE = os.environ.get("PIXI_INSTALL_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))
FAST = "the lock was not read"


def main():
    if not BIN or not os.access(BIN, os.X_OK):
        print("skip: PIXI_INSTALL_BIN is not built")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "LANG": "C"}
        demo = os.path.join(tmp, "demo")
        shutil.copytree(os.path.join(SOURCE, "fixtures", "demo"), demo)
        lock = os.path.join(demo, "pixi.lock")
        prefix = os.path.join(tmp, "env")
        cache = os.path.join(tmp, "cache")

        def install(*extra, expect=0, run_env=None, cache_dir=cache):
            r = subprocess.run([BIN, "--no-progress", "-v", "install", "-l", lock, "-p", prefix, "--cache-dir",
                                cache_dir, "--offline"] + list(extra),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=run_env or env)
            err = r.stderr.decode()
            assert r.returncode == expect, (extra, r.returncode, err)
            return FAST in err, err, r.stdout.decode()

        def assert_fast(*extra, **kw):
            fast, err, out = install(*extra, **kw)
            assert fast, "expected the fast path for %s:\n%s" % (extra, err)
            assert "--json" in extra or "0 installed" in err, err
            return out

        def assert_full(*extra, **kw):
            fast, err, out = install(*extra, **kw)
            assert not fast, "expected the full path for %s:\n%s" % (extra, err)
            return err

        assert_full()                      # the install itself
        assert_fast()
        out = assert_fast("--json")
        j = json.loads(out)
        assert j["ok"] and j["environments"][0]["up_to_date"] is True, j
        assert j["environments"][0]["platform"] == "linux-64", j

        # Rewritten without changes to the environment: parsed once, then fast again.
        with open(lock, "a") as f:
            f.write("# a comment the environment does not care about\n")
        err = assert_full()
        assert "0 installed, 0 removed" in err, err
        assert_fast()

        # Same size, other bytes: parsed, and the parse error is reported.
        with open(lock, "rb") as f:
            good = f.read()
        with open(lock, "wb") as f:
            f.write(b"\x01" * len(good))
        fast, err, _ = install(expect=6)
        assert not fast, err
        with open(lock, "wb") as f:
            f.write(good)
        assert_fast()  # the bytes of the last install again

        # Options and variables that change the result.
        assert_full("--skip", "hello-prefix")
        assert_fast("--skip", "hello-prefix")
        assert_full()
        assert_full(run_env=dict(env, SOURCE_DATE_EPOCH="0"))
        assert_fast(run_env=dict(env, SOURCE_DATE_EPOCH="0"))
        assert_full()
        fast, err, _ = install(expect=3, run_env=dict(env, CONDA_OVERRIDE_GLIBC="2.5"))
        assert not fast and "__glibc" in err, err
        assert_fast()

        # A manifest appears next to the lock.
        with open(os.path.join(demo, "pixi.toml"), "w") as f:
            f.write('[workspace]\nname = "demo-ws"\nchannels = []\nplatforms = ["linux-64"]\n')
        assert_full()
        assert_fast()
        # Its system requirements decide the host check: a new one is checked, not skipped.
        with open(os.path.join(demo, "pixi.toml"), "a") as f:
            f.write('[system-requirements]\nlinux = "99.0"\n')
        fast, err, _ = install(expect=3)
        assert not fast and "__linux" in err, err
        os.unlink(os.path.join(demo, "pixi.toml"))
        assert_full()
        assert_fast()

        # Someone else changes conda-meta.
        extra = os.path.join(prefix, "conda-meta", "other-1.0-0.json")
        with open(extra, "w") as f:
            f.write("{}\n")
        assert_full()
        os.unlink(extra)
        assert_full()
        assert_fast()

        # No memo, or another cache: the full path.
        shutil.rmtree(os.path.join(cache, "noop"))
        assert_full()
        assert_fast()
        assert_full(cache_dir=os.path.join(tmp, "cache2"))
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
