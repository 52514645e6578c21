#!/usr/bin/env python3
"""`pixi-install list`: table and JSON output, defaults, and refusals (exit 6,
one line naming the file, a JSON error document with --json, nothing else on
stdout)."""
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter

import lockgen

BIN = os.environ.get("PIXI_INSTALL_BIN", "pixi-install")
FIXTURES = os.environ.get("PIXI_INSTALL_FIXTURES") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures")
LOCKS = os.path.join(FIXTURES, "locks")
failures = []


def run(*args, cwd=None):
    p = subprocess.run([BIN, "list", *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    return p.returncode, p.stdout, p.stderr


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def entries(lst):
    return Counter((e["kind"], e["location"], e["name"], e["sha256"]) for e in lst)


def test_json_shape():
    rc, out, err = run("-l", os.path.join(LOCKS, "v7.lock"), "--json")
    check(rc == 0, f"v7 --json exits 0 (got {rc}: {err})")
    doc = json.loads(out)
    check(doc["version"] == 7, "version is 7")
    check(set(doc["environments"]) == {"default", "lint"}, "both environments listed")
    check(set(doc["environments"]["default"]) == {"p1", "osx-arm64"}, "platform keys as written (p1)")
    p1 = doc["environments"]["default"]["p1"]
    kinds = [e["kind"] for e in p1]
    check(kinds == ["conda", "conda_source", "pypi"], f"kinds in lock order: {kinds}")
    for e in p1:
        check(set(e) >= {"kind", "name", "version", "build", "location", "sha256", "md5"}, f"keys of {e}")
    zlib = p1[0]
    check(zlib["name"] == "zlib" and zlib["version"] == "1.3.1" and zlib["build"] == "hb9d3cd8_2", "zlib fields")
    check(zlib["sha256"] == "5d7c0e5f0005f74112a34a7425179f4eb6e73c92f5d109e6af4ddeef4c7b7f56", "zlib sha256")
    check(p1[1]["location"] == "myproj[10db969c] @ .", "conda_source location is the id string")
    check(p1[2]["version"] is None and p1[2]["build"] is None and p1[2]["md5"] is None, "pypi nulls")
    check(p1[1]["source"] == "conda_source" and "pixi-build" in p1[1]["install"], "conda_source is not installed")
    check(p1[2]["source"] in ("directory", "editable") and "PEP" in p1[2]["install"],
          f"a local project is built: {p1[2]}")


def test_filters_and_defaults():
    rc, out, _ = run("-l", os.path.join(LOCKS, "v7.lock"), "--json", "-e", "lint")
    check(rc == 0 and set(json.loads(out)["environments"]) == {"lint"}, "-e keeps one environment")
    rc, out, _ = run("-l", os.path.join(LOCKS, "v7.lock"), "--json", "--platform", "osx-arm64")
    doc = json.loads(out)
    check(rc == 0 and all(set(p) == {"osx-arm64"} for p in doc["environments"].values()), "--platform filters")
    rc, out, _ = run("-l", os.path.join(LOCKS, "v7.lock"), "--json", "--platform", "linux-64")
    check(rc == 0 and set(json.loads(out)["environments"]["default"]) == {"p1"}, "a subdir finds its v7 name")
    # Default lock: ./pixi.lock; a directory means its pixi.lock.
    rc, out, _ = run("--json", cwd=os.path.join(LOCKS, "project"))
    check(rc == 0 and json.loads(out)["version"] == 6, "default ./pixi.lock")
    rc, out, _ = run("-l", os.path.join(LOCKS, "project"), "--json")
    check(rc == 0 and "linux-64" in json.loads(out)["environments"]["default"], "-l DIR reads DIR/pixi.lock")
    # Table output names every package.
    rc, out, _ = run("-l", os.path.join(LOCKS, "v6.lock"))
    check(rc == 0, "table exits 0")
    for word in ("libpython", "tzdata", "mypkg", "myproj", "six", "conda_source", "osx-arm64"):
        check(word in out, f"table mentions {word}")


def test_every_version_fixture():
    for v in ("v1", "v3", "v4", "v5", "v6", "v7"):
        rc, out, err = run("-l", os.path.join(LOCKS, v + ".lock"), "--json")
        check(rc == 0, f"{v} lists (rc {rc}: {err.strip()})")
        if rc == 0:
            check(json.loads(out)["version"] == int(v[1:]), f"{v} version")


def test_refusals():
    cases = {
        "not-yaml.lock": "invalid YAML",
        "no-version.lock": "missing `version`",
        "version-8.lock": "pixi.lock format version 8 is newer than this pixi-install supports (1–7)",
        "missing-package.lock": "environment `default` platform `linux-64` refers to a package",
        "underivable-conda.lock": "no name, version or build",
        "duplicate-key.lock": "duplicate key",
        "deep-nesting.lock": "nested deeper",
        "alias-bomb.lock": "aliases",
    }
    for name, needle in cases.items():
        path = os.path.join(LOCKS, "invalid", name)
        rc, out, err = run("-l", path)
        check(rc == 6, f"{name}: exit 6 (got {rc})")
        check(out == "", f"{name}: no partial output on stdout")
        lines = [l for l in err.splitlines() if l.strip()]
        check(len(lines) == 1 and path in lines[0] and needle in lines[0], f"{name}: one line naming file: {err!r}")
        rc, out, err = run("-l", path, "--json")
        check(rc == 6, f"{name} --json: exit 6")
        doc = json.loads(out)
        check(doc["ok"] is False and doc["error"]["exit_code"] == 6 and needle in doc["error"]["message"],
              f"{name} --json: error document")
    v7 = os.path.join(LOCKS, "v7.lock")
    rc, out, err = run("-l", v7, "-e", "prod")
    check(rc == 2 and out == "" and "no environment `prod`" in err and "default, lint" in err, f"unknown env: {err}")
    rc, out, err = run("-l", v7, "--platform", "win-64")
    check(rc == 6 and "win-64" in err and "p1 (linux-64)" in err, f"unknown platform: {err}")
    rc, out, err = run("-l", v7, "-e", "lint", "--platform", "p1")
    check(rc == 6 and "environment `lint` has no platform `p1`" in err, f"env lacks platform: {err}")
    with tempfile.TemporaryDirectory() as d:
        rc, out, err = run(cwd=d)
        check(rc == 6 and "pixi.lock" in err, f"no ./pixi.lock: {rc} {err}")


def test_some_corpus_locks():
    corpus = lockgen.corpus_dir()
    for stem in ("prefix-dev__setup-pixi__test_old-pixi-lockfiles_pixi",  # v1
                 "prefix-dev__pixi__examples_pypi_pixi@v4-bbf4d0c1",     # v4
                 "prefix-dev__setup-pixi__test_default_pixi",            # v6, subdir selectors
                 "prefix-dev__pixi__examples_multi-machine_pixi"):       # v7, p1..p3
        rc, out, err = run("-l", os.path.join(corpus, "locks", stem + ".lock"), "--json")
        check(rc == 0, f"{stem}: exit 0 ({err.strip()})")
        if rc != 0:
            continue
        got = json.loads(out)
        with open(os.path.join(corpus, "locks-expected", stem + ".expected.json")) as f:
            want = json.load(f)
        check(got["version"] == want["version"], f"{stem}: version")
        check(set(got["environments"]) == set(want["environments"]), f"{stem}: environments")
        for env, platforms in want["environments"].items():
            check(set(got["environments"].get(env, {})) == set(platforms), f"{stem}/{env}: platforms")
            for p, lst in platforms.items():
                check(entries(got["environments"][env].get(p, [])) == entries(lst), f"{stem}/{env}/{p}: packages")


def main():
    if not os.path.exists(BIN):
        print(f"skipped: {BIN} not built")
        return 77
    test_json_shape()
    test_filters_and_defaults()
    test_every_version_fixture()
    test_refusals()
    test_some_corpus_locks()
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
