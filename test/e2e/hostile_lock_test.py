"""Hostile locks from fixtures/make_evil_locks.py, each installed with --offline: the exit
code and message are the expected ones, stderr holds no raw control character, the canaries
outside the prefix and the cache are untouched (content and times), and nothing was created
outside the prefix, the cache and the project's .pixi directory."""
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("PIXI_INSTALL_BIN", "")


def tree_state(top, skip):
    """{relative path: (kind, content digest or link target, mtime_ns)} of everything under top
    (top itself included), except the relative paths in `skip` and what lies below them."""
    out = {}
    for root, dirs, files in os.walk(top):
        rel_root = os.path.relpath(root, top)
        dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(rel_root, d)) not in skip]
        st = os.lstat(root)
        out[rel_root] = ("dir", "", st.st_mtime_ns)
        for n in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            full = os.path.join(root, n)
            rel = os.path.normpath(os.path.join(rel_root, n))
            st = os.lstat(full)
            if os.path.islink(full):
                out[rel] = ("link", os.readlink(full), st.st_mtime_ns)
            else:
                with open(full, "rb") as f:
                    out[rel] = ("file", hashlib.sha256(f.read()).hexdigest(), st.st_mtime_ns, st.st_ino)
    return out


def run_case(cases_dir, case, failures):
    with open(os.path.join(cases_dir, case, "case.json")) as f:
        spec = json.load(f)
    tmp = tempfile.mkdtemp(prefix="pi-hostile-")
    try:
        work = os.path.join(tmp, "work")
        project = os.path.join(work, "project")
        shutil.copytree(os.path.join(cases_dir, case), project)
        with open(os.path.join(tmp, "canary"), "w") as f:
            f.write("canary\n")
        os.makedirs(os.path.join(tmp, "canary-dir"))
        with open(os.path.join(tmp, "canary-dir", "canary.txt"), "w") as f:
            f.write("canary in a directory\n")
        # Times in the past, so that any write shows as a change.
        for p in (os.path.join(tmp, "canary"), os.path.join(tmp, "canary-dir", "canary.txt"),
                  os.path.join(tmp, "canary-dir"), tmp):
            os.utime(p, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
        skip = {os.path.join("work", "prefix"), os.path.join("work", "cache"),
                os.path.join("work", "project", ".pixi")}
        before = tree_state(tmp, skip)
        cmd = [BIN, "install", "--offline", "-l", os.path.join(project, "pixi.lock"),
               "--cache-dir", os.path.join(work, "cache"), "--no-host-check", *spec["args"]]
        if "--all" not in spec["args"]:
            cmd += ["-p", os.path.join(work, "prefix")]
        t0 = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, timeout=120, cwd=project)
        took = time.monotonic() - t0
        err = r.stderr.decode("utf-8", "replace")
        problems = []
        if r.returncode != spec["exit"]:
            problems.append("exit %d, expected %d" % (r.returncode, spec["exit"]))
        if spec["message"] not in err:
            problems.append("stderr lacks %r" % spec["message"])
        if any((ord(c) < 0x20 and c not in "\n\t") or ord(c) == 0x7f for c in err):
            problems.append("stderr holds a raw control character")
        if took > 20:
            problems.append("took %.1f s" % took)
        os.utime(tmp, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))  # the walk read it
        after = tree_state(tmp, skip)
        after["."] = before["."]
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        # Directories on the way to the skipped ones change when those are made.
        changed = [k for k in changed if k not in ("work", os.path.join("work", "project"))]
        if changed:
            problems.append("changed outside the prefix and cache: %s" % ", ".join(changed))
        print("%-26s exit %d in %.2f s%s" % (case, r.returncode, took, "" if not problems else "  FAIL"))
        if problems:
            failures.append("%s (%s): %s\n  stderr: %s" % (case, spec["what"], "; ".join(problems), err.strip()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_list_escapes(failures):
    """`list` prints a location holding a terminal escape with the escape spelled out."""
    tmp = tempfile.mkdtemp(prefix="pi-hostile-list-")
    try:
        lock = os.path.join(tmp, "pixi.lock")
        loc = '"./src\\e]0;owned\\a\\e[2J"'
        with open(lock, "w") as f:
            f.write("version: 6\nenvironments:\n  default:\n    channels: []\n    packages:\n      linux-64:\n"
                    "      - pypi: %s\npackages:\n- pypi: %s\n  name: demo\n  version: '1.0'\n" % (loc, loc))
        r = subprocess.run([BIN, "list", "-l", lock], capture_output=True, timeout=60)
        out = r.stdout.decode("utf-8", "replace")
        if r.returncode != 0 or "\x1b" in out or "\x07" in out or "./src\\e]0;owned\\x07\\e[2J" not in out:
            failures.append("list: exit %d, output %r %r" % (r.returncode, out, r.stderr))
        print("list-escapes               exit %d" % r.returncode)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if not BIN or not os.path.exists(BIN):
        print("skipped: PIXI_INSTALL_BIN is not built")
        return 77
    cases_dir = tempfile.mkdtemp(prefix="pi-evil-locks-")
    try:
        subprocess.run([sys.executable, os.path.join(ROOT, "fixtures", "make_evil_locks.py"), cases_dir], check=True)
        failures = []
        cases = sorted(os.listdir(cases_dir))
        # The alias bomb first, so the children's peak memory is its own.
        cases.sort(key=lambda c: c != "alias-bomb")
        for case in cases:
            run_case(cases_dir, case, failures)
            if case == "alias-bomb":
                peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                if peak_mib > 512:
                    failures.append("alias-bomb: peak memory %.0f MiB" % peak_mib)
        check_list_escapes(failures)
        if len(cases) < 9:
            failures.append("only %d cases generated" % len(cases))
    finally:
        shutil.rmtree(cases_dir, ignore_errors=True)
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
