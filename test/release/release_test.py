#!/usr/bin/env python3
"""Acceptance checks of the static release binaries in dist/ (scripts/release.sh), run by
scripts/release_test.sh as root:

  elf        no interpreter, no needed libraries, stripped, <= 20 MB, SHA256SUMS matches
  chroot     in an empty root holding only the x86_64 binary, the demo lock and its
             artifacts: --version, info --json, list, check, an offline install, verify;
             glibc found from the root's libc.so.6 once one is there
  aarch64    the same under qemu-aarch64-static (installing the linux-64 demo)
  tls        a loopback HTTPS server with a private CA, from inside a root: refused
             without the CA, accepted with SSL_CERT_FILE and with --tls-ca-cert, found
             by itself in the root's distro bundle (Debian and RHEL layouts)
  docker     the README's Dockerfile, built with buildah (chroot isolation, vfs storage)
             on a debootstrap'd Debian 12 minbase root, installs a lock from a loopback
             server; the final image runs a command from the environment
  suite      the e2e tests of `meson test` (their command lines and environments from
             `meson introspect --tests`), with PIXI_INSTALL_BIN set to the static binary

  release_test.py [SECTION...]   (default: all; `docker` needs the cached root, see
                                  scripts/release_test.sh)
Prints one line per check and closes with "N passed, N failed, N skipped".
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "test", "e2e"))
import netlab  # noqa: E402

DIST = os.environ.get("PIXI_INSTALL_DIST", os.path.join(SRC, "dist"))
DEMO = os.path.join(SRC, "fixtures", "demo")
MAX_SIZE = 20 * 1024 * 1024
counts = {"passed": 0, "failed": 0, "skipped": 0}


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    counts["passed" if cond else "failed"] += 1
    return cond


def skip(what):
    print("skip " + what, flush=True)
    counts["skipped"] += 1


def project_version():
    with open(os.path.join(SRC, "meson.build")) as f:
        return re.search(r"^\s*version: '([^']+)'", f.read(), re.M).group(1)


def binary(arch):
    return os.path.join(DIST, "pixi-install-%s-linux-%s" % (project_version(), arch))


def readelf(*args):
    return subprocess.run(["readelf", "-W"] + list(args), capture_output=True, text=True).stdout


def tail(s, n=400):
    s = (s or "").strip()
    return s[-n:]


# --- elf ----------------------------------------------------------------------------------

def section_elf():
    sums = {}
    sums_file = os.path.join(DIST, "SHA256SUMS")
    if check(os.path.exists(sums_file), "dist/SHA256SUMS exists"):
        with open(sums_file) as f:
            for line in f:
                digest, name = line.split()
                sums[name.lstrip("*")] = digest
    for arch, machine in (("x86_64", "Advanced Micro Devices X86-64"), ("aarch64", "AArch64")):
        b = binary(arch)
        if not check(os.path.exists(b), "%s exists" % os.path.relpath(b, SRC)):
            continue
        header = readelf("-h", b)
        check(machine in header and ("EXEC" in header or "DYN" in header),
              "%s: an ELF executable for %s" % (arch, machine))
        check("INTERP" not in readelf("-l", b), "%s: no PT_INTERP (no dynamic loader)" % arch)
        dyn = readelf("-d", b)
        check("NEEDED" not in dyn, "%s: no DT_NEEDED (no shared library)" % arch)
        sections = readelf("-S", b)
        check(".symtab" not in sections and ".debug_" not in sections, "%s: stripped" % arch)
        size = os.path.getsize(b)
        check(size <= MAX_SIZE, "%s: %.1f MB <= 20 MB" % (arch, size / 1e6))
        with open(b, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        check(sums.get(os.path.basename(b)) == digest, "%s: SHA256SUMS matches" % arch)


# --- roots --------------------------------------------------------------------------------

def make_root(tmp, name, arch="x86_64", with_demo=True):
    """An empty directory holding only the binary (as /pixi-install) and the demo."""
    root = os.path.join(tmp, name)
    os.makedirs(root)
    shutil.copy2(binary(arch), os.path.join(root, "pixi-install"))
    if with_demo:
        os.makedirs(os.path.join(root, "demo"))
        shutil.copy2(os.path.join(DEMO, "pixi.lock"), os.path.join(root, "demo", "pixi.lock"))
        shutil.copytree(os.path.join(DEMO, "pkgs"), os.path.join(root, "demo", "pkgs"))
    return root


def in_root(root, *args, env=None, emulator=None, timeout=300):
    """Runs /pixi-install in `root` (chroot) with nothing from the host's environment."""
    e = {"HOME": "/home", "PATH": "/usr/bin:/bin"}
    e.update(env or {})
    cmd = [shutil.which("chroot") or "/usr/sbin/chroot", root] + ([emulator] if emulator else []) + ["/pixi-install"] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=timeout)


