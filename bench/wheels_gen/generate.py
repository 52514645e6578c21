#!/usr/bin/env python3
"""Generates pure-python wheels of varying sizes for the wheel-install benchmark.

usage: python3 bench/wheels_gen/generate.py OUT_DIR [COUNT]   (COUNT defaults to 38)

Wheel i holds a package of 1 to ~400 modules of 0.2 to 40 KiB of text, some with
package data, console_scripts and a .data/scripts file; the sizes follow a fixed
seed so every run builds the same bytes.
"""
import base64
import hashlib
import os
import random
import sys
import zipfile

DATE = (2024, 1, 1, 0, 0, 0)


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def module_text(rng, size):
    lines = ['"""Generated module."""', ""]
    n = 0
    while sum(len(x) + 1 for x in lines) < size:
        lines.append(f"def f{n}(x, y={rng.randint(0, 999)}):")
        lines.append(f"    return x * {rng.randint(1, 99)} + y  # {'x' * rng.randint(0, 60)}")
        n += 1
    lines.append("")
    return "\n".join(lines).encode()


def make_wheel(out, i, rng):
    name = f"benchpkg{i:03d}"
    version = f"1.{i}.0"
    di = f"{name}-{version}.dist-info"
    # a long tail: most wheels are small, a few are large
    modules = max(1, int(rng.paretovariate(1.2) * 4)) if i % 7 else rng.randint(150, 400)
    files = [(f"{name}/__init__.py", b"def main():\n    return 0\n", 0o644)]
    for m in range(modules):
        sub = f"sub{m // 25}/" if modules > 25 else ""
        if sub and m % 25 == 0:
            files.append((f"{name}/{sub}__init__.py", b"", 0o644))
        files.append((f"{name}/{sub}mod{m}.py", module_text(rng, rng.randint(200, 40000 if m % 10 == 0 else 6000)), 0o644))
    if i % 3 == 0:
        files.append((f"{name}/data/table.csv", b"a,b\n" * rng.randint(10, 5000), 0o644))
    eps = ""
    if i % 2 == 0:
        eps = f"[console_scripts]\n{name} = {name}:main\n{name}-alt = {name}:main\n"
    if i % 5 == 0:
        files.append((f"{name}-{version}.data/scripts/{name}-tool", b"#!python\nprint('tool')\n", 0o755))
    files.append((f"{di}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nBench.\n".encode(), 0o644))
    files.append((f"{di}/WHEEL", b"Wheel-Version: 1.0\nGenerator: wheels_gen.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n", 0o644))
    if eps:
        files.append((f"{di}/entry_points.txt", eps.encode(), 0o644))
    record = "".join(f"{n},{record_hash(d)},{len(d)}\n" for n, d, _ in files) + f"{di}/RECORD,,\n"
    files.append((f"{di}/RECORD", record.encode(), 0o644))
    path = os.path.join(out, f"{name}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d, mode in files:
            info = zipfile.ZipInfo(n, DATE)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, d)
    return path


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) == 3 else 38
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20240101)
    for i in range(count):
        make_wheel(out, i, rng)


if __name__ == "__main__":
    main()
