#!/usr/bin/env python3
"""Names the tests a `meson test` run skipped, with the reason each one printed.

  skipped_tests.py BUILD_DIR LABEL

Reads BUILD_DIR/meson-logs/testlog.json (written by the last `meson test` in BUILD_DIR) and
prints one line per skipped test: "LABEL: TEST: REASON". The reason is the first output line
that starts with "skip", else the last output line. Used by scripts/test.sh."""
import json
import os
import sys


def reason(output):
    lines = [l.strip() for l in (output or "").splitlines() if l.strip()]
    for line in lines:
        if line.lower().startswith("skip"):
            return line
    return lines[-1] if lines else "(the test printed no reason)"


def main():
    build, label = sys.argv[1], sys.argv[2]
    path = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            t = json.loads(line)
            if t.get("result") == "SKIP":
                out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
                print("%s: %s: %s" % (label, t.get("name", "?"), reason(out)[:300]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
