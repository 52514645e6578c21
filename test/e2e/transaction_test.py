#!/usr/bin/env python3
"""Updates are transactions: a failed install leaves the previous environment byte for byte.
  steps      a fault (an error, or SIGKILL) injected after every step of an upgrade and of a
             fresh install (PIXI_INSTALL_FAULT=<step>:fail|kill): an error restores the
             previous prefix exactly; after a kill the next install rolls back (or finishes).
  checks     what is checked before the prefix changes: a binary placeholder shorter than
             the prefix; (root) an explicit --link-mode hardlink/reflink across file systems;
             (root) a disk too small for what will be copied.
  enospc     (root) a real "No space left on device" part-way (a wheel after the conda
             packages changed) on a small tmpfs: the previous prefix comes back exactly.
  copies     --link-mode copy: files of their own (no inode shared with the cache), the same
             bytes, modes and times cold and warm, placeholders rewritten; an error at each step
             restores the previous prefix; (root) auto mode with the cache on another file
             system copies and records it.
  reserved   a package may not place files below the installer's rollback directory.
  symlinked  a prefix reached through a symlink: updated, and restored after a failed update.
  odd_entries  a user's names with `..` or a line break, and fifos, survive a failed update.
  deep       a directory chain too deep for the snapshot's paths: refused, nothing left behind.
  readonly   (root) a user whose prefix has a directory without write permission: the kept
             previous environment is removed after an update and put back after a failed
             one, and the directory keeps its mode.
Usage: transaction_test.py [SUBTEST...] (default: all)."""
import glob
import hashlib
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402

BIN, SHARED = lockgen.require_env()
STEPS = ["snapshot", "installing", "unlinked", "linked-one", "linked", "wheels", "activation", "complete"]
ROLLBACK = ".pixi-install-rollback"
# After these steps nothing checks for cancellation any more: the install completes.
LATE_STEPS = ("wheels", "activation", "complete")


