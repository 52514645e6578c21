#!/usr/bin/env python3
"""Fails when a module includes a module it may not use (docs/ARCHITECTURE.md),
or when a public header includes a third-party library."""
import pathlib
import re
import sys

ALLOWED = {
    "base": set(),
    "spec": {"base"},
    "lockfile": {"base", "spec"},
    "manifest": {"base", "spec"},
    "satisfy": {"base", "spec", "lockfile", "manifest"},
    "host": {"base", "spec"},
    "fetch": {"base"},
    "archive": {"base"},
    "cache": {"base", "spec", "archive"},
    "prefix": {"base", "spec", "cache", "archive"},
    "build": {"base", "spec", "manifest", "archive", "prefix"},
    "install": {"base", "spec", "lockfile", "manifest", "satisfy", "host", "fetch", "archive", "cache", "prefix",
                "build"},
    "cli": {"base", "spec", "lockfile", "manifest", "satisfy", "host", "fetch", "archive", "cache", "prefix", "build",
            "install"},
}
THIRD_PARTY = re.compile(r'#\s*include\s*[<"](yaml-cpp|toml\+\+|curl|archive|zstd|xxhash|openssl|nlohmann|CLI)')
INCLUDE = re.compile(r'#\s*include\s*"pixi_install/([a-z_]+)/')


def main(root: pathlib.Path) -> int:
    bad = []
    for kind in ("src", "include/pixi_install"):
        for f in sorted((root / kind).rglob("*")):
            if f.suffix not in (".cpp", ".hpp", ".h"):
                continue
            module = f.relative_to(root / kind).parts[0]
            if module not in ALLOWED:
                bad.append(f"{f}: unknown module {module}")
                continue
            for n, line in enumerate(f.read_text().splitlines(), 1):
                m = INCLUDE.search(line)
                if m and m.group(1) != module and m.group(1) not in ALLOWED[module]:
                    bad.append(f"{f.relative_to(root)}:{n}: module '{module}' may not include '{m.group(1)}'")
                if kind != "src" and THIRD_PARTY.search(line):
                    bad.append(f"{f.relative_to(root)}:{n}: public header includes a third-party library")
    for b in bad:
        print(b)
    print(f"layering: {len(bad)} violation(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
