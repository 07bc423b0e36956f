"""Claims: who is answering which request right now, kept beside the checkpoints.

Before `Inbox.resume` sends an answer it claims the answered interrupts in the table
`hitl_claims` of the checkpointer's own database, so two reviewers (in one process or
many) cannot both act on one request. Claiming is one atomic step across processes:
SQLite's write lock (`BEGIN IMMEDIATE`), or a PostgreSQL advisory lock per thread.

A claim carries its own expiry, its lease, renewed by a `Heartbeat` while the answer runs:
a reviewer that died mid-answer blocks nobody for longer than one lease, after which the
next claimer takes over (and clears the stale rows of that thread). Checkpointers without
a database (`InMemorySaver`) get claims that hold within one process.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from contextlib import suppress
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from . import _clock as clock

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "AsyncClaims",
    "AsyncPostgresClaims",
    "Claims",
    "Heartbeat",
    "PostgresClaims",
    "ProcessClaims",
    "SqliteClaims",
    "Threaded",
    "sqlite_file",
]

SQLITE_TABLE = (
    "CREATE TABLE IF NOT EXISTS hitl_claims (thread_id TEXT NOT NULL, interrupt_id TEXT NOT NULL, "
    "owner TEXT NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (thread_id, interrupt_id))"
)
PG_TABLE = (
    "CREATE TABLE IF NOT EXISTS hitl_claims (thread_id TEXT NOT NULL, interrupt_id TEXT NOT NULL, "
    "owner TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (thread_id, interrupt_id))"
)
PG_LOCK_NS = 0x48495450  # "HITP": the first key of every advisory lock this library takes
"""Advisory locks are two int4 keys: this namespace, then one key per purpose."""

# The server's clock, so processes on machines whose clocks differ agree on expiry.
_PG_NOW = "extract(epoch from clock_timestamp())"
_PG_LOCK = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"
_PG_HELD = (
    "SELECT 1 FROM hitl_claims WHERE thread_id = %s AND interrupt_id = ANY(%s) "
    f"AND owner <> %s AND expires_at > {_PG_NOW}"
)
_PG_PURGE = f"DELETE FROM hitl_claims WHERE thread_id = %s AND expires_at <= {_PG_NOW}"
_PG_INSERT = (
    f"INSERT INTO hitl_claims VALUES (%s, %s, %s, {_PG_NOW} + %s) "
    "ON CONFLICT (thread_id, interrupt_id) "
    "DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at"
)
_PG_RENEW = (
    f"UPDATE hitl_claims SET expires_at = {_PG_NOW} + %s WHERE thread_id = %s AND owner = %s"
)
_PG_RELEASE = "DELETE FROM hitl_claims WHERE thread_id = %s AND owner = %s"


class Claims(Protocol):
    """A claim store."""

    def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        """Claim every id for `owner` for `lease` seconds, or none; False when one is held."""
        ...

    def renew(self, thread_id: str, owner: str, lease: float) -> None:
        """Extend the claims `owner` holds on the thread to `lease` seconds from now."""
        ...

    def release(self, thread_id: str, owner: str) -> None:
        """Drop the claims `owner` holds on the thread."""
        ...


class AsyncClaims(Protocol):
    """Async twin of `Claims`."""

    async def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        """Claim every id for `owner` for `lease` seconds, or none; False when one is held."""
        ...

    async def renew(self, thread_id: str, owner: str, lease: float) -> None:
        """Extend the claims `owner` holds on the thread to `lease` seconds from now."""
        ...

    async def release(self, thread_id: str, owner: str) -> None:
        """Drop the claims `owner` holds on the thread."""
        ...


class ProcessClaims:
    """Claims held in this process only (one table for every in-memory checkpointer)."""

    _claims: ClassVar[dict[tuple[str, str], tuple[str, float]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        now = clock.timestamp()
        with self._lock:
            for interrupt_id in ids:
                held = self._claims.get((thread_id, interrupt_id))
                if held is not None and held[0] != owner and held[1] > now:
                    return False
            for interrupt_id in ids:
                self._claims[(thread_id, interrupt_id)] = (owner, now + lease)
        return True

    def renew(self, thread_id: str, owner: str, lease: float) -> None:
        until = clock.timestamp() + lease
        with self._lock:
            for key, (held, _) in list(self._claims.items()):
                if key[0] == thread_id and held == owner:
                    self._claims[key] = (owner, until)

    def release(self, thread_id: str, owner: str) -> None:
        with self._lock:
            for key in [k for k, v in self._claims.items() if k[0] == thread_id and v[0] == owner]:
                del self._claims[key]


class SqliteClaims:
    """Claims in a SQLite file, each step on a short-lived connection of its own.

    Its own connection, so a claim never mixes with a transaction of the saver's
    connection, and the heartbeat may renew it from another thread.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: transactions are exactly the BEGIN/COMMIT written below.
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        conn = self._connect()
        try:
            # BEGIN IMMEDIATE takes SQLite's write lock: other processes wait, so the
            # check and the insert below are one atomic step across processes.
            conn.execute("BEGIN IMMEDIATE")
            now = clock.timestamp()
            marks = ", ".join("?" for _ in ids)
            held = conn.execute(
                f"SELECT 1 FROM hitl_claims WHERE thread_id = ? AND interrupt_id IN ({marks}) "
                "AND owner <> ? AND expires_at > ?",
                (thread_id, *ids, owner, now),
            ).fetchone()
            if held is not None:
                return False
            conn.execute(
                "DELETE FROM hitl_claims WHERE thread_id = ? AND expires_at <= ?", (thread_id, now)
            )
            conn.executemany(
                "INSERT OR REPLACE INTO hitl_claims VALUES (?, ?, ?, ?)",
                [(thread_id, interrupt_id, owner, now + lease) for interrupt_id in ids],
            )
            conn.execute("COMMIT")
            return True
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()

    def renew(self, thread_id: str, owner: str, lease: float) -> None:
        conn = self._connect()
        try:
            conn.execute(
                "UPDATE hitl_claims SET expires_at = ? WHERE thread_id = ? AND owner = ?",
                (clock.timestamp() + lease, thread_id, owner),
            )
        finally:
            conn.close()

    def release(self, thread_id: str, owner: str) -> None:
        conn = self._connect()
        try:
            conn.execute(
                "DELETE FROM hitl_claims WHERE thread_id = ? AND owner = ?", (thread_id, owner)
            )
        finally:
            conn.close()


