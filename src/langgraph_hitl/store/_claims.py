"""Claims: who is answering on which thread right now, kept beside the checkpoints.

Before any answer is sent (`resume`, `aresume`, `Inbox.resume`, `Inbox.expire`, and so
the terminal and web reviewers) the answering process claims the thread in the table
`hitl_claims` of the checkpointer's own database, so two answers (in one process or many,
on one machine or many) never run on one thread at once. The claim is per thread, not per
request: LangGraph runs one step of a thread at a time, and two runs of the same step that
answer different requests race on its saved writes. Claiming is one atomic statement
(an upsert that only takes over an expired row), on SQLite and on PostgreSQL alike.
Checkpointers without a database (`InMemorySaver`) get claims that hold per saver
instance, in this process. A claim lasts one lease, kept alive while the answer runs
(`_lease`).

On PostgreSQL each operation is a statement plan (`_postgres`), written once for the sync
and the async store.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from ..core import _clock as clock
from ._postgres import aexecute, execute

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from contextlib import AbstractAsyncContextManager, AbstractContextManager

    from psycopg import AsyncCursor, Cursor
    from psycopg.rows import DictRow

    from ._postgres import Row, StatementPlan

__all__ = [
    "AsyncClaims",
    "AsyncPostgresClaims",
    "Claims",
    "Holder",
    "Inline",
    "PostgresClaims",
    "ProcessClaims",
    "SqliteClaims",
    "Threaded",
    "process_claims",
    "sqlite_file",
]

T = TypeVar("T")

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
PG_SETUP_KEY = 1

# A thread's claim is the row whose `interrupt_id` is empty (the column predates
# per-thread claims). The upsert takes the row over only once it expired, in one
# statement, so two claimers cannot both win.
_SQLITE_CLAIM = (
    "INSERT INTO hitl_claims (thread_id, interrupt_id, owner, expires_at) VALUES (?, '', ?, ?) "
    "ON CONFLICT (thread_id, interrupt_id) DO UPDATE SET owner = excluded.owner, "
    "expires_at = excluded.expires_at WHERE hitl_claims.expires_at <= ?"
)
_SQLITE_RENEW = (
    "UPDATE hitl_claims SET expires_at = ? "
    "WHERE thread_id = ? AND interrupt_id = '' AND owner = ? AND expires_at > ?"
)
# Also drops the thread's lapsed rows, such as the per-request rows of earlier versions.
_SQLITE_RELEASE = "DELETE FROM hitl_claims WHERE thread_id = ? AND (owner = ? OR expires_at <= ?)"
_SQLITE_HOLDER = (
    "SELECT owner, expires_at FROM hitl_claims "
    "WHERE thread_id = ? AND interrupt_id = '' AND expires_at > ?"
)
_PG_CLAIM = (
    "INSERT INTO hitl_claims (thread_id, interrupt_id, owner, expires_at) "
    "VALUES (%s, '', %s, %s) ON CONFLICT (thread_id, interrupt_id) DO UPDATE "
    "SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at "
    "WHERE hitl_claims.expires_at <= %s RETURNING owner"
)
_PG_RENEW = (
    "UPDATE hitl_claims SET expires_at = %s "
    "WHERE thread_id = %s AND interrupt_id = '' AND owner = %s AND expires_at > %s RETURNING owner"
)
_PG_RELEASE = "DELETE FROM hitl_claims WHERE thread_id = %s AND (owner = %s OR expires_at <= %s)"
_PG_HOLDER = (
    "SELECT owner, expires_at FROM hitl_claims "
    "WHERE thread_id = %s AND interrupt_id = '' AND expires_at > %s"
)
_PG_SETUP = "SELECT pg_advisory_xact_lock(%s, %s)"


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a thread's claim, and until when (POSIX seconds of the library clock)."""

    owner: str
    until: float


class Claims(Protocol):
    """A claim store: at most one live claim per thread."""

    def setup(self) -> None:
        """Create the table (idempotent)."""
        ...

    def claim(self, thread_id: str, owner: str, lease: float) -> float | None:
        """Claim the thread for `lease` seconds; its expiry, or None when someone holds it."""
        ...

    def renew(self, thread_id: str, owner: str, lease: float) -> float | None:
        """Extend `owner`'s live claim to `lease` seconds from now; None when it is lost."""
        ...

    def release(self, thread_id: str, owner: str) -> None:
        """Drop `owner`'s claim on the thread."""
        ...

    def holder(self, thread_id: str) -> Holder | None:
        """The live claim on the thread, if any."""
        ...


