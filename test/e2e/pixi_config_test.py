#!/usr/bin/env python3
"""pixi's configuration read as pixi reads it: mirrors from ~/.pixi/config.toml,
$PIXI_HOME, $XDG_CONFIG_HOME/pixi and the workspace's .pixi/config.toml in pixi's
order, under pixi-install's own config and flags; concurrency.downloads; credentials
from rattler's auth file (RATTLER_AUTH_FILE, ~/.rattler/credentials.json, pixi's
authentication-override-file): BearerToken, BasicHTTP, CondaToken, wildcard hosts;
`info` shows each setting's origin with secrets masked; broken files are clear errors."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netlab  # noqa: E402

from netlab import BIN, CH, FIX, PY, check  # noqa: E402


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def mirrors_toml(base):
    return '[mirrors]\n"%s" = ["%s/channel"]\n"%s" = ["%s/pypi"]\n' % (CH, base, PY, base)


class Env:
    def __init__(self, tmp):
        self.tmp = tmp
        self.home = os.path.join(tmp, "home")
        self.n = 0

    def env(self, extra):
        e = {k: v for k, v in os.environ.items()
             if k not in ("PIXI_INSTALL_CONFIG", "XDG_CONFIG_HOME", "PIXI_HOME", "RATTLER_AUTH_FILE",
                          "PIXI_INSTALL_BEARER_TOKENS") and not k.lower().endswith("_proxy")}
        e["HOME"] = self.home
        e.update(extra or {})
        return e

    def pack(self, *args, env=None, lock=FIX):
        self.n += 1
        out = os.path.join(self.tmp, "out%d.tar" % self.n)
        cmd = [BIN, "--no-progress", "pack", "-l", lock, "-o", out, "--cache-dir",
               os.path.join(self.tmp, "cache%d" % self.n), "--retries", "1"] + list(args)
        return subprocess.run(cmd, capture_output=True, text=True, env=self.env(env), timeout=120)

    def info(self, *args, env=None, cwd=None):
        r = subprocess.run([BIN, "info", "--json", *args], capture_output=True, text=True, env=self.env(env),
                           cwd=cwd or self.tmp, timeout=60)
        r.settings = json.loads(r.stdout)["settings"] if r.returncode == 0 else {}
        return r


def main():
    if not os.path.exists(BIN):
        print("binary not built:", BIN)
        return 77
    tmp = tempfile.mkdtemp(prefix="pixi-config-e2e-")
    server = netlab.Server(FIX)
    try:
        t = Env(tmp)
        good, bad = server.url("/files"), server.url("/files/nowhere")
        pixi_home_cfg = os.path.join(t.home, ".pixi", "config.toml")
        xdg_cfg = os.path.join(t.home, ".config", "pixi", "config.toml")

        r = t.pack()
        check(r.returncode == 5, "without any mirror the example.invalid hosts fail: %d" % r.returncode)

        write(pixi_home_cfg, mirrors_toml(good) + "[concurrency]\ndownloads = 3\n[shell]\nchange-ps1 = false\n")
        r = t.pack()
        check(r.returncode == 0, "mirrors from ~/.pixi/config.toml (other pixi keys ignored): %d %s"
              % (r.returncode, r.stderr.strip()[-300:]))
        i = t.info()
        check(i.settings.get("mirror " + CH, {}).get("origin") == "pixi global " + pixi_home_cfg,
              "info: the mirror's origin is pixi's global config (%s)" % i.settings.get("mirror " + CH))
        check(i.settings.get("concurrent-downloads", {}).get("value") == "3",
              "concurrency.downloads is read (%s)" % i.settings.get("concurrent-downloads"))

        # $PIXI_HOME replaces ~/.pixi; XDG's pixi config ranks below it.
        write(os.path.join(tmp, "ph", "config.toml"), mirrors_toml(bad))
        r = t.pack(env={"PIXI_HOME": os.path.join(tmp, "ph")})
        check(r.returncode == 5 and "nowhere" in r.stderr, "$PIXI_HOME/config.toml is read instead: %d" % r.returncode)
        write(xdg_cfg, mirrors_toml(bad))
        r = t.pack()
        check(r.returncode == 0, "~/.pixi/config.toml wins over ~/.config/pixi/config.toml: %d" % r.returncode)
        os.remove(pixi_home_cfg)
        r = t.pack()
        check(r.returncode == 5, "~/.config/pixi/config.toml alone is read: %d" % r.returncode)
        write(os.path.join(tmp, "xdg", "pixi", "config.toml"), mirrors_toml(good))
        r = t.pack(env={"XDG_CONFIG_HOME": os.path.join(tmp, "xdg")})
        check(r.returncode == 0, "$XDG_CONFIG_HOME/pixi/config.toml is read: %d %s" % (r.returncode, r.stderr[-200:]))

        # The workspace's .pixi/config.toml (next to the lock) wins over the global ones.
        ws = os.path.join(tmp, "ws")
        shutil.copytree(FIX, ws)
        write(os.path.join(ws, ".pixi", "config.toml"), mirrors_toml(good))
        r = t.pack(lock=ws)
        check(r.returncode == 0, "the workspace config wins over the global one: %d %s"
              % (r.returncode, r.stderr.strip()[-200:]))
        # pixi-install's own config wins over the workspace's; --mirror over everything.
        own = os.path.join(tmp, "own.toml")
        write(own, mirrors_toml(bad).replace('["', '"').replace('"]', '"'))
        r = t.pack("--config", own, lock=ws)
        check(r.returncode == 5, "pixi-install's config wins over the workspace's: %d" % r.returncode)
        r = t.pack("--config", own, "--mirror", CH + "=" + good + "/channel", "--mirror", PY + "=" + good + "/pypi",
                   lock=ws)
        check(r.returncode == 0, "--mirror wins over every config: %d %s" % (r.returncode, r.stderr.strip()[-200:]))
        i = t.info("--config", own, cwd=ws)
        check(i.settings.get("mirror " + CH, {}).get("origin") == "config " + own, "info: own config's mirror wins")
        files = json.loads(i.stdout)["config_files"] if i.returncode == 0 else []
        check([f["kind"] for f in files] == ["pixi-install config", "pixi workspace config", "pixi global config"],
              "info lists the config files read, highest precedence first: %s" % files)

        write(os.path.join(ws, ".pixi", "config.toml"), mirrors_toml(good) +
              '[s3-options.my-bucket]\nendpoint-url = "http://127.0.0.1:9000"\nregion = "eu-west-1"\n'
              'force-path-style = true\n')
        i = t.info(cwd=ws)
        check("http://127.0.0.1:9000" in i.settings.get("s3-options my-bucket", {}).get("value", ""),
              "info shows pixi's s3-options: %s" % i.settings.get("s3-options my-bucket"))

        # Credentials from rattler's auth file.
        os.remove(xdg_cfg)
        auth_mirrors = ["--mirror", CH + "=" + server.url("/auth/channel"), "--mirror",
                        PY + "=" + server.url("/auth/pypi")]
        r = t.pack(*auth_mirrors)
        check(r.returncode == 5 and "401" in r.stderr, "a bearer-protected mirror without credentials: 401, exit 5")
        auth = os.path.join(tmp, "auth.json")
        write(auth, json.dumps({"127.0.0.1": {"BearerToken": "secret-token"}}))
        r = t.pack(*auth_mirrors, env={"RATTLER_AUTH_FILE": auth})
        check(r.returncode == 0, "BearerToken from RATTLER_AUTH_FILE: %d %s" % (r.returncode, r.stderr.strip()[-200:]))
        i = t.info(env={"RATTLER_AUTH_FILE": auth})
        cred = i.settings.get("credentials 127.0.0.1", {})
        check(cred.get("origin") == auth and "secret-token" not in i.stdout and "BearerToken" in cred.get("value", ""),
              "info: the credential's file, kind, and no secret (%s)" % cred)

        wrong = os.path.join(tmp, "wrong.json")
        write(wrong, json.dumps({"127.0.0.1": {"BearerToken": "not-the-token"}}))
        r = t.pack(*auth_mirrors, env={"RATTLER_AUTH_FILE": wrong})
        check(r.returncode == 5 and "not-the-token" not in r.stderr, "a wrong bearer token: exit 5, not printed")
        r = t.pack(*auth_mirrors, env={"RATTLER_AUTH_FILE": wrong, "PIXI_INSTALL_BEARER_TOKENS": "127.0.0.1=secret-token"})
        check(r.returncode == 0, "PIXI_INSTALL_BEARER_TOKENS wins over rattler's auth file: %d %s"
              % (r.returncode, r.stderr.strip()[-200:]))
        i = t.info(env={"RATTLER_AUTH_FILE": wrong, "PIXI_INSTALL_BEARER_TOKENS": "127.0.0.1=secret-token"})
        check(i.settings.get("credentials 127.0.0.1", {}).get("origin") == "PIXI_INSTALL_BEARER_TOKENS",
              "info: the bearer token's origin is PIXI_INSTALL_BEARER_TOKENS (%s)" % i.settings.get("credentials 127.0.0.1"))

        write(os.path.join(t.home, ".rattler", "credentials.json"),
              json.dumps({"127.0.0.1": {"BasicHTTP": {"username": "user", "password": "pass"}}}))
        basic = ["--mirror", CH + "=" + server.url("/basic/channel"), "--mirror", PY + "=" + server.url("/basic/pypi")]
        r = t.pack(*basic)
        check(r.returncode == 0, "BasicHTTP from ~/.rattler/credentials.json: %d %s"
              % (r.returncode, r.stderr.strip()[-200:]))
        r = t.pack(*auth_mirrors, env={"RATTLER_AUTH_FILE": auth})
        check(r.returncode == 0, "RATTLER_AUTH_FILE comes before ~/.rattler/credentials.json: %d" % r.returncode)

        override = os.path.join(tmp, "override.json")
        write(override, json.dumps({"*.localhost": {"CondaToken": "conda-token"}}))
        write(pixi_home_cfg, 'authentication-override-file = "%s"\n' % override)
        host = "http://localhost:%d" % server.port
        conda = ["--mirror", CH + "=" + host + "/files/channel", "--mirror", PY + "=" + host + "/files/pypi"]
        before = server.stats()["paths"]
        r = t.pack(*conda)
        after = server.stats()["paths"]
        tokened = [p for p in after if p.startswith("/files/") and after[p] > before.get(p, 0)]
        check(r.returncode == 0 and len(tokened) == 3,
              "CondaToken for *.localhost from pixi's authentication-override-file goes in the path: %d %s %s"
              % (r.returncode, r.stderr.strip()[-200:], tokened))
        check("conda-token" not in r.stderr, "the conda token is never printed")
        write(override, json.dumps({"*.localhost": {"CondaToken": "other"}}))
        r = t.pack(*conda)
        check(r.returncode == 5 and "other" not in r.stderr, "a wrong conda token: exit 5, not printed")
        os.remove(pixi_home_cfg)

        # Broken files: clear errors naming the file.
        write(pixi_home_cfg, '[mirrors]\n"%s" = 42\n' % CH)
        r = t.pack()
        check(r.returncode == 2 and pixi_home_cfg + ":2" in r.stderr, "a broken pixi config: exit 2 naming file:line (%s)"
              % r.stderr.strip())
        os.remove(pixi_home_cfg)
        write(auth, '{"127.0.0.1": {"BearerToken": 7}, "x": {"BearerToken": "do-not-print"}}')
        r = t.pack(env={"RATTLER_AUTH_FILE": auth})
        check(r.returncode == 2 and auth in r.stderr and "do-not-print" not in r.stderr,
              "a broken auth file: exit 2 naming it, no secret (%s)" % r.stderr.strip())
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return netlab.outcome()


if __name__ == "__main__":
    sys.exit(main())
