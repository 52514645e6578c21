#!/usr/bin/env python3
"""`pixi-install pack`: bundles are complete, verified and byte-for-byte reproducible,
and the artifacts come back offline from the bundle alone.

Uses fixtures/fetch/pack (path locations plus http locations that
test/fetch/server.py serves through --mirror)."""
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlab import BIN, CH, FIX, PY, Server, check, failures  # noqa: E402


def run(*args, cache, lock=FIX):
    cmd = [BIN, "--no-progress", "pack", "-l", lock, "--cache-dir", cache,
           "--low-speed-timeout", "2", "--retries", "2"] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return r


def mirrors(server, channel="/files/channel", pypi="/files/pypi"):
    return ["--mirror", CH + "=" + server.url(channel), "--mirror", PY + "=" + server.url(pypi)]


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def main():
    if not os.path.exists(BIN):
        print("binary not built:", BIN)
        return 77
    tmp = tempfile.mkdtemp(prefix="pack-e2e-")
    server = Server(FIX)
    try:
        t = lambda *p: os.path.join(tmp, *p)
        # Pack twice, each time on an empty cache: identical bytes.
        a = run("-o", t("a.tar"), *mirrors(server), cache=t("cache-a"))
        check(a.returncode == 0, "pack a.tar exits 0: " + a.stderr)
        b = run("-o", t("b.tar"), *mirrors(server), cache=t("cache-b"))
        check(b.returncode == 0, "pack b.tar exits 0: " + b.stderr)
        check(open(t("a.tar"), "rb").read() == open(t("b.tar"), "rb").read(), "packing twice gives identical bytes")

        expected = {}  # sha256 -> file name, for every artifact of the default environment
        for rel in ["pkgs/alpha-1.0-0.conda", "channel/noarch/beta-2.0-py_0.conda",
                    "channel/linux-64/epsilon-0.5-h0_1.tar.bz2", "wheels/gamma-3.0-py3-none-any.whl",
                    "pypi/delta-1.0-py3-none-any.whl"]:
            expected[sha(os.path.join(FIX, rel))] = os.path.basename(rel)
        with tarfile.open(t("a.tar")) as tf:
            members = tf.getmembers()
            names = [m.name for m in members]
            check(names == sorted(names), "tar entries are sorted")
            check(all(m.mtime == 0 and m.uid == 0 and m.gid == 0 and m.uname == "" for m in members),
                  "tar entries have fixed times and owners")
            for h, n in expected.items():
                check("artifacts/%s/%s" % (h, n) in names, "bundle holds " + n)
            check(tf.extractfile("pixi.lock").read() == open(os.path.join(FIX, "pixi.lock"), "rb").read(),
                  "bundle holds the lock unchanged")
            manifest = tf.extractfile("manifest.tsv").read().decode()
            check(CH + "/noarch/beta-2.0-py_0.conda" in manifest and "./pkgs/alpha-1.0-0.conda" in manifest,
                  "manifest names the lock locations")
            check(all(h in manifest for h in expected), "manifest lists every sha256")

        # A directory bundle of one environment and platform.
        d = run("-o", t("slim"), "-e", "slim", "--platform", "linux-64", *mirrors(server), cache=t("cache-a"))
        check(d.returncode == 0, "pack to a directory exits 0: " + d.stderr)
        arts = os.listdir(t("slim", "artifacts")) if os.path.isdir(t("slim", "artifacts")) else []
        check(len(arts) == 1, "the slim bundle holds one artifact: %r" % arts)

        # Offline, empty cache, only the bundle: same bundle again, no request at all.
        before = server.requests()
        c = run("--offline", "--bundle", t("a.tar"), "-o", t("c.tar"), cache=t("cache-c"))
        check(c.returncode == 0, "offline pack from the bundle exits 0: " + c.stderr)
        check(open(t("c.tar"), "rb").read() == open(t("a.tar"), "rb").read(), "re-pack from the bundle is identical")
        check(server.requests() == before, "offline pack made no request")

        # Offline without a bundle: exit 5 listing what is missing, no request.
        m = run("--offline", "-o", t("m.tar"), cache=t("cache-m"))
        check(m.returncode == 5, "offline miss exits 5 (got %d)" % m.returncode)
        check(CH + "/noarch/beta-2.0-py_0.conda" in m.stderr and PY + "/delta-1.0-py3-none-any.whl" in m.stderr,
              "offline miss names each missing location: " + m.stderr)
        check(server.requests() == before, "offline miss made no request")
        check(not os.path.exists(t("m.tar")), "no bundle written on failure")

        # A tampered bundle fails the hash check: exit 4.
        shutil.copy(t("a.tar"), t("bad.tar"))
        with tarfile.open(t("a.tar")) as tf:
            member = next(x for x in tf.getmembers() if x.name.endswith("beta-2.0-py_0.conda"))
        with open(t("bad.tar"), "r+b") as f:
            f.seek(member.offset_data + 5)
            byte = f.read(1)
            f.seek(member.offset_data + 5)
            f.write(bytes([byte[0] ^ 0xFF]))
        bad = run("--offline", "--bundle", t("bad.tar"), "-o", t("x.tar"), cache=t("cache-x"))
        check(bad.returncode == 4, "tampered bundle exits 4 (got %d): %s" % (bad.returncode, bad.stderr))
        check("beta-2.0-py_0.conda" in bad.stderr and "sha256 mismatch" in bad.stderr, "the error names the artifact")

        # Wrong bytes from the server: exit 4; a 404: exit 5 naming the URL.
        w = run("-o", t("w.tar"), *mirrors(server, channel="/wrong/channel"), cache=t("cache-w"))
        check(w.returncode == 4, "wrong bytes exit 4 (got %d)" % w.returncode)
        n = run("-o", t("n.tar"), *mirrors(server, channel="/files/nowhere"), cache=t("cache-n"))
        check(n.returncode == 5, "404 exits 5 (got %d)" % n.returncode)
        check(server.url("/files/nowhere/noarch/beta-2.0-py_0.conda") in n.stderr and "404" in n.stderr,
              "the 404 error names the URL: " + n.stderr)

        # A git PyPI entry cannot be bundled: exit 2 naming it, unless --ignore-pypi-non-wheel,
        # which leaves it out with a warning. A local (editable) directory is the project
        # itself: not bundled, said so, and no error.
        proj = t("proj")
        shutil.copytree(FIX, proj)
        text = open(os.path.join(proj, "pixi.lock")).read()
        delta = "      - pypi: " + PY + "/delta-1.0-py3-none-any.whl\n"
        git = "git+https://example.org/gitlib.git#0123456789abcdef0123456789abcdef01234567"
        text = text.replace(delta, delta + "      - pypi: ./src/mylib\n      - pypi: " + git + "\n", 1)
        text += "- pypi: ./src/mylib\n  name: mylib\n  version: 0.1.0\n  editable: true\n"
        text += "- pypi: " + git + "\n  name: gitlib\n  version: 0.2.0\n"
        open(os.path.join(proj, "pixi.lock"), "w").write(text)
        e = run("-o", t("e.tar"), *mirrors(server), cache=t("cache-a"), lock=proj)
        check(e.returncode == 2, "a git PyPI entry exits 2 (got %d): %s" % (e.returncode, e.stderr))
        check("gitlib (" + git + ")" in e.stderr and "--ignore-pypi-non-wheel" in e.stderr,
              "the error names the entry and the way out: " + e.stderr)
        check("mylib" not in e.stderr.split("cannot be bundled")[1], "the directory is not refused: " + e.stderr)
        i = run("-o", t("i.tar"), "--ignore-pypi-non-wheel", *mirrors(server), cache=t("cache-a"), lock=proj)
        check(i.returncode == 0, "--ignore-pypi-non-wheel packs the rest: " + i.stderr)
        check("gitlib" in i.stderr, "the left-out entry is reported: " + i.stderr)
        check("not bundled: mylib (./src/mylib): a local source directory" in i.stderr,
              "the directory is reported as not bundled: " + i.stderr)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