def demo_checks(root, arch, emulator=None, platform_args=()):
    """--version, info --json, list, check, an offline install, verify and a no-op re-run."""
    tag = "%s%s" % (arch, " (qemu)" if emulator else "")
    r = in_root(root, "--version", emulator=emulator)
    v = r.stdout
    check(r.returncode == 0 and v.startswith("pixi-install %s\n" % project_version())
          and ("target: %s-linux-musl (static)" % arch) in v and "\ncommit: " in v
          and re.search(r"libcurl/[\d.]+ OpenSSL/[\d.]+ zlib/[\d.]+ .*nghttp2/", v) is not None
          and "libarchive 3." in v and "openssl=" in v and "curl=7.88.1-10+deb12u" in v,
          "%s: --version names version, target, commit and the bundled libraries: %r" % (tag, v))
    # The allocator is really mimalloc (musl's malloc serialises threads): it speaks when asked.
    r = in_root(root, "--version", env={"MIMALLOC_VERBOSE": "1"}, emulator=emulator)
    check(r.returncode == 0 and "mimalloc=" in v and "mimalloc:" in r.stderr,
          "%s: mimalloc is the allocator (--version lists it; MIMALLOC_VERBOSE=1 makes it report): %r"
          % (tag, r.stderr[:300]))

    r = in_root(root, "info", "--json", emulator=emulator)
    try:
        j = json.loads(r.stdout)
    except ValueError:
        j = {}
    host = j.get("host", {})
    check(r.returncode == 0 and host.get("cuda_probes") == "nvidia-smi, driver files" and host.get("glibc_version") is None,
          "%s: info --json works in an empty root (no glibc, CUDA probed through nvidia-smi and the driver files only): %s"
          % (tag, tail(r.stdout + r.stderr, 300) if r.returncode else json.dumps(host)[:300]))
    ca = j.get("settings", {}).get("tls-ca-certs", {})
    check(ca.get("value", "").startswith("none found") and ca.get("origin") == "system",
          "%s: info says no CA bundle was found in an empty root: %s" % (tag, json.dumps(ca)))

    r = in_root(root, "list", "-l", "/demo/pixi.lock", *platform_args, emulator=emulator)
    check(r.returncode == 0 and "hello-prefix" in r.stdout and "demo-greet" in r.stdout.replace("_", "-"),
          "%s: list (%d) %s" % (tag, r.returncode, tail(r.stdout + r.stderr, 200)))

    if not platform_args:
        r = in_root(root, "check", "-l", "/demo/pixi.lock", emulator=emulator)
        check(r.returncode == 3 and "__glibc" in (r.stdout + r.stderr) and "CONDA_OVERRIDE_GLIBC" in (r.stdout + r.stderr),
              "%s: check without a glibc in the root: exit 3 naming __glibc and the override (%d) %s"
              % (tag, r.returncode, tail(r.stdout + r.stderr, 200)))
    glibc = {"CONDA_OVERRIDE_GLIBC": "2.36"}
    r = in_root(root, "check", "-l", "/demo/pixi.lock", *platform_args, env=glibc, emulator=emulator)
    check(r.returncode == 0, "%s: check with CONDA_OVERRIDE_GLIBC=2.36 (%d) %s"
          % (tag, r.returncode, tail(r.stdout + r.stderr, 200)))

    install = ["install", "-l", "/demo/pixi.lock", "-p", "/env", "--cache-dir", "/cache", "--offline",
               "--no-progress"] + list(platform_args)
    r = in_root(root, *install, env=glibc, emulator=emulator)
    check(r.returncode == 0 and os.path.exists(os.path.join(root, "env", "conda-meta")),
          "%s: offline install of the demo (%d) %s" % (tag, r.returncode, tail(r.stdout + r.stderr)))
    r = in_root(root, "verify", "-p", "/env", emulator=emulator)
    check(r.returncode == 0, "%s: verify the installed prefix (%d) %s" % (tag, r.returncode, tail(r.stdout + r.stderr)))
    r = in_root(root, *install, "--json", env=glibc, emulator=emulator)
    try:
        j = json.loads(r.stdout)
    except ValueError:
        j = {}
    check(r.returncode == 0, "%s: a second install is a no-op (%d) %s"
          % (tag, r.returncode, tail(r.stdout + r.stderr, 300)))


