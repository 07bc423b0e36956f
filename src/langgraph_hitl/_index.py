"""Where the inbox meets the checkpointer's own tables: the interrupt index and claims.

What is pending. A task that paused saves an `__interrupt__` write at the checkpoint its
step started from; a task that finished saves at least one output write beside it
(LangGraph's rule, `langgraph.pregel._task_status`). So what waits on a thread is every
interrupt write at the thread's latest top-level checkpoint whose task has no output
write. The listing (`_listing`) reads that truth through a partial index on interrupt
writes created here, and decodes interrupt writes with `_Decoder`. Tables and columns
are those of `SqliteSaver` (`writes`, `checkpoints`) and `PostgresSaver`
(`checkpoint_writes`, `checkpoints`), both with `task_path`
(langgraph-checkpoint-sqlite/-postgres 3.x).

A backend per checkpointer kind sets this up and claims (`_claims`, in the same
database). Checkpointers this module does not know list nothing here (the inbox reads
their threads one by one) and get claims that hold within one process only.
"""

from __future__ import annotations

import gc
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import ormsgpack
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.types import Interrupt

from ._claims import (
    PG_LOCK_NS,
    PG_TABLE,
    SQLITE_TABLE,
    AsyncClaims,
    AsyncPostgresClaims,
    Claims,
    PostgresClaims,
    ProcessClaims,
    SqliteClaims,
    Threaded,
    sqlite_file,
)

if TYPE_CHECKING:
    import sqlite3
    import threading
    from collections.abc import Iterator, Sequence

    from langgraph.checkpoint.base import BaseCheckpointSaver

__all__ = [
    "AsyncBackend",
    "Backend",
    "async_backend_for",
    "backend_for",
    "checkpoint_time",
    "paused_gc",
]

_GREGORIAN_OFFSET = 0x01B21DD213814000  # 100-ns intervals from 1582-10-15 to 1970-01-01


def checkpoint_time(checkpoint_id: str) -> datetime | None:
    """When a checkpoint was made, read from its id (LangGraph's ids are UUIDv6)."""
    if len(checkpoint_id) == 36 and checkpoint_id[8:24:5] == "----":
        # The canonical form, read without building a UUID: a listing reads one per row.
        try:
            n = int(checkpoint_id.replace("-", ""), 16)
        except ValueError:
            return None
        if checkpoint_id[14] != "6" or (n >> 62) & 0b11 != 0b10:
            return None
    else:
        try:
            u = uuid.UUID(checkpoint_id)
        except ValueError:
            return None
        if u.version != 6:
            return None
        n = u.int
    ticks = ((n >> 96) << 28) | (((n >> 80) & 0xFFFF) << 12) | ((n >> 64) & 0x0FFF)
    return datetime.fromtimestamp((ticks - _GREGORIAN_OFFSET) / 1e7, tz=timezone.utc)


_SQLITE_INDEX = (
    "CREATE INDEX IF NOT EXISTS hitl_pending_interrupts ON writes (thread_id, checkpoint_id) "
    "WHERE channel = '__interrupt__' AND checkpoint_ns = ''"
)
_PG_INDEX_NAME = "hitl_pending_interrupts"
# CONCURRENTLY: building it on a large, live checkpoint_writes table must not block writers.
_PG_INDEX = (
    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {_PG_INDEX_NAME} ON checkpoint_writes "
    "(thread_id, checkpoint_id) WHERE channel = '__interrupt__' AND checkpoint_ns = ''"
)
_PG_HAS_INDEX = "SELECT 1 FROM pg_indexes WHERE indexname = %s AND schemaname = current_schema()"
# Advisory lock keys under this library's namespace (`_claims.PG_LOCK_NS`).
_PG_SETUP_KEY = 1
_PG_INDEX_KEY = 2


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


# -- sync backends -----------------------------------------------------------------------


class Backend:
    """What the inbox needs from a checkpointer it cannot query: process-local claims."""

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        self.saver = saver
        self.claims: Claims = ProcessClaims()

    def setup(self) -> None:
        """Create what the backend needs (idempotent)."""

    def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        """Claim every id for `owner` for `lease` seconds, or none; False when one is held."""
        return self.claims.claim(thread_id, ids, owner, lease)

    def renew(self, thread_id: str, owner: str, lease: float) -> None:
        """Extend the claims `owner` holds on the thread to `lease` seconds from now."""
        self.claims.renew(thread_id, owner, lease)

    def release(self, thread_id: str, owner: str) -> None:
        """Drop the claims `owner` holds on the thread."""
        self.claims.release(thread_id, owner)


