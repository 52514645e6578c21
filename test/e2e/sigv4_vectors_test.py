#!/usr/bin/env python3
"""The SigV4 vectors the fetch unit tests sign (test/fetch/data/sigv4_vectors.json)
are AWS's: each one's canonical request and signature, as written there, is what
botocore's signer (SigV4Auth, S3SigV4Auth for the S3 ones) computes for the same
request. The vectors marked with an AWS source carry the values AWS publishes."""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402
import netlab  # noqa: E402

from netlab import SRC, check  # noqa: E402

# Values AWS publishes (the SigV4 test suite's .authz files, the S3 API reference's
# GET Object example), independent of botocore.
PUBLISHED = {
    "get-vanilla": "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    "get-vanilla-query-order-key-case": "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    "get-utf8": "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
    "get-space": "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
    "post-vanilla": "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    "post-x-www-form-urlencoded": "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    "s3-doc-get-object": "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
}


def main():
    try:
        from botocore.auth import S3SigV4Auth, SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
    except ImportError:
        print("skip: python3-botocore is not installed (scripts/deps.sh installs it)")
        return lockgen.SKIP
    with open(os.path.join(SRC, "test", "fetch", "data", "sigv4_vectors.json"), encoding="utf-8") as f:
        vectors = json.load(f)
    check(len(vectors) >= 25, "%d vectors" % len(vectors))
    for v in vectors:
        host = [h[1] for h in v["headers"] if h[0].lower() == "host"][0]
        url = "https://" + host + v["path"] + ("?" + v["query"] if v["query"] else "")
        req = AWSRequest(method=v["method"], url=url, data=v["body"].encode())
        for name, value in v["headers"]:
            req.headers.add_header(name, value) if not v["s3"] else req.headers.__setitem__(name, value)
        req.context["timestamp"] = v["date"]
        creds = Credentials(v["access_key_id"], v["secret_access_key"])
        signer = (S3SigV4Auth if v["s3"] else SigV4Auth)(creds, v["service"], v["region"])
        canonical = signer.canonical_request(req)
        signature = signer.signature(signer.string_to_sign(req, canonical), req)
        if not v["s3"]:
            check(v["payload_sha256"] == hashlib.sha256(v["body"].encode()).hexdigest(), v["name"] + ": payload hash")
        check(canonical == v["canonical_request"], v["name"] + ": canonical request is botocore's")
        check(signature == v["signature"], v["name"] + ": signature is botocore's")
        if v["name"] in PUBLISHED:
            check(v["signature"] == PUBLISHED[v["name"]], v["name"] + ": signature is the one AWS publishes")
    check(all(any(v["name"] == n for v in vectors) for n in PUBLISHED), "every published vector is in the file")
    return netlab.outcome()


if __name__ == "__main__":
    sys.exit(main())