def host_glibc_version():
    r = subprocess.run(["ldd", "--version"], capture_output=True, text=True)
    m = re.search(r"(\d+\.\d+)\s*$", r.stdout.splitlines()[0]) if r.returncode == 0 else None
    return m.group(1) if m else None


HTTPS_LOCK = """version: 6
environments:
  default:
    channels:
    - url: https://127.0.0.1:9/conda-forge/
    packages:
      linux-64:
      - conda: https://127.0.0.1:9/conda-forge/noarch/tiny-1.0-0.conda
packages:
- conda: https://127.0.0.1:9/conda-forge/noarch/tiny-1.0-0.conda
  sha256: 0000000000000000000000000000000000000000000000000000000000000000
  size: 10
"""


def tls_settings_from_elsewhere(root):
    """SSL_CERT_FILE/SSL_CERT_DIR inherited from another root: only https needs them."""
    nowhere = {"SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt", "SSL_CERT_DIR": "/etc/ssl/certs",
               "CONDA_OVERRIDE_GLIBC": "2.36"}
    r = in_root(root, "info", "--json", env=nowhere)
    try:
        j = json.loads(r.stdout)
    except ValueError:
        j = {}
    probs = j.get("problems", [])
    check(r.returncode == 0 and probs and all(p.get("origin", "").startswith("SSL_CERT") for p in probs),
          "x86_64: info --json with SSL_CERT_FILE/DIR naming missing paths: exit 0, the problem listed (%d) %s"
          % (r.returncode, tail(r.stdout + r.stderr, 300)))
    for args in (["check", "-l", "/demo/pixi.lock"], ["list", "-l", "/demo/pixi.lock"],
                 ["install", "-l", "/demo/pixi.lock", "-p", "/env-tls", "--cache-dir", "/cache-tls", "--offline",
                  "--no-progress"]):
        r = in_root(root, *args, env=nowhere)
        check(r.returncode == 0, "x86_64: %s works with SSL_CERT_FILE/DIR naming missing paths (%d) %s"
              % (args[0], r.returncode, tail(r.stdout + r.stderr, 300)))
    with open(os.path.join(root, "https.lock"), "w") as f:
        f.write(HTTPS_LOCK)
    r = in_root(root, "install", "-l", "/https.lock", "-p", "/env-https", "--cache-dir", "/cache-https",
                "--no-progress", env=nowhere)
    check(r.returncode == 2 and "SSL_CERT_" in r.stderr and "nothing was downloaded" in r.stderr
          and not os.path.exists(os.path.join(root, "env-https", "conda-meta")),
          "x86_64: an https install fails before downloading, naming the variable (%d) %s"
          % (r.returncode, tail(r.stdout + r.stderr, 300)))


def section_chroot(tmp):
    root = make_root(tmp, "root-x86_64")
    demo_checks(root, "x86_64")
    tls_settings_from_elsewhere(root)
    # The host's glibc as a Debian root has it: info and check find it from libc.so.6.
    libc = "/lib/x86_64-linux-gnu/libc.so.6"
    want = host_glibc_version()
    if not os.path.exists(libc) or not want:
        skip("glibc probe: this host has no %s" % libc)
        return
    os.makedirs(os.path.join(root, "lib", "x86_64-linux-gnu"))
    shutil.copy2(libc, os.path.join(root, "lib", "x86_64-linux-gnu", "libc.so.6"))
    r = in_root(root, "info", "--json")
    host = json.loads(r.stdout).get("host", {}) if r.returncode == 0 else {}
    check(host.get("glibc_version") == want and "libc.so.6" in (host.get("glibc_source") or ""),
          "x86_64: glibc %s found from the root's libc.so.6: %s" % (want, json.dumps(host)[:300]))
    r = in_root(root, "check", "-l", "/demo/pixi.lock")
    check(r.returncode == 0, "x86_64: check passes on the detected glibc (%d) %s"
          % (r.returncode, tail(r.stdout + r.stderr, 200)))


