#!/usr/bin/env python3
"""Credentials stay where they belong.

- An https download redirected to plain http (same host, a netrc entry for it) is refused:
  exit 5, the message names both URLs, and the plain-http server never sees a request (so
  never the Authorization header).
- A lock whose URLs carry `user:password@` and an anaconda.org token (`/t/<token>/`), and a
  mirror that carries them: the secrets appear nowhere: not in stderr with -vv (success and a
  404), not in --json output, not in `info` (text and --json), not in conda-meta records,
  not in a wheel's direct_url.json, not in a `pack` bundle (manifest and bundled lock).
Exit 77 (skip) without the binary, openssl, or a python 3.11 at /usr/bin/python3.
"""
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402
import netlab  # noqa: E402
from netlab import BIN, check  # noqa: E402

PASSWORD = "pa55-w0rd-xyz"
TOKEN = "conda-token"  # the value test/fetch/server.py accepts in /t/<token>/
SECRETS = (PASSWORD, "/t/" + TOKEN)


def leaks(text):
    return [s for s in SECRETS if s in text]


def tree_leaks(root):
    """Files under `root` whose bytes hold a secret."""
    found = []
    for d, _, files in os.walk(root):
        for n in files:
            p = os.path.join(d, n)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as f:
                data = f.read()
            if any(s.encode() in data for s in SECRETS):
                found.append(p)
    return found


