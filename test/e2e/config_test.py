#!/usr/bin/env python3
"""The config file: [mirrors] redirect channel URLs (here to a local directory, so
the install works offline), precedence of --mirror over the config, --config vs
PIXI_INSTALL_CONFIG, and clear errors for a broken config."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402

BIN, CORPUS = lockgen.require_env()
PKGS = os.path.join(CORPUS, "conda-pkgs")
CHANNEL = "https://conda.example.invalid/test-channel"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(args, env_extra=None):
    env = dict(os.environ)
    env.pop("PIXI_INSTALL_CONFIG", None)
    env["HOME"] = work  # no user config leaks in
    env.pop("XDG_CONFIG_HOME", None)
    env.update(env_extra or {})
    return subprocess.run([BIN] + args, capture_output=True, text=True, env=env)


with tempfile.TemporaryDirectory() as work:
    archive = os.path.join(PKGS, "small-executable-1.0-0.conda")
    entry = lockgen.conda(archive, location=CHANNEL + "/linux-64/small-executable-1.0-0.conda")
    lockgen.write_lock(work, [entry])
    lock = os.path.join(work, "pixi.lock")
    # A directory mirror laid out like the channel.
    mirror = os.path.join(work, "mirror")
    os.makedirs(os.path.join(mirror, "linux-64"))
    os.symlink(archive, os.path.join(mirror, "linux-64", "small-executable-1.0-0.conda"))
    cfg = os.path.join(work, "config.toml")
    with open(cfg, "w") as f:
        f.write('[mirrors]\n"%s" = ["%s"]\n' % (CHANNEL, mirror))

    base = ["-l", lock, "--offline", "--no-progress"]
    r = run(base + ["-p", os.path.join(work, "env0"), "--cache-dir", os.path.join(work, "c0")])
    check(r.returncode == 5, "without the mirror the offline install misses the artifact (exit 5): %d" % r.returncode)

    r = run(base + ["-p", os.path.join(work, "env1"), "--cache-dir", os.path.join(work, "c1"), "--config", cfg])
    check(r.returncode == 0, "--config mirror installs offline from the directory: %d %s" % (r.returncode, r.stderr))
    check(os.path.exists(os.path.join(work, "env1", "conda-meta", "small-executable-1.0-0.json")),
          "the package is installed")

    r = run(base + ["-p", os.path.join(work, "env2"), "--cache-dir", os.path.join(work, "c2")],
            {"PIXI_INSTALL_CONFIG": cfg})
    check(r.returncode == 0, "PIXI_INSTALL_CONFIG is read: %d %s" % (r.returncode, r.stderr))

    xdg = os.path.join(work, "xdg")
    os.makedirs(os.path.join(xdg, "pixi-install"))
    os.symlink(cfg, os.path.join(xdg, "pixi-install", "config.toml"))
    r = run(base + ["-p", os.path.join(work, "env3"), "--cache-dir", os.path.join(work, "c3")],
            {"XDG_CONFIG_HOME": xdg})
    check(r.returncode == 0, "$XDG_CONFIG_HOME/pixi-install/config.toml is read: %d %s" % (r.returncode, r.stderr))

    # --mirror on the command line wins over the config for the same prefix.
    empty = os.path.join(work, "empty")
    os.makedirs(empty)
    r = run(base + ["-p", os.path.join(work, "env4"), "--cache-dir", os.path.join(work, "c4"), "--config", cfg,
                    "--mirror", "%s=%s" % (CHANNEL, empty)])
    check(r.returncode == 5, "--mirror takes precedence over the config (empty mirror -> exit 5): %d" % r.returncode)

    bad = os.path.join(work, "bad.toml")
    with open(bad, "w") as f:
        f.write("[mirrors]\n\"%s\" = 42\n" % CHANNEL)
    r = run(base + ["-p", os.path.join(work, "env5"), "--cache-dir", os.path.join(work, "c5"), "--config", bad])
    check(r.returncode == 2 and "bad.toml:2" in r.stderr, "a broken config: exit 2 naming file and line: %d %s"
          % (r.returncode, r.stderr.strip()))
    check(not os.path.exists(os.path.join(work, "env5")), "nothing installed with a broken config")

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
