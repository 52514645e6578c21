#!/usr/bin/env python3
"""TLS trust: a loopback HTTPS mirror whose certificate is signed by a private CA made
here (openssl). Without that CA the download is refused (exit 5, a message naming the
trust source and the remedy); SSL_CERT_FILE, --tls-ca-cert, the config's tls-ca-cert and
SSL_CERT_DIR make it work; --tls-no-verify works with a loud warning; an expired
certificate, an expired CA and a wrong CA are refused clearly; nothing half-written is
left; `info` names the CA source in effect."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402

from netlab import BIN, FIX, check  # noqa: E402


HIDE_CAS = 'for d in /etc/ssl /etc/pki; do if [ -d "$d" ]; then mount -t tmpfs none "$d" || exit 99; fi; done; exec "$@"'


def can_hide_system_cas():
    """Whether this process may run a command in a mount namespace (root, unshare)."""
    if os.getuid() != 0 or not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "-m", "sh", "-c", HIDE_CAS, "sh", "true"], capture_output=True)
    return r.returncode == 0


def run(tmp, name, *args, env=None, hide_system_cas=False):
    e = {k: v for k, v in os.environ.items()
         if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR", "PIXI_INSTALL_CONFIG", "XDG_CONFIG_HOME")
         and not k.lower().endswith("_proxy")}
    e["HOME"] = tmp
    e.update(env or {})
    out = os.path.join(tmp, name + ".tar")
    cmd = [BIN, "--no-progress", "pack", "-l", FIX, "-o", out, "--cache-dir", os.path.join(tmp, "cache-" + name),
           "--retries", "2", "--low-speed-timeout", "5"] + list(args)
    if hide_system_cas:  # as on a machine without a CA bundle: /etc/ssl and /etc/pki empty
        cmd = ["unshare", "-m", "sh", "-c", HIDE_CAS, "sh"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=120)
    r.out = out
    return r


def no_leftovers(tmp, name):
    """No output file, and nothing in the store's temporary directory."""
    tmpdir = os.path.join(tmp, "cache-" + name, "artifacts", "tmp")
    left = os.listdir(tmpdir) if os.path.isdir(tmpdir) else []
    return not os.path.exists(os.path.join(tmp, name + ".tar")) and not left


