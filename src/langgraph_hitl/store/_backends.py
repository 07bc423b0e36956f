"""Where the inbox meets the checkpointer's own tables: the interrupt index and claims.

What is pending. A task that paused saves an `__interrupt__` write at the checkpoint its
step started from; a task that finished saves at least one output write beside it
(LangGraph's rule, `langgraph.pregel._task_status`). So what waits on a thread is every
interrupt write at the thread's latest top-level checkpoint whose task has no output
write. The listing (`_listing`) reads that truth through a partial index on interrupt
writes created here, and decodes interrupt writes with `Decoder`. Tables and columns
are those of `SqliteSaver` (`writes`, `checkpoints`) and `PostgresSaver`
(`checkpoint_writes`, `checkpoints`), both with `task_path`
(langgraph-checkpoint-sqlite/-postgres 3.x).

A backend per checkpointer kind sets this up and claims (`_claims`, in the same
database). Checkpointers this module does not know list nothing here (the inbox reads
their threads one by one) and get claims that hold per saver instance, in this process.
There is one backend per saver instance (`backend_for`, `async_backend_for`), so every
graph, inbox and plain `resume()` on one saver share its claims.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import uuid
import weakref
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

import ormsgpack
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.types import Interrupt

from ..core._compat import EXT_CONSTRUCTOR_KW_ARGS, postgres_cursor, sqlite_connection
from ._claims import (
    PG_LOCK_NS,
    AsyncClaims,
    AsyncPostgresClaims,
    Claims,
    Inline,
    PostgresClaims,
    ProcessClaims,
    SqliteClaims,
    Threaded,
    process_claims,
    sqlite_file,
)
from ._postgres import Statement, StatementPlan, aexecute, execute

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Iterator, Sequence
    from contextlib import AbstractAsyncContextManager, AbstractContextManager

    import aiosqlite
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.checkpoint.postgres import PostgresSaver
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
    from psycopg import AsyncCursor, Cursor
    from psycopg.rows import DictRow

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
# Whether the index is there and usable: a build that failed (cancelled, deadlocked, its
# connection lost) leaves an invalid index behind, which writers still keep up to date.
_PG_INDEX_STATE = """SELECT i.indisvalid AS valid FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indexrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relname = %s AND n.nspname = current_schema()"""
_PG_DROP_INDEX = f"DROP INDEX CONCURRENTLY IF EXISTS {_PG_INDEX_NAME}"
# Advisory lock keys under this library's namespace (`_claims.PG_LOCK_NS`); 1 is the
# claims table's (`_claims.PG_SETUP_KEY`).
_PG_INDEX_KEY = 2


class _NotPlain(Exception):
    """A value the fast decoder leaves to the checkpointer's serializer."""


_EXT_KW_ARGS = EXT_CONSTRUCTOR_KW_ARGS  # (module, name, {field: value})
_SCHEMA_KEY = b"\xafresponse_schema"  # msgpack fixstr of the Interrupt field, last one
_NIL = b"\xc0"


class Decoder:
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


# -- the PostgreSQL set-up, written once -----------------------------------------------

_PG_UNLOCK: Statement = ("SELECT pg_advisory_unlock(%s, %s)", (PG_LOCK_NS, _PG_INDEX_KEY))


def _pg_index_steps() -> StatementPlan[None]:
    """The statements that build the interrupt-write index once, across processes.

    A statement plan (`_postgres`): the sync and the async backend run it on their own
    cursor. Only the holder of the advisory lock builds; the others list without the index
    meanwhile. Under the lock, an invalid index (left by a build that failed) is dropped
    and built again. The lock is released even when the build fails; that failure is the
    error raised, and the next set-up, in any process, starts over.
    """
    found = yield (_PG_INDEX_STATE, (_PG_INDEX_NAME,))
    if found is not None and found["valid"]:
        return
    row = yield ("SELECT pg_try_advisory_lock(%s, %s) AS ok", (PG_LOCK_NS, _PG_INDEX_KEY))
    if not (row and row["ok"]):
        return
    try:
        # Again under the lock: whoever held it before may have built it meanwhile.
        found = yield (_PG_INDEX_STATE, (_PG_INDEX_NAME,))
        if found is None or not found["valid"]:
            if found is not None:
                yield (_PG_DROP_INDEX, ())
            yield (_PG_INDEX, ())
    except Exception:
        with suppress(Exception):  # the build's failure is the one to report
            yield _PG_UNLOCK
        raise
    yield _PG_UNLOCK


# -- sync backends -----------------------------------------------------------------------


class Backend:
    """What the inbox needs from a checkpointer it cannot query: in-process claims."""

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        self.saver = saver
        self.claims: Claims = process_claims(saver)
        self._claims_ready = False
        self._lock = threading.Lock()

    def setup(self) -> None:
        """Create what listing and claiming need (idempotent)."""
        self.setup_claims()

    def index(self) -> None:
        """Build the interrupt-write index where it is built apart (idempotent).

        Called after the listing's triggers are in place (see `PostgresBackend.index`).
        """

    def setup_claims(self) -> None:
        """Create the claims table, once per backend."""
        if self._claims_ready:
            return
        with self._lock:
            if not self._claims_ready:
                self.claims.setup()
                self._claims_ready = True


