"""Network fixtures for end-to-end tests, all on 127.0.0.1 with free ports, each
stopped by its owner (use them as context managers, so a failing test stops them too):

  Server(root, tls=(cert, key))   test/fetch/server.py, counting requests and bytes
  make_ca(dir, name)              a private CA (openssl CLI) -> (ca.pem, ca.key)
  make_cert(dir, ca, name, ...)   a server certificate for 127.0.0.1 signed by `ca`
  Squid(dir, ...)                 Debian's squid with its own config in `dir`

Python 3 standard library only, plus the openssl and squid programs.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

SRC = os.environ.get("PIXI_INSTALL_SOURCE", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SERVER = os.path.join(SRC, "test", "fetch", "server.py")
BIN = os.environ.get("PIXI_INSTALL_BIN", "pixi-install")
# fixtures/fetch/pack: a lock whose network artifacts live at these two prefixes.
FIX = os.path.join(SRC, "fixtures", "fetch", "pack")
CH = "https://conda.example.invalid/conda-forge"
PY = "https://files.example.invalid/packages"

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def outcome():
    """The test's exit status from the checks made."""
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    return 0


def fixture_mirrors(server):
    """--mirror flags sending the fixture lock's CH and PY to `server`."""
    return ["--mirror", CH + "=" + server.url("/files/channel"), "--mirror", PY + "=" + server.url("/files/pypi")]


class _Child:
    """A child process stopped on leaving a `with` block (or by stop())."""

    def _end(self):
        raise NotImplementedError

    def stop(self):
        if self.p.poll() is None:
            self._end()
            try:
                self.p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server(_Child):
    """test/fetch/server.py serving `root` (over TLS when `tls` = (cert, key))."""

    def __init__(self, root, tls=None):
        args = [sys.executable, SERVER, root] + (["--tls", tls[0], tls[1]] if tls else [])
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.p.stdout.readline().split()[1])
        self.scheme = "https" if tls else "http"

    def url(self, path):
        return "%s://127.0.0.1:%d%s" % (self.scheme, self.port, path)

    def stats(self):
        import ssl
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),  # never through a proxy
                                             urllib.request.HTTPSHandler(context=ctx))
        with opener.open(self.url("/_stats")) as r:
            return json.load(r)

    def requests(self):
        return self.stats()["requests"]

    def _end(self):
        self.p.stdin.close()  # the server stops when its stdin closes


def _openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), r.stderr))


_CA_CONF = """[ca]
default_ca = ca
[ca]
dir = .
database = {name}-index.txt
new_certs_dir = .
serial = {name}-serial
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[anything]
commonName = supplied
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
subjectAltName = IP:127.0.0.1,DNS:localhost
extendedKeyUsage = serverAuth
"""


def _ca_conf(directory, name):
    conf = os.path.join(directory, name + "-ca.cnf")
    with open(conf, "w") as f:
        f.write(_CA_CONF.format(name=name))
    open(os.path.join(directory, name + "-index.txt"), "w").close()
    with open(os.path.join(directory, name + "-serial"), "w") as f:
        f.write("%016x\n" % int(time.time() * 1000))
    return conf


def make_ca(directory, name="ca", expired=False):
    """A self-signed CA: returns (cert path, key path). `expired`: valid only in 2020."""
    key, csr, pem = (os.path.join(directory, name + ext) for ext in (".key", ".csr", ".pem"))
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", csr, "-subj", "/CN=pixi-install test CA " + name, cwd=directory)
    conf = _ca_conf(directory, name)
    dates = ["-startdate", "20200101000000Z", "-enddate", "20200201000000Z"] if expired else ["-days", "30"]
    _openssl("ca", "-batch", "-selfsign", "-config", conf, "-keyfile", key, "-in", csr, "-out", pem,
             "-extensions", "v3_ca", "-notext", *dates, cwd=directory)
    return pem, key


def make_cert(directory, ca, name="server", expired=False):
    """A certificate for 127.0.0.1/localhost signed by `ca` = (cert, key): (cert, key)."""
    key, csr, pem = (os.path.join(directory, name + ext) for ext in (".key", ".csr", ".pem"))
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1", cwd=directory)
    conf = _ca_conf(directory, name)
    dates = ["-startdate", "20200101000000Z", "-enddate", "20200201000000Z"] if expired else ["-days", "30"]
    _openssl("ca", "-batch", "-config", conf, "-cert", ca[0], "-keyfile", ca[1], "-in", csr, "-out", pem,
             "-extensions", "server", "-notext", *dates, cwd=directory)
    return pem, key


