"""Real local receivers for the notification tests: HTTP (webhook, Slack) and SMTP.

Both listen on 127.0.0.1 only, on a port the system picks, and record what they got.
`HttpReceiver` checks each webhook's signature and can answer with a scripted status
(to fail a few times, then succeed) or hold every answer until the test opens its gate
(to stop a sweeper mid-delivery). `SmtpReceiver` is aiosmtpd's real SMTP server.
`outbox_rows` reads the outbox table as the sweeps left it.

Run as a script, `python tests/notify_support.py SECONDS ARGS...` is `langgraph-hitl
ARGS...` with the library's clock SECONDS ahead (a `FakeClock`): another process in
which deadlines have passed, without waiting for them.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from langgraph_hitl.notify import verify_signature
from langgraph_hitl.notify._outbox_sql import Step
from langgraph_hitl.notify._store import adb_for, db_for

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from email.message import Message
    from pathlib import Path
    from types import TracebackType

LOOPBACK = "127.0.0.1"
SECRET = "s3cret-for-tests"
WAIT = 300.0
"""Seconds a test waits for a condition before it fails (generous: CI machines are shared)."""


@dataclass(frozen=True, slots=True)
class Received:
    """One request the HTTP receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool
    """Whether X-HITL-Signature is the body's HMAC with `SECRET`."""

    @property
    def key(self) -> str:
        return self.headers.get("idempotency-key", "")

    def json(self) -> Any:
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64  # socketserver's 5 is too few for a sweep's parallel senders
    receiver: HttpReceiver

    def handle_error(self, request: object, client_address: object) -> None:
        # A sweeper killed mid-delivery leaves a broken connection: expected here.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real receivers
    # Headers and body are two writes: without TCP_NODELAY the second waits for the
    # sender's delayed ACK (40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        got = Received(
            path=self.path,
            headers=headers,
            body=body,
            signed=verify_signature(SECRET, body, headers.get("x-hitl-signature")),
        )
        status = receiver.arrived(got)
        answer = receiver.answer if status == 200 else f"error {status}".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


class HttpReceiver:
    """A real HTTP server on loopback that records every POST.

    Args:
        statuses: The statuses of the first answers, in order (then 200 with `answer`).
        answer: The body of a 200 (Slack's contract: `ok`).
        refuse: Asked first about each request: a status to answer it with, or None.
    """

    def __init__(
        self,
        statuses: Sequence[int] = (),
        *,
        answer: bytes = b"ok",
        refuse: Callable[[Received], int | None] | None = None,
    ) -> None:
        self.received: list[Received] = []
        self.statuses = list(statuses)
        self.answer = answer
        self.refuse = refuse
        self.gate = threading.Event()
        self.gate.set()
        self._cond = threading.Condition()
        self._server = _Server((LOOPBACK, 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def arrived(self, got: Received) -> int:
        with self._cond:
            self.received.append(got)
            refused = self.refuse(got) if self.refuse is not None else None
            if refused is not None:
                status = refused
            else:
                status = self.statuses.pop(0) if self.statuses else 200
            self._cond.notify_all()
        # Held answers: the sender is stuck in the middle of its deliveries.
        self.gate.wait(timeout=WAIT * 2)
        return status

    def wait_until(self, done: Callable[[list[Received]], bool], what: str) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: done(self.received), timeout=WAIT):
                raise AssertionError(f"receiver: {what} did not happen within {WAIT} s")

    def keys(self) -> list[str]:
        with self._cond:
            return [r.key for r in self.received]

    def __enter__(self) -> HttpReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.gate.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=WAIT)


def free_port() -> int:
    """A port free on loopback right now (aiosmtpd's controller wants a fixed one)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


class _Mailbox:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self.receiver = receiver

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        return self.receiver.arrived(envelope)


class SmtpReceiver:
    """aiosmtpd's SMTP server on loopback; `replies` answers the first messages (e.g. 451).

    `tls` requires STARTTLS; `implicit_tls` speaks TLS from the first byte (`smtps://`).
    """

    def __init__(
        self,
        *,
        replies: Sequence[str] = (),
        login: tuple[str, str] | None = None,
        tls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
    ) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.replies = list(replies)
        self._cond = threading.Condition()
        self.port = free_port()
        self._login = login
        kwargs: dict[str, Any] = {}
        if login is not None:
            # Over plain SMTP a login is offered, not required (aiosmtpd warns otherwise).
            kwargs.update(authenticator=self._authenticate, auth_required=tls is not None)
            kwargs.update(auth_require_tls=tls is not None)
        if tls is not None:
            kwargs.update(tls_context=tls, require_starttls=True)
        self._controller = Controller(
            _Mailbox(self),
            hostname=LOOPBACK,
            port=self.port,
            ssl_context=implicit_tls,
            **kwargs,
        )

    def _authenticate(
        self, server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and self._login is not None
            and (data.login.decode(), data.password.decode()) == self._login
        )
        return AuthResult(success=ok, handled=False)

    def arrived(self, envelope: Any) -> str:
        with self._cond:
            if self.replies:
                return self.replies.pop(0)
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            self._cond.notify_all()
            return "250 Message accepted for delivery"

    def parsed(self) -> list[Message]:
        from email import message_from_bytes

        with self._cond:
            return [message_from_bytes(content) for _, _, content in self.messages]

    def __enter__(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def self_signed(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate for 127.0.0.1, and a client
    context that trusts only it (made with the `openssl` command)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


def outbox_rows(saver: Any) -> list[tuple[str, str, str, str, str, int]]:
    """Every outbox row: (thread_id, interrupt_id, event, channel, status, closed), sorted."""
    db = db_for(saver)
    sql = "SELECT thread_id, interrupt_id, event, channel, status, closed FROM hitl_notifications"
    return sorted(
        (str(a), str(b), str(c), str(d), str(e), int(f))
        for a, b, c, d, e, f in db.run((Step(sql),))
    )


async def aoutbox_rows(saver: Any) -> list[tuple[str, str, str, str, str, int]]:
    """Async twin of `outbox_rows`."""
    db = await adb_for(saver)
    sql = "SELECT thread_id, interrupt_id, event, channel, status, closed FROM hitl_notifications"
    rows = await db.run((Step(sql),))
    return sorted((str(a), str(b), str(c), str(d), str(e), int(f)) for a, b, c, d, e, f in rows)


def _later(argv: list[str]) -> int:
    from langgraph_hitl.cli._main import main
    from langgraph_hitl.testing import FakeClock, use_clock

    ahead = timedelta(seconds=float(argv[0]))
    with use_clock(FakeClock(datetime.now(timezone.utc) + ahead)):
        return main(argv[1:])


if __name__ == "__main__":
    sys.exit(_later(sys.argv[1:]))