def main():
    if not os.path.exists(BIN):
        print("binary not built:", BIN)
        return 77
    if not shutil.which("openssl"):
        print("openssl not installed (scripts/deps.sh)")
        return 77
    tmp = tempfile.mkdtemp(prefix="creds-e2e-")
    servers = []
    try:
        files = os.path.join(tmp, "files")
        pkg = lockgen.make_conda_package(files, "secretpkg", "1.0", files={"share/secretpkg.txt": b"x\n"})
        ca = netlab.make_ca(tmp, "ca")
        tls = netlab.Server(files, tls=netlab.make_cert(tmp, ca, "srv"))
        servers.append(tls)
        plain = netlab.Server(files)
        servers.append(plain)
        netrc = os.path.join(tmp, "netrc")
        with open(netrc, "w") as f:
            f.write("machine 127.0.0.1 login user password %s\n" % PASSWORD)
        env = {k: v for k, v in os.environ.items()
               if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR", "PIXI_INSTALL_CONFIG", "XDG_CONFIG_HOME")
               and not k.lower().endswith("_proxy")}
        env.update(HOME=tmp, NETRC=netrc)
        cache = os.path.join(tmp, "cache")

        def run(*args):
            return subprocess.run([BIN, "--no-progress"] + list(args), capture_output=True, text=True, env=env,
                                  cwd=tmp, timeout=120)

        # 1. https -> http redirect: refused before any request reaches the plain server.
        base = "https://127.0.0.1:%d" % tls.port
        start = base + "/tohttp-%d/%s" % (plain.port, os.path.basename(pkg))
        target = "http://127.0.0.1:%d/files/%s" % (plain.port, os.path.basename(pkg))
        lock = lockgen.write_lock(os.path.join(tmp, "redirect"), [lockgen.conda(pkg, location=start)])
        r = run("install", "-l", lock, "-p", os.path.join(tmp, "p1"), "--cache-dir", cache,
                "--tls-ca-cert", ca[0], "--retries", "1")
        check(r.returncode == 5, "an https->http redirect fails with exit 5 (got %d: %s)" % (r.returncode, r.stderr))
        check(start in r.stderr and target in r.stderr, "the error names both URLs: " + r.stderr.strip())
        check("plain http" in r.stderr, "the error says why: " + r.stderr.strip())
        check(plain.stats()["requests"] == 0,
              "the plain-http server got no request (so no Authorization): %s" % plain.stats())
        check(not leaks(r.stderr), "no secret in the redirect error")

        # The same redirect inside https is followed, and reported under -v.
        same = base + "/redirect/" + os.path.basename(pkg)
        lock = lockgen.write_lock(os.path.join(tmp, "redirect-ok"), [lockgen.conda(pkg, location=same)])
        r = run("-v", "install", "-l", lock, "-p", os.path.join(tmp, "p2"), "--cache-dir", cache + "-2",
                "--tls-ca-cert", ca[0])
        check(r.returncode == 0, "an https->https redirect works (%d %s)" % (r.returncode, r.stderr))
        check("redirected 1 time: " + same + " -> " in r.stderr and "/files/" + os.path.basename(pkg) in r.stderr,
              "-v reports the redirect: " + r.stderr.strip())

        # 2. Secrets in the lock's URLs and in a mirror.
        host = "https://user:%s@127.0.0.1:%d/t/%s" % (PASSWORD, tls.port, TOKEN)
        wheel = lockgen.make_wheel(files, "secretwheel", "1.0", {"secretwheel": b"X = 1\n"})
        entries = [lockgen.conda(lockgen.make_python_standin(files), location=host + "/files/python-3.11.4-h0_0.tar.bz2"),
                   lockgen.conda(pkg, location=host + "/files/" + os.path.basename(pkg)),
                   lockgen.wheel(wheel, location=host + "/files/" + os.path.basename(wheel))]
        ws = os.path.join(tmp, "ws")
        lock = lockgen.write_lock(ws, entries)
        prefix = os.path.join(tmp, "p3")
        r = run("-vv", "install", "-l", lock, "-p", prefix, "--cache-dir", cache + "-3", "--tls-ca-cert", ca[0],
                "--json")
        check(r.returncode == 0, "the install with secret URLs works (%d %s)" % (r.returncode, r.stderr))
        check(not leaks(r.stderr) and not leaks(r.stdout),
              "-vv and --json show no secret: %s" % (leaks(r.stderr + r.stdout)))
        check(tree_leaks(prefix) == [], "no file of the prefix holds a secret: %s" % tree_leaks(prefix))
        direct = [os.path.join(d, n) for d, _, fs in os.walk(prefix) for n in fs if n == "direct_url.json"]
        check(len(direct) == 1, "the wheel has a direct_url.json (%s)" % direct)
        with open(direct[0]) as f:
            check("https://127.0.0.1:%d/files/" % tls.port in f.read(), "direct_url.json keeps the URL itself")

        r = run("-vv", "list", "-l", lock, "--json")
        check(not leaks(r.stdout + r.stderr), "list --json shows no secret")

        # A failing download: the error (with the server's answer) shows no secret.
        missing = lockgen.conda(pkg, location=host + "/files/nothere-1.0-h0_0.tar.bz2")
        lock_missing = lockgen.write_lock(os.path.join(tmp, "missing"), [missing])
        r = run("-vv", "install", "-l", lock_missing, "-p", os.path.join(tmp, "p4"), "--cache-dir", cache + "-4",
                "--tls-ca-cert", ca[0], "--json")
        check(r.returncode == 5, "a 404 fails with exit 5 (%d)" % r.returncode)
        check(not leaks(r.stderr + r.stdout), "the 404 error shows no secret: " + r.stderr.strip())
        check("user:***@" in r.stderr and "/t/*****/" in r.stderr, "the URL is shown masked: " + r.stderr.strip())

        # info: a mirror carrying credentials is shown masked.
        with open(os.path.join(tmp, "cfg.toml"), "w") as f:
            f.write('[mirrors]\n"https://conda.example.invalid/x" = ["%s/files"]\n' % host)
        for extra in ([], ["--json"]):
            r = subprocess.run([BIN, "info", "--config", os.path.join(tmp, "cfg.toml")] + extra, capture_output=True,
                               text=True, env=env, cwd=tmp, timeout=60)
            check(r.returncode == 0, "info works (%d %s)" % (r.returncode, r.stderr))
            check("127.0.0.1:%d" % tls.port in r.stdout, "info lists the mirror: " + r.stdout[-600:])
            check(not leaks(r.stdout + r.stderr), "info %s shows no secret" % " ".join(extra))

        # pack: neither the manifest nor the bundled lock holds a secret; the bundle still installs.
        out = os.path.join(tmp, "bundle.tar")
        r = run("pack", "-l", lock, "-o", out, "--cache-dir", cache + "-3", "--tls-ca-cert", ca[0])
        check(r.returncode == 0, "pack works (%d %s)" % (r.returncode, r.stderr))
        with tarfile.open(out) as t:
            for m in t.getmembers():
                if m.isfile() and not m.name.endswith((".bz2", ".conda", ".whl")):
                    data = t.extractfile(m).read().decode("utf-8", "replace")
                    check(not leaks(data), "bundle member %s holds no secret" % m.name)
        r = run("install", "-l", lock, "-p", os.path.join(tmp, "p5"), "--cache-dir", cache + "-5", "--bundle", out,
                "--offline")
        check(r.returncode == 0, "the bundle installs offline (%d %s)" % (r.returncode, r.stderr))
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return netlab.outcome()


if __name__ == "__main__":
    sys.exit(main())