def main():
    if not os.path.exists(BIN):
        print("binary not built:", BIN)
        return 77
    if not shutil.which("openssl"):
        print("openssl not installed (scripts/deps.sh)")
        return 77
    tmp = tempfile.mkdtemp(prefix="tls-e2e-")
    servers = []
    try:
        ca = netlab.make_ca(tmp, "ca")
        other_ca = netlab.make_ca(tmp, "other")
        old_ca = netlab.make_ca(tmp, "old", expired=True)
        good = netlab.Server(FIX, tls=netlab.make_cert(tmp, ca, "good"))
        servers.append(good)
        expired = netlab.Server(FIX, tls=netlab.make_cert(tmp, ca, "expired", expired=True))
        servers.append(expired)
        by_old = netlab.Server(FIX, tls=netlab.make_cert(tmp, old_ca, "byold"))
        servers.append(by_old)

        mirrors = netlab.fixture_mirrors
        # Without the private CA: the system bundle does not trust it.
        r = run(tmp, "nocert", *mirrors(good))
        check(r.returncode == 5, "untrusted server: exit 5 (got %d)" % r.returncode)
        check("not trusted" in r.stderr and "--tls-ca-cert" in r.stderr and "SSL_CERT_FILE" in r.stderr,
              "the error says the certificate is not trusted and how to fix it: " + r.stderr.strip()[-400:])
        check(no_leftovers(tmp, "nocert"), "nothing half-written after the refusal")

        r = run(tmp, "envfile", *mirrors(good), env={"SSL_CERT_FILE": ca[0]})
        check(r.returncode == 0, "SSL_CERT_FILE with the CA: accepted (%d %s)" % (r.returncode, r.stderr.strip()))

        r = run(tmp, "flag", *mirrors(good), "--tls-ca-cert", ca[0])
        check(r.returncode == 0, "--tls-ca-cert with the CA: accepted (%d %s)" % (r.returncode, r.stderr.strip()))

        # The flag wins over the environment.
        r = run(tmp, "flagwins", *mirrors(good), "--tls-ca-cert", ca[0], env={"SSL_CERT_FILE": other_ca[0]})
        check(r.returncode == 0, "--tls-ca-cert wins over SSL_CERT_FILE (%d %s)" % (r.returncode, r.stderr.strip()))

        # A hashed directory, as c_rehash/openssl rehash make it.
        certdir = os.path.join(tmp, "certdir")
        os.makedirs(certdir)
        h = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", ca[0]], capture_output=True, text=True,
                           check=True).stdout.strip()
        shutil.copy(ca[0], os.path.join(certdir, h + ".0"))
        r = run(tmp, "envdir", *mirrors(good), env={"SSL_CERT_DIR": certdir})
        check(r.returncode == 0, "SSL_CERT_DIR with the CA: accepted (%d %s)" % (r.returncode, r.stderr.strip()))

        cfg = os.path.join(tmp, "config.toml")
        with open(cfg, "w") as f:
            f.write('tls-ca-cert = "ca.pem"\n')  # relative to the config file
        r = run(tmp, "config", *mirrors(good), "--config", cfg)
        check(r.returncode == 0, "tls-ca-cert in the config: accepted (%d %s)" % (r.returncode, r.stderr.strip()))

        r = run(tmp, "noverify", *mirrors(good), "--tls-no-verify")
        check(r.returncode == 0, "--tls-no-verify: accepted (%d %s)" % (r.returncode, r.stderr.strip()))
        check("NOT verified" in r.stderr, "--tls-no-verify prints a loud warning: " + r.stderr.strip()[:300])

        r = run(tmp, "wrongca", *mirrors(good), "--tls-ca-cert", other_ca[0])
        check(r.returncode == 5 and "not trusted" in r.stderr and other_ca[0] in r.stderr,
              "a wrong CA: exit 5 naming the CA file used (%d %s)" % (r.returncode, r.stderr.strip()[-300:]))
        check(no_leftovers(tmp, "wrongca"), "nothing half-written with a wrong CA")

        r = run(tmp, "expired", *mirrors(expired), "--tls-ca-cert", ca[0])
        check(r.returncode == 5 and "expired" in r.stderr,
              "an expired server certificate: exit 5 saying so (%d %s)" % (r.returncode, r.stderr.strip()[-300:]))
        check(no_leftovers(tmp, "expired"), "nothing half-written with an expired certificate")

        r = run(tmp, "oldca", *mirrors(by_old), "--tls-ca-cert", old_ca[0])
        check(r.returncode == 5 and "expired" in r.stderr,
              "an expired CA: exit 5 saying so (%d %s)" % (r.returncode, r.stderr.strip()[-300:]))

        r = run(tmp, "missing", *mirrors(good), "--tls-ca-cert", os.path.join(tmp, "nope.pem"))
        check(r.returncode == 2 and "nope.pem" in r.stderr, "a missing --tls-ca-cert file: exit 2 naming it (%d %s)"
              % (r.returncode, r.stderr.strip()))
        r = run(tmp, "missingenv", *mirrors(good), env={"SSL_CERT_FILE": os.path.join(tmp, "nope.pem")})
        check(r.returncode == 2 and "SSL_CERT_FILE" in r.stderr, "a missing SSL_CERT_FILE: exit 2 naming it (%d %s)"
              % (r.returncode, r.stderr.strip()))
        check(no_leftovers(tmp, "missingenv") and not os.path.isdir(os.path.join(tmp, "cache-missingenv", "artifacts", "sha256")),
              "a missing SSL_CERT_FILE: refused before any download")
        # Variables inherited from another root point nowhere: what needs no TLS still works.
        nowhere = {"SSL_CERT_FILE": os.path.join(tmp, "gone", "ca.pem"), "SSL_CERT_DIR": os.path.join(tmp, "gone", "certs")}
        plain = netlab.Server(FIX)
        servers.append(plain)
        r = run(tmp, "missing-plain", *mirrors(plain), env=nowhere)  # local files and plain http: no TLS
        check(r.returncode == 0, "missing SSL_CERT_FILE/DIR: a pack from local files and http works (%d %s)"
              % (r.returncode, r.stderr.strip()[-300:]))
        check("SSL_CERT_" in r.stderr and "warning" in r.stderr, "missing SSL_CERT_FILE/DIR: a warning says so")
        r = run(tmp, "missing-https", *mirrors(good), env=nowhere)
        check(r.returncode == 2 and "SSL_CERT_" in r.stderr and "https" in r.stderr and "nothing was downloaded" in r.stderr,
              "missing SSL_CERT_FILE/DIR: an https pack fails with exit 2 before downloading (%d %s)"
              % (r.returncode, r.stderr.strip()[-300:]))

        # A machine without any CA bundle (a static binary in a bare container): a clear
        # error naming the places searched; SSL_CERT_FILE is then enough.
        if can_hide_system_cas():
            r = run(tmp, "nobundle", *mirrors(good), hide_system_cas=True)
            check(r.returncode == 5 and "no CA certificates" in r.stderr and "/etc/pki/tls/certs/ca-bundle.crt" in r.stderr
                  and "/etc/ssl/cert.pem" in r.stderr and "SSL_CERT_FILE" in r.stderr,
                  "no CA bundle anywhere: exit 5 naming the places searched and the remedy (%d %s)"
                  % (r.returncode, r.stderr.strip()[-500:]))
            check(no_leftovers(tmp, "nobundle"), "nothing half-written without a CA bundle")
            r = run(tmp, "nobundle-env", *mirrors(good), env={"SSL_CERT_FILE": ca[0]}, hide_system_cas=True)
            check(r.returncode == 0, "no system bundle but SSL_CERT_FILE: accepted (%d %s)"
                  % (r.returncode, r.stderr.strip()[-300:]))
        else:
            print("skip the no-bundle case: needs root and unshare (a private mount namespace)")

        # info names the source in effect.
        def info(*args, env=None):
            e = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
            e["HOME"] = tmp
            e.update(env or {})
            return subprocess.run([BIN, "info", "--json", *args], capture_output=True, text=True, env=e, cwd=tmp)
        r = info(env={"SSL_CERT_FILE": ca[0]})
        s = json.loads(r.stdout)["settings"] if r.returncode == 0 else {}
        check(s.get("tls-ca-certs", {}).get("origin") == "SSL_CERT_FILE" and s["tls-ca-certs"]["value"] == ca[0],
              "info --json: CA from SSL_CERT_FILE (%s)" % s.get("tls-ca-certs"))
        r = info("--tls-ca-cert", ca[0])
        s = json.loads(r.stdout)["settings"] if r.returncode == 0 else {}
        check(s.get("tls-ca-certs", {}).get("origin") == "--tls-ca-cert", "info --json: CA from --tls-ca-cert")
        r = info()
        s = json.loads(r.stdout)["settings"] if r.returncode == 0 else {}
        check(s.get("tls-ca-certs", {}).get("origin") == "system", "info --json: the system bundle by default (%s)"
              % s.get("tls-ca-certs"))
        r = info(env={"SSL_CERT_DIR": os.path.join(tmp, "gone")})
        j = json.loads(r.stdout) if r.returncode == 0 else {}
        probs = j.get("problems", [])
        check(r.returncode == 0 and len(probs) == 1 and probs[0]["origin"] == "SSL_CERT_DIR"
              and "not a directory" in probs[0]["problem"] and j["settings"]["tls-ca-certs"].get("problem"),
              "info --json: a missing SSL_CERT_DIR is listed as a problem with its origin, exit 0 (%d %s)"
              % (r.returncode, probs))
        r = subprocess.run([BIN, "info"], capture_output=True, text=True, cwd=tmp,
                           env=dict(os.environ, HOME=tmp, SSL_CERT_DIR=os.path.join(tmp, "gone")))
        check(r.returncode == 0 and "problem:" in r.stdout and "SSL_CERT_DIR" in r.stdout,
              "info: the problem shown in text (%d %s)" % (r.returncode, r.stdout[-300:]))
        r = subprocess.run([BIN, "info", "--tls-no-verify"], capture_output=True, text=True, cwd=tmp)
        check("tls-no-verify" in r.stdout and "NOT verified" in r.stderr, "info shows tls-no-verify and warns")
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return netlab.outcome()


if __name__ == "__main__":
    sys.exit(main())
