#!/usr/bin/env python3
"""A misbehaving HTTP server on loopback for the fetch tests.

Usage: server.py ROOT [--tls CERT KEY]
  -> prints "PORT <n>" and serves ROOT (over TLS with that certificate and key when
     --tls is given) until stdin closes.
The first path segment picks a behaviour; the rest names a file under ROOT:
  /files/N     plain, with Range support     /redirect/N  302 to /files/N
  /truncate/N  first reply announces the full length, sends half, closes
  /flaky/N     500 twice, then plain         /norange/N  like truncate, then ignores Range
  /wrong/N     same length, wrong bytes      /trickle/N  one byte every 0.3 s
  /stall/N     headers and 16 bytes, then silence
  /auth/N      needs "Authorization: Bearer secret-token"
  /basic/N     needs HTTP basic auth user:pass
  /t/conda-token/MODE/N   anaconda.org's token in the path: served as /MODE/N (another token: 401)
  /tohttp-PORT/N  302 to http://127.0.0.1:PORT/files/N (from https: a downgrade)
GET /_stats returns {"requests": n, "bytes": n, "paths": {...}, "auth": {path: [header...]}} (not counted).
"""
import http.server
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time

ROOT = sys.argv[1]
lock = threading.Lock()
stats = {"requests": 0, "bytes": 0, "paths": {}, "auth": {}}
seen = {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_plain(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_stats":
            with lock:
                body = json.dumps(stats).encode()
            return self.send_plain(200, body)
        if self.path.startswith("/t/"):
            token, _, rest = self.path[3:].partition("/")
            if token != "conda-token":
                return self.send_plain(401)
            self.path = "/" + rest
        parts = self.path.split("/", 2)
        if len(parts) < 3:
            return self.send_plain(404)
        mode, name = parts[1], parts[2]
        with lock:
            stats["requests"] += 1
            stats["paths"][self.path] = stats["paths"].get(self.path, 0) + 1
            stats["auth"].setdefault(self.path, []).append(self.headers.get("Authorization", ""))
            count = seen[self.path] = seen.get(self.path, 0) + 1
        path = os.path.join(ROOT, name)
        if ".." in name.split("/") or not os.path.isfile(path):
            return self.send_plain(404, b"not found")
        data = open(path, "rb").read()
        if mode == "redirect" or mode.startswith("tohttp-"):
            self.send_response(302)
            where = "http://127.0.0.1:%s" % mode[7:] if mode.startswith("tohttp-") else ""
            self.send_header("Location", where + "/files/" + name)
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if mode == "flaky" and count <= 2:
            return self.send_plain(500, b"try again")
        if mode == "auth" and self.headers.get("Authorization") != "Bearer secret-token":
            return self.send_plain(401)
        if mode == "basic" and self.headers.get("Authorization") != "Basic dXNlcjpwYXNz":
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="test"')
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if mode in ("truncate", "norange") and count == 1:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if mode == "wrong":
            data = bytes(reversed(data))
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and mode != "norange":
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                return self.send_plain(416)
        if mode in ("trickle", "stall"):
            total = len(data)
            data = data[start:]
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, total - 1, total))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                if mode == "stall":
                    self.wfile.write(data[:16])
                    self.wfile.flush()
                    time.sleep(30)
                else:
                    for i in range(len(data)):
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                        time.sleep(0.3)
            except OSError:
                pass
            self.close_connection = True
            return
        if start:
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])
        with lock:
            stats["bytes"] += len(data) - start


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if "--tls" in sys.argv:
        i = sys.argv.index("--tls")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[i + 1], sys.argv[i + 2])
        # The handshake runs in the request's thread: a client that refuses the
        # certificate does not hold up the others.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.handle_error = lambda request, address: None  # clients that hang up are expected
    print("PORT", server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # the test closes our stdin (or dies): stop
    os._exit(0)


if __name__ == "__main__":
    main()
