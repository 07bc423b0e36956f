"""A webhook receiver for langgraph-hitl notifications that verifies every delivery.

Run it, then point a sweep at it::

    export HITL_WEBHOOK_SECRET=change-me
    python examples/webhook_receiver.py --port 8080
    langgraph-hitl notify agent.py:graph --db agent.db \\
        --webhook http://127.0.0.1:8080/hitl --secret-env HITL_WEBHOOK_SECRET

Only the standard library: the checks are what any receiver, in any language, does.

1. The signature: `X-HITL-Signature` must be `sha256=` + the hex HMAC-SHA256 of the raw
   body, keyed with the shared secret. Compare in constant time, on the bytes as
   received (before any JSON parsing).
2. The timestamp: refuse deliveries whose `X-HITL-Timestamp` is far from now (a
   captured request replayed much later).
3. The idempotency key: a sweeper that died mid-delivery sends again, with the same
   `Idempotency-Key` (`<interrupt id>:<event>`) and body; act on the first one only.

Each accepted event is printed as one JSON line; a repeat prints `duplicate <key>`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_SKEW = 300
"""Seconds a delivery's timestamp may be away from this machine's clock."""


def valid_signature(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether `header` is `sha256=<HMAC-SHA256 of body>` with `secret`."""
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return header is not None and hmac.compare_digest(expected, header)


def fresh(header: str | None, now: float) -> bool:
    """Whether the `X-HITL-Timestamp` header is within `MAX_SKEW` seconds of `now`."""
    try:
        return header is not None and abs(now - int(header)) <= MAX_SKEW
    except ValueError:
        return False


class Receiver(ThreadingHTTPServer):
    """Remembers the idempotency keys it acted on (a real one keeps them in its database)."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], secret: bytes) -> None:
        super().__init__(address, Handler)
        self.secret = secret
        self.seen: set[str] = set()
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server: Receiver
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: without TCP_NODELAY the second waits for the
    # sender's delayed ACK (40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # this example prints its own lines

    def _answer(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not valid_signature(self.server.secret, body, self.headers.get("X-HITL-Signature")):
            self._answer(401, "bad signature")
            return
        if not fresh(self.headers.get("X-HITL-Timestamp"), time.time()):
            self._answer(401, "stale timestamp")
            return
        key = self.headers.get("Idempotency-Key", "")
        with self.server.lock:
            repeat = key in self.server.seen
            self.server.seen.add(key)
        if repeat:
            print(f"duplicate {key}", flush=True)
            self._answer(200, "duplicate")  # 2xx: the sender must stop resending it
            return
        event = json.loads(body)
        print(json.dumps({"key": key, **event}), flush=True)
        self._answer(200, "ok")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    parser.add_argument("--port", type=int, default=8080, help="port (0: any free one)")
    parser.add_argument("--secret-env", default="HITL_WEBHOOK_SECRET", metavar="VAR")
    args = parser.parse_args(argv)
    secret = os.environ.get(args.secret_env)
    if not secret:
        print(f"webhook_receiver: error: set ${args.secret_env} to the secret", file=sys.stderr)
        return 2
    server = Receiver((args.host, args.port), secret.encode())
    host, port = server.server_address[:2]
    print(f"listening on http://{host!s}:{port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
