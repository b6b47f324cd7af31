# The webhook receiver of README.md's "Webhooks" section, copied verbatim: it must stay identical to the README's
# (tests/webhooks/test_signature.py checks that it does, then runs it against real deliveries).
import hashlib
import hmac
import time
from http.server import BaseHTTPRequestHandler

SECRET = b"whsec_..."  # what PUT /webhook returned


class Receiver(BaseHTTPRequestHandler):  # http.server.HTTPServer(("", 8080), Receiver).serve_forever()
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        fields = dict(p.split("=", 1) for p in self.headers.get("X-Parley-Signature", "").split(",") if "=" in p)
        t = fields.get("t", "0")
        expected = hmac.new(SECRET, t.encode() + b"." + body, hashlib.sha256).hexdigest()
        fresh = t.isdigit() and abs(time.time() - int(t)) < 300  # refuse replays of old requests
        self.send_response(204 if fresh and hmac.compare_digest(expected, fields.get("v1", "")) else 401)
        self.end_headers()  # on 204: handle json.loads(body), once per its "id"
