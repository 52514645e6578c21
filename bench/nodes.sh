#!/usr/bin/env bash
# Many-nodes benchmark: N concurrent `pixi-install install`s of one lock (synthetic
# packages of random bytes), each node with its own cache and prefix, in three setups
# measured in the same run:
#   direct        every node downloads from the upstream (test/fetch/server.py)
#   proxy-cache   every node goes through one caching squid (http_proxy)
#   shared-cache  the nodes share one cache directory, through a fresh caching squid
# Prints per setup: wall time, upstream requests and bytes, proxy hit ratio (GETs squid
# answered without asking the upstream: cache hits and collapsed requests), and the
# upstream bytes of each setup as a ratio against `direct`.
#
# usage: bench/nodes.sh [BUILD_DIR]   (default: the dir of $PIXI_INSTALL_BIN, else build)
# env:   NODES (default 16), NODES_PACKAGES (default 24), NODES_PACKAGE_KB (default 1024),
#        BENCH_TMP (scratch dir parent)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
if [[ $# -ge 1 ]]; then build=$1
elif [[ -n "${PIXI_INSTALL_BIN:-}" ]]; then build=$(dirname "$PIXI_INSTALL_BIN")
else build=build; fi
[[ "$build" = /* ]] || build="$root/$build"
[[ -x "$build/pixi-install" ]] || { echo "nodes bench: $build/pixi-install is not built" >&2; exit 2; }
command -v squid >/dev/null || [[ -x /usr/sbin/squid ]] || { echo "nodes bench: squid not found" >&2; exit 2; }

work=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/pixi-install-nodes-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

PIXI_INSTALL_SOURCE="$root" python3 - "$build/pixi-install" "$work" <<'PY'
import os
import sys

root = os.environ["PIXI_INSTALL_SOURCE"]
sys.path.insert(0, os.path.join(root, "test", "e2e"))
import netlab  # noqa: E402

binary, work = sys.argv[1], sys.argv[2]
nodes = int(os.environ.get("NODES", "16"))
count = int(os.environ.get("NODES_PACKAGES", "24"))
size = int(os.environ.get("NODES_PACKAGE_KB", "1024")) * 1024
lock, _, total = netlab.make_channel(work, count, size)
print("nodes: %d, artifacts: %d, %.1f MB per node" % (nodes, count, total / 1e6))
results = {}
with netlab.Server(work) as upstream:
    results["direct"] = netlab.run_nodes(binary, os.path.join(work, "direct"), lock, upstream, nodes)
    with netlab.Squid(os.path.join(work, "squid-a"), cache_mb=4096) as squid:
        results["proxy-cache"] = netlab.run_nodes(binary, os.path.join(work, "proxy"), lock, upstream, nodes,
                                                  proxy=squid)
    with netlab.Squid(os.path.join(work, "squid-b"), cache_mb=4096) as squid:
        results["shared-cache"] = netlab.run_nodes(binary, os.path.join(work, "shared"), lock, upstream, nodes,
                                                   proxy=squid, shared_cache=True)
direct = results["direct"]["upstream_bytes"] or 1
for name, r in results.items():
    hit = "%.1f%%" % (100.0 * r["hits"] / r["gets"]) if r.get("gets") else "-"
    gets = " (%d of %d GETs)" % (r["hits"], r["gets"]) if r.get("gets") else ""
    print("%-13s wall %6.2f s, nodes ok %d/%d, upstream %4d requests %8.1f MB (%.3f of direct), proxy hit ratio %s%s"
          % (name, r["wall_s"], r["ok"], nodes, r["upstream_requests"], r["upstream_bytes"] / 1e6,
             r["upstream_bytes"] / direct, hit, gets))
    if r["errors"]:
        print("  first error:", r["errors"][0].strip()[-300:])
PY
