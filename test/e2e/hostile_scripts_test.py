#!/usr/bin/env python3
"""Generated scripts never run text of the prefix: a prefix holding `$(...)`, backquotes,
a quote, a backslash and spaces installs a noarch python package and everything works:

- its entry point and its text-placeholder python script (both rewritten to /bin/sh
  trampolines, the path having spaces) run;
- activate.sh sourced by sh and bash (fish when installed) activates the prefix, with the
  package's activate.d script;
- `shell-hook` output for each shell is evaluated by that shell when it is installed;
- `run` finds the entry point, through the activate.d shell path;
- no canary file is ever created;

and a prefix holding a line feed is refused (exit 2) before anything is written.
Exit 77 (skip) when the binary is not built or /usr/bin/python3 is not 3.11.
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402

BIN = os.environ.get("PIXI_INSTALL_BIN", "")
PH = "/opt/anaconda1anaconda2anaconda3"


def make_noarch_package(directory):
    """noarch: python package `hdemo` with an entry point, a python script whose shebang
    holds the placeholder, and an activate.d script."""
    files = {
        "site-packages/hdemo/__init__.py": b"import sys\ndef main():\n    print('entry ok ' + sys.argv[1])\n",
        "python-scripts/hdemo-script": (("#!%s/bin/python3.11\nimport sys\nprint('script ok ' + sys.argv[1])\n"
                                         % PH).encode(), 0o755),
        "etc/conda/activate.d/hdemo.sh": b'export HDEMO_ACTIVATED="yes"\n',
        "etc/conda/activate.d/hdemo.fish": b'set -gx HDEMO_ACTIVATED yes\n',
    }
    index = {"name": "hdemo", "version": "1.0", "build": "py_0", "build_number": 0, "depends": ["python"],
             "subdir": "noarch", "noarch": "python"}
    link = {"noarch": {"type": "python", "entry_points": ["hdemo = hdemo:main"]}, "package_metadata_version": 1}
    paths = []
    for p, v in sorted(files.items()):
        data = v[0] if isinstance(v, tuple) else v
        e = {"_path": p, "path_type": "hardlink", "sha256": hashlib.sha256(data).hexdigest(), "size_in_bytes": len(data)}
        if p == "python-scripts/hdemo-script":
            e.update(file_mode="text", prefix_placeholder=PH)
        paths.append(e)
    path = os.path.join(directory, "hdemo-1.0-py_0.tar.bz2")
    with tarfile.open(path, "w:bz2") as tar:
        for name, data in (("info/index.json", json.dumps(index).encode()),
                           ("info/link.json", json.dumps(link).encode()),
                           ("info/paths.json", json.dumps({"paths": paths, "paths_version": 1}).encode()),
                           ("info/files", "".join(p + "\n" for p in sorted(files)).encode())):
            lockgen._tar_add(tar, name, data)
        for p, v in sorted(files.items()):
            data, mode = v if isinstance(v, tuple) else (v, 0o644)
            lockgen._tar_add(tar, p, data, mode)
    return path


def make_python_standin(directory):
    """python 3.11 whose bin/python3.11 links to /usr/bin/python3; pyvenv.cfg puts the
    prefix's site-packages on sys.path."""
    return lockgen.make_conda_package(
        directory, "python", "3.11.4", "h0_0",
        files={"pyvenv.cfg": b"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.4\n",
               "lib/python3.11/site-packages/README.txt": b"site-packages of the python stand-in\n"},
        symlinks={"bin/python3.11": "/usr/bin/python3", "bin/python3": "python3.11"})


def sh_word(s):
    return "'" + s.replace("'", "'\\''") + "'"


