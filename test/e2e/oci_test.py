#!/usr/bin/env python3
"""OCI registries as conda mirrors, as pixi and rattler use them, against a real
registry: Debian's docker-registry (the CNCF distribution registry) on loopback,
started here, packages pushed with its HTTP API (blob uploads, manifest PUT) as
<mirror>/<subdir>/<name>:<version>-<build> with rattler's escapes. Without auth and
with token auth (a token server here, JWTs signed with a key made by openssl, the
registry trusting its certificate): the 401 -> Bearer challenge -> token -> pull
dance. A missing tag: exit 5 naming registry, repository and tag; a layer whose
digest is not the lock's sha256: exit 4 before any download."""
import base64
import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402
import netlab  # noqa: E402

from netlab import BIN, check  # noqa: E402

CH = "https://conda.example.invalid/conda-forge"
MIRROR_PATH = "channel-mirrors/conda-forge"
SERVICE = "pixi-install-test-registry"
ISSUER = "pixi-install-test-issuer"
PUSHER = ("pusher", "push-secret")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer(netlab._Child):
    """Issues registry tokens (RS256 JWTs with the signing certificate in x5c): pull
    to anyone, push only with basic auth PUSHER. Counts the tokens it issued."""

    def __init__(self, directory):
        self.key = os.path.join(directory, "token.key")
        self.cert = os.path.join(directory, "token.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key, "-out",
                        self.cert, "-days", "2", "-subj", "/CN=pixi-install test token issuer"],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", self.cert, "-outform", "DER"], check=True,
                             capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()
        self.issued = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                scope = q.get("scope", [""])[0]
                auth = self.headers.get("Authorization", "")
                pusher = auth == "Basic " + base64.b64encode(("%s:%s" % PUSHER).encode()).decode()
                access = []
                if scope.startswith("repository:"):
                    _, name, actions = scope.split(":", 2)
                    allowed = [a for a in actions.split(",") if a == "pull" or (a == "push" and pusher)]
                    access.append({"type": "repository", "name": name, "actions": allowed})
                server.issued.append({"scope": scope, "service": q.get("service", [""])[0], "pusher": pusher})
                body = json.dumps({"token": server.token(access), "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.p = None

    def token(self, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {"iss": ISSUER, "sub": "anyone", "aud": SERVICE, "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": os.urandom(8).hex(), "access": access}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key], input=signing_input.encode(),
                             check=True, capture_output=True).stdout
        return signing_input + "." + b64url(sig)

    def realm(self):
        return "http://127.0.0.1:%d/token" % self.port

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Registry(netlab._Child):
    """docker-registry on 127.0.0.1:<free port>, storage and config in `directory`."""

    def __init__(self, directory, token_server=None):
        os.makedirs(directory, exist_ok=True)
        self.port = netlab.free_port()
        self.tokens = token_server
        conf = ["version: 0.1", "log:", "  level: error", "  accesslog:", "    disabled: true", "storage:",
                "  filesystem:", "    rootdirectory: %s" % os.path.join(directory, "data"), "  delete:",
                "    enabled: true", "http:", "  addr: 127.0.0.1:%d" % self.port, "  secret: pixi-install-test"]
        if token_server:
            conf += ["auth:", "  token:", "    realm: %s" % token_server.realm(), "    service: %s" % SERVICE,
                     "    issuer: %s" % ISSUER, "    rootcertbundle: %s" % token_server.cert]
        path = os.path.join(directory, "config.yml")
        with open(path, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.log = open(os.path.join(directory, "registry.log"), "w")
        self.p = subprocess.Popen([shutil.which("docker-registry") or "/usr/bin/docker-registry", "serve", path],
                                  stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.p.poll() is not None:
                raise RuntimeError("docker-registry exited: " + open(self.log.name).read()[-2000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("docker-registry did not start")

    def _end(self):
        self.p.terminate()

    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def _request(self, method, url, data=None, headers=None, token_scope=None, want_headers=False):
        headers = dict(headers or {})
        if self.tokens and token_scope:
            auth = base64.b64encode(("%s:%s" % PUSHER).encode()).decode()
            req = urllib.request.Request("%s?service=%s&scope=%s" % (self.tokens.realm(), SERVICE, token_scope),
                                         headers={"Authorization": "Basic " + auth})
            with OPENER.open(req) as r:
                headers["Authorization"] = "Bearer " + json.load(r)["token"]
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        with OPENER.open(req) as r:
            return (r.status, r.headers) if want_headers else (r.status, r.read())

    def push(self, repository, tag, files, layer_type):
        """Pushes an image whose layer is the package file, as pixi's mirrors hold them."""
        scope = "repository:%s:pull,push" % repository
        blobs = []
        for data in (b"{}", files):
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            # An upload session (POST), then its content in one PUT naming the digest.
            status, headers = self._request("POST", "%s/v2/%s/blobs/uploads/" % (self.base(), repository), data=b"",
                                            token_scope=scope, want_headers=True)
            assert status == 202, status
            location = urllib.parse.urljoin(self.base(), headers["Location"])
            location += ("&" if "?" in location else "?") + "digest=" + digest
            status, _ = self._request("PUT", location, data=data, headers={"Content-Type": "application/octet-stream"},
                                      token_scope=scope)
            assert status == 201, status
            blobs.append((digest, len(data)))
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blobs[0][0],
                               "size": blobs[0][1]},
                    "layers": [{"mediaType": layer_type, "digest": blobs[1][0], "size": blobs[1][1]}]}
        status, _ = self._request("PUT", "%s/v2/%s/manifests/%s" % (self.base(), repository, tag),
                                  data=json.dumps(manifest).encode(),
                                  headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
                                  token_scope=scope)
        assert status == 201, status


def tag_of(version_build):
    return version_build.replace("+", "__p__").replace("!", "__e__").replace("=", "__eq__")


def push_package(registry, path, subdir, data=None):
    """Pushes `path` under rattler's name for it (or `data` instead of its bytes)."""
    base = os.path.basename(path)
    ext = ".conda" if base.endswith(".conda") else ".tar.bz2"
    name, version, build = base[: -len(ext)].rsplit("-", 2)
    if name.startswith("_"):
        name = "zzz" + name
    layer = "application/vnd.conda.package.v2" if ext == ".conda" else "application/vnd.conda.package.v1"
    with open(path, "rb") as f:
        content = f.read() if data is None else data
    registry.push("%s/%s/%s" % (MIRROR_PATH, subdir, name), tag_of(version + "-" + build), content, layer)


def main():
    if not shutil.which("docker-registry") and not os.path.exists("/usr/bin/docker-registry"):
        print("skip: docker-registry is not installed (scripts/deps.sh installs it)")
        return lockgen.SKIP
    with tempfile.TemporaryDirectory() as tmp:
        chan = os.path.join(tmp, "channel")
        # A real package (installed below), and files named with '_', '+', '!' and '=' (fetched by pack).
        real = lockgen.make_conda_package(os.path.join(chan, "linux-64"), "oci-demo", "1.0", "h0_0",
                                          files={"share/oci-demo/hello.txt": b"hello from a registry\n"})
        odd = []
        for sub, name in (("noarch", "_private-2.0-py_0.conda"), ("linux-64", "plus-1.0+local-h0_0.tar.bz2"),
                          ("linux-64", "epoch-1!2.0-h1=2_0.conda")):
            p = os.path.join(chan, sub, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(os.urandom(30000))
            odd.append((p, sub))
        entries = [lockgen.conda(real, location=CH + "/linux-64/" + os.path.basename(real))]
        entries += [lockgen.conda(p, subdir=sub, location="%s/%s/%s" % (CH, sub, os.path.basename(p))) for p, sub in odd]
        lock = lockgen.write_lock(os.path.join(tmp, "project"), entries)
        missing = os.path.join(chan, "linux-64", "absent-0.1-h0_0.tar.bz2")
        with open(missing, "wb") as f:
            f.write(b"never pushed")
        lock_missing = lockgen.write_lock(os.path.join(tmp, "project-missing"),
                                          [lockgen.conda(missing, location=CH + "/linux-64/" + os.path.basename(missing))])
        liar = os.path.join(chan, "linux-64", "liar-0.1-h0_0.tar.bz2")
        with open(liar, "wb") as f:
            f.write(b"the lock's bytes")
        lock_liar = lockgen.write_lock(os.path.join(tmp, "project-liar"),
                                       [lockgen.conda(liar, location=CH + "/linux-64/" + os.path.basename(liar))])
        runs = [0]

        def run(args, home_files=None):
            runs[0] += 1
            home = os.path.join(tmp, "home%d" % runs[0])
            os.makedirs(home)
            for rel, text in (home_files or {}).items():
                os.makedirs(os.path.dirname(os.path.join(home, rel)), exist_ok=True)
                with open(os.path.join(home, rel), "w") as f:
                    f.write(text)
            e = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")
                 and k not in ("PIXI_HOME", "XDG_CONFIG_HOME", "RATTLER_AUTH_FILE", "PIXI_INSTALL_CONFIG")}
            e["HOME"] = home
            return subprocess.run([BIN, "--no-progress"] + args + ["--cache-dir", os.path.join(tmp, "cache%d" % runs[0]),
                                                                   "--retries", "2"],
                                  capture_output=True, text=True, env=e, timeout=180)

        for auth in (False, True):
            what = "token auth" if auth else "no auth"
            tokens = TokenServer(tmp) if auth else None
            try:
                with Registry(os.path.join(tmp, "registry-%s" % ("token" if auth else "open")), tokens) as reg:
                    push_package(reg, real, "linux-64")
                    for p, sub in odd:
                        push_package(reg, p, sub)
                    push_package(reg, liar, "linux-64", data=b"other bytes under the same tag")
                    mirror = "oci://127.0.0.1:%d/%s" % (reg.port, MIRROR_PATH)
                    if auth:
                        try:
                            OPENER.open(reg.base() + "/v2/%s/linux-64/oci-demo/manifests/1.0-h0_0" % MIRROR_PATH)
                            anonymous = 200
                        except urllib.error.HTTPError as e:
                            anonymous = e.code
                        check(anonymous == 401, "%s: the registry refuses pulls without a token" % what)
                        issued_before = len(tokens.issued)
                    out = os.path.join(tmp, "bundle-%s.tar" % what.replace(" ", "-"))
                    r = run(["pack", "-l", lock, "-o", out, "--mirror", CH + "=" + mirror])
                    check(r.returncode == 0, "%s: every package pulled from the registry (%s)" % (what, r.stderr.strip()[-800:]))
                    check(os.path.exists(out), "%s: the bundle was written" % what)
                    if auth:
                        pulls = [t for t in tokens.issued[issued_before:] if not t["pusher"]]
                        check(len(pulls) == len(entries) and all(t["service"] == SERVICE for t in pulls),
                              "%s: one pull token per repository, asked for the challenge's service (%d)" % (what, len(pulls)))
                        check(all(t["scope"].startswith("repository:%s/" % MIRROR_PATH) and t["scope"].endswith(":pull")
                                  for t in pulls), "%s: tokens scoped to the package's repository, pull only" % what)
                    # A full install through pixi's own config (mirrors in ~/.pixi/config.toml).
                    prefix = os.path.join(tmp, "env-%s" % ("token" if auth else "open"))
                    pixi_conf = '[mirrors]\n"%s" = ["%s"]\n' % (CH, mirror)
                    small = lockgen.write_lock(os.path.join(tmp, "project-one-%d" % auth), entries[:1])
                    r = run(["install", "-l", small, "-p", prefix], home_files={".pixi/config.toml": pixi_conf})
                    check(r.returncode == 0 and os.path.exists(os.path.join(prefix, "share/oci-demo/hello.txt")),
                          "%s: install with the OCI mirror from pixi's config (%s)" % (what, r.stderr.strip()[-600:]))
                    # A tag the registry does not have.
                    r = run(["pack", "-l", lock_missing, "-o", os.path.join(tmp, "m.tar"), "--mirror", CH + "=" + mirror])
                    check(r.returncode == 5, "%s: missing tag: exit 5 (got %d)" % (what, r.returncode))
                    check("127.0.0.1:%d" % reg.port in r.stderr and "%s/linux-64/absent" % MIRROR_PATH in r.stderr
                          and "0.1-h0_0" in r.stderr, "%s: the message names registry, repository and tag (%s)"
                          % (what, r.stderr.strip()[-400:]))
                    check(not os.path.exists(os.path.join(tmp, "m.tar")), "%s: nothing written" % what)
                    # The tag holds other bytes than the lock's: refused before downloading.
                    r = run(["pack", "-l", lock_liar, "-o", os.path.join(tmp, "l.tar"), "--mirror", CH + "=" + mirror])
                    check(r.returncode == 4 and "the lock's sha256" in r.stderr,
                          "%s: layer digest differs from the lock: exit 4 (%s)" % (what, r.stderr.strip()[-300:]))
            finally:
                if tokens:
                    tokens.stop()
    return netlab.outcome()


if __name__ == "__main__":
    sys.exit(main())