class AsyncClaims(Protocol):
    """Async twin of `Claims`."""

    async def setup(self) -> None:
        """Create the table (idempotent)."""
        ...

    async def claim(self, thread_id: str, owner: str, lease: float) -> float | None:
        """Claim the thread for `lease` seconds; its expiry, or None when someone holds it."""
        ...

    async def renew(self, thread_id: str, owner: str, lease: float) -> float | None:
        """Extend `owner`'s live claim to `lease` seconds from now; None when it is lost."""
        ...

    async def release(self, thread_id: str, owner: str) -> None:
        """Drop `owner`'s claim on the thread."""
        ...

    async def holder(self, thread_id: str) -> Holder | None:
        """The live claim on the thread, if any."""
        ...


class ProcessClaims:
    """Claims held in this process, for one checkpointer (see `process_claims`)."""

    def __init__(self) -> None:
        self._claims: dict[str, Holder] = {}
        self._lock = threading.Lock()

    def setup(self) -> None:
        pass

    def claim(self, thread_id: str, owner: str, lease: float) -> float | None:
        now = clock.timestamp()
        with self._lock:
            held = self._claims.get(thread_id)
            if held is not None and held.until > now:
                return None
            self._claims[thread_id] = Holder(owner, now + lease)
        return now + lease

    def renew(self, thread_id: str, owner: str, lease: float) -> float | None:
        now = clock.timestamp()
        with self._lock:
            held = self._claims.get(thread_id)
            if held is None or held.owner != owner or held.until <= now:
                return None
            self._claims[thread_id] = Holder(owner, now + lease)
        return now + lease

    def release(self, thread_id: str, owner: str) -> None:
        with self._lock:
            held = self._claims.get(thread_id)
            if held is not None and held.owner == owner:
                del self._claims[thread_id]

    def holder(self, thread_id: str) -> Holder | None:
        with self._lock:
            held = self._claims.get(thread_id)
        return held if held is not None and held.until > clock.timestamp() else None


_PROCESS_CLAIMS: weakref.WeakKeyDictionary[object, ProcessClaims] = weakref.WeakKeyDictionary()
_PROCESS_LOCK = threading.Lock()


def process_claims(saver: object) -> ProcessClaims:
    """The in-process claims of one checkpointer instance (shared by its sync and async use).

    Two graphs compiled with the same saver share them; two savers never do, as two
    `InMemorySaver`s never share a thread.
    """
    with _PROCESS_LOCK:
        claims = _PROCESS_CLAIMS.get(saver)
        if claims is None:
            claims = _PROCESS_CLAIMS[saver] = ProcessClaims()
        return claims


class SqliteClaims:
    """Claims in a SQLite file, on one connection of their own.

    Its own connection, so a claim never mixes with a transaction of the saver's, and the
    heartbeat may renew from its thread. `synchronous=NORMAL`: a claim need not survive
    a power cut (nothing runs after one), so commits skip the disk flush.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        # isolation_level=None: each statement commits by itself.
        self._conn = sqlite3.connect(
            path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.Lock()
        weakref.finalize(self, self._conn.close)

    def _run(self, sql: str, params: Sequence[object]) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def setup(self) -> None:
        self._run(SQLITE_TABLE, ())

    def claim(self, thread_id: str, owner: str, lease: float) -> float | None:
        now = clock.timestamp()
        done = self._run(_SQLITE_CLAIM, (thread_id, owner, now + lease, now)).rowcount
        return now + lease if done else None

    def renew(self, thread_id: str, owner: str, lease: float) -> float | None:
        now = clock.timestamp()
        done = self._run(_SQLITE_RENEW, (now + lease, thread_id, owner, now)).rowcount
        return now + lease if done else None

    def release(self, thread_id: str, owner: str) -> None:
        self._run(_SQLITE_RELEASE, (thread_id, owner, clock.timestamp()))

    def holder(self, thread_id: str) -> Holder | None:
        with self._lock:
            row = self._conn.execute(_SQLITE_HOLDER, (thread_id, clock.timestamp())).fetchone()
        return None if row is None else Holder(str(row[0]), float(row[1]))


def sqlite_file(rows: Sequence[Sequence[object]]) -> str | None:
    """The main database's file from `PRAGMA database_list`; None for an in-memory one."""
    for row in rows:
        if row[1] == "main" and row[2]:
            return str(row[2])
    return None


# -- PostgreSQL: each operation's statement, written once -------------------------------


def _pg_setup() -> StatementPlan[None]:
    # Two processes creating the table at once would race in the catalog.
    yield _PG_SETUP, (PG_LOCK_NS, PG_SETUP_KEY)
    yield PG_TABLE, ()


