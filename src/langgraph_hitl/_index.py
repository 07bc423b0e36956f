"""Where the inbox reads the checkpointer's own tables, and keeps reviewers' claims.

Listing. A task that paused saves an `__interrupt__` write at the checkpoint its step
started from; a task that finished saves at least one output write beside it (LangGraph's
rule, `langgraph.pregel._task_status`). So what waits on a thread is every interrupt write
at the thread's latest top-level checkpoint whose task has no output write. One query
finds them for all threads, through a partial index on interrupt writes: its cost grows
with the interrupt writes kept (pending ones, plus one row per interrupt ever answered),
never with all checkpoints. Tables and columns are those of `SqliteSaver` (`writes`,
`checkpoints`) and `PostgresSaver` (`checkpoint_writes`, `checkpoints`), both with
`task_path` (langgraph-checkpoint-sqlite/-postgres 3.x).

Claiming. Before a reviewer's answer is sent, its interrupts are claimed in a table beside
the checkpoints (`hitl_claims`), in the same database, so two processes cannot both act on
one request. A claim carries its own expiry (its lease), renewed while the answer runs: a
reviewer that died mid-answer blocks nobody for longer than one lease. Checkpointers this
module does not know get claims that hold within one process only.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

import ormsgpack
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.types import Interrupt

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from langgraph.checkpoint.base import BaseCheckpointSaver

__all__ = [
    "AsyncBackend",
    "Backend",
    "PendingRow",
    "async_backend_for",
    "backend_for",
    "checkpoint_time",
    "paused_gc",
]

_GREGORIAN_OFFSET = 0x01B21DD213814000  # 100-ns intervals from 1582-10-15 to 1970-01-01


def checkpoint_time(checkpoint_id: str) -> datetime | None:
    """When a checkpoint was made, read from its id (LangGraph's ids are UUIDv6)."""
    try:
        u = uuid.UUID(checkpoint_id)
    except ValueError:
        return None
    if u.version != 6:
        return None
    n = u.int
    ticks = ((n >> 96) << 28) | (((n >> 80) & 0xFFFF) << 12) | ((n >> 64) & 0x0FFF)
    return datetime.fromtimestamp((ticks - _GREGORIAN_OFFSET) / 1e7, tz=timezone.utc)


@dataclass(frozen=True, slots=True)
class PendingRow:
    """One pending interrupt write, as stored."""

    thread_id: str
    checkpoint_id: str
    task_id: str
    task_path: str
    interrupts: tuple[Interrupt, ...]


# Writes that say what happened to a task rather than what it produced
# (`langgraph.pregel._task_status.CONTROL_WRITES`): any other write means it finished.
_CONTROL = "('__interrupt__', '__resume__', '__error__', '__error_source_node__')"

_PENDING_SQL = """
SELECT w.thread_id, w.checkpoint_id, w.task_id, w.task_path, w.type, w.{blob}
FROM {writes} AS w
WHERE w.channel = '__interrupt__' AND w.checkpoint_ns = ''{only_thread}
  AND NOT EXISTS (
    SELECT 1 FROM checkpoints AS c
    WHERE c.thread_id = w.thread_id AND c.checkpoint_ns = '' AND c.checkpoint_id > w.checkpoint_id)
  AND NOT EXISTS (
    SELECT 1 FROM {writes} AS o
    WHERE o.thread_id = w.thread_id AND o.checkpoint_ns = '' AND o.checkpoint_id = w.checkpoint_id
      AND o.task_id = w.task_id AND o.channel NOT IN {control})
ORDER BY w.checkpoint_id, w.thread_id, w.task_id
"""


def _pending_sql(*, writes: str, blob: str, placeholder: str, thread: bool) -> str:
    only = f" AND w.thread_id = {placeholder}" if thread else ""
    return _PENDING_SQL.format(writes=writes, blob=blob, only_thread=only, control=_CONTROL)


_SQLITE_INDEX = (
    "CREATE INDEX IF NOT EXISTS hitl_pending_interrupts ON writes (thread_id, checkpoint_id) "
    "WHERE channel = '__interrupt__' AND checkpoint_ns = ''"
)
_SQLITE_CLAIMS = (
    "CREATE TABLE IF NOT EXISTS hitl_claims (thread_id TEXT NOT NULL, interrupt_id TEXT NOT NULL, "
    "owner TEXT NOT NULL, expires_at REAL NOT NULL, PRIMARY KEY (thread_id, interrupt_id))"
)
_PG_INDEX_NAME = "hitl_pending_interrupts"
# CONCURRENTLY: building it on a large, live checkpoint_writes table must not block writers.
_PG_INDEX = (
    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {_PG_INDEX_NAME} ON checkpoint_writes "
    "(thread_id, checkpoint_id) WHERE channel = '__interrupt__' AND checkpoint_ns = ''"
)
_PG_HAS_INDEX = "SELECT 1 FROM pg_indexes WHERE indexname = %s AND schemaname = current_schema()"
_PG_CLAIMS = (
    "CREATE TABLE IF NOT EXISTS hitl_claims (thread_id TEXT NOT NULL, interrupt_id TEXT NOT NULL, "
    "owner TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (thread_id, interrupt_id))"
)
# Advisory lock keys (two int4): one namespace for this library, one key per purpose.
_PG_LOCK_NS = 0x48495450  # "HITP"
_PG_SETUP_KEY = 1
_PG_INDEX_KEY = 2
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


class _NotPlain(Exception):
    """A value the fast decoder leaves to the checkpointer's serializer."""


_EXT_KW_ARGS = 2  # LangGraph's EXT_CONSTRUCTOR_KW_ARGS: (module, name, {field: value})
_SCHEMA_KEY = b"\xafresponse_schema"  # msgpack fixstr of the Interrupt field, last one
_NIL = b"\xc0"


class _Decoder:
    """Decodes interrupt writes, each distinct response schema once per listing.

    An approval request's schema is the same kilobytes for every call of its tool: decoded
    once and shared by the listed requests, ten thousand requests hold one copy of it
    rather than ten thousand.
    """

    def __init__(self) -> None:
        self.schemas: dict[bytes, Any] = {}

    def hook(self, code: int, data: bytes) -> Any:
        # An `Interrupt`; anything else (a nested object, a datetime, ...) goes through
        # the checkpointer's serializer, with all its rules.
        if code != _EXT_KW_ARGS:
            raise _NotPlain
        at = data.rfind(_SCHEMA_KEY)
        if at > 0:
            # The fields with the schema replaced by nil, then the schema's own bytes. The
            # nil must land on the Interrupt's last field itself, or the split was wrong.
            module, name, fields = ormsgpack.unpackb(
                data[:at] + _SCHEMA_KEY + _NIL, ext_hook=self.hook
            )
            if (
                isinstance(fields, dict)
                and fields
                and next(reversed(fields)) == "response_schema"
                and fields["response_schema"] is None
            ):
                raw = data[at + len(_SCHEMA_KEY) :]
                schema = self.schemas.get(raw, _NIL)
                if schema is _NIL:
                    schema = self.schemas[raw] = ormsgpack.unpackb(raw)
                fields["response_schema"] = schema
                return self._interrupt(module, name, fields)
        module, name, fields = ormsgpack.unpackb(data, ext_hook=self.hook)
        return self._interrupt(module, name, fields)

    @staticmethod
    def _interrupt(module: object, name: object, fields: Any) -> Interrupt:
        if (module, name) != ("langgraph.types", "Interrupt"):
            raise _NotPlain
        return Interrupt(**fields)

    def loads(self, saver: BaseCheckpointSaver[Any], kind: str, blob: bytes) -> Any:
        """Decode an interrupt write, as `saver.serde.loads_typed` would.

        Interrupt writes are plain data around `Interrupt` objects: for them a direct
        msgpack decode gives the same objects about ten times faster than the
        serializer's general path.
        """
        if kind == "msgpack" and type(saver.serde) is JsonPlusSerializer:
            try:
                return ormsgpack.unpackb(blob, ext_hook=self.hook)
            except Exception:  # anything unusual takes the serializer's path
                pass
        return saver.serde.loads_typed((kind, blob))


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a listing builds its objects.

    Thousands of decoded requests are millions of small dicts and lists, none of them in
    a cycle; with the collector on, its passes over them cost more than the decoding.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _decode(saver: BaseCheckpointSaver[Any], raw: Sequence[Sequence[Any]]) -> list[PendingRow]:
    with paused_gc():
        return _decode_rows(saver, raw)


def _decode_rows(saver: BaseCheckpointSaver[Any], raw: Sequence[Sequence[Any]]) -> list[PendingRow]:
    rows = []
    decoder = _Decoder()
    for thread_id, checkpoint_id, task_id, task_path, kind, blob in raw:
        value = decoder.loads(saver, str(kind), bytes(blob))
        items = tuple(i for i in value if isinstance(i, Interrupt)) if value else ()
        rows.append(
            PendingRow(str(thread_id), str(checkpoint_id), str(task_id), str(task_path), items)
        )
    return rows


def _pg_rows(fetched: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [
        (r["thread_id"], r["checkpoint_id"], r["task_id"], r["task_path"], r["type"], r["blob"])
        for r in fetched
    ]


# -- claims ------------------------------------------------------------------------------


class _ProcessClaims:
    """Claims held in this process only (one table for every in-memory checkpointer)."""

    _claims: ClassVar[dict[tuple[str, str], tuple[str, float]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        now = time.monotonic()
        with self._lock:
            for interrupt_id in ids:
                held = self._claims.get((thread_id, interrupt_id))
                if held is not None and held[0] != owner and held[1] > now:
                    return False
            for interrupt_id in ids:
                self._claims[(thread_id, interrupt_id)] = (owner, now + lease)
        return True

    def renew(self, thread_id: str, owner: str, lease: float) -> None:
        until = time.monotonic() + lease
        with self._lock:
            for key, (held, _) in list(self._claims.items()):
                if key[0] == thread_id and held == owner:
                    self._claims[key] = (owner, until)

    def release(self, thread_id: str, owner: str) -> None:
        with self._lock:
            for key in [k for k, v in self._claims.items() if k[0] == thread_id and v[0] == owner]:
                del self._claims[key]


class _SqliteClaims:
    """Claims in the SQLite file, each step on a short-lived connection of its own.

    Its own connection, so a claim never mixes with a transaction of the saver's
    connection, and so the heartbeat may renew it from another thread.
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
            now = time.time()
            marks = ", ".join("?" for _ in ids)
            held = conn.execute(
                f"SELECT 1 FROM hitl_claims WHERE thread_id = ? AND interrupt_id IN ({marks}) "
                "AND owner <> ? AND expires_at > ?",
                (thread_id, *ids, owner, now),
            ).fetchone()
            if held is not None:
                conn.execute("ROLLBACK")
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
                (time.time() + lease, thread_id, owner),
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


def _sqlite_file(rows: Sequence[Sequence[Any]]) -> str | None:
    """The main database's file from `PRAGMA database_list`; None for an in-memory one."""
    for row in rows:
        if row[1] == "main" and row[2]:
            return str(row[2])
    return None


# -- sync backends -----------------------------------------------------------------------


class Backend:
    """What the inbox needs from a checkpointer it cannot query: process-local claims."""

    lists_pending = False
    """Whether `pending_rows` can list pending interrupts of all threads in one query."""

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        self.saver = saver
        self.claims: _ProcessClaims | _SqliteClaims = _ProcessClaims()

    def setup(self) -> None:
        """Create what the backend needs (idempotent)."""

    def pending_rows(self, thread_id: str | None = None) -> list[PendingRow]:
        """The pending interrupt writes of every thread (or one), oldest first."""
        raise NotImplementedError

    def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        """Claim every id for `owner` for `lease` seconds, or none; False when one is held."""
        return self.claims.claim(thread_id, ids, owner, lease)

    def renew(self, thread_id: str, owner: str, lease: float) -> None:
        """Extend the claims `owner` holds on the thread by `lease` seconds from now."""
        self.claims.renew(thread_id, owner, lease)

    def release(self, thread_id: str, owner: str) -> None:
        """Drop the claims `owner` holds on the thread."""
        self.claims.release(thread_id, owner)


class SqliteBackend(Backend):
    """`SqliteSaver`: one query on its tables; claims in the same SQLite file."""

    lists_pending = True

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        super().__init__(saver)
        self.conn: sqlite3.Connection = saver.conn  # type: ignore[attr-defined]
        self.lock: threading.Lock = saver.lock  # type: ignore[attr-defined]
        with self.lock:
            path = _sqlite_file(self.conn.execute("PRAGMA database_list").fetchall())
        if path is not None:
            self.claims = _SqliteClaims(path)

    def setup(self) -> None:
        self.saver.setup()  # type: ignore[attr-defined]
        with self.lock:
            self.conn.execute(_SQLITE_INDEX)
            self.conn.execute(_SQLITE_CLAIMS)
            self.conn.commit()

    def pending_rows(self, thread_id: str | None = None) -> list[PendingRow]:
        sql = _pending_sql(
            writes="writes", blob="value", placeholder="?", thread=thread_id is not None
        )
        with self.lock:
            raw = self.conn.execute(sql, () if thread_id is None else (thread_id,)).fetchall()
        return _decode(self.saver, raw)


class PostgresBackend(Backend):
    """`PostgresSaver`: one query on its tables; claims in the same database."""

    lists_pending = True

    def _cursor(self) -> Any:
        return self.saver._cursor()  # type: ignore[attr-defined]

    def setup(self) -> None:
        self.saver.setup()  # type: ignore[attr-defined]
        with self._cursor() as cur:
            with cur.connection.transaction():
                # Two processes creating the table at once would race in the catalog.
                cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_PG_LOCK_NS, _PG_SETUP_KEY))
                cur.execute(_PG_CLAIMS)
            cur.execute(_PG_HAS_INDEX, (_PG_INDEX_NAME,))
            if cur.fetchone() is not None:
                return
            # Whoever holds the lock builds the index; the others list without it meanwhile.
            cur.execute("SELECT pg_try_advisory_lock(%s, %s) AS ok", (_PG_LOCK_NS, _PG_INDEX_KEY))
            row = cur.fetchone()
            if not (row and row["ok"]):
                return
            try:
                cur.execute(_PG_INDEX)
            finally:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", (_PG_LOCK_NS, _PG_INDEX_KEY))

    def pending_rows(self, thread_id: str | None = None) -> list[PendingRow]:
        sql = _pending_sql(
            writes="checkpoint_writes", blob="blob", placeholder="%s", thread=thread_id is not None
        )
        with self._cursor() as cur:
            cur.execute(sql, () if thread_id is None else (thread_id,))
            raw = _pg_rows(cur.fetchall())
        return _decode(self.saver, raw)

    def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        from psycopg import Rollback

        claimed = False
        with self._cursor() as cur, cur.connection.transaction() as tx:
            # One transaction-scoped lock per thread serializes claimers of that thread.
            cur.execute(_PG_LOCK, (_PG_LOCK_NS, thread_id))
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


# -- async backends ----------------------------------------------------------------------


class AsyncBackend:
    """Async twin of `Backend`, for async checkpointers (and in-memory ones)."""

    lists_pending = False

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        self.saver = saver
        self.claims: _ProcessClaims | _SqliteClaims = _ProcessClaims()

    async def setup(self) -> None:
        """Create what the backend needs (idempotent)."""

    async def pending_rows(self, thread_id: str | None = None) -> list[PendingRow]:
        """The pending interrupt writes of every thread (or one), oldest first."""
        raise NotImplementedError

    async def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        """Claim every id for `owner` for `lease` seconds, or none of them."""
        if isinstance(self.claims, _SqliteClaims):
            return await asyncio.to_thread(self.claims.claim, thread_id, ids, owner, lease)
        return self.claims.claim(thread_id, ids, owner, lease)

    async def renew(self, thread_id: str, owner: str, lease: float) -> None:
        """Extend the claims `owner` holds on the thread by `lease` seconds from now."""
        if isinstance(self.claims, _SqliteClaims):
            await asyncio.to_thread(self.claims.renew, thread_id, owner, lease)
        else:
            self.claims.renew(thread_id, owner, lease)

    async def release(self, thread_id: str, owner: str) -> None:
        """Drop the claims `owner` holds on the thread."""
        if isinstance(self.claims, _SqliteClaims):
            await asyncio.to_thread(self.claims.release, thread_id, owner)
        else:
            self.claims.release(thread_id, owner)


class AsyncSqliteBackend(AsyncBackend):
    """`AsyncSqliteSaver` (aiosqlite): claims on short-lived sync connections in a thread."""

    lists_pending = True

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        conn: Any = self.saver.conn  # type: ignore[attr-defined]
        async with self.saver.lock:  # type: ignore[attr-defined]
            async with conn.execute(sql, params) as cur:
                rows = list(await cur.fetchall())
            await conn.commit()
        return rows

    async def setup(self) -> None:
        await self.saver.setup()  # type: ignore[attr-defined]
        path = _sqlite_file(await self._fetch("PRAGMA database_list"))
        if path is not None:
            self.claims = _SqliteClaims(path)
        await self._fetch(_SQLITE_INDEX)
        await self._fetch(_SQLITE_CLAIMS)

    async def pending_rows(self, thread_id: str | None = None) -> list[PendingRow]:
        sql = _pending_sql(
            writes="writes", blob="value", placeholder="?", thread=thread_id is not None
        )
        raw = await self._fetch(sql, () if thread_id is None else (thread_id,))
        return _decode(self.saver, raw)


class AsyncPostgresBackend(AsyncBackend):
    """`AsyncPostgresSaver`: as `PostgresBackend`, with async cursors."""

    lists_pending = True

    def _cursor(self) -> Any:
        return self.saver._cursor()  # type: ignore[attr-defined]

    async def setup(self) -> None:
        await self.saver.setup()  # type: ignore[attr-defined]
        async with self._cursor() as cur:
            async with cur.connection.transaction():
                await cur.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", (_PG_LOCK_NS, _PG_SETUP_KEY)
                )
                await cur.execute(_PG_CLAIMS)
            await cur.execute(_PG_HAS_INDEX, (_PG_INDEX_NAME,))
            if await cur.fetchone() is not None:
                return
            await cur.execute(
                "SELECT pg_try_advisory_lock(%s, %s) AS ok", (_PG_LOCK_NS, _PG_INDEX_KEY)
            )
            row = await cur.fetchone()
            if not (row and row["ok"]):
                return
            try:
                await cur.execute(_PG_INDEX)
            finally:
                await cur.execute("SELECT pg_advisory_unlock(%s, %s)", (_PG_LOCK_NS, _PG_INDEX_KEY))

    async def pending_rows(self, thread_id: str | None = None) -> list[PendingRow]:
        sql = _pending_sql(
            writes="checkpoint_writes", blob="blob", placeholder="%s", thread=thread_id is not None
        )
        async with self._cursor() as cur:
            await cur.execute(sql, () if thread_id is None else (thread_id,))
            raw = _pg_rows(await cur.fetchall())
        return _decode(self.saver, raw)

    async def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        from psycopg import Rollback

        claimed = False
        async with self._cursor() as cur, cur.connection.transaction() as tx:
            await cur.execute(_PG_LOCK, (_PG_LOCK_NS, thread_id))
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


def async_backend_for(saver: BaseCheckpointSaver[Any]) -> AsyncBackend:
    """The async backend for `saver` (a sync saver gets process-local claims)."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    if isinstance(saver, AsyncSqliteSaver):
        return AsyncSqliteBackend(saver)
    try:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        return AsyncBackend(saver)
    if isinstance(saver, AsyncPostgresSaver):
        return AsyncPostgresBackend(saver)
    return AsyncBackend(saver)
