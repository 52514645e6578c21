#!/usr/bin/env python3
"""One package cache shared by concurrent installs and by several users:
  samenvb   two locks whose packages share name-version-build but differ in content,
            installed at the same time into their own prefixes with one --cache-dir, again
            and again: each prefix holds its own lock's files, and verify passes.
  users     (root only, else skipped) a group cache in a setgid directory with umask 002:
            a second user installs from and adds to the first user's cache; a read-only
            cache serves everyone; root never hard-links a user's cache files, and says so.
Usage: cache_sharing_test.py [SUBTEST...] (default: all)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402

BIN, SHARED = lockgen.require_env()


def install_cmd(lock, prefix, cache, *extra):
    return [BIN, "install", "-l", lock, "-p", prefix, "--cache-dir", cache, "--json", *extra]


def verify(prefix, as_user=()):
    r = subprocess.run([*as_user, BIN, "verify", "-p", prefix], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, ("verify", prefix, r.returncode, r.stdout[-3000:], r.stderr[-3000:])


def flavoured_packages(gen, flavour, count=16, files=40):
    """count packages pkgNN-1.0-h0_0 whose every file names `flavour`."""
    out = []
    for i in range(count):
        body = {"share/p%02d/f%03d.txt" % (i, k): ("%s package %d file %d\n" % (flavour, i, k)).encode() * 4
                for k in range(files)}
        body["share/p%02d/%s-only.txt" % (i, flavour)] = flavour.encode()
        out.append(lockgen.conda(lockgen.make_conda_package(os.path.join(gen, flavour), "pkg%02d" % i, "1.0",
                                                            "h0_0", files=body)))
    return out


def assert_flavour(prefix, flavour, entries):
    recs = lockgen.conda_meta_records(prefix)
    assert len(recs) == len(entries), (prefix, sorted(recs))
    for e in entries:
        rec = recs[e["name"]]
        assert rec["sha256"] == e["sha256"], (prefix, e["name"])
        i = int(e["name"][3:])
        with open(os.path.join(prefix, "share", "p%02d" % i, "f000.txt")) as f:
            text = f.read()
        assert text.startswith(flavour + " "), (prefix, e["name"], flavour, text[:40])
        assert os.path.exists(os.path.join(prefix, "share", "p%02d" % i, flavour + "-only.txt")), (prefix, i)


def test_samenvb(tmp):
    gen = os.path.join(tmp, "gen")
    ex, ey = flavoured_packages(gen, "x"), flavoured_packages(gen, "y")
    lx = lockgen.write_lock(os.path.join(tmp, "lx"), ex)
    ly = lockgen.write_lock(os.path.join(tmp, "ly"), ey)
    shared_cache = os.path.join(tmp, "cache")
    for k in range(8):
        # Cold caches race the extraction itself; the shared warm cache races lookups.
        cache = os.path.join(tmp, "cold%d" % k) if k % 2 == 0 else shared_cache
        px, py = os.path.join(tmp, "px%d" % k), os.path.join(tmp, "py%d" % k)
        procs = [subprocess.Popen(install_cmd(lock, p, cache, "-j", "4"), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for lock, p in ((lx, px), (ly, py))]
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, (k, p.returncode, out[-2000:], err[-2000:])
        for prefix, flavour, entries in ((px, "x", ex), (py, "y", ey)):
            verify(prefix)
            assert_flavour(prefix, flavour, entries)
        # A later run over the same cache finds each prefix up to date and unchanged.
        r = subprocess.run(install_cmd(lx, px, cache), capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert_flavour(px, "x", ex)
        if cache != shared_cache:
            shutil.rmtree(cache)
        shutil.rmtree(px)
        shutil.rmtree(py)


def run_as(user, argv, umask="002"):
    """argv run as `user` (primary group 'pisharers') with `umask`."""
    cmd = ["setpriv", "--reuid", user, "--regid", "pisharers", "--init-groups", "sh", "-c",
           "umask %s; exec \"$@\"" % umask, "sh", *argv]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def entries(cache):
    pkgs = os.path.join(cache, "pkgs")
    return sorted(n for n in os.listdir(pkgs) if not n.startswith("."))


def test_users(tmp):
    if os.geteuid() != 0:
        print("  skipped: creating users needs root")
        return 77
    if not shutil.which("useradd") or not shutil.which("setpriv"):
        print("  skipped: useradd or setpriv is missing")
        return 77
    users = ["pi-alice", "pi-bob"]
    subprocess.run(["groupadd", "-f", "pisharers"], check=True)
    for u in users:
        subprocess.run(["userdel", u], capture_output=True)
        subprocess.run(["useradd", "-M", "-N", "-g", "pisharers", u], check=True)
    try:
        return users_scenario(tmp)
    finally:
        for u in users:
            subprocess.run(["userdel", u], capture_output=True)
        subprocess.run(["groupdel", "pisharers"], capture_output=True)


def users_scenario(tmp):
    import grp
    gid = grp.getgrnam("pisharers").gr_gid
    os.chmod(tmp, 0o1777)
    gen = os.path.join(tmp, "gen")
    ex = flavoured_packages(gen, "x", count=4, files=5)
    os.chmod(gen, 0o755)
    for root, dirs, files in os.walk(gen):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    locks = os.path.join(tmp, "locks")
    la = lockgen.write_lock(os.path.join(locks, "a"), ex[:3])
    lb = lockgen.write_lock(os.path.join(locks, "b"), ex)
    for root, dirs, files in os.walk(locks):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    # The group's cache: a setgid directory; its members' umask is 002.
    cache = os.path.join(tmp, "group-cache")
    os.makedirs(cache)
    os.chown(cache, 0, gid)
    os.chmod(cache, 0o2775)

    r = run_as("pi-alice", install_cmd(la, os.path.join(tmp, "alice-env"), cache))
    assert r.returncode == 0, ("alice", r.returncode, r.stdout[-1500:], r.stderr[-1500:])
    pkgs = os.path.join(cache, "pkgs")
    state = os.path.join(pkgs, ".pixi-install")
    for d in (pkgs, state, os.path.join(state, "tmp")):
        st = os.stat(d)
        assert st.st_gid == gid and st.st_mode & 0o2070 == 0o2070, (d, oct(st.st_mode), st.st_gid)
    for n in entries(cache):
        st = os.stat(os.path.join(pkgs, n))
        assert st.st_mode & 0o7777 == 0o2755, (n, oct(st.st_mode))  # readable, not writable, by the group
        lock = os.stat(os.path.join(state, n + ".lock"))
        assert lock.st_mode & 0o777 == 0o664, (n, oct(lock.st_mode))
    markers = {n: os.stat(os.path.join(state, n + ".complete")).st_ino for n in entries(cache)}

    # Bob, of the same group: installs from Alice's entries and adds his own; hers stay.
    r = run_as("pi-bob", install_cmd(lb, os.path.join(tmp, "bob-env"), cache))
    assert r.returncode == 0, ("bob", r.returncode, r.stdout[-1500:], r.stderr[-1500:])
    assert len(entries(cache)) == 4, entries(cache)
    for n, ino in markers.items():
        assert os.stat(os.path.join(state, n + ".complete")).st_ino == ino, ("alice's marker was replaced", n)
    assert run_as("pi-bob", [BIN, "verify", "-p", os.path.join(tmp, "bob-env")]).returncode == 0
    # An environment Bob may not read: the errors say so, not "is it an environment?".
    alice_env = os.path.join(tmp, "alice-env")
    mode = os.stat(alice_env).st_mode
    os.chmod(alice_env, 0o700)
    try:
        for argv in ([BIN, "verify", "-p", alice_env], [BIN, "run", "-p", alice_env, "--", "true"],
                     [BIN, "shell-hook", "-p", alice_env]):
            denied = run_as("pi-bob", argv)
            assert denied.returncode != 0 and "Permission denied" in denied.stderr and "conda-meta" in denied.stderr \
                and "is it an environment" not in denied.stderr and "not an environment" not in denied.stderr, \
                (argv[1], denied.returncode, denied.stderr[-500:])
    finally:
        os.chmod(alice_env, mode & 0o7777)
    # Alice's files reach Bob's prefix as copies (another user's inode is never shared), said once.
    summary = json.loads(r.stdout)["environments"][0]
    said = [w for w in summary.get("warnings", []) if "copied, not linked" in w]
    assert len(said) == 1 and said[0].startswith("3 package(s)"), summary.get("warnings")
    for i in range(4):
        st = os.stat(os.path.join(tmp, "bob-env", "share", "p%02d" % i, "f000.txt"))
        # p00..p02 come from Alice's entries (copied), p03 from Bob's own (linked).
        assert st.st_uid == pwd_uid("pi-bob") and st.st_nlink == (1 if i < 3 else 2), (i, st.st_uid, st.st_nlink)

    # Root, installing from the users' cache, never hard-links their files either.
    r = subprocess.run(install_cmd(lb, os.path.join(tmp, "root-env"), cache), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert any("copied, not linked" in w for w in json.loads(r.stdout)["environments"][0]["warnings"])
    for i in range(4):
        st = os.stat(os.path.join(tmp, "root-env", "share", "p%02d" % i, "f000.txt"))
        assert st.st_uid == 0 and st.st_nlink == 1, (i, st.st_uid, st.st_nlink)
    verify(os.path.join(tmp, "root-env"))

    # An admin's cache on a read-only mount serves every user.
    admin = os.path.join(tmp, "admin-cache")
    r = subprocess.run(install_cmd(lb, os.path.join(tmp, "admin-env"), admin), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    m = subprocess.run(["mount", "--bind", admin, admin], capture_output=True, text=True)
    if m.returncode != 0:
        print("skipped the read-only cache: cannot bind-mount here (a container without CAP_SYS_ADMIN?):",
              m.stderr.strip())
        return 77
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", admin], check=True)
        for user in ("pi-alice", "pi-bob"):
            prefix = os.path.join(tmp, user + "-from-ro")
            r = run_as(user, install_cmd(lb, prefix, admin), umask="022")
            assert r.returncode == 0, (user, r.returncode, r.stdout[-1500:], r.stderr[-1500:])
            assert run_as(user, [BIN, "verify", "-p", prefix]).returncode == 0, (user, "verify")
            assert_flavour(prefix, "x", ex)
    finally:
        subprocess.run(["umount", admin], capture_output=True)
    return 0


def pwd_uid(user):
    import pwd
    return pwd.getpwnam(user).pw_uid


def main(argv):
    names = argv or [n[5:] for n in globals() if n.startswith("test_")]
    rc = 0
    with tempfile.TemporaryDirectory(prefix="pi-e2e-cache-sharing-") as tmp:
        os.chmod(tmp, 0o755)
        for name in names:
            t = time.monotonic()
            sub = os.path.join(tmp, name)
            os.makedirs(sub)
            r = globals()["test_" + name](sub)
            if r == 77:
                rc = 77 if rc == 0 else rc
            print("ok" if r != 77 else "skipped", name, "%.1fs" % (time.monotonic() - t), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