def _pg_claim(thread_id: str, owner: str, lease: float) -> StatementPlan[float | None]:
    now = clock.timestamp()
    row = yield _PG_CLAIM, (thread_id, owner, now + lease, now)
    return now + lease if row is not None else None


def _pg_renew(thread_id: str, owner: str, lease: float) -> StatementPlan[float | None]:
    now = clock.timestamp()
    row = yield _PG_RENEW, (now + lease, thread_id, owner, now)
    return now + lease if row is not None else None


def _pg_release(thread_id: str, owner: str) -> StatementPlan[None]:
    yield _PG_RELEASE, (thread_id, owner, clock.timestamp())


def _pg_holder(thread_id: str) -> StatementPlan[Holder | None]:
    row: Row | None = yield _PG_HOLDER, (thread_id, clock.timestamp())
    return None if row is None else Holder(str(row["owner"]), float(row["expires_at"]))


class PostgresClaims:
    """Claims in the PostgreSQL database of a `PostgresSaver` (through its connection)."""

    def __init__(self, cursor: Callable[[], AbstractContextManager[Cursor[DictRow]]]) -> None:
        self._cursor = cursor

    def _run(self, plan: StatementPlan[T]) -> T:
        with self._cursor() as cur:
            return execute(cur, plan)

    def setup(self) -> None:
        with self._cursor() as cur, cur.connection.transaction():
            execute(cur, _pg_setup())

    def claim(self, thread_id: str, owner: str, lease: float) -> float | None:
        return self._run(_pg_claim(thread_id, owner, lease))

    def renew(self, thread_id: str, owner: str, lease: float) -> float | None:
        return self._run(_pg_renew(thread_id, owner, lease))

    def release(self, thread_id: str, owner: str) -> None:
        self._run(_pg_release(thread_id, owner))

    def holder(self, thread_id: str) -> Holder | None:
        return self._run(_pg_holder(thread_id))


class AsyncPostgresClaims:
    """`PostgresClaims` for an `AsyncPostgresSaver`: the same statements, awaited."""

    def __init__(
        self, cursor: Callable[[], AbstractAsyncContextManager[AsyncCursor[DictRow]]]
    ) -> None:
        self._cursor = cursor

    async def _run(self, plan: StatementPlan[T]) -> T:
        async with self._cursor() as cur:
            return await aexecute(cur, plan)

    async def setup(self) -> None:
        async with self._cursor() as cur, cur.connection.transaction():
            await aexecute(cur, _pg_setup())

    async def claim(self, thread_id: str, owner: str, lease: float) -> float | None:
        return await self._run(_pg_claim(thread_id, owner, lease))

    async def renew(self, thread_id: str, owner: str, lease: float) -> float | None:
        return await self._run(_pg_renew(thread_id, owner, lease))

    async def release(self, thread_id: str, owner: str) -> None:
        await self._run(_pg_release(thread_id, owner))

    async def holder(self, thread_id: str) -> Holder | None:
        return await self._run(_pg_holder(thread_id))


class Inline:
    """In-process claims used from async code: their steps never block, so no thread hop."""

    def __init__(self, sync: ProcessClaims) -> None:
        self.sync = sync

    async def setup(self) -> None:
        pass

    async def claim(self, thread_id: str, owner: str, lease: float) -> float | None:
        return self.sync.claim(thread_id, owner, lease)

    async def renew(self, thread_id: str, owner: str, lease: float) -> float | None:
        return self.sync.renew(thread_id, owner, lease)

    async def release(self, thread_id: str, owner: str) -> None:
        self.sync.release(thread_id, owner)

    async def holder(self, thread_id: str) -> Holder | None:
        return self.sync.holder(thread_id)


class Threaded:
    """A sync claim store used from async code (its steps run in a worker thread)."""

    def __init__(self, sync: Claims) -> None:
        self.sync = sync

    async def setup(self) -> None:
        await asyncio.to_thread(self.sync.setup)

    async def claim(self, thread_id: str, owner: str, lease: float) -> float | None:
        return await asyncio.to_thread(self.sync.claim, thread_id, owner, lease)

    async def renew(self, thread_id: str, owner: str, lease: float) -> float | None:
        return await asyncio.to_thread(self.sync.renew, thread_id, owner, lease)

    async def release(self, thread_id: str, owner: str) -> None:
        await asyncio.to_thread(self.sync.release, thread_id, owner)

    async def holder(self, thread_id: str) -> Holder | None:
        return await asyncio.to_thread(self.sync.holder, thread_id)
