#!/usr/bin/env python3
"""S3 downloads checked by AWS's own signer: test/e2e/s3_server.py re-signs every
request with botocore and refuses any that differ, as S3 does. Credentials from an
AWS profile (~/.aws/credentials + ~/.aws/config, AWS_PROFILE, a session token), from
AWS_* variables and from rattler's S3Credentials; the bucket's place from pixi's
s3-options (endpoint-url, region, force-path-style; path and virtual-host style);
keys, secrets and object keys with spaces, '+', '=' and non-ASCII characters. A
wrong secret or token: exit 5, the server's error code shown, the secret never
printed, nothing written."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402
import netlab  # noqa: E402

from netlab import BIN, check  # noqa: E402

BUCKET = "pixi-bucket"
PREFIX = "conda forge+x=y \u00fc"           # a channel directory name S3 keys must carry exactly
PREFIX_URL = "conda%20forge+x=y%20%C3%BC"  # ... as the lock writes it
REGION = "eu-central-1"
PROFILE_KEY = {"access_key_id": "AKID EXAMPLE+1=\u00e9", "secret_access_key": "se cret+/=\u00fc\u00f1\u20ac ok",
               "session_token": "FQoGZXIvYXdzE+/=" + "T" * 700}
ENV_KEY = {"access_key_id": "AKIAENVEXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
           "session_token": None}
RATTLER_KEY = {"access_key_id": "AKIARATTLER", "secret_access_key": "rattler+secret=/", "session_token": None}


class S3Server(netlab._Child):
    def __init__(self, directory, root, keys):
        self.stats_file = os.path.join(directory, "s3-stats.json")
        conf = os.path.join(directory, "s3.json")
        with open(conf, "w") as f:
            json.dump({"root": root, "region": REGION, "keys": keys, "stats": self.stats_file}, f)
        self.p = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "s3_server.py"),
                                   conf], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.p.stdout.readline().split()[1])

    def stats(self):
        with open(self.stats_file) as f:
            return json.load(f)

    def _end(self):
        self.p.stdin.close()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    try:
        import botocore.auth  # noqa: F401
    except ImportError:
        print("skip: python3-botocore is not installed (scripts/deps.sh installs it)")
        return lockgen.SKIP
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "s3")
        channel = os.path.join(root, BUCKET, PREFIX)
        entries = []
        # Names with '+' and '=' (local versions, build strings) and a leading '_'.
        for sub, name in (("linux-64", "plus-1.0+local-h0_0.tar.bz2"), ("noarch", "_private-2.0-py_0.conda"),
                          ("linux-64", "eq-3.0-h1=2_0.tar.bz2")):
            path = os.path.join(channel, sub, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(os.urandom(50000))
            entries.append(lockgen.conda(path, subdir=sub, location="s3://%s/%s/%s/%s" % (BUCKET, PREFIX_URL, sub, name)))
        lock = lockgen.write_lock(os.path.join(tmp, "project"), entries)
        n = len(entries)

        with S3Server(tmp, root, [PROFILE_KEY, ENV_KEY, RATTLER_KEY]) as s3:
            endpoint = "http://127.0.0.1:%d" % s3.port
            runs = [0]

            def run(*args, env=None, home_files=None, cmd="pack"):
                runs[0] += 1
                home = os.path.join(tmp, "home%d" % runs[0])
                os.makedirs(home)
                for rel, text in (home_files or {}).items():
                    write(os.path.join(home, rel), text)
                e = {k: v for k, v in os.environ.items()
                     if not k.startswith("AWS_") and not k.lower().endswith("_proxy")
                     and k not in ("PIXI_HOME", "XDG_CONFIG_HOME", "RATTLER_AUTH_FILE", "PIXI_INSTALL_CONFIG")}
                e["HOME"] = home
                e.update(env or {})
                out = os.path.join(tmp, "out%d.tar" % runs[0])
                argv = [BIN, "--no-progress", cmd]
                if cmd == "pack":
                    argv += ["-l", lock, "-o", out, "--cache-dir", os.path.join(tmp, "cache%d" % runs[0]), "--retries", "1"]
                r = subprocess.run(argv + list(args), capture_output=True, text=True, env=e, timeout=120)
                r.out = out
                return r

            aws_files = {
                ".aws/credentials": "# the CI profile\n[default]\naws_access_key_id = AKIAWRONGDEFAULT\n"
                                    "aws_secret_access_key = not-used\n\n[ci]\naws_access_key_id = %s\n"
                                    "aws_secret_access_key = %s\naws_session_token = %s\n" % (
                                        PROFILE_KEY["access_key_id"], PROFILE_KEY["secret_access_key"],
                                        PROFILE_KEY["session_token"]),
                ".aws/config": "[default]\nregion = us-west-2\n[profile ci]\nregion = %s\n" % REGION,
                ".pixi/config.toml": '[s3-options.%s]\nendpoint-url = "%s"\nregion = "%s"\nforce-path-style = true\n'
                                     % (BUCKET, endpoint, REGION),
            }
            # 1. An AWS profile with a session token; the bucket's place from pixi's s3-options.
            before = s3.stats()["verified"]
            r = run(env={"AWS_PROFILE": "ci"}, home_files=aws_files)
            check(r.returncode == 0, "profile ci: pack from S3 succeeds (%s)" % r.stderr.strip()[-600:])
            st = s3.stats()
            check(st["verified"] - before == n, "every request was signed as botocore signs it (%d)" % (st["verified"] - before))
            check(not st["refused"], "nothing was refused (%s)" % st["refused"])
            check("x-amz-security-token" in st["signed_headers"], "the session token is signed")
            check(all(("%s/%s/" % (BUCKET, PREFIX)) in p for p in st["paths"]),
                  "object keys arrive with their spaces, '+', '=' and non-ASCII bytes intact (%s)" % list(st["paths"]))
            i = run("--json", cmd="info", env={"AWS_PROFILE": "ci"}, home_files=aws_files)
            text = i.stdout + i.stderr
            check(i.returncode == 0 and "profile ci in " in text and "session token" in text,
                  "info names the profile the S3 credentials came from")
            check(PROFILE_KEY["secret_access_key"] not in text and PROFILE_KEY["session_token"] not in text,
                  "info shows neither the secret nor the token")

            # 2. AWS_* variables win over the profile; the endpoint from AWS_ENDPOINT_URL, a host name
            #    there is addressed virtual-host style as the AWS SDK does (pixi-bucket.s3.localhost).
            before = s3.stats()["verified"]
            r = run(env={"AWS_PROFILE": "ci", "AWS_ACCESS_KEY_ID": ENV_KEY["access_key_id"],
                         "AWS_SECRET_ACCESS_KEY": ENV_KEY["secret_access_key"], "AWS_REGION": REGION,
                         "AWS_ENDPOINT_URL": "http://s3.localhost:%d" % s3.port},
                    home_files={k: v for k, v in aws_files.items() if not k.startswith(".pixi")})
            check(r.returncode == 0, "AWS_ACCESS_KEY_ID + AWS_ENDPOINT_URL: pack succeeds (%s)" % r.stderr.strip()[-600:])
            check(s3.stats()["verified"] - before == n and not s3.stats()["refused"],
                  "virtual-host requests to %s.s3.localhost verified, nothing refused" % BUCKET)

            # 3. rattler's S3Credentials for the bucket; virtual-host style (force-path-style = false).
            before = s3.stats()["verified"]
            auth = {"s3://%s" % BUCKET: {"S3Credentials": {"access_key_id": RATTLER_KEY["access_key_id"],
                                                           "secret_access_key": RATTLER_KEY["secret_access_key"],
                                                           "session_token": None}}}
            r = run(home_files={".rattler/credentials.json": json.dumps(auth),
                                ".pixi/config.toml": '[s3-options.%s]\nendpoint-url = "http://localhost:%d"\n'
                                                     'region = "%s"\nforce-path-style = false\n' % (BUCKET, s3.port, REGION)})
            check(r.returncode == 0, "rattler S3Credentials, virtual-host style: pack succeeds (%s)" % r.stderr.strip()[-600:])
            check(s3.stats()["verified"] - before == n and not s3.stats()["refused"],
                  "virtual-host requests (%s.localhost) verified by botocore" % BUCKET)

            # 4. A wrong secret: exit 5, S3's error code shown, the secret never printed, nothing written.
            wrong = "wrong+secret=/\u00fc-DO-NOT-PRINT"
            r = run(env={"AWS_ACCESS_KEY_ID": ENV_KEY["access_key_id"], "AWS_SECRET_ACCESS_KEY": wrong,
                         "AWS_REGION": REGION, "AWS_ENDPOINT_URL": endpoint})
            check(r.returncode == 5, "wrong secret: exit 5 (got %d)" % r.returncode)
            check("SignatureDoesNotMatch" in r.stderr and "403" in r.stderr, "the server's error code is shown")
            check(ENV_KEY["access_key_id"] in r.stderr, "the access key id is named")
            check(wrong not in r.stdout + r.stderr and "DO-NOT-PRINT" not in r.stdout + r.stderr,
                  "the secret is never printed")
            check(not os.path.exists(r.out), "no bundle was written")
            check(s3.stats()["refused"].get("SignatureDoesNotMatch", 0) >= 1, "botocore refused the signature")

            # 5. A wrong session token and an unknown key: refused, named.
            r = run(env={"AWS_PROFILE": "ci", "AWS_SESSION_TOKEN": "x", "AWS_ACCESS_KEY_ID": PROFILE_KEY["access_key_id"],
                         "AWS_SECRET_ACCESS_KEY": PROFILE_KEY["secret_access_key"]}, home_files=aws_files)
            check(r.returncode == 5 and "InvalidToken" in r.stderr, "wrong session token: exit 5, InvalidToken shown")
            r = run(env={"AWS_ACCESS_KEY_ID": "AKIAUNKNOWN", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": REGION,
                         "AWS_ENDPOINT_URL": endpoint})
            check(r.returncode == 5 and "InvalidAccessKeyId" in r.stderr, "unknown key: exit 5, InvalidAccessKeyId shown")
            # A wrong region is refused by the server (S3 answers 400 for it).
            r = run(env={"AWS_ACCESS_KEY_ID": ENV_KEY["access_key_id"], "AWS_SECRET_ACCESS_KEY": ENV_KEY["secret_access_key"],
                         "AWS_REGION": "us-east-2", "AWS_ENDPOINT_URL": endpoint})
            check(r.returncode == 5 and "AuthorizationHeaderMalformed" in r.stderr, "wrong region: exit 5, reason shown")

            # 6. A profile that does not exist is a usage error naming both files.
            r = run(env={"AWS_PROFILE": "nope"}, home_files=aws_files)
            check(r.returncode == 2 and "AWS_PROFILE=nope" in r.stderr and ".aws/credentials" in r.stderr
                  and ".aws/config" in r.stderr, "AWS_PROFILE naming no profile: exit 2, both files named")
            # ... and AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE move the files.
            alt = os.path.join(tmp, "alt")
            write(os.path.join(alt, "creds"), aws_files[".aws/credentials"])
            write(os.path.join(alt, "conf"), aws_files[".aws/config"])
            r = run(env={"AWS_PROFILE": "ci", "AWS_SHARED_CREDENTIALS_FILE": os.path.join(alt, "creds"),
                         "AWS_CONFIG_FILE": os.path.join(alt, "conf")},
                    home_files={".pixi/config.toml": aws_files[".pixi/config.toml"]})
            check(r.returncode == 0, "AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE are read (%s)" % r.stderr.strip()[-400:])
    return netlab.outcome()


if __name__ == "__main__":
    sys.exit(main())