def sqlite_file(rows: Sequence[Sequence[Any]]) -> str | None:
    """The main database's file from `PRAGMA database_list`; None for an in-memory one."""
    for row in rows:
        if row[1] == "main" and row[2]:
            return str(row[2])
    return None


class PostgresClaims:
    """Claims in the PostgreSQL database of a `PostgresSaver` (through its connection)."""

    def __init__(self, cursor: Callable[[], Any]) -> None:
        self._cursor = cursor

    def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        from psycopg import Rollback

        claimed = False
        with self._cursor() as cur, cur.connection.transaction() as tx:
            # One transaction-scoped lock per thread serializes claimers of that thread.
            cur.execute(_PG_LOCK, (PG_LOCK_NS, thread_id))
            cur.execute(_PG_HELD, (thread_id, list(ids), owner))
            if cur.fetchall():
                # Leaves the block rolled back (and unlocked); psycopg swallows it.
                raise Rollback(tx)
            cur.execute(_PG_PURGE, (thread_id,))
            cur.executemany(_PG_INSERT, [(thread_id, i, owner, lease) for i in ids])
            claimed = True
        return claimed

    def renew(self, thread_id: str, owner: str, lease: float) -> None:
        with self._cursor() as cur:
            cur.execute(_PG_RENEW, (lease, thread_id, owner))

    def release(self, thread_id: str, owner: str) -> None:
        with self._cursor() as cur:
            cur.execute(_PG_RELEASE, (thread_id, owner))


class AsyncPostgresClaims:
    """`PostgresClaims` for an `AsyncPostgresSaver`."""

    def __init__(self, cursor: Callable[[], Any]) -> None:
        self._cursor = cursor

    async def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        from psycopg import Rollback

        claimed = False
        async with self._cursor() as cur, cur.connection.transaction() as tx:
            await cur.execute(_PG_LOCK, (PG_LOCK_NS, thread_id))
            await cur.execute(_PG_HELD, (thread_id, list(ids), owner))
            if await cur.fetchall():
                raise Rollback(tx)
            await cur.execute(_PG_PURGE, (thread_id,))
            await cur.executemany(_PG_INSERT, [(thread_id, i, owner, lease) for i in ids])
            claimed = True
        return claimed

    async def renew(self, thread_id: str, owner: str, lease: float) -> None:
        async with self._cursor() as cur:
            await cur.execute(_PG_RENEW, (lease, thread_id, owner))

    async def release(self, thread_id: str, owner: str) -> None:
        async with self._cursor() as cur:
            await cur.execute(_PG_RELEASE, (thread_id, owner))


class Threaded:
    """A sync claim store used from async code (its steps run in a worker thread)."""

    def __init__(self, sync: Claims) -> None:
        self.sync = sync

    async def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        return await asyncio.to_thread(self.sync.claim, thread_id, ids, owner, lease)

    async def renew(self, thread_id: str, owner: str, lease: float) -> None:
        await asyncio.to_thread(self.sync.renew, thread_id, owner, lease)

    async def release(self, thread_id: str, owner: str) -> None:
        await asyncio.to_thread(self.sync.release, thread_id, owner)


def _every(lease: float) -> float:
    return max(lease / 3, 0.01)


class Heartbeat:
    """Renews a claim every third of its lease while an answer runs, in a thread."""

    def __init__(self, renew: Callable[[], None], lease: float) -> None:
        self._renew = renew
        self._every = _every(lease)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="langgraph-hitl-claim", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            # A missed renewal only shortens the lease; the next one may well succeed.
            with suppress(Exception):
                self._renew()

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def arenew_forever(claims: AsyncClaims, thread_id: str, owner: str, lease: float) -> None:
    """The async heartbeat: run it as a task, cancel it when the answer is done."""
    while True:
        await asyncio.sleep(_every(lease))
        with suppress(Exception):
            await claims.renew(thread_id, owner, lease)
