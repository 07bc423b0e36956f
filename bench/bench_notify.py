"""Notifying 10,000 waiting requests through a local webhook receiver.

One `Inbox.notify` sweep over 10,000 paused threads (plus as many finished ones), each
request POSTed, signed, to a receiver in another process on loopback that verifies every
signature and counts distinct notifications. Reports notifications per second
(target: at least 500/s, with 16 deliveries in flight at most), the peak of the memory
the sweep allocates (tracemalloc, in a second, untimed run from an empty outbox), and
the time of the next sweep, which finds everything sent. On SQLite, and on PostgreSQL
when LANGGRAPH_HITL_TEST_POSTGRES_URL is set (`make bench` starts one). Seeding is
`bench_inbox`'s: a few hundred real runs, copied in SQL.
"""

from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import os
import sqlite3
import tempfile
import time
import tracemalloc
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.bench_inbox import SEED, _graph, _grow, _postgres_store, _run_seed
from langgraph_hitl import Inbox, open_checkpointer
from langgraph_hitl.notify import Webhook

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

SIZE = 10_000
CONCURRENCY = 16
TARGET_PER_SECOND = 500.0
POSTGRES_ENV = "LANGGRAPH_HITL_TEST_POSTGRES_URL"
SECRET = b"bench-secret"


class _Counting(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: too few for 16 senders on a loaded machine.
    request_queue_size = 128
    bodies: set[bytes]
    bad: int


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Counting
    # Headers and body are two writes: without TCP_NODELAY the second waits for the
    # sender's delayed ACK (40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, self.headers.get("X-HITL-Signature") or ""):
            # Copied threads share interrupt ids (and so idempotency keys): count bodies,
            # which name their thread too.
            self.server.bodies.add(body)
        else:
            self.server.bad += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


def _receiver(pipe: Connection) -> None:
    """The receiver process: sends its port, serves until told, sends what it counted."""
    server = _Counting(("127.0.0.1", 0), _Handler)
    server.bodies, server.bad = set(), 0
    pipe.send(server.server_address[1])
    import threading

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    pipe.recv()  # the bench is done
    server.shutdown()
    pipe.send((len(server.bodies), server.bad))
    server.server_close()


def _empty_outbox(saver: Any) -> None:
    conn = getattr(saver, "conn", None)
    if isinstance(conn, sqlite3.Connection):
        # The outbox has its own connection to the file: this one's delete is seen there.
        with saver.lock:
            conn.execute("DELETE FROM hitl_notifications")
            conn.commit()
        return
    with saver._cursor() as cur:
        cur.execute("DELETE FROM hitl_notifications")


def _bench(backend: str, url: str) -> tuple[str, float, float]:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    receiver = context.Process(target=_receiver, args=(theirs,), daemon=True)
    receiver.start()
    port = ours.recv()
    try:
        with open_checkpointer(url) as saver:
            started = time.perf_counter()
            _run_seed(saver)
            _grow(saver, 1, SIZE // SEED - 1, direct=True)
            inbox = Inbox(_graph(saver, 0))
            assert len(inbox.pending()) == SIZE
            seeded = time.perf_counter() - started
            channels = [Webhook(f"http://127.0.0.1:{port}/hitl", secret=SECRET)]
            started = time.perf_counter()
            result = inbox.notify(channels, concurrency=CONCURRENCY)
            took = time.perf_counter() - started
            started = time.perf_counter()
            again = inbox.notify(channels, concurrency=CONCURRENCY)
            idle = time.perf_counter() - started
            # Memory: the same sweep again from an empty outbox, traced (tracemalloc slows
            # it down, so it is not the timed one).
            _empty_outbox(saver)
            tracemalloc.start()
            traced = inbox.notify(channels, concurrency=CONCURRENCY)
            grown = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
            tracemalloc.stop()
    finally:
        ours.send("done")
        counted, bad = ours.recv()
        receiver.join(timeout=60)
    unsent = [(o.status, o.error) for r in (result, traced) for o in r.outcomes if o.error]
    assert len(result.sent) == len(traced.sent) == SIZE, (len(result.sent), unsent[:5])
    assert again.outcomes == ()
    assert (counted, bad) == (SIZE, 0), (counted, bad)
    rate = SIZE / took
    print(
        f"  {backend:<9} {SIZE} notified in {took:6.2f} s = {rate:7.0f}/s "
        f"({CONCURRENCY} in flight at most)   peak memory of the sweep {grown:5.1f} MB   "
        f"next sweep (nothing due) {idle * 1000:6.0f} ms   (seeded in {seeded:.0f} s)",
        flush=True,
    )
    return backend, rate, grown


def main() -> None:
    results: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(_bench("sqlite", str(Path(tmp) / f"{uuid.uuid4().hex}.db")))
    if os.environ.get(POSTGRES_ENV):
        for url in _postgres_store():
            results.append(_bench("postgres", url))
    else:
        print(f"  postgres  skipped: set {POSTGRES_ENV} (or run `make bench`)")
    for backend, rate, _ in results:
        verdict = "met" if rate >= TARGET_PER_SECOND else "MISSED"
        target = f"target >= {TARGET_PER_SECOND:g}/s"
        print(f"  {backend}: {rate:.0f} notifications/s ({target}): {verdict}")


if __name__ == "__main__":
    main()