class SqliteBackend(Backend):
    """`SqliteSaver`: one query on its tables; claims in the same SQLite file."""

    def __init__(self, saver: SqliteSaver) -> None:
        super().__init__(saver)
        self.sqlite = saver
        self.conn: sqlite3.Connection
        self.lock: threading.Lock
        self.conn, self.lock = sqlite_connection(saver)
        with self.lock:
            path = sqlite_file(self.conn.execute("PRAGMA database_list").fetchall())
        if path is not None:  # an in-memory database lives in this process only
            self.claims = SqliteClaims(path)

    def setup(self) -> None:
        self.sqlite.setup()
        with self.lock:
            self.conn.execute(_SQLITE_INDEX)
            self.conn.commit()
        self.setup_claims()


class PostgresBackend(Backend):
    """`PostgresSaver`: one query on its tables; claims in the same database."""

    def __init__(self, saver: PostgresSaver) -> None:
        super().__init__(saver)
        self.postgres = saver
        self.claims = PostgresClaims(self._cursor)

    def _cursor(self) -> AbstractContextManager[Cursor[DictRow]]:
        cursor: AbstractContextManager[Cursor[DictRow]] = postgres_cursor(self.postgres)()
        return cursor

    def setup(self) -> None:
        self.postgres.setup()
        self.setup_claims()

    def index(self) -> None:
        # Built CONCURRENTLY, the index holds a lock on checkpoint_writes that CREATE
        # TRIGGER waits for, and waits itself for every older transaction: a process that
        # created the listing's triggers while another built the index deadlocked. So the
        # inbox builds it once the triggers are committed; from then on, no process of
        # ours creates them again, and nothing of ours waits on the build.
        with self._cursor() as cur:
            execute(cur, _pg_index_steps())


B = TypeVar("B", bound="Backend | AsyncBackend")
_BACKENDS: weakref.WeakKeyDictionary[object, Backend] = weakref.WeakKeyDictionary()
_ABACKENDS: weakref.WeakKeyDictionary[object, AsyncBackend] = weakref.WeakKeyDictionary()
_MADE = threading.RLock()  # an async backend makes its sync one first


def _cached(
    cache: weakref.WeakKeyDictionary[object, B],
    saver: BaseCheckpointSaver[Any],
    make: Callable[[], B],
) -> B:
    with _MADE:
        made = cache.get(saver)
        if made is None:
            made = cache[saver] = make()
        return made


def backend_for(saver: BaseCheckpointSaver[Any]) -> Backend:
    """The backend of `saver` (one per saver instance)."""
    return _cached(_BACKENDS, saver, lambda: _make_backend(saver))


def _make_backend(saver: BaseCheckpointSaver[Any]) -> Backend:
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
    """Async twin of `Backend`, for async checkpointers (and sync ones used from async code).

    A sync saver's async backend claims through its sync backend's store, so sync and
    async answers on one saver collide as they must.
    """

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        self.saver = saver
        sync = backend_for(saver).claims
        self.claims: AsyncClaims = (
            Inline(sync) if isinstance(sync, ProcessClaims) else Threaded(sync)
        )
        self._claims_ready = False
        self._alock: asyncio.Lock | None = None

    async def setup(self) -> None:
        """Create what listing and claiming need (idempotent)."""
        await self.setup_claims()

    async def index(self) -> None:
        """Async twin of `Backend.index`."""

    async def setup_claims(self) -> None:
        """Create the claims table, once per backend."""
        if self._claims_ready:
            return
        if self._alock is None:
            self._alock = asyncio.Lock()
        async with self._alock:
            if not self._claims_ready:
                await self._setup_claims()
                self._claims_ready = True

    async def _setup_claims(self) -> None:
        await self.claims.setup()


class AsyncSqliteBackend(AsyncBackend):
    """`AsyncSqliteSaver` (aiosqlite): claims on short-lived sync connections in a thread."""

    def __init__(self, saver: AsyncSqliteSaver) -> None:
        super().__init__(saver)
        self.sqlite = saver

    async def _fetch(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        conn: aiosqlite.Connection
        lock: asyncio.Lock
        conn, lock = sqlite_connection(self.sqlite)
        async with lock:
            async with conn.execute(sql, params) as cur:
                rows = list(await cur.fetchall())
            await conn.commit()
        return rows

    async def setup(self) -> None:
        await self.sqlite.setup()
        await self._fetch(_SQLITE_INDEX)
        await self.setup_claims()

    async def _setup_claims(self) -> None:
        # The file is known only once the connection answers, so the store is made here.
        path = sqlite_file(await self._fetch("PRAGMA database_list"))
        if path is not None:
            self.claims = Threaded(SqliteClaims(path))
        await self.claims.setup()


class AsyncPostgresBackend(AsyncBackend):
    """`AsyncPostgresSaver`: as `PostgresBackend`, with async cursors."""

    def __init__(self, saver: AsyncPostgresSaver) -> None:
        super().__init__(saver)
        self.postgres = saver
        self.claims = AsyncPostgresClaims(self._cursor)

    def _cursor(self) -> AbstractAsyncContextManager[AsyncCursor[DictRow]]:
        cursor: AbstractAsyncContextManager[AsyncCursor[DictRow]] = postgres_cursor(self.postgres)()
        return cursor

    async def setup(self) -> None:
        await self.postgres.setup()
        await self.setup_claims()

    async def index(self) -> None:
        async with self._cursor() as cur:  # after the triggers: see `PostgresBackend.index`
            await aexecute(cur, _pg_index_steps())


def async_backend_for(saver: BaseCheckpointSaver[Any]) -> AsyncBackend:
    """The async backend of `saver` (one per saver instance)."""
    return _cached(_ABACKENDS, saver, lambda: _make_async_backend(saver))


def _make_async_backend(saver: BaseCheckpointSaver[Any]) -> AsyncBackend:
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