def section_aarch64(tmp):
    qemu = shutil.which("qemu-aarch64-static")
    if not qemu:
        skip("aarch64: qemu-aarch64-static is not installed (scripts/deps.sh)")
        return
    root = make_root(tmp, "root-aarch64", arch="aarch64")
    shutil.copy2(qemu, os.path.join(root, "qemu-aarch64-static"))
    r = in_root(root, "info", "--json", emulator="/qemu-aarch64-static")
    try:
        platform = json.loads(r.stdout).get("platform")
    except ValueError:
        platform = None
    check(platform == "linux-aarch64", "aarch64 (qemu): the host platform is linux-aarch64 (%s)" % platform)
    demo_checks(root, "aarch64", emulator="/qemu-aarch64-static", platform_args=("--platform", "linux-64"))


# --- tls ----------------------------------------------------------------------------------

def section_tls(tmp):
    if not shutil.which("openssl"):
        skip("tls: openssl is not installed")
        return
    fix = netlab.FIX
    ca = netlab.make_ca(tmp, "rca")
    root = make_root(tmp, "root-tls", with_demo=False)
    shutil.copytree(fix, os.path.join(root, "lock"))
    shutil.copy2(ca[0], os.path.join(root, "ca.pem"))
    n = [0]

    def pack(*args, env=None):
        n[0] += 1
        return in_root(root, "--no-progress", "pack", "-l", "/lock/pixi.lock", "-o", "/out-%d.tar" % n[0],
                       "--cache-dir", "/cache-%d" % n[0], "--retries", "1", "--low-speed-timeout", "5",
                       *mirrors, *args, env=env, timeout=120)

    with netlab.Server(fix, tls=netlab.make_cert(tmp, ca, "rserver")) as server:
        mirrors = netlab.fixture_mirrors(server)
        r = pack()
        check(r.returncode == 5 and "no CA certificates" in r.stderr and "/etc/ssl/certs/ca-certificates.crt" in r.stderr
              and "SSL_CERT_FILE" in r.stderr,
              "tls: a root without any CA bundle: exit 5 naming the places searched (%d) %s"
              % (r.returncode, tail(r.stderr, 300)))
        r = pack(env={"SSL_CERT_FILE": "/ca.pem"})
        check(r.returncode == 0, "tls: SSL_CERT_FILE with the private CA: accepted (%d) %s"
              % (r.returncode, tail(r.stderr)))
        r = pack("--tls-ca-cert", "/ca.pem")
        check(r.returncode == 0, "tls: --tls-ca-cert with the private CA: accepted (%d) %s"
              % (r.returncode, tail(r.stderr)))
        # A distro bundle without the private CA (the host's): refused, not trusted.
        host_bundle = "/etc/ssl/certs/ca-certificates.crt"
        debian = os.path.join(root, "etc", "ssl", "certs")
        os.makedirs(debian)
        if os.path.exists(host_bundle):
            shutil.copy2(host_bundle, os.path.join(debian, "ca-certificates.crt"))
        else:
            with open(os.path.join(debian, "ca-certificates.crt"), "w") as f:
                f.write("")
        r = pack()
        check(r.returncode == 5 and "not trusted" in r.stderr,
              "tls: a distro bundle without the CA: refused, not trusted (%d) %s" % (r.returncode, tail(r.stderr, 300)))
        # The CA added to the root's Debian bundle: found there by itself.
        with open(ca[0]) as src, open(os.path.join(debian, "ca-certificates.crt"), "a") as dst:
            dst.write(src.read())
        r = pack()
        check(r.returncode == 0, "tls: the CA in the root's Debian bundle (/etc/ssl/certs/ca-certificates.crt): "
              "accepted (%d) %s" % (r.returncode, tail(r.stderr)))
        r = in_root(root, "info", "--json")
        ca_setting = (json.dumps(json.loads(r.stdout).get("settings", {}).get("tls-ca-certs"))
                      if r.returncode == 0 else r.stderr)
        check("/etc/ssl/certs/ca-certificates.crt" in ca_setting,
              "tls: info names the bundle found in the root: %s" % ca_setting[:300])
        # RHEL/Fedora layout only.
        shutil.rmtree(os.path.join(root, "etc", "ssl"))
        rhel = os.path.join(root, "etc", "pki", "tls", "certs")
        os.makedirs(rhel)
        shutil.copy2(ca[0], os.path.join(rhel, "ca-bundle.crt"))
        r = pack()
        check(r.returncode == 0, "tls: the CA in the root's RHEL bundle (/etc/pki/tls/certs/ca-bundle.crt): "
              "accepted (%d) %s" % (r.returncode, tail(r.stderr)))