class SqliteBackend(Backend):
    """`SqliteSaver`: one query on its tables; claims in the same SQLite file."""

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        super().__init__(saver)
        self.conn: sqlite3.Connection = saver.conn  # type: ignore[attr-defined]
        self.lock: threading.Lock = saver.lock  # type: ignore[attr-defined]
        with self.lock:
            path = sqlite_file(self.conn.execute("PRAGMA database_list").fetchall())
        if path is not None:  # an in-memory database lives in this process only
            self.claims = SqliteClaims(path)

    def setup(self) -> None:
        self.saver.setup()  # type: ignore[attr-defined]
        with self.lock:
            self.conn.execute(_SQLITE_INDEX)
            self.conn.execute(SQLITE_TABLE)
            self.conn.commit()


class PostgresBackend(Backend):
    """`PostgresSaver`: one query on its tables; claims in the same database."""

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        super().__init__(saver)
        self.claims = PostgresClaims(self._cursor)

    def _cursor(self) -> Any:
        return self.saver._cursor()  # type: ignore[attr-defined]

    def setup(self) -> None:
        self.saver.setup()  # type: ignore[attr-defined]
        with self._cursor() as cur:
            with cur.connection.transaction():
                # Two processes creating the table at once would race in the catalog.
                cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (PG_LOCK_NS, _PG_SETUP_KEY))
                cur.execute(PG_TABLE)
            cur.execute(_PG_HAS_INDEX, (_PG_INDEX_NAME,))
            if cur.fetchone() is not None:
                return
            # Whoever holds the lock builds the index; the others list without it meanwhile.
            cur.execute("SELECT pg_try_advisory_lock(%s, %s) AS ok", (PG_LOCK_NS, _PG_INDEX_KEY))
            row = cur.fetchone()
            if not (row and row["ok"]):
                return
            try:
                cur.execute(_PG_INDEX)
            finally:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", (PG_LOCK_NS, _PG_INDEX_KEY))


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

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        self.saver = saver
        self.claims: AsyncClaims = Threaded(ProcessClaims())

    async def setup(self) -> None:
        """Create what the backend needs (idempotent)."""

    async def claim(self, thread_id: str, ids: Sequence[str], owner: str, lease: float) -> bool:
        """Claim every id for `owner` for `lease` seconds, or none of them."""
        return await self.claims.claim(thread_id, ids, owner, lease)

    async def renew(self, thread_id: str, owner: str, lease: float) -> None:
        """Extend the claims `owner` holds on the thread to `lease` seconds from now."""
        await self.claims.renew(thread_id, owner, lease)

    async def release(self, thread_id: str, owner: str) -> None:
        """Drop the claims `owner` holds on the thread."""
        await self.claims.release(thread_id, owner)


class AsyncSqliteBackend(AsyncBackend):
    """`AsyncSqliteSaver` (aiosqlite): claims on short-lived sync connections in a thread."""

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        conn: Any = self.saver.conn  # type: ignore[attr-defined]
        async with self.saver.lock:  # type: ignore[attr-defined]
            async with conn.execute(sql, params) as cur:
                rows = list(await cur.fetchall())
            await conn.commit()
        return rows

    async def setup(self) -> None:
        await self.saver.setup()  # type: ignore[attr-defined]
        path = sqlite_file(await self._fetch("PRAGMA database_list"))
        if path is not None:
            self.claims = Threaded(SqliteClaims(path))
        await self._fetch(_SQLITE_INDEX)
        await self._fetch(SQLITE_TABLE)


class AsyncPostgresBackend(AsyncBackend):
    """`AsyncPostgresSaver`: as `PostgresBackend`, with async cursors."""

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        super().__init__(saver)
        self.claims = AsyncPostgresClaims(self._cursor)

    def _cursor(self) -> Any:
        return self.saver._cursor()  # type: ignore[attr-defined]

    async def setup(self) -> None:
        await self.saver.setup()  # type: ignore[attr-defined]
        async with self._cursor() as cur:
            async with cur.connection.transaction():
                await cur.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", (PG_LOCK_NS, _PG_SETUP_KEY)
                )
                await cur.execute(PG_TABLE)
            await cur.execute(_PG_HAS_INDEX, (_PG_INDEX_NAME,))
            if await cur.fetchone() is not None:
                return
            await cur.execute(
                "SELECT pg_try_advisory_lock(%s, %s) AS ok", (PG_LOCK_NS, _PG_INDEX_KEY)
            )
            row = await cur.fetchone()
            if not (row and row["ok"]):
                return
            try:
                await cur.execute(_PG_INDEX)
            finally:
                await cur.execute("SELECT pg_advisory_unlock(%s, %s)", (PG_LOCK_NS, _PG_INDEX_KEY))


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
