#!/usr/bin/env python3
"""Generates a lock of N tiny conda packages (one small file each, .tar.bz2) for the
no-op benchmark: the lock's size grows with N as a real one does (about 300 bytes a
package), the install itself stays cheap.

    noop_gen.py OUT_DIR N

Deterministic for given arguments (fixed member times)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "e2e"))
import lockgen  # noqa: E402


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    pkgs = os.path.join(out, "pkgs")
    entries = []
    for i in range(n):
        name = "pkg%05d" % i
        path = lockgen.make_conda_package(pkgs, name, "1.%d" % (i % 7), files={"share/%s/data.txt" % name:
                                                                                 ("%d\n" % i).encode()},
                                          depends=["pkg%05d" % (i - 1)] if i else [], mtime=1700000000)
        entries.append(lockgen.conda(path, depends=["pkg%05d >=1.0" % (i - 1)] if i else [],
                                     location="./pkgs/" + os.path.basename(path)))
    lockgen.write_lock(out, entries)


if __name__ == "__main__":
    main()
