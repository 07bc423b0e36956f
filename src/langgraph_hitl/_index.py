"""The storage side of the inbox: finding pending interrupts fast, and claiming them.

Finding. LangGraph stores an interrupt as a write on channel `__interrupt__` of the task
that raised it. A request is pending when that write belongs to the thread's latest root
checkpoint and its task wrote nothing else (a finished task has writes with `idx >= 0`).
A partial index on those writes (made by `setup`) lets one query find them by probing
each candidate's thread, so a listing costs in proportion to the interrupt writes kept
(pending ones, plus one row per interrupt ever answered), never to all checkpoints.

Claiming. Before a reviewer's answer is sent, its interrupts are claimed in a table beside
the checkpoints (`hitl_claims`), in the same database, so two processes cannot both act on
one request. A claim older than its lease can be taken over, so a reviewer that died
mid-answer blocks nobody for long.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Interrupt

__all__ = ["AsyncBackend", "Backend", "PendingRow", "async_backend_for", "backend_for"]


@dataclass(frozen=True, slots=True)
class PendingRow:
    """One pending interrupt write, as stored."""

    thread_id: str
    checkpoint_id: str
    task_path: str
    interrupts: tuple[Interrupt, ...]


_SQLITE_INDEX = (
    "CREATE INDEX IF NOT EXISTS hitl_pending_interrupts ON writes (thread_id, checkpoint_id) "
    "WHERE channel = '__interrupt__' AND checkpoint_ns = ''"
)
_SQLITE_CLAIMS = (
    "CREATE TABLE IF NOT EXISTS hitl_claims (thread_id TEXT NOT NULL, interrupt_id TEXT NOT NULL, "
    "owner TEXT NOT NULL, claimed_at REAL NOT NULL, PRIMARY KEY (thread_id, interrupt_id))"
)
_PENDING_SQL = """
SELECT w.thread_id, w.checkpoint_id, w.task_path, w.type, w.{blob}
FROM {writes} AS w
WHERE w.channel = '__interrupt__' AND w.checkpoint_ns = ''
  AND NOT EXISTS (
    SELECT 1 FROM checkpoints AS c
    WHERE c.thread_id = w.thread_id AND c.checkpoint_ns = '' AND c.checkpoint_id > w.checkpoint_id)
  AND NOT EXISTS (
    SELECT 1 FROM {writes} AS o
    WHERE o.thread_id = w.thread_id AND o.checkpoint_ns = '' AND o.checkpoint_id = w.checkpoint_id
      AND o.task_id = w.task_id AND o.idx >= 0)
