#!/usr/bin/env python3
"""`pixi-install check --json` on every lock of the corpus, every environment:
it runs, the exit code agrees with the report, every unmet requirement names an
override, and environments that need CUDA fail here without a driver and pass
with CONDA_OVERRIDE_CUDA=12.0."""
import glob
import json
import shutil
import tempfile
import os
import re
import subprocess
import sys

import lockgen

BIN = os.environ.get("PIXI_INSTALL_BIN", "pixi-install")
LOCKS = os.path.join(lockgen.corpus_dir(), "locks")

failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDA_OVERRIDE_")}
    env.update(extra)
    return subprocess.run([BIN] + args, capture_output=True, text=True, env=env, timeout=300)


def environments(lock_path):
    """Environment names from the lock text (v4+: under `environments:`; v1-v3: default)."""
    names, inside = [], False
    with open(lock_path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("environments:"):
                inside = True
                continue
            if inside:
                if line and not line[0].isspace():
                    break
                m = re.match(r"^  ([^\s:][^:]*):\s*$", line)
                if m:
                    names.append(m.group(1).strip("'\""))
    return names or ["default"]


def manifest_for(lock_path):
    base = lock_path[: -len(".lock")]
    for ext in (".pixi.toml", ".pyproject.toml"):
        if os.path.exists(base + ext):
            return base + ext
    return None


def main():
    if not os.path.isdir(LOCKS):
        print(f"FAIL: the corpus has no locks/ ({LOCKS})")
        return 1
    info = json.loads(run(["info", "--json"]).stdout)
    host_has_cuda = any(vp["name"] == "__cuda" and vp["version"] for vp in info["virtual_packages"])
    locks = sorted(glob.glob(os.path.join(LOCKS, "*.lock")))
    checked = cuda_envs = 0
    cuda_locks = set()
    no_platform = []
    refused_like_install = []
    tmp = tempfile.mkdtemp(prefix="hostcheck-")
    for lock in locks:
        name = os.path.basename(lock)
        args = ["check", "-l", lock, "--json"]
        man = manifest_for(lock)
        if man:
            probe = run(["info", "--json", "--manifest", man])
            if probe.returncode == 0:  # a manifest that does not parse is left out
                args += ["--manifest", man]
        for env in environments(lock):
            r = run(args + ["-e", env])
            if r.returncode not in (0, 3):
                # check answers "would install succeed here?": what install refuses before
                # fetching (sources it cannot build, a lock without this platform), check
                # refuses with the same exit code and message.
                i = run(["install", "--dry-run", "-l", lock, "-e", env, "-p", os.path.join(tmp, "p")]
                        + (args[args.index("--manifest"):args.index("--manifest") + 2] if "--manifest" in args else []))
                first = lambda t: next((l for l in t.splitlines() if l.startswith("error:")), "")
                expect(i.returncode == r.returncode and first(i.stderr) == first(r.stderr) and first(r.stderr),
                       f"{name} [{env}]: check exit {r.returncode} ({first(r.stderr)}) but install "
                       f"exit {i.returncode} ({first(i.stderr)})")
                refused_like_install.append(f"{name} [{env}]")
                continue
            doc = json.loads(r.stdout)
            if "error" in doc:
                # the lock has no platform this host runs: a host error, written as JSON
                expect(doc["error"]["kind"] == "host" and "no platform" in doc["error"]["message"],
                       f"{name} [{env}]: {doc['error']}")
                no_platform.append(f"{name} [{env}]")
                continue
            ok = doc["ok"]
            expect(ok == (r.returncode == 0), f"{name} [{env}]: ok={ok} but exit {r.returncode}")
            e = doc["environments"][0]
            specs = [q["spec"] for q in e["requirements"]]
            expect(len(specs) == len(set(specs)), f"{name} [{env}]: duplicate requirement entries")
            for q in e["requirements"]:
                expect(q["required_by"], f"{name} [{env}]: {q['spec']} has no package")
                if not q["satisfied"] and q["enforced"]:
                    expect(q["override"] and q["suggestion"], f"{name} [{env}]: {q['spec']} unmet without a suggestion")
                if q["satisfied"]:
                    expect(q["host"] is not None, f"{name} [{env}]: {q['spec']} satisfied without a host value")
            needs_cuda = any(q["name"] == "__cuda" and q["enforced"] for q in e["requirements"])
            checked += 1
            if needs_cuda and not e["skipped"]:
                cuda_envs += 1
                cuda_locks.add(name)
                if not host_has_cuda:
                    expect(r.returncode == 3, f"{name} [{env}]: needs __cuda but passed without a driver")
                mocked = run(args + ["-e", env], CONDA_OVERRIDE_CUDA="12.0")
                # The override meets __cuda; a lock with sources install cannot build is still refused for them.
                expect(mocked.returncode == 0 or (mocked.returncode == 1 and "cannot be installed from the lock" in mocked.stderr
                                                  and "__cuda" not in mocked.stderr),
                       f"{name} [{env}]: CONDA_OVERRIDE_CUDA=12.0 does not pass: {mocked.stderr.strip()}")
    print(f"{len(locks)} locks, {checked} environment reports, {cuda_envs} needing __cuda, "
          f"{len(no_platform)} without a platform for this host, {len(refused_like_install)} refused as install "
          f"refuses them")
    shutil.rmtree(tmp, ignore_errors=True)
    expect(checked >= 20, "most corpus environments produce a host report (%d)" % checked)
    expect("matthewfeickert__pytorch-gpu-pixi-example__pixi.lock" in cuda_locks,
           "the corpus CUDA environments are recognised (the PyTorch GPU example among them)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
