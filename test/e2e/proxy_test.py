#!/usr/bin/env python3
"""Proxies, through Debian's squid on loopback: plain HTTP is forwarded, HTTPS goes
through CONNECT (the private-CA server of tls_test), from http_proxy/https_proxy, from
--proxy and from pixi's proxy-config; NO_PROXY exceptions go direct; HTTP_PROXY in
upper case is ignored as curl ignores it; proxy credentials in the URL (basic_ncsa_auth)
work and are never printed; a proxy that wants credentials and a proxy refusing
CONNECT give clear errors (exit 5) and leave nothing half-written."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402

PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
from netlab import BIN, FIX, check  # noqa: E402


mirrors = netlab.fixture_mirrors


def run(tmp, name, *args, env=None, cmd="pack"):
    e = {k: v for k, v in os.environ.items()
         if k.lower() not in PROXY_VARS and k not in ("SSL_CERT_FILE", "SSL_CERT_DIR", "PIXI_INSTALL_CONFIG",
                                                      "XDG_CONFIG_HOME", "PIXI_HOME")}
    e["HOME"] = os.path.join(tmp, "home")
    e.update(env or {})
    if cmd == "info":
        return subprocess.run([BIN, "info", "--json", *args], capture_output=True, text=True, env=e, timeout=60)
    out = os.path.join(tmp, name + ".tar")
    full = [BIN, "--no-progress", "pack", "-l", FIX, "-o", out, "--cache-dir", os.path.join(tmp, "cache-" + name),
            "--retries", "2", "--low-speed-timeout", "5"] + list(args)
    r = subprocess.run(full, capture_output=True, text=True, env=e, timeout=120)
    r.made = os.path.exists(out)
    return r


def main():
    if not os.path.exists(BIN):
        print("skipped: the binary is not built:", BIN)
        return 77
    if not netlab.squid_binary() or not shutil.which("openssl"):
        print("skipped: squid or openssl is not installed (scripts/deps.sh installs them)")
        return 77
    tmp = tempfile.mkdtemp(prefix="proxy-e2e-")
    os.makedirs(os.path.join(tmp, "home"))
    running = []
    try:
        ca = netlab.make_ca(tmp, "ca")
        plain = netlab.Server(FIX)
        running.append(plain)
        secure = netlab.Server(FIX, tls=netlab.make_cert(tmp, ca, "srv"))
        running.append(secure)
        squid = netlab.Squid(os.path.join(tmp, "squid"))
        running.append(squid)

        def forwarded(before, what):
            return [line for line in squid.access_log()[before:] if what in line]

        # Plain HTTP through http_proxy.
        n = len(squid.access_log())
        r = run(tmp, "http", *mirrors(plain), env={"http_proxy": squid.url()})
        check(r.returncode == 0, "http through http_proxy: %d %s" % (r.returncode, r.stderr.strip()[-300:]))
        got = forwarded(n, "GET " + plain.url("/files/"))
        check(len(got) == 3, "squid forwarded the 3 downloads (%d)" % len(got))

        # HTTPS through CONNECT, from https_proxy.
        n = len(squid.access_log())
        r = run(tmp, "https", *mirrors(secure), "--tls-ca-cert", ca[0], env={"https_proxy": squid.url()})
        check(r.returncode == 0, "https through CONNECT: %d %s" % (r.returncode, r.stderr.strip()[-300:]))
        check(len(forwarded(n, "CONNECT 127.0.0.1:%d" % secure.port)) >= 1, "squid saw the CONNECT")

        # --proxy without any environment.
        n = len(squid.access_log())
        r = run(tmp, "flag", *mirrors(plain), "--proxy", squid.url())
        check(r.returncode == 0 and len(forwarded(n, "GET ")) == 3, "--proxy carries the downloads: %d %s"
              % (r.returncode, r.stderr.strip()[-300:]))

        # NO_PROXY exceptions go direct.
        n = len(squid.access_log())
        before = plain.stats()["requests"]
        r = run(tmp, "noproxy", *mirrors(plain), env={"http_proxy": squid.url(), "NO_PROXY": "example.org,127.0.0.1"})
        check(r.returncode == 0 and len(squid.access_log()) == n and plain.stats()["requests"] == before + 3,
              "NO_PROXY=127.0.0.1 goes direct (%d, squid lines %d)" % (r.returncode, len(squid.access_log()) - n))

        # HTTP_PROXY in upper case is not read (curl's rule, against httpoxy): a dead one changes nothing.
        r = run(tmp, "upper", *mirrors(plain), env={"HTTP_PROXY": "http://127.0.0.1:9"})
        check(r.returncode == 0, "HTTP_PROXY in upper case is ignored: %d %s" % (r.returncode, r.stderr.strip()[-200:]))

        # pixi's proxy-config in the global config.
        pixi_home = os.path.join(tmp, "home", ".pixi")
        os.makedirs(pixi_home)
        with open(os.path.join(pixi_home, "config.toml"), "w") as f:
            f.write('[proxy-config]\nhttp = "%s"\nhttps = "%s"\nnon-proxy-hosts = ["example.org"]\n'
                    % (squid.url(), squid.url()))
        n = len(squid.access_log())
        r = run(tmp, "pixicfg", *mirrors(plain))
        check(r.returncode == 0 and len(forwarded(n, "GET ")) == 3, "pixi's proxy-config is used: %d %s"
              % (r.returncode, r.stderr.strip()[-300:]))
        i = run(tmp, "", cmd="info")
        s = json.loads(i.stdout)["settings"] if i.returncode == 0 else {}
        check(s.get("http-proxy", {}).get("origin", "").startswith("pixi global"),
              "info names pixi's global config as the proxy's origin: %s" % s.get("http-proxy"))
        os.remove(os.path.join(pixi_home, "config.toml"))

        # A proxy that wants credentials.
        auth = netlab.Squid(os.path.join(tmp, "squid-auth"), users={"alice": "s3cret-pw"})
        running.append(auth)
        r = run(tmp, "noauth", *mirrors(plain), "--proxy", auth.url())
        check(r.returncode == 5 and "407" in r.stderr and "proxy" in r.stderr,
              "no proxy credentials: exit 5 naming 407 and the proxy: %d %s" % (r.returncode, r.stderr.strip()[-300:]))
        check(not r.made, "nothing written without proxy credentials")
        r = run(tmp, "auth", *mirrors(plain), "--proxy", auth.url("alice", "s3cret-pw"))
        check(r.returncode == 0, "proxy credentials in the URL: %d %s" % (r.returncode, r.stderr.strip()[-300:]))
        r = run(tmp, "authtls", *mirrors(secure), "--tls-ca-cert", ca[0],
                env={"https_proxy": auth.url("alice", "s3cret-pw")})
        check(r.returncode == 0, "proxy credentials for CONNECT: %d %s" % (r.returncode, r.stderr.strip()[-300:]))
        r = run(tmp, "badauth", *mirrors(plain), "--proxy", auth.url("alice", "wrong-pw"))
        check(r.returncode == 5 and "wrong-pw" not in r.stderr, "wrong proxy password: exit 5, never printed")
        i = run(tmp, "", "--proxy", auth.url("alice", "s3cret-pw"), cmd="info")
        check(i.returncode == 0 and "s3cret-pw" not in i.stdout and "alice:***@" in i.stdout,
              "info masks the proxy password")

        # A proxy refusing CONNECT.
        deny = netlab.Squid(os.path.join(tmp, "squid-deny"), deny_connect=True)
        running.append(deny)
        r = run(tmp, "deny", *mirrors(secure), "--tls-ca-cert", ca[0], env={"https_proxy": deny.url()})
        check(r.returncode == 5 and "CONNECT" in r.stderr and "403" in r.stderr and "127.0.0.1:%d" % deny.port in r.stderr,
              "a proxy refusing CONNECT: exit 5 naming CONNECT, 403 and the proxy: %d %s"
              % (r.returncode, r.stderr.strip()[-400:]))
        check(not r.made, "nothing written when CONNECT is refused")
    finally:
        for p in reversed(running):
            p.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return netlab.outcome()


if __name__ == "__main__":
    sys.exit(main())
