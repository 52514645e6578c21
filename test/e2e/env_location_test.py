#!/usr/bin/env python3
"""run, shell-hook and verify find an environment as install does, and name it as
install recorded it; install's options come from the environment too.

- After `install -e prod -p opt-env`, shell-hook and run say PIXI_ENVIRONMENT_NAME
  and CONDA_DEFAULT_ENV 'prod' (install's name), not the directory's 'opt-env'.
- Without -p, run, shell-hook and verify take <lock dir>/.pixi/envs/<env> (-e,
  default 'default'), the lock from -l or the pixi.lock beside --manifest-path;
  install accepts --manifest-path too.
- PIXI_INSTALL_<OPTION> sets an install option (PIXI_INSTALL_PREFIX,
  PIXI_INSTALL_OFFLINE, PIXI_INSTALL_LINK_MODE; a bad value is a usage error, the
  command line wins); pixi's PIXI_LOCKED and PIXI_FROZEN act as --locked/--frozen.
Exit 77 (skip) when the binary is not built.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402
from netlab import check, outcome  # noqa: E402

BIN = os.environ.get("PIXI_INSTALL_BIN", "")
HARNESS = ("PIXI_INSTALL_BIN", "PIXI_INSTALL_SOURCE", "PIXI_INSTALL_SHARED", "PIXI_INSTALL_FIXTURES")


def run(args, cwd=None, env_extra=None):
    # Only the test's own PIXI_* variables reach the binary.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIXI_") or k in HARNESS}
    env.update(env_extra or {})
    r = subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env, timeout=300)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def main():
    if not BIN or not os.path.exists(BIN):
        print("skipped: PIXI_INSTALL_BIN is not built")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        pkg = lockgen.make_conda_package(os.path.join(tmp, "pkgs"), "tool", "1.0",
                                         files={"bin/tool": (b"#!/bin/sh\necho tool ran\n", 0o755)})
        proj = os.path.join(tmp, "proj")
        entries = [lockgen.conda(pkg)]
        lock = lockgen.write_lock(proj, entries, environments={"prod": entries})
        with open(os.path.join(proj, "pixi.toml"), "w") as f:
            f.write('[workspace]\nname = "demo"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n')
        cache = ["--cache-dir", os.path.join(tmp, "cache")]

        # -- the recorded name
        opt = os.path.join(tmp, "opt-env")
        rc, out, err = run(["install", "-l", lock, "-e", "prod", "-p", opt] + cache)
        check(rc == 0, "install -e prod -p opt-env (%s)" % err.strip()[-300:])
        rc, out, err = run(["shell-hook", "-p", opt, "--shell", "bash"])
        check(rc == 0 and "PIXI_ENVIRONMENT_NAME='prod'" in out and "CONDA_DEFAULT_ENV='prod'" in out and
              "'opt-env'" not in out, "shell-hook names the environment install recorded:\n" + out)
        rc, out, err = run(["run", "-p", opt, "--", "sh", "-c", 'echo "$PIXI_ENVIRONMENT_NAME $CONDA_DEFAULT_ENV"'])
        check(rc == 0 and out == "prod prod\n", "run names the environment install recorded (%r)" % out)

        # -- the default prefix, found as install finds it
        rc, out, err = run(["install", "-l", lock, "-e", "prod"] + cache)
        envdir = os.path.join(proj, ".pixi", "envs", "prod")
        check(rc == 0 and os.path.isdir(os.path.join(envdir, "conda-meta")), "install -e prod makes .pixi/envs/prod")
        rc, out, err = run(["run", "-l", lock, "-e", "prod", "--", "sh", "-c", 'echo "$CONDA_PREFIX"'])
        check(rc == 0 and out.strip() == envdir, "run -l LOCK -e prod finds .pixi/envs/prod (%r %s)" % (out, err))
        rc, out, err = run(["shell-hook", "-e", "prod", "--shell", "sh"], cwd=proj)
        check(rc == 0 and ("CONDA_PREFIX='%s'" % envdir) in out, "shell-hook -e prod in the project (%s)" % err)
        rc, out, err = run(["verify", "-e", "prod"], cwd=proj)
        check(rc == 0, "verify -e prod in the project (%s)" % err)
        rc, out, err = run(["verify", "--manifest-path", os.path.join(proj, "pixi.toml"), "-e", "prod"])
        check(rc == 0, "verify --manifest-path pixi.toml -e prod (%s)" % err)
        rc, out, err = run(["verify"], cwd=proj)
        check(rc != 0 and os.path.join(".pixi", "envs", "default") in err,
              "verify without -e looks for the default environment, which is not installed (%s)" % err.strip())
        rc, out, err = run(["install", "--manifest-path", proj] + cache)
        check(rc == 0 and os.path.isdir(os.path.join(proj, ".pixi", "envs", "default", "conda-meta")),
              "install --manifest-path DIR installs the default environment beside it (%s)" % err)
        rc, out, err = run(["run", "--manifest-path", proj, "--", "tool"])
        check(rc == 0 and out == "tool ran\n", "run --manifest-path DIR -- tool (%r %s)" % (out, err))
        rc, out, err = run(["shell-hook", "--shell", "sh"], cwd=proj)
        check(rc == 0 and "PIXI_ENVIRONMENT_NAME='default'" in out, "shell-hook in the project: the default environment")

        # -- options from the environment
        viaenv = os.path.join(tmp, "via-env")
        rc, out, err = run(["install", "-l", lock] + cache,
                           env_extra={"PIXI_INSTALL_PREFIX": viaenv, "PIXI_INSTALL_LINK_MODE": "copy"})
        tool = os.path.join(viaenv, "bin", "tool")
        check(rc == 0 and os.path.exists(tool), "PIXI_INSTALL_PREFIX sets the prefix (%s)" % err)
        check(os.path.exists(tool) and os.stat(tool).st_nlink == 1, "PIXI_INSTALL_LINK_MODE=copy copies")
        rc, out, err = run(["install", "-l", lock, "-p", os.path.join(tmp, "bad")] + cache,
                           env_extra={"PIXI_INSTALL_LINK_MODE": "sideways"})
        check(rc == 2 and "sideways" in err, "a bad PIXI_INSTALL_LINK_MODE is a usage error (%d %s)" % (rc, err))
        rc, out, err = run(["install", "-l", lock, "-p", os.path.join(tmp, "cmdline"), "--link-mode", "copy"] + cache,
                           env_extra={"PIXI_INSTALL_LINK_MODE": "sideways"})
        check(rc == 0, "the command line wins over PIXI_INSTALL_LINK_MODE (%s)" % err)
        remote = lockgen.write_lock(os.path.join(tmp, "remote"), [dict(entries[0], location="http://conda.invalid/x/" +
                                                                       os.path.basename(pkg))])
        rc, out, err = run(["install", "-l", remote, "-p", os.path.join(tmp, "off"), "--cache-dir",
                            os.path.join(tmp, "empty-cache")], env_extra={"PIXI_INSTALL_OFFLINE": "1"})
        check(rc == 5 and "--offline forbids downloading" in err, "PIXI_INSTALL_OFFLINE=1 is --offline (%s)" % err)

        # -- pixi's own variables (the remote lock has no manifest: --locked refuses with exit 2)
        rc, out, err = run(["install", "-l", remote, "-p", os.path.join(tmp, "locked"), "--offline"],
                           env_extra={"PIXI_LOCKED": "true"})
        check(rc == 2 and "manifest" in err, "PIXI_LOCKED=true acts as --locked (%d %s)" % (rc, err))
        rc, out, err = run(["install", "-l", lock, "-p", os.path.join(tmp, "frozen")] + cache,
                           env_extra={"PIXI_FROZEN": "true"})
        check(rc == 0, "PIXI_FROZEN=true installs as it is (%s)" % err)
        rc, out, err = run(["install", "-l", lock, "-p", os.path.join(tmp, "both")] + cache,
                           env_extra={"PIXI_FROZEN": "true", "PIXI_LOCKED": "1"})
        check(rc == 2, "PIXI_FROZEN and PIXI_LOCKED together are a usage error (%d %s)" % (rc, err))

        # -- documented
        rc, out, err = run(["install", "--help"])
        check("PIXI_INSTALL_" in out and "PIXI_FROZEN" in out and "PIXI_LOCKED" in out and "--manifest-path" in out,
              "install --help documents the variables and --manifest-path")
        for sub in ("run", "shell-hook", "verify"):
            rc, out, err = run([sub, "--help"])
            check("--environment" in out and "--manifest-path" in out and "--lock" in out,
                  "%s --help has -e, -l and --manifest-path" % sub)
    return outcome()


if __name__ == "__main__":
    sys.exit(main())