def squid_binary():
    for p in (shutil.which("squid"), "/usr/sbin/squid"):
        if p and os.access(p, os.X_OK):
            return p
    return None


class Squid(_Child):
    """squid on 127.0.0.1:<free port>, its config, cache, logs and pid in `directory`.

    cache_mb > 0: an on-disk cache that keeps every object (the "many nodes" setup);
    0: no caching. users: {name: password} -> basic proxy authentication through
    basic_ncsa_auth. deny_connect: refuse every CONNECT (403)."""

    def __init__(self, directory, cache_mb=0, users=None, deny_connect=False):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.port = free_port()
        binary = squid_binary()
        if not binary:
            raise RuntimeError("squid is not installed (scripts/deps.sh installs it)")
        lines = [
            "http_port 127.0.0.1:%d" % self.port,
            "pid_filename %s/squid.pid" % directory,
            "access_log stdio:%s/access.log squid" % directory,
            "cache_log %s/cache.log" % directory,
            "cache_store_log none",
            "coredump_dir %s" % directory,
            "netdb_filename none",
            "dns_nameservers 127.0.0.1",
            "shutdown_lifetime 0 seconds",
            "pinger_enable off",
            "workers 1",
            "acl localhost_src src 127.0.0.1/32",
            "acl SSL_ports port 1-65535",
            "acl CONNECT method CONNECT",
            "max_filedescriptors 4096",
        ]
        if os.getuid() == 0:
            lines.append("cache_effective_user %s" % _unprivileged_user(directory))
        if users:
            helper = _ncsa_helper()
            pw = os.path.join(directory, "passwd")
            with open(pw, "w") as f:
                for user, password in users.items():
                    h = subprocess.run(["openssl", "passwd", "-apr1", password], check=True, capture_output=True,
                                       text=True).stdout.strip()
                    f.write("%s:%s\n" % (user, h))
            os.chmod(pw, 0o644)
            lines += ["auth_param basic program %s %s" % (helper, pw),
                      "auth_param basic realm pixi-install-test",
                      "acl authenticated proxy_auth REQUIRED"]
        if deny_connect:
            lines.append("http_access deny CONNECT")
        lines.append("http_access allow localhost_src%s" % (" authenticated" if users else ""))
        lines.append("http_access deny all")
        if cache_mb > 0:
            lines += ["cache_dir ufs %s/cache %d 16 256" % (directory, cache_mb),
                      "maximum_object_size 1 GB",
                      "cache_mem 64 MB",
                      "maximum_object_size_in_memory 8 MB",
                      # Artifacts are immutable (their names carry version and build): keep them.
                      "refresh_pattern . 1440 100% 10080 override-expire ignore-reload",
                      "collapsed_forwarding on",
                      "range_offset_limit -1"]
        else:
            lines.append("cache deny all")
        self.conf = os.path.join(directory, "squid.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        if os.getuid() == 0:
            _open_for(directory, _unprivileged_user(directory))
        if cache_mb > 0:
            r = subprocess.run([binary, "-N", "-z", "-f", self.conf], capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise RuntimeError("squid -z failed: %s%s" % (r.stdout, r.stderr))
        self.p = subprocess.Popen([binary, "-N", "-f", self.conf], stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(directory, "stderr.log"), "w"))
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.p.poll() is not None:
                raise RuntimeError("squid exited: " + self.log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("squid did not start: " + self.log())

    def url(self, user=None, password=None):
        cred = "%s:%s@" % (user, password) if user else ""
        return "http://%s127.0.0.1:%d" % (cred, self.port)

    def log(self):
        out = ""
        for name in ("stderr.log", "cache.log"):
            p = os.path.join(self.dir, name)
            if os.path.exists(p):
                out += open(p, errors="replace").read()[-3000:]
        return out

    def access_log(self):
        p = os.path.join(self.dir, "access.log")
        return open(p).read().splitlines() if os.path.exists(p) else []

    def _end(self):
        self.p.send_signal(signal.SIGTERM)


def _ncsa_helper():
    for d in ("/usr/lib/squid", "/usr/lib64/squid", "/usr/libexec/squid"):
        p = os.path.join(d, "basic_ncsa_auth")
        if os.access(p, os.X_OK):
            return p
    raise RuntimeError("basic_ncsa_auth not found (part of Debian's squid)")


def _open_for(directory, user):
    """Lets squid's unprivileged user into `directory` (and through its parents)."""
    shutil.chown(directory, user)
    p = os.path.dirname(os.path.abspath(directory))
    while p not in ("/", ""):
        st = os.stat(p)
        if not st.st_mode & 0o001 and st.st_uid == os.getuid():
            os.chmod(p, st.st_mode | 0o001)
        p = os.path.dirname(p)


def _unprivileged_user(directory):
    # squid refuses to run as root; "proxy" is Debian's user for it, "nobody" elsewhere.
    import pwd
    for name in ("proxy", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    raise RuntimeError("no unprivileged user for squid")


# ------------------------------------------------------------------ many nodes

CHANNEL = "https://conda.example.invalid/nodes-channel"


def make_channel(directory, count, size):
    """`count` synthetic conda packages of about `size` random (incompressible) bytes
    each under directory/channel/linux-64, and a lock naming them at CHANNEL.
    Returns (lock path, channel dir, total bytes)."""
    import lockgen
    channel = os.path.join(directory, "channel")
    entries, total = [], 0
    for i in range(count):
        data = os.urandom(size + i * 97)
        path = lockgen.make_conda_package(os.path.join(channel, "linux-64"), "node-pkg-%02d" % i, "1.0",
                                          files={"share/node-pkg-%02d/blob.bin" % i: data})
        total += os.path.getsize(path)
        entries.append(lockgen.conda(path, location=CHANNEL + "/linux-64/" + os.path.basename(path)))
    lock = lockgen.write_lock(os.path.join(directory, "project"), entries)
    return lock, channel, total


def squid_hits(lines):
    """(answered by the proxy, total) among the GETs of squid's access log lines. A GET
    is answered by the proxy when squid did not go to the origin for it (hierarchy
    HIER_NONE): cache hits (TCP_HIT, TCP_MEM_HIT) and requests collapsed onto another
    one's transfer (TCP_CF_MISS, or TCP_MISS with HIER_NONE)."""
    gets = [line.split() for line in lines if " GET " in line]
    return sum(1 for f in gets if f[8].startswith("HIER_NONE")), len(gets)


def run_nodes(binary, directory, lock, upstream, nodes, proxy=None, shared_cache=False, env=None):
    """`nodes` concurrent `install`s of `lock`, each into its own prefix and (unless
    `shared_cache`) its own cache, fetching CHANNEL from `upstream` (a Server) through
    `proxy` (a Squid) or directly. Returns a dict of what happened."""
    before = upstream.stats()
    log_before = len(proxy.access_log()) if proxy else 0
    e = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    e.update(env or {})
    if proxy:
        e["http_proxy"] = proxy.url()
    procs = []
    start = time.time()
    for i in range(nodes):
        node = os.path.join(directory, "node%02d" % i)
        cache = os.path.join(directory, "shared-cache") if shared_cache else os.path.join(node, "cache")
        cmd = [binary, "--no-progress", "-q", "install", "-l", lock, "-p", os.path.join(node, "prefix"),
               "--cache-dir", cache, "--mirror", CHANNEL + "=" + upstream.url("/files/channel")]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e))
    results = [(p.wait(timeout=600), p.stderr.read()) for p in procs]
    wall = time.time() - start
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    after = upstream.stats()
    per_path = {k: v - before["paths"].get(k, 0) for k, v in after["paths"].items()
                if v - before["paths"].get(k, 0) > 0}
    out = {"wall_s": wall, "ok": sum(1 for rc, _ in results if rc == 0),
           "errors": [err for rc, err in results if rc != 0],
           "upstream_requests": after["requests"] - before["requests"],
           "upstream_bytes": after["bytes"] - before["bytes"],
           "max_per_artifact": max(per_path.values()) if per_path else 0}
    if proxy:
        out["hits"], out["gets"] = squid_hits(proxy.access_log()[log_before:])
    return out
