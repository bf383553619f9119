"""A small HTTP app: answers on $ATLANTIS_PORT, says which instance and zone answered."""
import http.server
import os

MESSAGE = "hello from python v1"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = b"ok\n"
        else:
            where = os.environ.get("ATLANTIS_INSTANCE", "?") + " in " + os.environ.get("ATLANTIS_ZONE", "?")
            body = f"{MESSAGE} ({where})\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("", int(os.environ.get("ATLANTIS_PORT", "8080"))), Handler).serve_forever()