def install(lock, prefix, cache, *extra, expect=0, fault=None):
    env = dict(os.environ)
    env.pop("PIXI_INSTALL_FAULT", None)
    if fault:
        env["PIXI_INSTALL_FAULT"] = fault
    r = subprocess.run([BIN, "install", "-l", lock, "-p", prefix, "--cache-dir", cache, *extra],
                       capture_output=True, text=True, timeout=120, env=env)
    if expect is not None:
        assert r.returncode == expect, (lock, prefix, fault, r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    return r


def verify(prefix):
    r = subprocess.run([BIN, "verify", "-p", prefix], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, ("verify", prefix, r.returncode, r.stdout[-3000:], r.stderr[-3000:])


def exact(prefix, keep_rollback=False):
    """Every entry of the prefix: content hash, link target, mode (the prefix lock file and,
    unless asked, the rollback directory left out)."""
    out = {}
    for root, dirs, files in os.walk(prefix):
        for n in sorted(dirs + files):
            full = os.path.join(root, n)
            rel = os.path.relpath(full, prefix)
            if rel == "conda-meta/pixi-install.lock":
                continue
            if not keep_rollback and (rel == ROLLBACK or rel.startswith(ROLLBACK + "/")):
                continue
            st = os.lstat(full)
            if os.path.islink(full):
                out[rel] = ("link", os.readlink(full))
            elif os.path.isdir(full):
                out[rel] = ("dir", st.st_mode & 0o7777)
            elif not stat.S_ISREG(st.st_mode):  # a fifo, a socket's node, a device: never opened
                out[rel] = ("special", stat.S_IFMT(st.st_mode), st.st_mode & 0o7777, st.st_rdev)
            else:
                with open(full, "rb") as f:
                    out[rel] = ("file", hashlib.sha256(f.read()).hexdigest(), st.st_mode & 0o7777)
    return out


def diff(a, b):
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return [(k, a.get(k), b.get(k)) for k in keys[:12]]


def make_locks(tmp, count=10, files=30):
    """lock 1 and lock 2 (4 upgraded, 2 removed, 2 added, a wheel upgraded), with python."""
    gen = os.path.join(tmp, "gen")

    def pkg(i, version):
        body = {"share/p%02d/f%03d.txt" % (i, k): ("package %d version %s file %d\n" % (i, version, k)).encode()
                for k in range(files if version == "1.0" else files - 5)}
        body["bin/tool%02d" % i] = (b"#!/bin/sh\necho tool %d %s\n" % (i, version.encode()), 0o755)
        return lockgen.conda(lockgen.make_conda_package(gen, "pkg%02d" % i, version, "h0_0", files=body,
                                                        symlinks={"bin/alias%02d" % i: "tool%02d" % i}))
    python = lockgen.conda(lockgen.make_python_standin(gen, "3.11.4"))
    w1 = lockgen.wheel(lockgen.make_wheel(gen, "wheely", "1.0", {"wheely/__init__.py": "V = 1\n"}))
    w2 = lockgen.wheel(lockgen.make_wheel(gen, "wheely", "2.0", {"wheely/__init__.py": "V = 2\n",
                                                                 "wheely/extra.py": ""}))
    v1 = [pkg(i, "1.0") for i in range(count)]
    l2 = [pkg(i, "2.0") if i < 4 else e for i, e in enumerate(v1) if i < count - 2]
    l2 += [pkg(i, "1.0") for i in range(count, count + 2)]
    return (lockgen.write_lock(os.path.join(tmp, "l1"), [python] + v1 + [w1]),
            lockgen.write_lock(os.path.join(tmp, "l2"), [python] + l2 + [w2]))


def test_steps(tmp):
    l1, l2 = make_locks(tmp)
    cache = os.path.join(tmp, "cache")
    ref = os.path.join(tmp, "ref")
    install(l1, ref, cache)
    install(l2, ref, cache)
    # References at the victim's own path: activation scripts and the state name the prefix.
    victim = os.path.join(tmp, "victim")
    install(l2, victim, cache)
    s2 = exact(victim)
    shutil.rmtree(victim)
    install(l1, victim, cache)
    s1 = exact(victim)
    assert not os.path.exists(os.path.join(victim, ROLLBACK))
    for k, step in enumerate(STEPS):
        # An error: the install says so, and the previous environment is back, exactly.
        r = install(l2, victim, cache, fault=step + ":fail", expect=1)
        assert "injected fault" in r.stderr, r.stderr
        if step == "complete":
            assert exact(victim) == s2, (step, diff(exact(victim), s2))
            install(l1, victim, cache)
        else:
            assert "previous environment was restored" in r.stderr, (step, r.stderr)
            assert exact(victim, keep_rollback=True) == s1, (step, diff(exact(victim, True), s1))
        verify(victim)
        # A kill: the next install rolls back (and installs what it is asked to).
        r = install(l2, victim, cache, fault=step + ":kill", expect=-9)
        # (A kill before "installing" leaves the old state "complete" beside a kept snapshot,
        # which the next run discards whatever its lock; after that step the next run is the
        # upgrade.)
        nxt = (l2, s2) if step == "snapshot" else (l1, s1) if k % 2 == 0 or step == "complete" else (l2, s2)
        install(nxt[0], victim, cache)
        assert exact(victim, keep_rollback=True) == nxt[1], (step, "kill", diff(exact(victim, True), nxt[1]))
        verify(victim)
        if nxt[0] == l2:
            install(l1, victim, cache)
            assert exact(victim) == s1
        print("  step %-10s fail: restored, kill: recovered" % step, flush=True)

    # Ctrl-C (SIGINT) or `docker stop` (SIGTERM) at each step: exit 130 with the previous
    # environment back, or, once nothing is left to cancel, the new one complete (exit 0).
    # Never anything in between, and never a success that is not the new environment.
    for k, step in enumerate(STEPS):
        sig = "interrupt" if k % 2 == 0 else "terminate"
        r = install(l2, victim, cache, fault=step + ":" + sig, expect=None)
        if r.returncode == 130:
            assert "interrupted" in r.stderr and "previous environment was restored" in r.stderr, (step, r.stderr)
            assert exact(victim, keep_rollback=True) == s1, (step, sig, diff(exact(victim, True), s1))
        else:
            assert r.returncode == 0 and step in LATE_STEPS, (step, sig, r.returncode, r.stderr)
            assert exact(victim, keep_rollback=True) == s2, (step, sig, diff(exact(victim, True), s2))
            install(l1, victim, cache)
        verify(victim)
        print("  step %-10s %s: exit %d" % (step, sig, r.returncode), flush=True)

    # A fresh prefix: an error leaves no prefix; a kill is finished by the next run.
    fresh = os.path.join(tmp, "fresh")
    for step in STEPS[:-1]:
        install(l1, fresh, cache, fault=step + ":fail", expect=1)
        assert not os.path.exists(fresh), (step, os.listdir(fresh))
    for step in STEPS:
        r = install(l1, fresh, cache, fault=step + ":interrupt", expect=None)
        if r.returncode == 130:
            assert not os.path.exists(fresh), (step, os.listdir(fresh))
        else:
            assert r.returncode == 0 and step in LATE_STEPS, (step, r.returncode, r.stderr)
            verify(fresh)
            shutil.rmtree(fresh)
    install(l1, fresh, cache, fault="linked-one:kill", expect=-9)
    install(l1, fresh, cache)
    verify(fresh)
    shutil.rmtree(fresh)
    install(l1, victim, cache)


def mount_tmpfs(path, *opts):
    os.makedirs(path, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(opts), "tmpfs", path],
                          capture_output=True).returncode == 0


def umount(path):
    subprocess.run(["umount", path], capture_output=True)


def test_checks(tmp):
    gen = os.path.join(tmp, "gen")
    cache = os.path.join(tmp, "cache")
    small = lockgen.conda(lockgen.make_conda_package(gen, "small", "1.0", files={"share/small.txt": b"small\n"}))
    l_small = lockgen.write_lock(os.path.join(tmp, "ls"), [small])
    # A binary placeholder shorter than the prefix: refused before anything changes.
    ph = lockgen.conda(lockgen.make_conda_package(
        gen, "ph", "1.0", files={"lib/libph.so": b"\x7fELF\0/opt/p\0rest"}, binary_placeholders={"lib/libph.so": "/opt/p"}))
    l_ph = lockgen.write_lock(os.path.join(tmp, "lph"), [small, ph])
    prefix = os.path.join(tmp, "env")
    install(l_small, prefix, cache)
    before = exact(prefix)
    r = install(l_ph, prefix, cache, expect=1)
    assert "binary placeholder" in r.stderr and "lib/libph.so" in r.stderr and "nothing was changed" in r.stderr, \
        r.stderr
    assert exact(prefix, keep_rollback=True) == before, diff(exact(prefix, True), before)
    if os.geteuid() != 0:
        print("  skipped the file-system checks: they need root to mount a tmpfs")
        return 77
    mnt = os.path.join(tmp, "mnt")
    if not mount_tmpfs(mnt, "size=4m"):
        print("  skipped the file-system checks: cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?)")
        return 77
    try:
        # An explicit link mode that cannot work across file systems.
        prefix = os.path.join(mnt, "env")
        install(l_small, prefix, cache)
        before = exact(prefix)
        big = lockgen.conda(lockgen.make_conda_package(gen, "big", "1.0", files={
            "share/big%d.bin" % i: random.Random(i).randbytes(1 << 20) for i in range(6)}))
        l_big = lockgen.write_lock(os.path.join(tmp, "lb"), [small, big])
        for mode in ("hardlink", "reflink"):
            r = install(l_big, prefix, cache, "--link-mode", mode, expect=1)
            assert "--link-mode " + mode + " cannot work" in r.stderr and "nothing was changed" in r.stderr, r.stderr
            assert exact(prefix, keep_rollback=True) == before, (mode, diff(exact(prefix, True), before))
        # 6 MiB to copy onto a 4 MiB disk: refused before the prefix changes.
        r = install(l_big, prefix, cache, expect=1)
        assert "not enough space" in r.stderr and mnt in r.stderr and "nothing was changed" in r.stderr, r.stderr
        assert exact(prefix, keep_rollback=True) == before, diff(exact(prefix, True), before)
        verify(prefix)
    finally:
        umount(mnt)
    return 0


def test_enospc(tmp):
    if os.geteuid() != 0:
        print("  skipped: needs root to mount a small tmpfs")
        return 77
    gen = os.path.join(tmp, "gen")
    cache = os.path.join(tmp, "cache")
    python = lockgen.conda(lockgen.make_python_standin(gen, "3.11.4"))

    def pkg(version):
        return lockgen.conda(lockgen.make_conda_package(gen, "data", version, files={
            "share/data/%d.txt" % i: ("%s %d\n" % (version, i)).encode() * 200 for i in range(50)}))
    huge = lockgen.wheel(lockgen.make_wheel(gen, "huge", "1.0", {"huge/__init__.py": "",
                                                                 "huge/blob.bin": random.Random(7).randbytes(12 << 20)}))
    la = lockgen.write_lock(os.path.join(tmp, "la"), [python, pkg("1.0")])
    lb = lockgen.write_lock(os.path.join(tmp, "lb"), [python, pkg("2.0"), huge])
    mnt = os.path.join(tmp, "mnt")
    if not mount_tmpfs(mnt, "size=8m"):
        print("  skipped: cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?)")
        return 77
    try:
        prefix = os.path.join(mnt, "env")
        install(la, prefix, cache, "--link-mode", "copy")
        before = exact(prefix)
        r = install(lb, prefix, cache, "--link-mode", "copy", expect=1)
        assert "space" in r.stderr.lower() and "previous environment was restored" in r.stderr, r.stderr
        assert exact(prefix, keep_rollback=True) == before, diff(exact(prefix, True), before)
        verify(prefix)
        subprocess.run(["mount", "-o", "remount,size=64m", mnt], check=True)
        install(lb, prefix, cache, "--link-mode", "copy")
        verify(prefix)
    finally:
        umount(mnt)
    return 0


def make_copy_lock(tmp, name="l", count=6):
    """Packages with nested files, an executable, a symlink and a text placeholder (the same
    bytes in every lock)."""
    gen = os.path.join(tmp, "gen-" + name)
    pkgs = []
    for i in range(count):
        files = {"share/w%d/d%d/f%d.txt" % (i, k % 3, k): ("pkg %d file %d\n" % (i, k)).encode() * (k + 1)
                 for k in range(12)}
        files["bin/w%d" % i] = (b"#!/bin/sh\necho w%d\n" % i, 0o755)
        # Permissions a umask of 022 would change, and a file nobody may write.
        files["share/w%d/shared.txt" % i] = (b"group-writable\n", 0o664)
        files["share/w%d/frozen.txt" % i] = (b"read-only\n", 0o444)
        files["share/w%d/run.sh" % i] = (b"#!/bin/sh\n", 0o755)  # between the two, by name
        files["etc/w%d.conf" % i] = b"prefix=/opt/anaconda1anaconda2anaconda3\n"
        pkgs.append(lockgen.conda(lockgen.make_conda_package(
            gen, "w%d" % i, "1.0", files=files, symlinks={"bin/w%d-alias" % i: "w%d" % i},
            text_placeholders=("etc/w%d.conf" % i,), mtime=1700000000)))
    return lockgen.write_lock(os.path.join(tmp, name), pkgs)


def with_times(prefix):
    """exact(), with the modification time and link count of every package file (the ones
    this tool writes itself, conda-meta and the activation scripts, have the time they were
    written)."""
    out = {rel: v for rel, v in exact(prefix, keep_rollback=True).items()
           if not rel.endswith(".json") or not rel.startswith("conda-meta/")}  # records name the cache
    for rel, v in out.items():
        if v[0] == "file" and "/" in rel and not rel.startswith("conda-meta/"):
            st = os.lstat(os.path.join(prefix, rel))
            out[rel] = v + (st.st_mtime_ns, st.st_nlink)
    return out


def install_with_umask(umask, *args):
    """install(*args) with the process umask set to `umask` (then put back)."""
    old = os.umask(umask)
    try:
        return install(*args)
    finally:
        os.umask(old)


def atimes_kept_by_noatime(tmp):
    """Whether the file system below `tmp` gives a file read after a change a new access time
    (relatime, strictatime) and keeps it for a read with O_NOATIME (not noatime mounts, nor
    NFS, which keeps access times on the server)."""
    probe = os.path.join(tmp, "atime-probe")
    with open(probe, "wb") as f:
        f.write(b"x")

    def read_changes_atime(flags):
        st = os.stat(probe)
        os.utime(probe, ns=(st.st_mtime_ns - 10**10, st.st_mtime_ns))
        before = os.stat(probe).st_atime_ns
        fd = os.open(probe, os.O_RDONLY | flags)
        try:
            os.read(fd, 1)
        finally:
            os.close(fd)
        return os.stat(probe).st_atime_ns != before
    try:
        return read_changes_atime(0) and not read_changes_atime(os.O_NOATIME)
    finally:
        os.remove(probe)


def cache_atimes(cache):
    """The access time of each regular file a package places, by path. (Its info/ files are read
    to plan the install, and the cache's markers to find its entries, in any mode.)"""
    found = {}
    for name in os.listdir(os.path.join(cache, "pkgs")):
        entry = os.path.join(cache, "pkgs", name)
        if name.startswith(".") or not os.path.isdir(entry):
            continue
        for root, _, files in os.walk(entry):
            if os.path.relpath(root, entry).split(os.sep)[0] == "info":
                continue
            for n in files:
                st = os.lstat(os.path.join(root, n))
                if stat.S_ISREG(st.st_mode):
                    found[os.path.join(root, n)] = st.st_atime_ns
    return found


def copy_lock_entry_file(cache, rel):
    """The path in the cache of `rel`, a file of make_copy_lock's package w<i> (share/w<i>/..., bin/w<i>)."""
    found = glob.glob(os.path.join(cache, "pkgs", rel.split("/")[1] + "-1.0-*", rel))
    assert len(found) == 1, (rel, found)
    return found[0]


def package_file_modes(prefix):
    """{path: permission bits} of every regular file the packages' records list."""
    out = {}
    for rec in lockgen.conda_meta_records(prefix).values():
        for rel in rec["files"]:
            st = os.lstat(os.path.join(prefix, rel))
            if stat.S_ISREG(st.st_mode):
                out[rel] = st.st_mode & 0o7777
    return out


def assert_modes(prefix, modes):
    for rel, mode in modes.items():
        got = os.stat(os.path.join(prefix, rel)).st_mode & 0o7777
        assert got == mode, (rel, oct(got), oct(mode))


def cache_inodes(cache):
    found = set()
    for root, _, files in os.walk(os.path.join(cache, "pkgs")):
        for n in files:
            st = os.lstat(os.path.join(root, n))
            found.add((st.st_dev, st.st_ino))
    return found


def test_copies(tmp):
    lock = make_copy_lock(tmp)
    small = make_copy_lock(tmp, "small", count=2)
    prefix = os.path.join(tmp, "env")
    # A cold copying install, then the same prefix copied from the warm cache: the same files,
    # none of them sharing an inode with the cache, the placeholder rewritten.
    cache = os.path.join(tmp, "cache")
    install_with_umask(0o022, lock, prefix, cache, "--link-mode", "copy")
    cold = with_times(prefix)
    cold_modes = package_file_modes(prefix)
    assert len(cold_modes) > 6 * 13 and set(cold_modes.values()) == {0o644, 0o755}, cold_modes
    verify(prefix)
    inodes = cache_inodes(cache)
    copied = 0
    for root, _, files in os.walk(prefix):
        for n in files:
            st = os.lstat(os.path.join(root, n))
            assert (st.st_dev, st.st_ino) not in inodes, os.path.join(root, n)
            copied += 1
    assert copied > 6 * 13, copied
    assert os.stat(os.path.join(prefix, "bin", "w0")).st_mode & 0o777 == 0o755
    # Each copy has the permissions of its file in the cache entry (extracted under a umask of 022).
    modes = {rel: os.stat(copy_lock_entry_file(cache, rel)).st_mode & 0o7777
             for rel in ("share/w0/shared.txt", "share/w0/frozen.txt", "bin/w1", "share/w1/d0/f0.txt")}
    assert modes["bin/w1"] == 0o755 and modes["share/w0/shared.txt"] == 0o644, modes
    assert_modes(prefix, modes)
    assert os.lstat(os.path.join(prefix, "share", "w0", "d0", "f0.txt")).st_mtime == 1700000000
    with open(os.path.join(prefix, "etc", "w0.conf")) as f:
        assert f.read() == "prefix=%s\n" % prefix
    for rec in lockgen.conda_meta_records(prefix).values():
        assert rec["link"]["type"] == 3, rec["link"]
    shutil.rmtree(prefix)
    # Copying reads the cache without giving its files a new access time (with relatime, the
    # default, the first read after a change would write each source inode once more).
    for path in cache_atimes(cache):  # access time back to the modification time, before the change
        st = os.lstat(path)
        os.utime(path, ns=(st.st_mtime_ns, st.st_mtime_ns), follow_symlinks=False)
    atimes = cache_atimes(cache)
    assert len(atimes) > 6 * 13, len(atimes)
    install(lock, prefix, cache, "--link-mode", "copy")
    assert with_times(prefix) == cold, diff(with_times(prefix), cold)
    if atimes_kept_by_noatime(tmp):
        changed = [p for p, t in cache_atimes(cache).items() if atimes.get(p) != t]
        assert not changed, ("cache files read with a new access time", changed[:3])
    else:
        print("  access times not compared: this file system does not update them as ext4 does")
    # From the warm cache, under a umask that takes away everything but the owner's bits (a
    # shared cache, another user's shell): the copies still have the cache entry's permissions
    # (what this tool writes itself, the directories and activation scripts, follow the umask).
    # A setuid bit on a cache file (extraction never writes one: someone changed the entry
    # afterwards) is not copied.
    strict = os.path.join(tmp, "env-umask")
    tampered = copy_lock_entry_file(cache, "bin/w1")
    os.chmod(tampered, 0o4755)
    try:
        install_with_umask(0o077, lock, strict, cache, "--link-mode", "copy")
    finally:
        os.chmod(tampered, 0o755)
    assert_modes(strict, modes)
    assert package_file_modes(strict) == cold_modes, diff(package_file_modes(strict), cold_modes)

    # A prefix whose directory has a default ACL that gives others nothing (shared project
    # directories often have one): the kernel applies it, not the umask, to new files; copies
    # still get the package's permissions.
    # A second one gives others read but no execute permission: there a new file gets the
    # bits it asks for when it is not executable (0644), and loses one when it is (0755
    # becomes 0754), in the same directory (share/wN/: frozen.txt, run.sh, shared.txt).
    for name, other in (("env-acl", 0), ("env-acl-r", 4)):
        acl_prefix = os.path.join(tmp, name)
        os.makedirs(acl_prefix)
        # system.posix_acl_default, version 2: user::rwx group::r-x other::<other>
        acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", tag, perm, 0xFFFFFFFF)
                                              for tag, perm in ((0x01, 7), (0x04, 5), (0x20, other)))
        os.setxattr(acl_prefix, "system.posix_acl_default", acl)
        install(lock, acl_prefix, cache, "--link-mode", "copy")
        assert os.stat(os.path.join(acl_prefix, "bin", "w0")).st_mode & 0o777 == 0o755
        # Every file of every directory, whichever of them the directory's first copy told about.
        assert package_file_modes(acl_prefix) == cold_modes, (name, diff(package_file_modes(acl_prefix), cold_modes))

    # An error once the prefix is about to change, or once linking has begun: the previous prefix.
    shutil.rmtree(prefix)
    install(small, prefix, os.path.join(tmp, "cache-small"), "--link-mode", "copy")
    before = exact(prefix, keep_rollback=True)
    for k, step in enumerate(("snapshot", "linked-one", "linked")):
        r = install(lock, prefix, os.path.join(tmp, "cache-fail%d" % k), "--link-mode", "copy",
                    fault=step + ":fail", expect=1)
        assert "injected fault" in r.stderr, (step, r.stderr)
        assert exact(prefix, keep_rollback=True) == before, (step, diff(exact(prefix, True), before))
    verify(prefix)

    # auto mode, the cache on another file system (root: a tmpfs): neither clones nor hard
    # links work, so the files are copied, and the records say so.
    if os.geteuid() != 0:
        print("  skipped the other file system: needs root to mount a tmpfs")
        return 77
    mnt = os.path.join(tmp, "mnt")
    if not mount_tmpfs(mnt, "size=4m"):
        print("  skipped the other file system: cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?)")
        return 77
    try:
        other = os.path.join(mnt, "env")
        install(lock, other, cache)
        verify(other)
        for rec in lockgen.conda_meta_records(other).values():
            assert rec["link"]["type"] == 3, rec["link"]
        st = os.lstat(os.path.join(other, "share", "w0", "d0", "f0.txt"))
        assert st.st_nlink == 1 and st.st_mtime == 1700000000, st
    finally:
        umount(mnt)
    return 0