# --- docker (buildah) ---------------------------------------------------------------------

def readme_dockerfile():
    """The Dockerfile block of README.md ("### In a Dockerfile"), as it is written there."""
    with open(os.path.join(SRC, "README.md")) as f:
        text = f.read()
    m = re.search(r"^### In a Dockerfile\n.*?^```dockerfile\n(.*?)^```", text, re.S | re.M)
    return m.group(1) if m else None


def demo_lock_over_http(base_url, env_name):
    """The demo lock with its artifacts at `base_url` and its environment named `env_name`."""
    with open(os.path.join(DEMO, "pixi.lock")) as f:
        text = f.read()
    text = text.replace("./pkgs/", base_url + "/pkgs/")
    text = re.sub(r"^(environments:\n  )default:", r"\1%s:" % env_name, text, flags=re.M)
    return text


def section_docker(tmp):
    base_tar = os.environ.get("PIXI_INSTALL_BOOKWORM_ROOT")
    if not base_tar or not os.path.exists(base_tar):
        skip("docker: no debootstrap root (scripts/release_test.sh makes and caches it)")
        return
    if not shutil.which("buildah"):
        skip("docker: buildah is not installed (scripts/deps.sh)")
        return
    dockerfile = readme_dockerfile()
    if not check(dockerfile is not None and re.search(r"^FROM debian:bookworm-slim\b", dockerfile, re.M),
                 "docker: the README's Dockerfile block is found, its stages FROM debian:bookworm-slim"):
        return
    # The base image name aside, the README's text as it is.
    dockerfile = re.sub(r"^FROM debian:bookworm-slim\b", "FROM localhost/pixi-install-test-bookworm", dockerfile,
                        flags=re.M)
    env_name = re.search(r"pixi-install -l /app/pixi.lock -e (\S+)", dockerfile).group(1)
    storage = os.path.join(tmp, "storage")
    b = ["buildah", "--root", storage, "--runroot", os.path.join(tmp, "runroot"), "--storage-driver", "vfs"]
    env = dict(os.environ, BUILDAH_ISOLATION="chroot", STORAGE_DRIVER="vfs")
    env.pop("PIXI_INSTALL_BIN", None)

    def bah(*args, timeout=600):
        return subprocess.run(b + list(args), capture_output=True, text=True, env=env, timeout=timeout)

    r = bah("from", "scratch")
    ctr = r.stdout.strip()
    ok = r.returncode == 0
    if ok:
        ok = bah("add", ctr, base_tar, "/").returncode == 0
        ok = ok and bah("commit", "--quiet", ctr, "localhost/pixi-install-test-bookworm").returncode == 0
        bah("rm", ctr)
    if not check(ok, "docker: the debootstrap'd Debian 12 minbase root imported as a base image (%s)" % tail(r.stderr)):
        return
    ctx = os.path.join(tmp, "context")
    os.makedirs(ctx)
    shutil.copy2(binary("x86_64"), os.path.join(ctx, "pixi-install"))
    with open(os.path.join(ctx, "Dockerfile"), "w") as f:
        f.write(dockerfile)
    with open(os.path.join(ctx, "pixi.toml"), "w") as f:
        f.write('[workspace]\nname = "demo"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n\n'
                '[system-requirements]\nlibc = "2.17"\n')
    with netlab.Server(DEMO) as server:
        with open(os.path.join(ctx, "pixi.lock"), "w") as f:
            f.write(demo_lock_over_http(server.url("/files"), env_name))
        r = bah("bud", "--isolation", "chroot", "--layers=false", "-t", "localhost/pixi-install-demo", ctx, timeout=900)
    check(r.returncode == 0, "docker: buildah bud of the README's Dockerfile (%d) %s"
          % (r.returncode, tail(r.stdout + r.stderr, 1500)))
    if r.returncode != 0:
        return
    r = bah("from", "localhost/pixi-install-demo")
    ctr = r.stdout.strip()
    r = bah("run", "--isolation", "chroot", ctr, "--", "pixi-install", "run", "-p", "/opt/env", "--", "hello-prefix")
    check(r.returncode == 0 and "/opt/env" in r.stdout,
          "docker: the final image runs a command from the environment (%d) %s"
          % (r.returncode, tail(r.stdout + r.stderr)))
    r = bah("run", "--isolation", "chroot", ctr, "--", "sh", "-c", ". /opt/env/entrypoint.sh && echo $CONDA_PREFIX")
    check(r.returncode == 0 and r.stdout.strip().endswith("/opt/env"),
          "docker: the image's entrypoint.sh activates the environment (%d) %s"
          % (r.returncode, tail(r.stdout + r.stderr)))
    bah("rm", ctr)


