#!/usr/bin/env python3
"""No network and no --offline: the install fails in seconds and says what to do.

- A generated lock of 200 packages on two hosts that cannot be reached (an
  unresolvable name, conda.invalid, and a closed loopback port), empty cache:
  exit 5 well within the time per-artifact retries would take; each host is tried
  as a whole (its retries shown as lines), then given up for all its artifacts;
  the error has one line per host with its count of artifacts and names
  --offline, --bundle and --mirror; -v lists every artifact; --json names each.
- The 191-package corpus lock (Quantco/glum), its channel sent to conda.invalid:
  exit 5 in seconds, with a one-line summary for the host.
Exit 77 (skip) when the binary is not built.
"""
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402
from netlab import check, outcome  # noqa: E402

BIN = os.environ.get("PIXI_INSTALL_BIN", "")
# The project's corpus sample (fixtures/corpus), as test/meson.build passes it.
CORPUS = os.environ.get("PIXI_INSTALL_CORPUS") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures", "corpus")


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: connections are refused


def entry(url):
    name, version, build = os.path.basename(url)[: -len(".conda")].rsplit("-", 2)
    return {"kind": "conda", "location": url, "name": name, "version": version, "build": build,
            "sha256": hashlib.sha256(url.encode()).hexdigest(), "md5": hashlib.md5(url.encode()).hexdigest(),
            "size": 1234, "subdir": "linux-64", "depends": [],
            "noarch": None, "python_site_packages_path": None}


def run(args, env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    t0 = time.monotonic()
    r = subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=600)
    return r, time.monotonic() - t0


def error_block(stderr):
    """The lines from the first `error:` on."""
    lines = stderr.splitlines()
    for i, l in enumerate(lines):
        if l.startswith("error:"):
            return lines[i:]
    return []


def main():
    if not BIN or not os.path.exists(BIN):
        print("skipped: PIXI_INSTALL_BIN is not built")
        return 77
    port = closed_port()
    with tempfile.TemporaryDirectory() as tmp:
        invalid = ["http://conda.invalid/conda-forge/linux-64/pkg%03d-1.0-h0_0.conda" % i for i in range(150)]
        closed = ["http://127.0.0.1:%d/linux-64/loop%03d-1.0-h0_0.conda" % (port, i) for i in range(50)]
        lock = lockgen.write_lock(os.path.join(tmp, "proj"), [entry(u) for u in invalid + closed])
        base = ["install", "-l", lock, "-p", os.path.join(tmp, "env"), "--no-host-check"]

        r, secs = run(base + ["--cache-dir", os.path.join(tmp, "c1")])
        err = r.stderr.decode()
        block = error_block(err)
        print(err[-3000:])
        check(r.returncode == 5, "exit 5 when no host can be reached (got %d)" % r.returncode)
        # Per artifact (each has its own hash, so each is fetched), 200 artifacts x 5 attempts
        # with back-off take a minute or more.
        check(secs < 30, "given up in seconds, not minutes (%.1f s)" % secs)
        check(sum("conda.invalid" in l for l in block) == 1 and
              any("conda.invalid" in l and "150 artifacts" in l for l in block),
              "one line for conda.invalid, with its 150 artifacts")
        check(sum("127.0.0.1" in l for l in block) == 1 and
              any("127.0.0.1" in l and "50 artifacts" in l for l in block),
              "one line for the closed port, with its 50 artifacts")
        check("--offline" in err and "--bundle" in err and "--mirror" in err,
              "the error names --offline, --bundle and --mirror")
        check(len(block) < 10, "the error is a summary, not a line per artifact (%d lines)" % len(block))
        check("pkg007" not in err, "artifacts are not listed one by one without -v")
        check("retrying conda.invalid: attempt 2 of 5" in err and "retrying 127.0.0.1" in err,
              "the host-wide retries are shown")
        check(err.count("retrying conda.invalid") == 4, "conda.invalid was tried 5 times in all, not per artifact "
                                                        "(%d retries shown)" % err.count("retrying conda.invalid"))
        check(not os.path.exists(os.path.join(tmp, "env")), "nothing was made")

        r, secs = run(base + ["--cache-dir", os.path.join(tmp, "c2"), "--retries", "2", "-v"])
        err = r.stderr.decode()
        check(r.returncode == 5, "-v: exit 5")
        check(all(("pkg%03d-1.0-h0_0.conda" % i) in err for i in range(150)) and
              all(("loop%03d-1.0-h0_0.conda" % i) in err for i in range(50)),
              "-v lists every artifact not downloaded")

        r, secs = run(base + ["--cache-dir", os.path.join(tmp, "c3"), "--json"], {"PIXI_INSTALL_RETRIES": "2"})
        check(r.returncode == 5, "--json: exit 5")
        try:
            doc = json.loads(r.stdout.decode())
        except ValueError:
            doc = {}
        lost = doc.get("error", {}).get("not_downloaded", [])
        check(doc.get("ok") is False and doc.get("exit_code") == 5, "--json: an error document")
        check(len(lost) == 200 and any("conda.invalid: pkg000" in x for x in lost),
              "--json: every artifact not downloaded is named (%d)" % len(lost))

        # The corpus lock of the report: 191 packages from conda.anaconda.org, sent nowhere.
        corpus = os.path.join(CORPUS, "locks", "Quantco__glum__pixi.lock")
        r, secs = run(["install", "-l", corpus, "-p", os.path.join(tmp, "glum"), "--no-host-check",
                       "--cache-dir", os.path.join(tmp, "c4"),
                       "--mirror", "https://conda.anaconda.org=http://conda.invalid"])
        err = r.stderr.decode()
        block = error_block(err)
        print("\n".join(block))
        print("glum: %.1f s" % secs)
        check(r.returncode == 5, "glum: exit 5 (got %d)" % r.returncode)
        check(secs < 30, "glum: given up in seconds (%.1f s)" % secs)
        check(any("conda.invalid" in l and "191 artifacts" in l for l in block) and len(block) < 10,
              "glum: one summary line for the host, with 191 artifacts")
    return outcome()


if __name__ == "__main__":
    sys.exit(main())
