#!/usr/bin/env python3
"""--require-hashes: a download the lock gives no sha256 or md5 for is refused (exit 4, the
artifact named, nothing installed) with the flag or PIXI_INSTALL_REQUIRE_HASHES=1; without
them it is used with a warning, as before; a local file without a hash is still accepted.
Exit 77 (skip) when the binary is not built."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402
import netlab  # noqa: E402
from netlab import BIN, check  # noqa: E402


def without_hashes(lock):
    with open(lock) as f:
        lines = [l for l in f if not l.lstrip().startswith(("sha256:", "md5:"))]
    with open(lock, "w") as f:
        f.writelines(lines)
    return lock


def main():
    if not os.path.exists(BIN):
        print("binary not built:", BIN)
        return 77
    tmp = tempfile.mkdtemp(prefix="hashes-e2e-")
    server = None
    try:
        files = os.path.join(tmp, "files")
        pkg = lockgen.make_conda_package(files, "nohash", "1.0", files={"share/nohash.txt": b"x\n"})
        server = netlab.Server(files)
        remote = without_hashes(lockgen.write_lock(os.path.join(tmp, "remote"), [
            lockgen.conda(pkg, location=server.url("/files/" + os.path.basename(pkg)))]))
        local = without_hashes(lockgen.write_lock(os.path.join(tmp, "local"), [lockgen.conda(pkg)]))
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env["HOME"] = tmp
        env.pop("PIXI_INSTALL_REQUIRE_HASHES", None)

        def install(lock, name, *extra, **more):
            return subprocess.run([BIN, "--no-progress", "install", "-l", lock, "-p", os.path.join(tmp, name),
                                   "--cache-dir", os.path.join(tmp, "cache-" + name)] + list(extra),
                                  capture_output=True, text=True, env=dict(env, **more), timeout=120)

        r = install(remote, "flag", "--require-hashes")
        check(r.returncode == 4, "--require-hashes refuses a download without a hash: exit 4 (%d %s)"
              % (r.returncode, r.stderr.strip()))
        check("nohash-1.0-h0_0.tar.bz2" in r.stderr and "--require-hashes" in r.stderr,
              "the error names the artifact and the option: " + r.stderr.strip())
        check(not os.path.exists(os.path.join(tmp, "flag")), "nothing installed")
        check(server.stats()["requests"] == 0, "nothing was downloaded")

        r = install(remote, "var", PIXI_INSTALL_REQUIRE_HASHES="1")
        check(r.returncode == 4, "PIXI_INSTALL_REQUIRE_HASHES=1 does the same (%d %s)" % (r.returncode, r.stderr))

        r = install(remote, "plain")
        check(r.returncode == 0, "without the option it installs (%d %s)" % (r.returncode, r.stderr))
        check("unverified" in r.stderr, "with a warning: " + r.stderr.strip())

        r = install(local, "local-env", "--require-hashes")
        check(r.returncode == 0, "a local file without a hash is accepted (%d %s)" % (r.returncode, r.stderr))
    finally:
        if server:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return netlab.outcome()


if __name__ == "__main__":
    sys.exit(main())