# --- the e2e suite against the static binary ------------------------------------------------

# Tests in the e2e suite that do not run pixi-install, with the reason. (None needs dlopen:
# no test drives NVML or libcuda.)
# e2e tests that do not run pixi-install, so not against the static binary either (stage 1
# of scripts/test.sh runs them); named, not counted as skipped.
NOT_THE_BINARY = {
    "cli_progress_pty": "tests the progress display through a replay helper built against the libraries, "
                        "not pixi-install",
}


def section_suite(tmp):
    build = os.environ.get("PIXI_INSTALL_SUITE_BUILD", os.path.join(SRC, "build"))
    r = subprocess.run(["meson", "introspect", build, "--tests"], capture_output=True, text=True)
    if r.returncode != 0:
        skip("suite: no configured developer build in %s (scripts/test.sh makes it)" % build)
        return
    tests = [t for t in json.loads(r.stdout) if any(s.split(":")[-1] == "e2e" for s in t["suite"])]
    static = binary("x86_64")
    for t in tests:
        name = t["name"]
        if name in NOT_THE_BINARY:
            print("     suite: %s is not run against the static binary: %s" % (name, NOT_THE_BINARY[name]), flush=True)
            continue
        env = dict(os.environ)
        env.update(t.get("env") or {})
        dev = env.get("PIXI_INSTALL_BIN", "")
        workdir = t.get("workdir") or build
        # The binary under test: PIXI_INSTALL_BIN, and the developer binary where a test
        # takes it as an argument (the man page test: the static binary's help texts must
        # match the developer build's man page).
        cmd = [static if a and os.path.abspath(os.path.join(workdir, a)) == os.path.abspath(dev) else a
               for a in t["cmd"]]
        env["PIXI_INSTALL_BIN"] = static
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir,
                               timeout=t.get("timeout") or 900)
            rc, out = p.returncode, p.stdout + p.stderr
        except subprocess.TimeoutExpired:
            rc, out = -1, "timed out"
        if rc == 77:
            skip("suite: %s (the test skipped itself: %s)" % (name, tail(out, 150)))
        else:
            check(rc == 0, "suite: %s against the static binary (%d)%s" % (name, rc, "" if rc == 0 else "\n" + tail(out, 2000)))


def main():
    sections = sys.argv[1:] or ["elf", "chroot", "aarch64", "tls", "docker", "suite"]
    if os.getuid() != 0:
        print("release_test.py needs root (chroot)")
        return 77
    tmp = tempfile.mkdtemp(prefix="release-test-")
    try:
        for s in sections:
            print("== " + s, flush=True)
            fn = globals().get("section_" + s)
            if fn is None:
                print("unknown section %s" % s)
                return 2
            if s == "elf":
                fn()
            elif not os.path.exists(binary("x86_64" if s != "aarch64" else "aarch64")):
                check(False, "%s: the binary is built (scripts/release.sh)" % s)
            else:
                fn(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed, %d skipped" % (counts["passed"], counts["failed"], counts["skipped"]))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
