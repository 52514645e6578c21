#!/usr/bin/env python3
"""`pixi-install list --json` on every corpus lock equals
corpus/locks-expected/<name>.expected.json, each platform's list compared as a
multiset of (kind, location, name, sha256); and every PyPI and conda_source entry says
what it is and how install would get it (sdists, directories and editables built, git and
conda_source refused with the remedy)."""
import json
import os
import subprocess
import sys
from collections import Counter

import lockgen

BIN = os.environ.get("PIXI_INSTALL_BIN", "pixi-install")
KNOWN = {"wheel", "sdist", "directory", "editable", "git", "unknown", "conda_source"}
HAS_GIT = True


def norm_hash(h):
    # The expected files come from a YAML 1.1 loader that reads an unquoted
    # all-digit hash (a test fixture's `0000…`) as a number.
    if isinstance(h, (int, float)) and not isinstance(h, bool):
        return ("number", float(h))
    if isinstance(h, str) and h.isdigit():
        return ("number", float(int(h)))
    return h


def entries(lst):
    return Counter((e["kind"], e["location"], e["name"], norm_hash(e["sha256"])) for e in lst)


def main():
    corpus = lockgen.corpus_dir()
    if not os.path.isdir(os.path.join(corpus, "locks")):
        print(f"FAIL: the corpus has no locks/ ({corpus})")
        return 1
    if not os.path.exists(BIN):
        print(f"skipped: {BIN} not built")
        return 77
    global HAS_GIT
    # A build without libgit2 (-Dgit=disabled) refuses git entries.
    HAS_GIT = "git: libgit2" in subprocess.run([BIN, "--version"], capture_output=True, text=True).stdout
    locks = sorted(f for f in os.listdir(os.path.join(corpus, "locks")) if f.endswith(".lock"))
    bad = 0
    for name in locks:
        stem = name[: -len(".lock")]
        p = subprocess.run([BIN, "list", "--json", "-l", os.path.join(corpus, "locks", name)],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            print(f"FAIL {stem}: exit {p.returncode}: {p.stderr.strip()}")
            bad += 1
            continue
        got = json.loads(p.stdout)
        with open(os.path.join(corpus, "locks-expected", stem + ".expected.json")) as f:
            want = json.load(f)
        problems = []
        if got["version"] != want["version"]:
            problems.append(f"version {got['version']} != {want['version']}")
        if set(got["environments"]) != set(want["environments"]):
            problems.append("environments differ")
        for env, platforms in want["environments"].items():
            have = got["environments"].get(env, {})
            if set(have) != set(platforms):
                problems.append(f"{env}: platforms {sorted(have)} != {sorted(platforms)}")
            for plat, lst in platforms.items():
                a, b = entries(have.get(plat, [])), entries(lst)
                if a != b:
                    problems.append(f"{env}/{plat}: extra {list((a - b).elements())[:3]} missing {list((b - a).elements())[:3]}")
        # Every source entry says how install would get it: built (sdist, directory, editable)
        # or refused with the way out (git, conda_source); a location that is a wheel is a wheel.
        kinds = Counter()
        for env, platforms in got["environments"].items():
            for plat, lst in platforms.items():
                for e in lst:
                    if e["kind"] == "conda":
                        continue
                    src, how = e.get("source"), e.get("install", "")
                    kinds[src] += 1
                    if src not in KNOWN or not how:
                        problems.append(f"{env}/{plat}: {e['name']}: source {src!r}, install {how!r}")
                    elif e["kind"] == "pypi" and (src == "wheel") != e["location"].split("#")[0].split("?")[0].endswith(".whl"):
                        problems.append(f"{env}/{plat}: {e['name']}: {e['location']} is not a {src}")
                    elif src in (("sdist", "directory", "editable", "git") if HAS_GIT else
                                 ("sdist", "directory", "editable")) and not how.startswith("built") and \
                            not how.startswith("installed editable"):
                        problems.append(f"{env}/{plat}: {e['name']}: {src} would not be built: {how}")
        if any(k != "wheel" for k in kinds):
            print(f"{stem}: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        if problems:
            bad += 1
            print(f"FAIL {stem}: " + "; ".join(problems[:5]))
    print(f"{len(locks)} locks, {bad} failure(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
