#!/usr/bin/env python3
"""Generates a synthetic conda environment for the install benchmark: N packages
(.conda and .tar.bz2, like a real channel), each with many files of text and
binary content, and a v6 pixi.lock with path locations to them.

    install_gen.py OUT_DIR [N_PACKAGES] [TOTAL_FILES] [TOTAL_MB]

Deterministic for given arguments. Needs the `zstd` and `zip`-free stdlib only
(.conda is a stored zip of two .tar.zst made with the zstd CLI)."""
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import zipfile

PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"


def tar_bytes(members, compress=None):
    buf = io.BytesIO()
    mode = "w:bz2" if compress == "bz2" else "w"
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as t:
        for name, data, mode_bits in sorted(members):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 1700000000
            ti.mode = mode_bits
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def zstd(data):
    return subprocess.run(["zstd", "-q", "-3", "-c", "-T1"], input=data, stdout=subprocess.PIPE,
                          check=True).stdout


def make_package(rng, name, n_files, n_bytes, fmt, out_dir):
    files = []
    paths = []
    per = max(1, n_bytes // max(1, n_files))
    for i in range(n_files):
        sub = f"lib/{name}/d{i % 17}" if i % 5 else f"share/{name}"
        path = f"{sub}/f{i}.{'so' if i % 3 == 0 else 'txt'}"
        size = max(16, int(rng.expovariate(1 / per)))
        if i % 3 == 0:  # binary-ish: half random, half zeros
            data = rng.randbytes(size // 2) + bytes(size - size // 2)
        else:
            words = [b"alpha", b"beta", b"gamma", b"delta", b"conda", b"prefix", b"\n"]
            data = b" ".join(rng.choice(words) for _ in range(size // 6 + 1))[:size]
        entry = {"_path": path, "path_type": "hardlink", "sha256": hashlib.sha256(data).hexdigest(),
                 "size_in_bytes": len(data)}
        if i % 50 == 1:  # a few text files with the prefix placeholder
            data = (f"prefix={PLACEHOLDER}\n").encode() + data
            entry.update(sha256=hashlib.sha256(data).hexdigest(), size_in_bytes=len(data),
                         file_mode="text", prefix_placeholder=PLACEHOLDER)
        files.append((path, data, 0o644))
        paths.append(entry)
    index = {"name": name, "version": "1.0", "build": "h0_0", "build_number": 0, "depends": [],
             "subdir": "linux-64", "license": "MIT", "timestamp": 1700000000000}
    info = [("info/index.json", json.dumps(index, sort_keys=True).encode(), 0o644),
            ("info/paths.json", json.dumps({"paths": sorted(paths, key=lambda p: p["_path"]),
                                            "paths_version": 1}, sort_keys=True).encode(), 0o644)]
    stem = f"{name}-1.0-h0_0"
    if fmt == "conda":
        fn = stem + ".conda"
        with zipfile.ZipFile(os.path.join(out_dir, fn), "w", zipfile.ZIP_STORED) as z:
            z.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
            z.writestr(f"pkg-{stem}.tar.zst", zstd(tar_bytes(files)))
            z.writestr(f"info-{stem}.tar.zst", zstd(tar_bytes(info)))
    else:
        fn = stem + ".tar.bz2"
        with open(os.path.join(out_dir, fn), "wb") as f:
            f.write(tar_bytes(info + files, "bz2"))
    return fn, sum(len(d) for _, d, _ in files)


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 150
    total_files = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    total_mb = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    rng = random.Random(42)
    pkgs = os.path.join(out, "pkgs")
    os.makedirs(pkgs, exist_ok=True)
    weights = [rng.paretovariate(1.2) for _ in range(n)]
    wsum = sum(weights)
    names, unpacked = [], 0
    for i in range(n):
        share = weights[i] / wsum
        name = f"bench-pkg-{i:03d}"
        fmt = "tarbz2" if i % 10 == 9 else "conda"
        fn, size = make_package(rng, name, max(2, int(total_files * share)), int(total_mb * 2**20 * share),
                                fmt, pkgs)
        names.append(fn)
        unpacked += size
    lines = ["version: 6", "environments:", "  default:", "    channels:",
             "    - url: https://conda.anaconda.org/conda-forge/", "    packages:", "      linux-64:"]
    lines += [f"      - conda: ./pkgs/{fn}" for fn in names]
    lines.append("packages:")
    for fn in names:
        data = open(os.path.join(pkgs, fn), "rb").read()
        lines += [f"- conda: ./pkgs/{fn}", f"  sha256: {hashlib.sha256(data).hexdigest()}",
                  f"  md5: {hashlib.md5(data).hexdigest()}", f"  size: {len(data)}", "  subdir: linux-64",
                  "  depends: []"]
    with open(os.path.join(out, "pixi.lock"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"generated {n} packages, {unpacked / 2**20:.0f} MiB unpacked, in {out}")


if __name__ == "__main__":
    main()
