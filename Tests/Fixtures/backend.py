"""A bot backend for the `http` handler tests: answers each job document with a reply, and
with `handoff: true` when the user asks for a human. Usage: backend.py PORT"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        job = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if job["text"] == "fail":
            self.send_response(500)
            self.end_headers()
            return
        answer = {
            "reply": "backend: %s (bot %s, chat %d, user %d, %d messages)"
            % (job["text"], job["bot"], job["chat"]["id"], job["user"]["id"], len(job["messages"])),
            "handoff": job["text"] == "human please",
        }
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
