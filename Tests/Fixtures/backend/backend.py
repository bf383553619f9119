#!/usr/bin/env python3
"""A small HTTP/1.1 backend for the router's tests (loopback only).

  backend.py PORT [NAME]

GET  /headers        the request headers, one "name: value" per line, plus "backend: NAME"
GET  /target         the request target as it came, and the Host field
POST /echo           the request body back (any framing, chunked included)
GET  /bytes?n=N      N bytes, sent chunked
GET  /close-early    closes the connection without answering
GET  /arm-close      answers; the next request on this connection is met with a close, unanswered
                     (a kept-alive connection the backend's idle timeout ended as a request came)
GET  /slow?ms=M      answers after M milliseconds
GET  /connections    how many TCP connections this backend has accepted
GET  /upgrade        with "Upgrade: echo": 101, then echoes each line as "NAME: line"
GET  /status?code=N  status N, no body (for 204 and 304)
GET  /nolength       a body without length, ended by closing the connection
GET  /trailers       a chunked body with a trailer field
HEAD any path        the headers a GET would get, content-length 100, no body
anything else        "NAME PATH"
"""
import socketserver
import sys
import time
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

PORT = int(sys.argv[1])
NAME = sys.argv[2] if len(sys.argv) > 2 else "backend"
connections = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        global connections
        with lock:
            connections += 1
        super().setup()

    def log_message(self, *args):
        pass

    def send_text(self, text, status=200):
        body = text.encode()
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("content-length", "0"))
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        url = urlparse(self.path)
        if getattr(self, "drop_next", False):
            self.close_connection = True
            return
        if url.path == "/arm-close":
            self.drop_next = True
            self.send_text("%s %s\n" % (NAME, url.path))
            return
        q = parse_qs(url.query)
        if url.path == "/target":
            self.send_text("target: %s\nhost: %s\n" % (self.path, self.headers.get("host", "")))
        elif url.path == "/headers":
            lines = ["%s: %s" % (k.lower(), v) for k, v in self.headers.items()]
            self.send_text("\n".join(lines + ["backend: " + NAME]) + "\n")
        elif url.path == "/bytes":
            n = int(q.get("n", ["0"])[0])
            self.send_response(200)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536
            left = n
            while left > 0:
                part = chunk[: min(left, len(chunk))]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                left -= len(part)
            self.wfile.write(b"0\r\n\r\n")
        elif url.path == "/close-early":
            self.close_connection = True
            self.connection.shutdown(2)
        elif url.path == "/slow":
            time.sleep(int(q.get("ms", ["100"])[0]) / 1000)
            self.send_text("slow\n")
        elif url.path == "/upgrade" and self.headers.get("upgrade"):
            self.send_response(101)
            self.send_header("upgrade", self.headers.get("upgrade"))
            self.send_header("connection", "Upgrade")
            self.end_headers()
            self.wfile.flush()
            while True:
                line = self.rfile.readline()
                if not line:
                    break
                self.wfile.write(NAME.encode() + b": " + line)
                self.wfile.flush()
            self.close_connection = True
        elif url.path == "/status":
            self.send_response(int(q.get("code", ["204"])[0]))
            self.end_headers()
        elif url.path == "/nolength":
            self.send_response(200)
            self.send_header("content-type", "text/plain")
            self.end_headers()
            self.wfile.write(b"until close\n")
            self.wfile.flush()
            self.close_connection = True
        elif url.path == "/trailers":
            self.send_response(200)
            self.send_header("transfer-encoding", "chunked")
            self.send_header("trailer", "x-checksum")
            self.end_headers()
            self.wfile.write(b"5\r\nhello\r\n0\r\nx-checksum: abc\r\n\r\n")
        elif url.path == "/connections":
            with lock:
                self.send_text("%d\n" % connections)
        else:
            self.send_text("%s %s\n" % (NAME, url.path))

    def do_POST(self):
        if getattr(self, "drop_next", False):
            self.close_connection = True
            return
        body = self.read_body()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_POST

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", "100")
        self.end_headers()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
