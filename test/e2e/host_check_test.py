#!/usr/bin/env python3
"""`pixi-install check` and `info` end to end: the PyTorch GPU scenario of pixi's
guide (refused without a driver, accepted with CONDA_OVERRIDE_CUDA=12.0), the
manifest found next to the lock, JSON shapes, overrides. Exit 77 = skipped."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import lockgen

BIN = os.environ.get("PIXI_INSTALL_BIN", "pixi-install")
LOCKS = os.path.join(lockgen.corpus_dir(), "locks")
PYTORCH = "matthewfeickert__pytorch-gpu-pixi-example__pixi"


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDA_OVERRIDE_")}
    env.update(extra)
    return env


def run(args, **extra):
    return subprocess.run([BIN] + args, capture_output=True, text=True, env=clean_env(**extra), timeout=120)


failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def main():
    if not os.path.isdir(LOCKS):
        print(f"FAIL: the corpus has no locks/ ({LOCKS})")
        return 1

    info = run(["info", "--json"])
    expect(info.returncode == 0, f"info --json exits 0 (got {info.returncode}: {info.stderr})")
    doc = json.loads(info.stdout)
    expect(doc["platform"].startswith(("linux", "osx", "win")), "info names the platform")
    names = {vp["name"]: vp for vp in doc["virtual_packages"]}
    expect("__archspec" in names, "info lists __archspec")
    expect(all(vp["source"] in ("detected", "override", "absent") for vp in doc["virtual_packages"]),
           "every virtual package has a source")
    has_gpu = names.get("__cuda", {}).get("version") is not None

    mocked = json.loads(run(["info", "--json"], CONDA_OVERRIDE_CUDA="12.0", CONDA_OVERRIDE_GLIBC="").stdout)
    mnames = {vp["name"]: vp for vp in mocked["virtual_packages"]}
    if doc["platform"].startswith("linux"):
        expect(mnames["__cuda"] == {"name": "__cuda", "version": "12.0", "build": "0", "source": "override",
                                     "override": "CONDA_OVERRIDE_CUDA"}, f"override shows in info: {mnames['__cuda']}")
        expect(mnames["__glibc"]["version"] is None and mnames["__glibc"]["source"] == "override",
               "an empty override removes __glibc")
    bad = run(["info"], CONDA_OVERRIDE_ARCHSPEC="x86-64-v3")
    expect(bad.returncode == 2 and "x86_64_v3" in bad.stderr, f"a misspelt archspec override is a usage error: {bad.stderr}")

    if not doc["platform"].startswith("linux-64"):
        print("the PyTorch scenario needs a linux-64 host; skipping the rest")
        return 1 if failures else 0

    with tempfile.TemporaryDirectory() as tmp:
        # The manifest is found next to the lock as pixi.toml.
        shutil.copy(os.path.join(LOCKS, PYTORCH + ".lock"), os.path.join(tmp, "pixi.lock"))
        shutil.copy(os.path.join(LOCKS, PYTORCH + ".pixi.toml"), os.path.join(tmp, "pixi.toml"))
        if not has_gpu:
            r = run(["check", "-l", tmp])
            expect(r.returncode == 3, f"check without a driver exits 3 (got {r.returncode})")
            expect("__cuda" in r.stderr and "pytorch" in r.stderr, f"the refusal names __cuda and pytorch: {r.stderr}")
            expect("CONDA_OVERRIDE_CUDA=12.0" in r.stderr, f"the refusal names the override: {r.stderr}")
            expect("system-requirements" in r.stderr, "the manifest's cuda requirement is reported")

            j = run(["check", "-l", tmp, "--json"])
            expect(j.returncode == 3, "check --json exits 3")
            rep = json.loads(j.stdout)
            expect(rep["ok"] is False, "JSON ok is false")
            env = rep["environments"][0]
            expect(env["environment"] == "default" and env["platform"] == "linux-64", "JSON names env and platform")
            cuda = [q for q in env["requirements"] if q["spec"] == "__cuda"]
            expect(len(cuda) == 1 and cuda[0]["satisfied"] is False and cuda[0]["host"] is None
                   and "pytorch" in cuda[0]["required_by"] and cuda[0]["override"] == "CONDA_OVERRIDE_CUDA",
                   f"JSON __cuda entry: {cuda}")
            glibc = [q for q in env["requirements"] if q["spec"].startswith("__glibc")]
            expect(glibc and all(q["satisfied"] and q["host"].startswith("__glibc=") for q in glibc),
                   "glibc requirements are met and show the host value")
            specs = [q["spec"] for q in env["requirements"]]
            expect(len(specs) == len(set(specs)), "one entry per distinct requirement")

        ok = run(["check", "-l", tmp], CONDA_OVERRIDE_CUDA="12.0")
        expect(ok.returncode == 0, f"CONDA_OVERRIDE_CUDA=12.0 passes the check (got {ok.returncode}: {ok.stderr})")
        old = run(["check", "-l", tmp], CONDA_OVERRIDE_CUDA="11.8")
        expect(old.returncode == 3 and "__cuda >=12.0" in old.stderr and "__cuda=11.8=0" in old.stderr,
               f"a too-old CUDA is refused with the host value: {old.stderr}")

        glibc_old = run(["check", "-l", tmp], CONDA_OVERRIDE_CUDA="12.0", CONDA_OVERRIDE_GLIBC="2.17")
        expect(glibc_old.returncode == 3 and "CONDA_OVERRIDE_GLIBC=2.28" in glibc_old.stderr,
               f"an old glibc is refused and the bound is suggested: {glibc_old.stderr}")

    # A cross-platform check is skipped with a one-line warning.
    multi = os.path.join(LOCKS, "prefix-dev__pixi__examples_multi-machine_pixi.lock")
    r = run(["check", "-l", multi, "--platform", "p3"])
    expect(r.returncode == 0 and "skipped" in r.stderr, f"cross-platform check is skipped: {r.stderr}")
    # v7 rich platforms: the CUDA platform is chosen only when the host has CUDA.
    plain = json.loads(run(["check", "-l", multi, "--json"], CONDA_OVERRIDE_CUDA="").stdout)
    expect(plain["environments"][0]["platform"] == "linux-64", "no CUDA: the plain linux-64 platform")
    gpu = json.loads(run(["check", "-l", multi, "--json"], CONDA_OVERRIDE_CUDA="12.4").stdout)
    expect(gpu["environments"][0]["platform"] == "p2", "CUDA 12.4: the p2 (cuda=12) platform")

    missing = run(["check", "-l", multi, "-e", "nope"])
    expect(missing.returncode == 2 and "default" in missing.stderr, "an unknown environment names the known ones")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