ORDER BY w.checkpoint_id, w.thread_id
"""
_PG_INDEX = (
    "CREATE INDEX IF NOT EXISTS hitl_pending_interrupts ON checkpoint_writes "
    "(thread_id, checkpoint_id) WHERE channel = '__interrupt__' AND checkpoint_ns = ''"
)
_PG_CLAIMS = (
    "CREATE TABLE IF NOT EXISTS hitl_claims (thread_id TEXT NOT NULL, interrupt_id TEXT NOT NULL, "
    "owner TEXT NOT NULL, claimed_at DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (thread_id, interrupt_id))"
)


class Backend:
    """Claims kept in this process only: for in-memory and unknown checkpointers."""

    kind = "process"
    lists_pending = False

    _claims: dict[tuple[str, str], tuple[str, float]] = {}
    _lock = threading.Lock()

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        self.saver = saver

    def setup(self) -> None:
        """Create what the backend needs (idempotent)."""

    def pending_rows(self) -> list[PendingRow]:
        raise NotImplementedError

    def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        """Claim every id for `owner`, or none of them; False when someone holds one."""
        now = time.time()
        with self._lock:
            for interrupt_id in ids:
                held = self._claims.get((thread_id, interrupt_id))
                if held is not None and held[0] != owner and held[1] > now - lease:
                    return False
            for interrupt_id in ids:
                self._claims[(thread_id, interrupt_id)] = (owner, now)
        return True

    def release(self, thread_id: str, owner: str) -> None:
        """Drop the claims `owner` holds on the thread."""
        with self._lock:
            for key in [k for k, v in self._claims.items() if k[0] == thread_id and v[0] == owner]:
                del self._claims[key]

    def _rows(self, raw: Sequence[Sequence[Any]]) -> list[PendingRow]:
        rows = []
        for thread_id, checkpoint_id, task_path, kind, blob in raw:
            value = self.saver.serde.loads_typed((kind, bytes(blob)))
            items = tuple(i for i in value if isinstance(i, Interrupt)) if value else ()
            rows.append(PendingRow(str(thread_id), str(checkpoint_id), str(task_path), items))
        return rows


class SqliteBackend(Backend):
    """`SqliteSaver`: the claims table lives in the same SQLite file."""

    kind = "sqlite"
    lists_pending = True

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = self.saver.conn  # type: ignore[attr-defined]
        return conn

    def _lock_(self) -> threading.Lock:
        lock: threading.Lock = self.saver.lock  # type: ignore[attr-defined]
        return lock

    def setup(self) -> None:
        with self._lock_():
            conn = self._conn()
            conn.execute(_SQLITE_INDEX)
            conn.execute(_SQLITE_CLAIMS)
            conn.commit()

    def pending_rows(self) -> list[PendingRow]:
        sql = _PENDING_SQL.format(blob="value", writes="writes")
        with self._lock_():
            raw = self._conn().execute(sql).fetchall()
        return self._rows(raw)

    def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        now = time.time()
        with self._lock_():
            conn = self._conn()
            try:
                # BEGIN IMMEDIATE takes SQLite's write lock: other processes wait, so the
                # check and the insert below are one atomic step across processes.
                conn.execute("BEGIN IMMEDIATE")
                for interrupt_id in ids:
                    row = conn.execute(
                        "SELECT owner, claimed_at FROM hitl_claims "
                        "WHERE thread_id = ? AND interrupt_id = ?",
                        (thread_id, interrupt_id),
                    ).fetchone()
                    if row is not None and row[0] != owner and row[1] > now - lease:
                        conn.execute("ROLLBACK")
                        return False
                conn.executemany(
                    "INSERT OR REPLACE INTO hitl_claims VALUES (?, ?, ?, ?)",
                    [(thread_id, interrupt_id, owner, now) for interrupt_id in ids],
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return True

    def release(self, thread_id: str, owner: str) -> None:
        with self._lock_():
            conn = self._conn()
            conn.execute(
                "DELETE FROM hitl_claims WHERE thread_id = ? AND owner = ?", (thread_id, owner)
            )
            conn.commit()


class PostgresBackend(Backend):
    """`PostgresSaver`: the claims table lives in the same database."""

    kind = "postgres"
    lists_pending = True

    def _cursor(self) -> Any:
        return self.saver._cursor()  # type: ignore[attr-defined]

    def setup(self) -> None:
        with self._cursor() as cur:
            cur.execute(_PG_INDEX)
            cur.execute(_PG_CLAIMS)

    def pending_rows(self) -> list[PendingRow]:
        sql = _PENDING_SQL.format(blob="blob", writes="checkpoint_writes")
        with self._cursor() as cur:
            cur.execute(sql)
            raw = [
                (r["thread_id"], r["checkpoint_id"], r["task_path"], r["type"], r["blob"])
                for r in cur.fetchall()
            ]
        return self._rows(raw)

    def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        now = time.time()
        with self._cursor() as cur, cur.connection.transaction():
            # One row lock per thread serializes claimers of the same thread.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (thread_id,))
            cur.execute(
                "SELECT interrupt_id FROM hitl_claims WHERE thread_id = %s "
                "AND interrupt_id = ANY(%s) AND owner <> %s AND claimed_at > %s",
                (thread_id, list(ids), owner, now - lease),
            )
            if cur.fetchall():
                return False
            for interrupt_id in ids:
                cur.execute(
                    "INSERT INTO hitl_claims VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (thread_id, interrupt_id) "
                    "DO UPDATE SET owner = EXCLUDED.owner, claimed_at = EXCLUDED.claimed_at",
                    (thread_id, interrupt_id, owner, now),
                )
        return True

    def release(self, thread_id: str, owner: str) -> None:
        with self._cursor() as cur:
            cur.execute(
                "DELETE FROM hitl_claims WHERE thread_id = %s AND owner = %s", (thread_id, owner)
            )


def backend_for(saver: BaseCheckpointSaver[Any]) -> Backend:
    """The backend that knows how `saver` stores checkpoints."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    if isinstance(saver, SqliteSaver):
        return SqliteBackend(saver)
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        return Backend(saver)
    if isinstance(saver, PostgresSaver):
        return PostgresBackend(saver)
    return Backend(saver)


class AsyncBackend:
    """Async twin of `Backend`, for async checkpointers (and in-memory ones)."""

    lists_pending = False

    def __init__(self, sync: Backend) -> None:
        self.sync = sync
        self.saver = sync.saver

    async def setup(self) -> None:
        """Create what the backend needs (idempotent)."""

    async def pending_rows(self) -> list[PendingRow]:
        raise NotImplementedError

    async def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        """Claim every id for `owner`, or none of them."""
        return self.sync.claim(thread_id, ids, owner, lease)

    async def release(self, thread_id: str, owner: str) -> None:
        """Drop the claims `owner` holds on the thread."""
        self.sync.release(thread_id, owner)


