#!/usr/bin/env python3
"""Hostile packages (fixtures/archives/make_hostile_packages.py) against the installer,
with a canary directory and file outside the prefix and the cache. For each case: the
exit code, the message, and that the canary is untouched (content, link count, inode,
mtime, nothing added), with SOURCE_DATE_EPOCH set so that file times are rewritten.

- a package symlink with a placeholder, or no_link: installed as a symlink (exit 0);
- a directory symlink in the package with a paths.json entry below it: exit 4;
- a symlink to /dev/zero with a placeholder: a symlink, no crash (exit 0);
- a noarch entry point named python3.11: exit 4;
- a noarch entry point with another package's file name: a reported clobber, and
  removing either package leaves the other's file;
- wheel .data/data files writing conda-meta/… or bin/python3.11: exit 4;
- removing a conda package keeps a file a wheel also installed.
Exit 77 when the binary is not built.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "fixtures", "archives"))
import lockgen  # noqa: E402
import make_hostile_packages  # noqa: E402

BIN = os.environ.get("PIXI_INSTALL_BIN", "")
EPOCH = "1000000000"


class Canary:
    def __init__(self, root):
        self.dir = os.path.join(root, "canary")
        os.makedirs(self.dir)
        self.file = os.path.join(self.dir, "secret.txt")
        with open(self.file, "wb") as f:
            f.write(b"host secret " + make_hostile_packages.PLACEHOLDER.encode() + b"\n")
        os.utime(self.file, (1600000000, 1600000000))
        os.utime(self.dir, (1600000000, 1600000000))
        self.before = self.state()

    def state(self):
        st = os.lstat(self.file)
        dst = os.lstat(self.dir)
        with open(self.file, "rb") as f:
            content = f.read()
        return (content, st.st_nlink, st.st_ino, st.st_mtime_ns, dst.st_mtime_ns, sorted(os.listdir(self.dir)))

    def check(self, case):
        assert self.state() == self.before, (case, self.before, self.state())


def install(lock, prefix, cache):
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    r = subprocess.run([BIN, "--no-progress", "install", "-l", lock, "-p", prefix, "--cache-dir", cache],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return r.returncode, r.stdout + r.stderr


def main():
    if not BIN or not os.path.exists(BIN):
        print("skipped: PIXI_INSTALL_BIN is not built")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        canary = Canary(tmp)
        pkgs = make_hostile_packages.build(os.path.join(tmp, "pkgs"), canary.dir)
        python = lockgen.make_python_standin(os.path.join(tmp, "pkgs"))
        py = lockgen.conda(python)
        cache = os.path.join(tmp, "cache")
        n = [0]

        def run(entries, expect_rc, expect_msg=None, prefix=None):
            n[0] += 1
            lock = lockgen.write_lock(os.path.join(tmp, "lock%d" % n[0]), entries)
            prefix = prefix or os.path.join(tmp, "env%d" % n[0])
            rc, out = install(lock, prefix, cache)
            assert rc == expect_rc, (n[0], rc, out)
            if expect_msg:
                assert expect_msg in out, (n[0], expect_msg, out)
            canary.check(n[0])
            return prefix, out

        def interpreter_intact(prefix):
            # The prefix this run created is removed on failure; if it is there, python's link is.
            p = os.path.join(prefix, "bin", "python3.11")
            assert not os.path.lexists(p) or os.readlink(p) == "/usr/bin/python3", p

        def noarch(case):
            return lockgen.conda(pkgs[case], noarch="python", subdir="noarch", depends=["python"])

        # Links with a placeholder or no_link stay links; their targets are never read.
        for case in ("symlink_placeholder", "symlink_no_link"):
            prefix, _ = run([lockgen.conda(pkgs[case])], 0)
            for name in ("abs.conf", "rel.conf"):
                p = os.path.join(prefix, "etc", name)
                assert os.path.islink(p), (case, p)
            assert os.readlink(os.path.join(prefix, "etc", "abs.conf")) == canary.file

        # A paths.json entry below a directory link of the package.
        prefix, out = run([lockgen.conda(pkgs["dir_symlink"])], 4, "lnk/secret.txt")
        assert "symbolic link" in out and "evil-dirlink" in out, out
        assert not os.path.lexists(os.path.join(prefix, "lnk", "secret.txt"))

        # A placeholder on a link to /dev/zero: a link, no crash.
        prefix, _ = run([lockgen.conda(pkgs["dev_zero"])], 0)
        assert os.readlink(os.path.join(prefix, "etc", "zero")) == "/dev/zero"

        # An entry point named like the interpreter.
        prefix, out = run([py, noarch("entry_point_python")], 4, "python3.11")
        assert "interpreter" in out, out
        interpreter_intact(prefix)

        # Wheel data files aimed at the records and at the interpreter.
        prefix, out = run([py, lockgen.wheel(pkgs["wheel_conda_meta"])], 4, "conda-meta/python-3.11.4-h0_0.json")
        assert "refused" in out, out
        prefix, out = run([py, lockgen.wheel(pkgs["wheel_python"])], 4, "bin/python3.11")
        interpreter_intact(prefix)

        # An entry point clobbering another package's file is reported; removing either
        # package leaves the file the other one owns.
        shared = os.path.join(tmp, "shared-env")
        owner, entry = lockgen.conda(pkgs["tool_owner"]), noarch("entry_point_clobber")
        _, out = run([py, owner, entry], 0, "bin/tool is provided by several packages", prefix=shared)
        tool = os.path.join(shared, "bin", "tool")
        with open(tool) as f:
            first = f.read()
        run([py, owner], 0, prefix=shared)
        with open(tool) as f:
            assert f.read() == "#!/bin/sh\necho owner\n", "the owner's file is gone or wrong"
        run([py, owner, entry], 0, prefix=shared)
        with open(tool) as f:
            assert f.read() == first
        run([py, entry], 0, prefix=shared)
        with open(tool) as f:
            assert "clobber_entry" in f.read(), "the entry point is gone"

        # A conda package and a wheel writing the same file: removing the conda package keeps it.
        both = os.path.join(tmp, "both-env")
        wheel = lockgen.wheel(pkgs["shared_wheel"])
        _, out = run([py, lockgen.conda(pkgs["shared_conda"]), wheel], 0, "share/shared.txt", prefix=both)
        run([py, wheel], 0, prefix=both)
        with open(os.path.join(both, "share", "shared.txt")) as f:
            assert f.read() == "wheel copy\n"
        records = lockgen.conda_meta_records(both)
        assert "shared-data" not in records, sorted(records)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
