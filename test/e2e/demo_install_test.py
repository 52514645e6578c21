#!/usr/bin/env python3
"""The demo end to end: install fixtures/demo/pixi.lock into a fresh prefix
(local paths, no network), then use it the way a Docker entrypoint would.

- hello-prefix prints the prefix it was installed into (text placeholder) and
  the path read from its binary data file (binary placeholder);
- `pixi-install run` activates: activate.d/demo.sh sets DEMO_ACTIVATED=1;
- the entry points of the noarch: python package and of the wheel run through
  the python stand-in (bin/python3.11 -> /usr/bin/python3, needs it to be 3.11);
- the log (stderr not a terminal) has no control characters and ends with
  the summary.
Exit 77 (skip) when the binary is not built.
"""
import os
import subprocess
import sys
import tempfile

BIN = os.environ.get("PIXI_INSTALL_BIN", "")
SOURCE = os.environ.get("PIXI_INSTALL_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    if not BIN or not os.access(BIN, os.X_OK):
        print("skip: PIXI_INSTALL_BIN is not built")
        return 77
    lock = os.path.join(SOURCE, "fixtures", "demo", "pixi.lock")
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "env")
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "LANG": "C"}
        r = subprocess.run([BIN, "install", "-l", lock, "-p", prefix, "--cache-dir", os.path.join(tmp, "cache"),
                            "--offline"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        log = r.stderr.decode()
        assert r.returncode == 0, log
        assert "\x1b" not in log and "\r" not in log, "control characters in a log: %r" % log
        lines = log.splitlines()
        assert lines[-2] == "installed environment 'default' into %s (linux-64)" % prefix, log
        assert lines[-1].startswith("  4 installed, 0 removed, 0 unchanged, 0 B downloaded, "), log

        out = subprocess.run([BIN, "run", "-p", prefix, "--", "sh", "-c",
                              'hello-prefix && echo "activated=$DEMO_ACTIVATED"'],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.decode() == ("hello-prefix is installed in %s\n"
                                       "its data file says: %s/share/hello-prefix\n"
                                       "activated=1\n" % (prefix, prefix)), out.stdout

        py = subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.version_info[:2] == (3, 11))"],
                            stdout=subprocess.PIPE) if os.path.exists("/usr/bin/python3") else None
        if py is None or py.stdout.strip() != b"True":
            print("python entry points not checked: /usr/bin/python3 is not python 3.11")
        else:
            noarch = subprocess.run([BIN, "run", "-p", prefix, "hello-noarch"], stdout=subprocess.PIPE, env=env)
            assert noarch.returncode == 0, noarch
            assert noarch.stdout.decode() == ("hello-noarch: an entry point of a noarch: python conda package\n"
                                              "python prefix: %s\n" % prefix), noarch.stdout
            greet = subprocess.run([BIN, "run", "-p", prefix, "demo-greet"], stdout=subprocess.PIPE, env=env)
            assert greet.returncode == 0, greet
            assert greet.stdout.decode() == ("demo-greet: a console script from a PyPI wheel\n"
                                             "interpreter: %s/bin/python3.11\n" % prefix), greet.stdout
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