class AsyncSqliteBackend(AsyncBackend):
    """`AsyncSqliteSaver` (aiosqlite)."""

    lists_pending = True

    async def _execute(self, *statements: tuple[str, Sequence[Any]]) -> list[Any]:
        conn: Any = self.saver.conn  # type: ignore[attr-defined]
        rows: list[Any] = []
        async with self.saver.lock:  # type: ignore[attr-defined]
            for sql, params in statements:
                async with conn.execute(sql, params) as cur:
                    rows = list(await cur.fetchall())
            await conn.commit()
        return rows

    async def setup(self) -> None:
        await self._execute((_SQLITE_INDEX, ()), (_SQLITE_CLAIMS, ()))

    async def pending_rows(self) -> list[PendingRow]:
        raw = await self._execute((_PENDING_SQL.format(blob="value", writes="writes"), ()))
        return self.sync._rows(raw)

    async def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        now = time.time()
        conn: Any = self.saver.conn  # type: ignore[attr-defined]
        async with self.saver.lock:  # type: ignore[attr-defined]
            await conn.execute("BEGIN IMMEDIATE")
            try:
                for interrupt_id in ids:
                    async with conn.execute(
                        "SELECT owner, claimed_at FROM hitl_claims "
                        "WHERE thread_id = ? AND interrupt_id = ?",
                        (thread_id, interrupt_id),
                    ) as cur:
                        row = await cur.fetchone()
                    if row is not None and row[0] != owner and row[1] > now - lease:
                        await conn.execute("ROLLBACK")
                        return False
                await conn.executemany(
                    "INSERT OR REPLACE INTO hitl_claims VALUES (?, ?, ?, ?)",
                    [(thread_id, interrupt_id, owner, now) for interrupt_id in ids],
                )
                await conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise
        return True

    async def release(self, thread_id: str, owner: str) -> None:
        await self._execute(
            ("DELETE FROM hitl_claims WHERE thread_id = ? AND owner = ?", (thread_id, owner))
        )


class AsyncPostgresBackend(AsyncBackend):
    """`AsyncPostgresSaver`."""

    lists_pending = True

    def _cursor(self) -> Any:
        return self.saver._cursor()  # type: ignore[attr-defined]

    async def setup(self) -> None:
        async with self._cursor() as cur:
            await cur.execute(_PG_INDEX)
            await cur.execute(_PG_CLAIMS)

    async def pending_rows(self) -> list[PendingRow]:
        async with self._cursor() as cur:
            await cur.execute(_PENDING_SQL.format(blob="blob", writes="checkpoint_writes"))
            raw = [
                (r["thread_id"], r["checkpoint_id"], r["task_path"], r["type"], r["blob"])
                for r in await cur.fetchall()
            ]
        return self.sync._rows(raw)

    async def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        now = time.time()
        async with self._cursor() as cur, cur.connection.transaction():
            await cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (thread_id,))
            await cur.execute(
                "SELECT interrupt_id FROM hitl_claims WHERE thread_id = %s "
                "AND interrupt_id = ANY(%s) AND owner <> %s AND claimed_at > %s",
                (thread_id, list(ids), owner, now - lease),
            )
            if await cur.fetchall():
                return False
            for interrupt_id in ids:
                await cur.execute(
                    "INSERT INTO hitl_claims VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (thread_id, interrupt_id) "
                    "DO UPDATE SET owner = EXCLUDED.owner, claimed_at = EXCLUDED.claimed_at",
                    (thread_id, interrupt_id, owner, now),
                )
        return True

    async def release(self, thread_id: str, owner: str) -> None:
        async with self._cursor() as cur:
            await cur.execute(
                "DELETE FROM hitl_claims WHERE thread_id = %s AND owner = %s", (thread_id, owner)
            )


def async_backend_for(saver: BaseCheckpointSaver[Any]) -> AsyncBackend:
    """The async backend for `saver` (sync savers get their sync backend's claims)."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    sync = backend_for(saver)
    if isinstance(saver, AsyncSqliteSaver):
        return AsyncSqliteBackend(sync)
    try:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        return AsyncBackend(sync)
    if isinstance(saver, AsyncPostgresSaver):
        return AsyncPostgresBackend(sync)
    return AsyncBackend(sync)
