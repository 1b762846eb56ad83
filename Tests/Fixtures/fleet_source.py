"""A fleet source for the end-to-end tests: serves <dir>/fleet.json at any path with an ETag,
answers 304 to a matching If-None-Match, and misbehaves on demand: <dir>/mode holding "500"
answers 500, "garbage" answers 200 with a body that is not JSON. Every request is appended to
<dir>/requests.log as "<status> <If-None-Match or -> <Authorization or ->". Port 0 binds a free
port; the bound port is written to <dir>/port once the server listens."""

import hashlib
import http.server
import os
import sys

directory, port = sys.argv[1], int(sys.argv[2])


def read(name, default=b""):
    try:
        with open(os.path.join(directory, name), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return default


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        mode = read("mode", b"ok").strip()
        body = read("fleet.json", b'{"bots": []}')
        tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if mode == b"500":
            status, body, headers = 500, b"upstream broke", {}
        elif mode == b"garbage":
            status, body, headers = 200, b"<html>not a fleet</html>", {"ETag": '"garbage"'}
        elif self.headers.get("If-None-Match") == tag:
            status, body, headers = 304, b"", {"ETag": tag}
        else:
            status, headers = 200, {"ETag": tag, "Content-Type": "application/json"}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
        line = "%d %s %s\n" % (status, self.headers.get("If-None-Match", "-"), self.headers.get("Authorization", "-"))
        with open(os.path.join(directory, "requests.log"), "a") as log:
            log.write(line)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
with open(os.path.join(directory, "port.tmp"), "w") as handle:
    handle.write(str(server.server_address[1]))
os.rename(os.path.join(directory, "port.tmp"), os.path.join(directory, "port"))
server.serve_forever()
