#!/usr/bin/env python3
"""A local HTTPS archive for the `tecscan fetch` tests: serves a directory tree laid out like the
real archives (CDDIS, AIUB, GFZ, OMNI2, CelesTrak, Kyoto, the USGS FDSN event service) and
misbehaves on command.

usage: server.py --root DIR --cert PEM --key PEM --port-file FILE --log FILE
                 [--rules RULES.json] [--login USER:PASSWORD] [--catalog COMCAT.csv]
                 [--sha512sums]

The server listens on 127.0.0.1 (an ephemeral port, written to --port-file once it listens).
"127.0.0.1" is the data host; "localhost" (the same socket) plays the Earthdata login host, so
the client's .netrc machine matching is real.

--rules maps a URL path to a misbehaviour; "count" (default: always) limits how many requests
get it, after which the file is served normally:
  {"/a/b.gz": {"action": "503", "count": 2}}  503 Service Unavailable
  {"/a/b.gz": {"action": "cut", "count": 1}}  full Content-Length, half the bytes, then close
  {"/a/b.gz": {"action": "html"}}             200 with an HTML page in place of the file
  {"/a/b.gz": {"action": "404"}}              404 although the file exists
  {"/a/SHA512SUMS": {"action": "wrong-sha512"}}  (with --sha512sums) every digest in the list
                                               is wrong by one hex digit
--sha512sums: DIR/SHA512SUMS of every directory is served as CDDIS publishes it, one
"<sha512 hex>  <file name>" line per file of the directory (sha512sum's format).
--login: data paths need the session cookie; without it the data host redirects to the login
host, which wants HTTP Basic credentials (none: a 200 HTML login page, like Earthdata; wrong:
401) and then redirects back through /login_callback, which sets the cookie.
--catalog: /fdsnws/event/1/query pages through the ComCat CSV with offset (1-based) and
limit (at most 20000, as USGS), filtered by minmagnitude, starttime and endtime.
Each request is logged as one JSON line: host, path, query, range, cookie, status.
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import ssl
import sys
import threading
import urllib.parse

LOGIN_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Earthdata Login</title></head>"
              b"<body><form>username password</form></body></html>\n")
SESSION_COOKIE = "tecscan_session=granted"
USGS_MAX_LIMIT = 20000


class State:
    def __init__(self, args):
        self.root = os.path.abspath(args.root)
        self.rules = {}
        if args.rules:
            with open(args.rules) as f:
                self.rules = json.load(f)
        self.login = args.login
        self.catalog_rows, self.catalog_header = [], ""
        if args.catalog:
            with open(args.catalog) as f:
                lines = f.read().splitlines()
            self.catalog_header, self.catalog_rows = lines[0], [l for l in lines[1:] if l]
        self.sha512sums = args.sha512sums
        self.log = open(args.log, "a", buffering=1)
        self.lock = threading.Lock()

    def take_rule(self, path):
        """The misbehaviour for this request, or None (counted rules run out)."""
        with self.lock:
            rule = self.rules.get(path)
            if not rule:
                return None
            if "count" in rule:
                if rule["count"] <= 0:
                    return None
                rule["count"] -= 1
            return rule["action"]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # the JSON log replaces stderr lines
        pass

    def record(self, status):
        url = urllib.parse.urlsplit(self.path)
        entry = {"host": self.headers.get("Host", ""), "path": url.path, "query": url.query,
                 "range": self.headers.get("Range", ""), "cookie": self.headers.get("Cookie", ""),
                 "status": status}
        with self.server.state.lock:
            self.server.state.log.write(json.dumps(entry) + "\n")

    def reply(self, status, body=b"", content_type="text/plain", headers=()):
        self.record(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def host_name(self):
        return self.headers.get("Host", "").rsplit(":", 1)[0]

    def port(self):
        return self.server.server_address[1]

    def do_GET(self):
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/oauth/authorize":
            return self.login_host(query)
        if url.path == "/login_callback":
            back = query.get("next", ["/"])[0]
            return self.reply(302, headers=[("Set-Cookie", SESSION_COOKIE + "; Path=/"),
                                            ("Location", back)])
        if state.login and SESSION_COOKIE not in self.headers.get("Cookie", ""):
            here = "https://%s%s" % (self.headers.get("Host", ""), self.path)
            where = "https://localhost:%d/oauth/authorize?next=%s" % (
                self.port(), urllib.parse.quote(here, safe=""))
            return self.reply(302, headers=[("Location", where)])
        if url.path == "/fdsnws/event/1/query" and state.catalog_header:
            return self.catalog(query)
        self.serve_file(url.path)

    def login_host(self, query):
        if self.host_name() != "localhost":
            return self.reply(404, b"the login host is localhost\n")
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return self.reply(200, LOGIN_PAGE, "text/html")
        if base64.b64decode(auth[6:]).decode() != self.server.state.login:
            return self.reply(401, b"wrong user name or password\n")
        back = query.get("next", ["/"])[0]
        callback = "https://127.0.0.1:%d/login_callback?next=%s" % (
            self.port(), urllib.parse.quote(back, safe=""))
        self.reply(302, headers=[("Location", callback)])

    def sha512sums(self, directory, wrong):
        """The checksum list of a served directory; wrong: every digest altered."""
        lines = []
        for name in sorted(os.listdir(directory)):
            local = os.path.join(directory, name)
            if not os.path.isfile(local):
                continue
            with open(local, "rb") as f:
                digest = hashlib.sha512(f.read()).hexdigest()
            if wrong:
                digest = ("0" if digest[0] != "0" else "1") + digest[1:]
            lines.append("%s  %s\n" % (digest, name))
        return "".join(lines).encode()

    def serve_file(self, path):
        state = self.server.state
        local = os.path.normpath(os.path.join(state.root, path.lstrip("/")))
        action = state.take_rule(path)
        if action == "503":
            return self.reply(503, b"Service Unavailable\n")
        directory = os.path.dirname(local)
        if (state.sha512sums and path.endswith("/SHA512SUMS") and action != "404"
                and directory.startswith(state.root) and os.path.isdir(directory)
                and not os.path.isfile(local)):
            return self.reply(200, self.sha512sums(directory, action == "wrong-sha512"))
        if action == "404" or not local.startswith(state.root) or not os.path.isfile(local):
            return self.reply(404, b"Not Found\n")
        if action == "html":
            return self.reply(200, LOGIN_PAGE, "text/html")
        with open(local, "rb") as f:
            data = f.read()
        first = 0
        ranged = self.headers.get("Range", "")
        if ranged.startswith("bytes=") and ranged.endswith("-"):
            first = int(ranged[6:-1])
            if first >= len(data):
                return self.reply(416, headers=[("Content-Range", "bytes */%d" % len(data))])
        body = data[first:]
        status = 206 if first > 0 else 200
        self.record(status if action != "cut" else "cut")
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if first > 0:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (first, len(data) - 1, len(data)))
        self.end_headers()
        if action == "cut":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def catalog(self, query):
        state = self.server.state
        limit = int(query.get("limit", [str(USGS_MAX_LIMIT)])[0])
        offset = int(query.get("offset", ["1"])[0])
        if limit > USGS_MAX_LIMIT or offset < 1 or query.get("format", [""])[0] != "csv":
            return self.reply(400, b"Bad Request: limit at most 20000, offset from 1, csv\n")
        min_mag = float(query.get("minmagnitude", ["-10"])[0])
        start = query.get("starttime", [""])[0][:19]
        end = query.get("endtime", ["9999"])[0][:19]
        rows = []
        for row in state.catalog_rows:
            fields = row.split(",")
            if fields[4] and float(fields[4]) < min_mag:
                continue
            if fields[0][:19] < start or fields[0][:19] >= end:
                continue
            rows.append(row)
        # ComCat's default order is newest first; orderby=time-asc reverses it.
        rows.sort(key=lambda r: r[:23], reverse=query.get("orderby", [""])[0] != "time-asc")
        page = rows[offset - 1: offset - 1 + limit]
        body = "\n".join([state.catalog_header] + page) + "\n"
        self.reply(200, body.encode(), "text/csv")


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that hangs up mid-file (a full disk, an abort) is not a server error."""
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--rules")
    p.add_argument("--login")
    p.add_argument("--catalog")
    p.add_argument("--sha512sums", action="store_true")
    args = p.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(args)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