def test_reserved(tmp):
    """A package may not place files where the installer keeps the previous environment."""
    gen = os.path.join(tmp, "gen")
    bad = lockgen.conda(lockgen.make_conda_package(gen, "bad", "1.0", files={ROLLBACK + "/data.txt": b"x\n"}))
    lock = lockgen.write_lock(os.path.join(tmp, "l"), [bad])
    prefix = os.path.join(tmp, "env-bad")
    r = install(lock, prefix, os.path.join(tmp, "cache"), expect=4)
    assert ROLLBACK + "/data.txt" in r.stderr and "refused" in r.stderr, r.stderr
    assert not os.path.exists(prefix)
    return 0


def test_symlinked(tmp):
    """The prefix's path is a symlink to the real directory (a mount point, a shared volume)."""
    l1, l2 = make_locks(tmp, count=4, files=8)
    cache, real, link = os.path.join(tmp, "cache"), os.path.join(tmp, "real"), os.path.join(tmp, "env")
    os.makedirs(real)
    os.symlink(real, link)
    install(l1, link, cache)
    before = exact(real)
    r = install(l2, link, cache, fault="linked:fail", expect=1)
    assert "previous environment was restored" in r.stderr, r.stderr
    assert exact(real, keep_rollback=True) == before, diff(exact(real, True), before)
    install(l2, link, cache)
    assert os.path.islink(link) and not os.path.exists(os.path.join(real, ROLLBACK))
    assert "share/p04/f000.txt" in exact(real) and "share/p04/f000.txt" not in before
    verify(link)
    return 0


