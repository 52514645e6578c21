#!/usr/bin/env python3
"""A loopback S3 endpoint whose every request is checked with AWS's own signer.

Usage: s3_server.py CONFIG.json
  CONFIG: {"root": DIR, "region": "eu-central-1",
           "keys": [{"access_key_id": ..., "secret_access_key": ..., "session_token": ... or null}],
           "stats": FILE}
  -> prints "PORT <n>" and serves until stdin closes.

GET/HEAD /<bucket>/<key> (path style) or Host: <bucket>.[<name>.]localhost:<port>
(virtual host) serves DIR/<bucket>/<key>, with Range. Each request's Authorization header is
re-computed by botocore (botocore.auth.S3SigV4Auth: canonical request, string to
sign, signature) from the request as received (its path, query and the headers it
names as signed) with the secret of its access key; anything else is refused as S3
refuses it, with S3's XML error body: a missing or malformed Authorization
(AccessDenied / AuthorizationHeaderMalformed, also for a wrong region), an unknown
key (InvalidAccessKeyId), a missing or wrong x-amz-security-token for a key that
has one (InvalidToken), a date more than 15 minutes off (RequestTimeTooSkewed), a
signature that is not botocore's (SignatureDoesNotMatch, 403). STATS is rewritten
after each request: {"verified": n, "refused": {code: n}, "paths": {path: n},
"signed_headers": [...]}.
"""
import datetime
import hmac
import http.server
import json
import os
import socket
import sys
import threading
import urllib.parse
from xml.sax.saxutils import escape

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

CONFIG = json.load(open(sys.argv[1]))
KEYS = {k["access_key_id"]: k for k in CONFIG["keys"]}
REGION = CONFIG["region"]
lock = threading.Lock()
stats = {"verified": 0, "refused": {}, "paths": {}, "signed_headers": []}


class Refused(Exception):
    def __init__(self, status, code, message, extra=None):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra or {}


def parse_authorization(value):
    if not value.startswith("AWS4-HMAC-SHA256 "):
        raise Refused(400, "AuthorizationHeaderMalformed", "the authorization header is not AWS4-HMAC-SHA256")
    fields = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    try:
        cred = fields["Credential"]
        signed = fields["SignedHeaders"].split(";")
        signature = fields["Signature"]
    except KeyError as e:
        raise Refused(400, "AuthorizationHeaderMalformed", "the authorization header lacks %s" % e)
    # The access key may hold '/': the scope is the last four fields.
    parts = cred.split("/")
    if len(parts) < 5 or parts[-1] != "aws4_request" or parts[-2] != "s3":
        raise Refused(400, "AuthorizationHeaderMalformed", "bad credential scope %r" % cred)
    return "/".join(parts[:-4]), parts[-4], parts[-3], signed, signature


def utf8(value):
    """A header value as the client wrote it (http.server decodes them as latin-1)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def refuse(self, e):
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message>%s"
                "<RequestId>0</RequestId></Error>" % (
                    e.code, escape(e.message),
                    "".join("<%s>%s</%s>" % (k, escape(v), k) for k, v in e.extra.items()))).encode()
        with lock:
            stats["refused"][e.code] = stats["refused"].get(e.code, 0) + 1
            self.save()
        self.send_response(e.status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def save(self):
        tmp = CONFIG["stats"] + ".tmp"
        with open(tmp, "w") as f:
            json.dump(stats, f)
        os.replace(tmp, CONFIG["stats"])

    def verify(self):
        auth = utf8(self.headers.get("Authorization", ""))
        if not auth:
            raise Refused(403, "AccessDenied", "Access Denied (anonymous request)")
        access_key, day, region, signed, signature = parse_authorization(auth)
        key = KEYS.get(access_key)
        if key is None:
            raise Refused(403, "InvalidAccessKeyId",
                          "The AWS Access Key Id you provided does not exist in our records.",
                          {"AWSAccessKeyId": access_key})
        if region != REGION:
            raise Refused(400, "AuthorizationHeaderMalformed",
                          "the region '%s' is wrong; expecting '%s'" % (region, REGION), {"Region": REGION})
        for needed in ("host", "x-amz-date", "x-amz-content-sha256"):
            if needed not in signed:
                raise Refused(403, "AccessDenied", "the header %s must be signed" % needed)
        token = key.get("session_token")
        if token:
            sent = self.headers.get("x-amz-security-token")
            if sent is None or "x-amz-security-token" not in signed or not hmac.compare_digest(sent.encode(), token.encode()):
                raise Refused(403, "InvalidToken", "The provided token is malformed or otherwise invalid.")
        amz_date = self.headers.get("x-amz-date", "")
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise Refused(403, "AccessDenied", "bad x-amz-date %r" % amz_date)
        if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 900 or day != amz_date[:8]:
            raise Refused(403, "RequestTimeTooSkewed",
                          "The difference between the request time and the current time is too large.")
        # botocore signs the request as received: its path and query as sent, the signed headers' values.
        headers = {}
        for name in signed:
            values = self.headers.get_all(name)
            if values is None:
                raise Refused(403, "AccessDenied", "the signed header %s is missing" % name)
            headers[name] = ",".join(utf8(v) for v in values)
        req = AWSRequest(method=self.command, url="http://%s%s" % (self.headers["Host"], self.path), headers=headers)
        req.context["timestamp"] = amz_date
        signer = S3SigV4Auth(Credentials(access_key, key["secret_access_key"], token), "s3", REGION)
        canonical = signer.canonical_request(req)
        string_to_sign = signer.string_to_sign(req, canonical)
        expected = signer.signature(string_to_sign, req)
        if not hmac.compare_digest(expected, signature):
            raise Refused(403, "SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature you provided. "
                          "Check your key and signing method.",
                          {"AWSAccessKeyId": access_key, "StringToSign": string_to_sign,
                           "CanonicalRequest": canonical})
        with lock:
            stats["verified"] += 1
            stats["signed_headers"] = sorted(set(stats["signed_headers"]) | set(signed))

    def object_path(self):
        host = self.headers.get("Host", "")
        path = urllib.parse.urlsplit(self.path).path
        name = host.split(":")[0]
        if name.endswith(".localhost"):  # virtual-host style: <bucket>.[<endpoint>.]localhost
            bucket, key = name.split(".")[0], path.lstrip("/")
        else:
            bucket, _, key = path.lstrip("/").partition("/")
        key = urllib.parse.unquote(key)
        full = os.path.realpath(os.path.join(CONFIG["root"], bucket, key))
        if not full.startswith(os.path.realpath(CONFIG["root"]) + os.sep):
            raise Refused(400, "InvalidURI", "bad key")
        return bucket + "/" + key, full

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        try:
            self.verify()
            name, full = self.object_path()
            if not os.path.isfile(full):
                raise Refused(404, "NoSuchKey", "The specified key does not exist.", {"Key": name})
        except Refused as e:
            return self.refuse(e)
        data = open(full, "rb").read()
        status, start = 200, 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng[6:].endswith("-"):
            start = int(rng[6:-1])
            status = 206 if start < len(data) else 416
        with lock:
            stats["paths"][name] = stats["paths"].get(name, 0) + 1
            self.save()
        if status == 416:
            self.send_response(416)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = data[start:]
        self.send_response(status)
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    address_family = socket.AF_INET


def main():
    httpd = Server(("127.0.0.1", 0), Handler)
    with lock:
        Handler.save(None)
    print("PORT %d" % httpd.server_address[1], flush=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    sys.stdin.read()
    httpd.shutdown()


if __name__ == "__main__":
    main()
