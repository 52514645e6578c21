#!/usr/bin/env python3
"""Many nodes behind one caching proxy: 16 concurrent installs of one lock, each with
its own cache and prefix, through one squid that caches, in front of an upstream that
counts requests. The upstream serves each artifact at most once and every node
verifies every hash (each install checks the sha256 of every archive; `verify` then
checks every installed file). Then the same with the 16 sharing one cache directory
(behind a fresh squid)."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402
from netlab import BIN, check  # noqa: E402

NODES = 16


def verify_all(directory):
    """`verify` on every node's prefix, all at once; the failures."""
    procs = []
    for i in range(NODES):
        prefix = os.path.join(directory, "node%02d" % i, "prefix")
        procs.append((prefix, subprocess.Popen([BIN, "verify", "-p", prefix], stdout=subprocess.DEVNULL,
                                               stderr=subprocess.PIPE, text=True)))
    bad = []
    for prefix, p in procs:
        err = p.communicate(timeout=300)[1]
        if p.returncode != 0:
            bad.append((prefix, p.returncode, err.strip()[-200:]))
    return bad


def scenario(tmp, name, lock, upstream, count, shared_cache):
    directory = os.path.join(tmp, name)
    with netlab.Squid(os.path.join(tmp, "squid-" + name), cache_mb=256) as squid:
        r = netlab.run_nodes(BIN, directory, lock, upstream, NODES, proxy=squid, shared_cache=shared_cache)
    print("%s: %s" % (name, {k: v for k, v in r.items() if k != "errors"}))
    check(r["ok"] == NODES, "%s: all %d nodes installed (%s)" % (name, NODES, r["errors"][:1]))
    check(r["upstream_requests"] == count, "%s: the upstream served %d requests for %d artifacts"
          % (name, r["upstream_requests"], count))
    check(r["max_per_artifact"] <= 1, "%s: no artifact was served twice (max %d)" % (name, r["max_per_artifact"]))
    if not shared_cache:
        check(r["gets"] == NODES * count, "%s: every node asked the proxy for every artifact (%d GETs)"
              % (name, r["gets"]))
    bad = verify_all(directory)
    check(not bad, "%s: `verify` passes on every node's prefix %s" % (name, bad[:1]))
    return r


def main():
    if not os.path.exists(BIN):
        print("skipped: the binary is not built:", BIN)
        return 77
    if not netlab.squid_binary():
        print("skipped: squid is not installed (scripts/deps.sh installs it)")
        return 77
    tmp = tempfile.mkdtemp(prefix="nodes-e2e-")
    try:
        count = 12
        lock, _, total = netlab.make_channel(tmp, count, 256 * 1024)
        with netlab.Server(tmp) as upstream:
            own = scenario(tmp, "own-caches", lock, upstream, count, shared_cache=False)
            check(own["upstream_bytes"] == total, "own caches: the upstream sent each byte once (%d of %d)"
                  % (own["upstream_bytes"], total))
            check(own["hits"] >= (NODES - 1) * count, "own caches: at least %d of %d GETs were proxy hits (%d)"
                  % ((NODES - 1) * count, own["gets"], own["hits"]))
            scenario(tmp, "shared-cache", lock, upstream, count, shared_cache=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return netlab.outcome()


if __name__ == "__main__":
    sys.exit(main())