def test_deep(tmp):
    """A directory chain so deep that its snapshot's paths are longer than a path may be: the
    update is refused with nothing changed, and nothing of the snapshot is left behind to stop
    the next run."""
    l1, l2 = make_locks(tmp, count=4, files=8)
    cache, prefix = os.path.join(tmp, "cache"), os.path.join(tmp, "env")
    install(l1, prefix, cache)
    # Below 4096 bytes in the prefix, above it in the snapshot (32 bytes longer); long names
    # keep the chain short.
    name = "n" * 250
    length = len(prefix) + len("/deep")
    os.mkdir(os.path.join(prefix, "deep"))
    fd = os.open(os.path.join(prefix, "deep"), os.O_RDONLY | os.O_DIRECTORY)
    while length + 1 + len(name) < 4090:
        length += 1 + len(name)
        os.mkdir(name, dir_fd=fd)
        nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    if 4090 - length - 1 > 0:  # a shorter last name, to end between 4096 - 32 and 4096
        last = "m" * (4090 - length - 1)
        os.mkdir(last, dir_fd=fd)
        length += 1 + len(last)
    os.close(fd)
    assert 4096 - 32 < length < 4096, length
    before = exact(prefix)
    r = install(l2, prefix, cache, expect=None)
    if r.returncode != 0:
        assert "nothing was changed" in r.stderr, r.stderr
        assert exact(prefix, keep_rollback=True) == before, diff(exact(prefix, True), before)
    assert not os.path.exists(os.path.join(prefix, ROLLBACK))
    shutil.rmtree(os.path.join(prefix, "deep"))
    install(l2, prefix, cache)
    verify(prefix)
    return 0


