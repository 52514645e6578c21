#!/usr/bin/env python3
"""`pixi-install run` and `pixi-install shell-hook` on a hand-made prefix.

- run: the command finds the prefix's bin/ first, sees CONDA_PREFIX, gets its
  arguments intact (with or without `--`, options included), its exit code
  passes through, and a signal that kills it is seen as 128+N by a shell;
  activate.d scripts are honoured; a missing command exits 127.
- shell-hook: the printed script, eval'd by bash and sh, activates the prefix;
  an unknown prefix is an error naming it.
Exit 77 (skip) when the binary is not built.
"""
import os
import shutil
import subprocess
import sys
import tempfile

BIN = os.environ.get("PIXI_INSTALL_BIN", "")


def make_prefix(root, with_activate_d):
    prefix = os.path.join(root, "env")
    os.makedirs(os.path.join(prefix, "conda-meta"))
    os.makedirs(os.path.join(prefix, "bin"))
    tool = os.path.join(prefix, "bin", "demo-tool")
    with open(tool, "w") as f:
        f.write('#!/bin/sh\necho "tool prefix=$CONDA_PREFIX activated=${DEMO_ACTIVATED:-no} args=$*"\n'
                'exit "${DEMO_EXIT:-0}"\n')
    os.chmod(tool, 0o755)
    if with_activate_d:
        d = os.path.join(prefix, "etc", "conda", "activate.d")
        os.makedirs(d)
        with open(os.path.join(d, "demo.sh"), "w") as f:
            f.write("export DEMO_ACTIVATED=1\n")
    return prefix


def run(args, **kw):
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")}
    env.update(kw.pop("env", {}))
    return subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, **kw)


def check_run(prefix, activated):
    mark = "1" if activated else "no"
    r = run(["run", "-p", prefix, "--", "demo-tool", "a b", "-p", "--x"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "tool prefix=%s activated=%s args=a b -p --x\n" % (prefix, mark), r.stdout

    r = run(["run", "-p", prefix, "demo-tool", "-v", "--", "z"])  # no `--`: options still belong to the command
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "tool prefix=%s activated=%s args=-v -- z\n" % (prefix, mark), r.stdout

    r = run(["run", "-p", prefix, "--", "demo-tool"], env={"DEMO_EXIT": "42"})
    assert r.returncode == 42, (r.returncode, r.stderr)

    r = run(["run", "-p", prefix, "--", "sh", "-c", 'test "$(command -v demo-tool)" = "$CONDA_PREFIX/bin/demo-tool"'])
    assert r.returncode == 0, "the prefix's bin is not first on PATH"

    # Killed by SIGTERM: the process is the command (exec), so a shell sees 128+15.
    sh = subprocess.run(["sh", "-c", '"$0" run -p "$1" -- sh -c \'kill -TERM $$\'; echo "status=$?"', BIN, prefix],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert sh.stdout.decode().strip() == "status=143", sh.stdout

    r = run(["run", "-p", prefix, "--", "no-such-command-here"])
    assert r.returncode == 127, (r.returncode, r.stderr)
    assert b"no-such-command-here" in r.stderr

    r = run(["run", "-p", prefix])
    assert r.returncode == 2, (r.returncode, r.stderr)


def check_shell_hook(prefix):
    for shell in ("bash", "sh"):
        if not shutil.which(shell):
            continue
        hook = run(["shell-hook", "-p", prefix, "--shell", shell])
        assert hook.returncode == 0, hook.stderr
        out = subprocess.run([shell, "-c", hook.stdout.decode() + '\ndemo-tool x\necho "env=$CONDA_DEFAULT_ENV"'],
                             stdout=subprocess.PIPE, env={"PATH": "/usr/bin:/bin"}, check=True)
        assert out.stdout.decode() == "tool prefix=%s activated=1 args=x\nenv=env\n" % prefix, out.stdout

    fish = run(["shell-hook", "-p", prefix, "--shell", "fish"])
    assert fish.returncode == 0 and b"set -gx PATH '%s/bin' $PATH" % prefix.encode() in fish.stdout, fish.stdout
    if shutil.which("fish"):
        out = subprocess.run(["fish", "-c", fish.stdout.decode() + "\ndemo-tool y"], stdout=subprocess.PIPE,
                             check=True)
        assert out.stdout.decode().startswith("tool prefix=%s" % prefix)

    bad = run(["shell-hook", "-p", prefix + "-missing"])
    assert bad.returncode == 1 and b"does not exist" in bad.stderr, bad.stderr
    bad = run(["shell-hook", "-p", prefix, "--shell", "tcsh"])
    assert bad.returncode == 2, bad.returncode


def main():
    if not BIN or not os.access(BIN, os.X_OK):
        print("skip: PIXI_INSTALL_BIN is not built")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        plain = make_prefix(os.path.join(tmp, "plain"), with_activate_d=False)
        check_run(plain, activated=False)
        full = make_prefix(os.path.join(tmp, "with activate.d"), with_activate_d=True)
        check_run(full, activated=True)
        check_shell_hook(full)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