def main():
    if not BIN or not os.path.exists(BIN):
        print("skipped: PIXI_INSTALL_BIN is not built")
        return lockgen.SKIP
    ver = subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.version_info[:2] == (3, 11))"],
                         capture_output=True, text=True)
    if ver.stdout.strip() != "True":
        print("skipped: /usr/bin/python3 is not 3.11")
        return lockgen.SKIP
    root = tempfile.mkdtemp(prefix="pi-hostile-")
    try:
        pkgs = os.path.join(root, "pkgs")
        lock = lockgen.write_lock(os.path.join(root, "ws"), [
            lockgen.conda(make_python_standin(pkgs)),
            lockgen.conda(make_noarch_package(pkgs), noarch="python", depends=["python"], subdir="noarch"),
        ])
        canaries = [os.path.join(root, n) for n in ("canary1", "canary2", "canary3")]
        # Slashes in the injected text only nest directories: the path is still valid. (No
        # colon: a directory with one cannot be on PATH at all.)
        prefix = os.path.join(root, "env $(touch %s) `touch %s` it's \\ ${x-$(touch %s)}" % tuple(canaries))
        base_env = {"PATH": "/usr/bin:/bin", "HOME": root}

        def run(args, **kw):
            r = subprocess.run(args, capture_output=True, text=True, cwd=root, env=kw.pop("env", base_env), **kw)
            return r

        def no_canary(step):
            for c in canaries + [os.path.join(root, "touch")]:
                assert not os.path.exists(c), "%s ran injected text (%s exists)" % (step, c)

        r = run([BIN, "--no-progress", "install", "-l", lock, "-p", prefix, "--cache-dir", os.path.join(root, "cache")])
        assert r.returncode == 0, (r.returncode, r.stderr)
        no_canary("install")

        # The entry point and the placeholder script: /bin/sh trampolines (the path has spaces).
        for name, want in (("hdemo", "entry ok"), ("hdemo-script", "script ok")):
            exe = os.path.join(prefix, "bin", name)
            with open(exe) as f:
                assert f.readline() == "#!/bin/sh\n", name
            r = run([exe, "arg"])
            assert r.returncode == 0 and r.stdout == want + " arg\n", (name, r.returncode, r.stdout, r.stderr)
            no_canary(name)

        activate = os.path.join(prefix, "activate.sh")
        probe = 'hdemo x && printf "%s|%s\\n" "$CONDA_PREFIX" "$HDEMO_ACTIVATED"'
        want = "entry ok x\n%s|yes\n" % prefix
        for shell in ("sh", "bash", "zsh"):
            if not shutil.which(shell, path="/usr/bin:/bin"):
                continue
            r = run([shell, "-c", ". %s && %s" % (sh_word(activate), probe)])
            assert r.returncode == 0 and r.stdout == want, (shell, r.stdout, r.stderr)
            no_canary("activate.sh in " + shell)
            hook = run([BIN, "shell-hook", "-p", prefix, "--shell", shell])
            assert hook.returncode == 0, hook.stderr
            r = run([shell, "-c", 'eval "$1" && ' + probe, "hook", hook.stdout])
            assert r.returncode == 0 and r.stdout == want, (shell, hook.stdout, r.stdout, r.stderr)
            no_canary("shell-hook for " + shell)
        fish = shutil.which("fish")
        hook = run([BIN, "shell-hook", "-p", prefix, "--shell", "fish"])
        assert hook.returncode == 0, hook.stderr
        if fish:
            fprobe = 'hdemo x; and printf "%s|%s\\n" "$CONDA_PREFIX" "$HDEMO_ACTIVATED"'
            fish_word = "'" + os.path.join(prefix, "activate.fish").replace("\\", "\\\\").replace("'", "\\'") + "'"
            for script in ("source " + fish_word,
                           hook.stdout):
                r = run([fish, "--no-config", "-c", script + "\n" + fprobe])
                assert r.returncode == 0 and r.stdout == want, ("fish", r.stdout, r.stderr)
                no_canary("fish")

        r = run([BIN, "run", "-p", prefix, "--", "sh", "-c", 'hdemo y && printf "%s\\n" "$HDEMO_ACTIVATED"'])
        assert r.returncode == 0 and r.stdout == "entry ok y\nyes\n", (r.returncode, r.stdout, r.stderr)
        no_canary("run")

        # A line feed cannot be written into a script: refused as a usage error, nothing created.
        bad = os.path.join(root, "bad\nprefix")
        r = run([BIN, "--no-progress", "install", "-l", lock, "-p", bad, "--cache-dir", os.path.join(root, "cache")])
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert "line feed" in r.stderr and "\\n" in r.stderr, r.stderr
        assert not os.path.exists(bad)
        print("ok")
        return 0
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
