#!/usr/bin/env python3
"""Lock parsing: pixi-install vs PyYAML's C loader on the largest corpus lock.

ours: the wall time and peak RSS of the whole `pixi-install list --parse-only`
process (start-up, reading, parsing, building the model, selecting every
environment/platform). peer: `yaml.load(f, Loader=yaml.CSafeLoader)` timed
inside a Python process (interpreter start-up and `import yaml` not counted),
and that process's peak RSS. Each side runs REPEAT times; the median is reported.
"""
import os
import statistics
import subprocess
import sys
import time

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
PEER_PYTHON = os.environ.get("BENCH_PYYAML_PYTHON", "/usr/bin/python3")
LOCK_NAME = "robotology__robotology-superbuild__pixi.lock"


def run_child(argv):
    """Runs argv; returns (wall seconds, max RSS in KiB, stdout, cpu seconds)."""
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.stdout.read(), p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"lock_parse: {argv[0]} failed ({p.returncode}): {err.decode(errors='replace').strip()}")
    return wall, usage.ru_maxrss, out.decode(), usage.ru_utime + usage.ru_stime


def main():
    binary = os.environ.get("PIXI_INSTALL_BIN", "build/pixi-install")
    shared = os.environ.get("PIXI_INSTALL_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    lock = os.path.join(shared, "corpus", "locks", LOCK_NAME)
    if not os.path.exists(lock):
        print(f"lock_parse: skipped, {lock} not found")
        return 0
    size_mb = os.path.getsize(lock) / 1e6
    peer_code = (
        "import sys,time,yaml\n"
        "f=open(sys.argv[1],'rb')\n"
        "t=time.perf_counter(); c=time.process_time()\n"
        "yaml.load(f, Loader=yaml.CSafeLoader)\n"
        "print(time.perf_counter()-t, time.process_time()-c)\n"
    )
    ours_t, ours_m, ours_c, peer_t, peer_m, peer_c = [], [], [], [], [], []
    for _ in range(REPEAT):
        wall, rss, _, cpu = run_child([binary, "list", "--parse-only", "-l", lock])
        ours_t.append(wall)
        ours_m.append(rss)
        ours_c.append(cpu)
        _, rss, out, _ = run_child([PEER_PYTHON, "-c", peer_code, lock])
        wall, cpu = (float(x) for x in out.split())
        peer_t.append(wall)
        peer_c.append(cpu)
        peer_m.append(rss)
    ot, pt = statistics.median(ours_t), statistics.median(peer_t)
    om, pm = statistics.median(ours_m) / 1024, statistics.median(peer_m) / 1024
    print(f"# {LOCK_NAME} ({size_mb:.1f} MB), median of {REPEAT}; ours = whole process, "
          f"peer = yaml.load(CSafeLoader) inside python")
    print(f"lock_parse_time: ours {ot:.3f} s, peer {pt:.3f} s, ratio {ot / pt:.2f}")
    oc, pc = statistics.median(ours_c), statistics.median(peer_c)
    # CPU seconds (all threads): what the parse costs when no core is free.
    print(f"lock_parse_cpu: ours {oc:.3f} s, peer {pc:.3f} s, ratio {oc / pc:.2f}")
    print(f"lock_parse_maxrss: ours {om:.1f} MB, peer {pm:.1f} MB, ratio {om / pm:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