def test_readonly(tmp):
    """A directory of the prefix without write permission (its owner took it away): the snapshot
    holds it with that mode, and an unprivileged user can still remove the snapshot."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("  skipped: needs root and setpriv to run the installs as another user")
        return 77
    nobody = 65534
    os.chmod(tmp, 0o755)
    for d in (tmp, os.path.dirname(tmp)):
        os.chmod(d, os.stat(d).st_mode | 0o011)  # traversable by that user (the test's temporary root)
    l1, l2 = make_locks(tmp)
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    for root, dirs, files in os.walk(tmp):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), nobody, nobody)
    os.chown(tmp, nobody, nobody)
    prefix, cache = os.path.join(tmp, "env"), os.path.join(tmp, "cache")

    def as_user(lock, fault=None, expect=0):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home}
        if fault:
            env["PIXI_INSTALL_FAULT"] = fault
        r = subprocess.run(["setpriv", "--reuid=%d" % nobody, "--regid=%d" % nobody, "--clear-groups",
                            BIN, "install", "-l", lock, "-p", prefix, "--cache-dir", cache],
                           capture_output=True, text=True, timeout=120, env=env)
        assert r.returncode == expect, (lock, fault, r.returncode, r.stdout[-2000:], r.stderr[-2000:])
        return r

    as_user(l1)
    frozen = os.path.join(prefix, "share", "p05")  # a package both locks keep as it is
    os.chmod(frozen, 0o555)
    # A directory of the user's own at the top of the prefix, also without write permission:
    # a restore moves it back from the snapshot to the prefix, which writes its `..`.
    data = os.path.join(prefix, "data")
    os.makedirs(os.path.join(data, "inner"))
    with open(os.path.join(data, "inner", "kept.txt"), "w") as f:
        f.write("the user's\n")
    for d in (os.path.join(data, "inner"), data):
        os.chmod(d, 0o555)
    for root, dirs, files in os.walk(data):
        for n in [root] + [os.path.join(root, x) for x in files]:
            os.lchown(n, nobody, nobody)
    before = exact(prefix)
    # A failed update: the new tree (holding the read-only directory) goes, the previous comes back.
    r = as_user(l2, fault="linked:fail", expect=1)
    assert "previous environment was restored" in r.stderr, r.stderr
    assert exact(prefix, keep_rollback=True) == before, diff(exact(prefix, True), before)
    # The update: done, nothing kept, the directory as its owner left it.
    as_user(l2)
    assert not os.path.exists(os.path.join(prefix, ROLLBACK))
    assert os.stat(frozen).st_mode & 0o777 == 0o555
    after = exact(prefix)
    for rel in ("share/p05/f000.txt", "data", "data/inner", "data/inner/kept.txt"):
        assert after[rel] == before[rel], (rel, after.get(rel), before[rel])
    verify(prefix)
    return 0


def test_odd_entries(tmp):
    """What a user keeps in a prefix besides packages: names with `..` or a line break, a fifo
    deep in a directory. A failed update puts each of them back as it was."""
    l1, l2 = make_locks(tmp, count=4, files=8)
    cache, prefix = os.path.join(tmp, "cache"), os.path.join(tmp, "env")
    install(l1, prefix, cache)
    for rel in ("notes..txt", "line\nbreak", "conda-meta/history..old", "share/p02/in..side"):
        with open(os.path.join(prefix, rel), "w") as f:
            f.write(rel + "\n")
    os.mkdir(os.path.join(prefix, "..dots"))
    os.mkfifo(os.path.join(prefix, "share", "p02", "pipe"))
    os.mkfifo(os.path.join(prefix, "top-pipe"))
    before = exact(prefix)
    for step in ("snapshot", "linked"):
        r = install(l2, prefix, cache, fault=step + ":fail", expect=1)
        assert "previous environment was restored" in r.stderr, (step, r.stderr)
        assert exact(prefix, keep_rollback=True) == before, (step, diff(exact(prefix, True), before))
    install(l2, prefix, cache)
    after = exact(prefix)
    for rel in ("notes..txt", "line\nbreak", "conda-meta/history..old", "..dots", "top-pipe", "share/p02/pipe"):
        assert after.get(rel) == before[rel], (rel, after.get(rel), before[rel])
    return 0


def main(argv):
    names = argv or ["steps", "checks", "enospc", "copies", "reserved", "symlinked", "odd_entries", "deep", "readonly"]
    rc = 0
    with tempfile.TemporaryDirectory(prefix="pi-e2e-transaction-") as tmp:
        for name in names:
            t = time.monotonic()
            sub = os.path.join(tmp, name)
            os.makedirs(sub)
            r = globals()["test_" + name](sub)
            if r == 77 and rc == 0:
                rc = 77
            print("ok" if r != 77 else "skipped", name, "%.1fs" % (time.monotonic() - t), flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
