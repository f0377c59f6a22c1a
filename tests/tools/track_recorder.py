#!/usr/bin/python3
"""Stands in for the Track API where a test wants the requests themselves:
answers every POST 200 {} and records it, so that a test can check each
request retl sent (tests/tools/track_validate.py).

usage: track_recorder.py PORT_FILE DIR
Listens on 127.0.0.1, a free port, written to PORT_FILE (atomically, once
listening). Each request becomes DIR/NNNNNN.json:
{"request": "POST /path?query", "content_type": "...", "body": "<the body as text>"}
Stops on SIGTERM or SIGINT.
"""
import http.server
import json
import os
import signal
import sys
import threading

port_file, out_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
lock = threading.Lock()
count = 0


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, as libcurl expects

    def do_POST(self):
        global count
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        with lock:
            count += 1
            path = os.path.join(out_dir, "%06d.json" % count)
        rec = {"request": "POST " + self.path,
               "content_type": self.headers.get("Content-Type"),
               "body": body.decode("utf-8", "backslashreplace")}
        with open(path + ".tmp", "w") as f:
            json.dump(rec, f)
        os.rename(path + ".tmp", path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, fmt, *args):
        sys.stderr.write("recorder: %s\n" % (fmt % args))


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
with open(port_file + ".tmp", "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(port_file + ".tmp", port_file)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
