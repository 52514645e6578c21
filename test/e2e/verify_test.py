#!/usr/bin/env python3
"""`pixi-install verify`: passes on an intact prefix, exits 4 naming a modified
and a missing file, reports unrecorded files with --extra, JSON output."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

BIN = os.environ.get("PIXI_INSTALL_BIN", "pixi-install")


def run(*args):
    return subprocess.run([BIN, "verify", *args], capture_output=True, text=True)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main() -> int:
    if not os.path.exists(BIN):
        print("skipped: binary not built")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "env")
        os.makedirs(os.path.join(prefix, "conda-meta"))
        os.makedirs(os.path.join(prefix, "bin"))
        files = {"bin/tool": b"#!/bin/sh\necho tool\n", "share-data.txt": b"data\n"}
        paths = []
        for rel, data in files.items():
            with open(os.path.join(prefix, rel), "wb") as f:
                f.write(data)
            paths.append({"_path": rel, "path_type": "hardlink", "sha256": sha(data), "size_in_bytes": len(data)})
        os.symlink("tool", os.path.join(prefix, "bin/alias"))
        paths.append({"_path": "bin/alias", "path_type": "softlink", "sha256": sha(b""),
                      "sha256_in_prefix": sha(b"tool")})
        record = {"name": "demo", "version": "1.0", "build": "h0", "build_number": 0, "depends": [],
                  "subdir": "linux-64", "files": sorted(p["_path"] for p in paths),
                  "paths_data": {"paths_version": 1, "paths": paths}, "requested_specs": []}
        with open(os.path.join(prefix, "conda-meta", "demo-1.0-h0.json"), "w") as f:
            json.dump(record, f)

        ok = run("-p", prefix)
        assert ok.returncode == 0, (ok.returncode, ok.stdout, ok.stderr)
        j = json.loads(run("-p", prefix, "--json").stdout)
        assert j["ok"] is True and j["packages"] == 1 and j["files_checked"] == 3, j

        with open(os.path.join(prefix, "bin/tool"), "wb") as f:
            f.write(b"#!/bin/sh\necho TOOL\n")
        os.remove(os.path.join(prefix, "share-data.txt"))
        with open(os.path.join(prefix, "stray"), "w") as f:
            f.write("?")
        bad = run("-p", prefix)
        assert bad.returncode == 4, (bad.returncode, bad.stdout, bad.stderr)
        assert "modified: bin/tool (demo-1.0-h0)" in bad.stdout, bad.stdout
        assert "missing: share-data.txt" in bad.stdout, bad.stdout
        assert "stray" not in bad.stdout, bad.stdout
        bj = run("-p", prefix, "--json", "--extra")
        assert bj.returncode == 4, bj.returncode
        doc = json.loads(bj.stdout)
        assert doc["ok"] is False and doc["error"]["kind"] == "integrity", doc
        kinds = {i["path"]: i["kind"] for i in doc["issues"]}
        assert kinds == {"bin/tool": "modified", "share-data.txt": "missing", "stray": "unrecorded"}, kinds

        missing = run("-p", os.path.join(tmp, "nowhere"))
        assert missing.returncode == 1, missing.returncode
        assert "conda-meta" in missing.stderr, missing.stderr
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
