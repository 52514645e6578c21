#!/usr/bin/env python3
"""Writes N extracted conda packages of F files each (with info/paths.json)
under OUT, shaped like a real environment: nested directories, a few
text-placeholder files, symlinks. usage: link_gen.py OUT N F"""
import hashlib
import json
import os
import sys

PH = "/opt/anaconda1anaconda2anaconda3"


def main() -> int:
    out, n, f = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for p in range(n):
        name = f"pkg{p:04d}"
        root = os.path.join(out, f"{name}-1.0-h0")
        os.makedirs(os.path.join(root, "info"), exist_ok=True)
        paths = []
        for i in range(f):
            rel = f"lib/{name}/sub{i % 10}/file{i}.py"
            data = (f"# {name} {i}\n" * (1 + i % 40)).encode()
            if i % 200 == 7:
                data = f"prefix = '{PH}'\n".encode()
            full = os.path.join(root, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as fh:
                fh.write(data)
            e = {"_path": rel, "path_type": "hardlink", "sha256": hashlib.sha256(data).hexdigest(),
                 "size_in_bytes": len(data)}
            if i % 200 == 7:
                e.update({"prefix_placeholder": PH, "file_mode": "text"})
            paths.append(e)
        link = f"lib/{name}/current"
        os.symlink("sub0", os.path.join(root, link))
        paths.append({"_path": link, "path_type": "softlink", "sha256": hashlib.sha256(b"").hexdigest()})
        with open(os.path.join(root, "info", "paths.json"), "w") as fh:
            json.dump({"paths_version": 1, "paths": paths}, fh)
        with open(os.path.join(root, "info", "index.json"), "w") as fh:
            json.dump({"name": name, "version": "1.0", "build": "h0", "build_number": 0, "depends": [],
                       "subdir": "linux-64"}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
