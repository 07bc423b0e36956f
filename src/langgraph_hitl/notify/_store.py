"""The outbox: one row per (request, event, channel), in the checkpointer's own database.

```
hitl_notifications(thread_id, interrupt_id, event, channel) -> tool_call_id, expires_at,
    payload, status, attempts, next_at, owner, error, closed, updated_at
```

`status` is `sending` (claimed by `owner` until `next_at`), `retry` (due again at
`next_at`), `armed` (a `request.expired` waiting to be claimed), `sent` or `failed`.
A row whose `channel` is `''` (`MARKER`) is no delivery: `Inbox.expire()` leaves it when
it answers a request, and the next sweep arms that request's `request.expired` on each
of its channels, then marks it `sent`.

A delivery is claimed by one upsert before it is sent: a row that is absent, due for
a retry, armed, or whose sender's claim ran out (it died) becomes `sending` for the
claimer; any other row is left alone, and is not returned to it. So
two sweepers never hold one delivery at once, and a sweeper killed mid-delivery leaves
claims that the next sweep takes over once they run out. `payload` is written by the
first claim and never changed, so every repeat sends the same body. `closed` rows
belong to requests that are finished with: sweeps read only open rows, and purge closed
ones once their `updated_at` (the time they were closed or last delivered) is older
than the retention.

Every statement is written once, for SQLite and PostgreSQL (`Dialect`); the store runs
them through an executor: SQLite (its own connection to the saver's file), PostgreSQL
(the saver's connection), or, for savers without a database, an in-memory SQLite
database kept per saver in this process. Times are the library clock's
(`_clock.timestamp`), so tests move them with a `FakeClock`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..core._compat import postgres_cursor, sqlite_connection
from ..store._claims import PG_LOCK_NS, sqlite_file

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langgraph.checkpoint.base import BaseCheckpointSaver

__all__ = [
    "MARKER",
    "AsyncDb",
    "Dialect",
    "Step",
    "SyncDb",
    "adb_for",
    "db_for",
]

TABLE = "hitl_notifications"
MARKER = ""
"""The `channel` of the row `Inbox.expire()` leaves for a request it answered."""
_PG_SETUP_KEY = 3  # advisory key under PG_LOCK_NS (1 and 2 are the inbox's)

COLUMNS = (
    "thread_id",
    "interrupt_id",
    "event",
    "channel",
    "tool_call_id",
    "expires_at",
    "payload",
    "status",
    "attempts",
    "next_at",
    "owner",
    "error",
    "closed",
    "updated_at",
)


@dataclass(frozen=True, slots=True)
class Dialect:
    """What differs between SQLite and PostgreSQL in the statements below."""

    mark: str
    real: str
    probe: str

    def create(self) -> str:
        return (
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "thread_id TEXT NOT NULL, interrupt_id TEXT NOT NULL, event TEXT NOT NULL, "
            f"channel TEXT NOT NULL, tool_call_id TEXT, expires_at {self.real}, "
            "payload TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, "
            f"next_at {self.real} NOT NULL, owner TEXT, error TEXT, "
            f"closed INTEGER NOT NULL DEFAULT 0, updated_at {self.real} NOT NULL, "
            "PRIMARY KEY (thread_id, interrupt_id, event, channel))"
        )

    def indexes(self) -> tuple[str, ...]:
        return (
            f"CREATE INDEX IF NOT EXISTS {TABLE}_open ON {TABLE} (closed, thread_id, interrupt_id)",
            # The purge reads the oldest closed rows.
            f"CREATE INDEX IF NOT EXISTS {TABLE}_done ON {TABLE} (closed, updated_at)",
        )

    def exists(self) -> str:
        """One row whose only value is 1 when the outbox table exists, else 0."""
        return self.probe

    def open_rows(self) -> str:
        return (
            "SELECT thread_id, interrupt_id, event, channel, status, attempts, next_at, "
            f"tool_call_id, expires_at, payload FROM {TABLE} WHERE closed = 0"
        )

    def claim(self, rows: int) -> str:
        m = self.mark
        one = f"({m}, {m}, {m}, {m}, {m}, {m}, {m}, 'sending', 1, {m}, {m}, NULL, 0, {m})"
        return (
            f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES {', '.join([one] * rows)} "
            "ON CONFLICT (thread_id, interrupt_id, event, channel) DO UPDATE SET "
            "status = 'sending', "
            f"attempts = {TABLE}.attempts + 1, next_at = excluded.next_at, "
            "owner = excluded.owner, updated_at = excluded.updated_at "
            f"WHERE {TABLE}.closed = 0 AND ({TABLE}.status = 'armed' OR "
            f"({TABLE}.status IN ('sending', 'retry') AND {TABLE}.next_at <= {m})) "
            "RETURNING thread_id, interrupt_id, event, channel, payload, attempts"
        )

    def arm(self, rows: int) -> str:
        m = self.mark
        one = f"({m}, {m}, {m}, {m}, {m}, {m}, {m}, 'armed', 0, 0, NULL, NULL, 0, {m})"
        return (
            f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES {', '.join([one] * rows)} "
            "ON CONFLICT (thread_id, interrupt_id, event, channel) DO NOTHING"
        )

    def record(self) -> str:
        m = self.mark
        # A request.expired closes once delivered or failed; a row another sweep closed
        # meanwhile (its request went while it was being sent) stays closed.
        return (
            f"UPDATE {TABLE} SET status = {m}, next_at = {m}, error = {m}, owner = NULL, "
            f"closed = CASE WHEN {m} = 1 THEN 1 ELSE {TABLE}.closed END, updated_at = {m} "
            f"WHERE thread_id = {m} AND interrupt_id = {m} AND event = {m} AND channel = {m} "
            f"AND owner = {m}"
        )

    def renew(self) -> str:
        m = self.mark
        return f"UPDATE {TABLE} SET next_at = {m} WHERE owner = {m} AND status = 'sending'"

    def close(self) -> str:
        m = self.mark
        # A request.expired row closes itself once delivered (or failed), not before.
        return (
            f"UPDATE {TABLE} SET closed = 1, updated_at = {m} "
            f"WHERE thread_id = {m} AND interrupt_id = {m} AND closed = 0 "
            "AND (event <> 'request.expired' OR status IN ('sent', 'failed'))"
        )

    def consume(self) -> str:
        m = self.mark
        return (
            f"UPDATE {TABLE} SET status = 'sent', closed = 1, updated_at = {m} "
            f"WHERE thread_id = {m} AND interrupt_id = {m} AND event = 'request.expired' "
            f"AND channel = '{MARKER}' AND closed = 0"
        )

    def purgeable(self, limit: int) -> str:
        m = self.mark
        # Closed rows only: their requests are gone, and no sweep reads them again. A
        # row still claimed (`sending`) waits for its claim to run out as well.
        return (
            f"SELECT thread_id, interrupt_id, event, channel FROM {TABLE} "
            f"WHERE closed = 1 AND updated_at <= {m} AND (status <> 'sending' OR next_at <= {m}) "
            f"ORDER BY updated_at LIMIT {int(limit)}"
        )

    def purge(self) -> str:
        m = self.mark
        return (
            f"DELETE FROM {TABLE} WHERE thread_id = {m} AND interrupt_id = {m} AND event = {m} "
            f"AND channel = {m} AND closed = 1 AND updated_at <= {m}"
        )

    def failed(self) -> str:
        return (
            "SELECT interrupt_id, event, channel, attempts, error FROM "
            f"{TABLE} WHERE status = 'failed' AND closed = 0 ORDER BY updated_at"
        )


SQLITE = Dialect(
    mark="?",
    real="REAL",
    probe=f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{TABLE}'",
)
POSTGRES = Dialect(
    mark="%s",
    real="DOUBLE PRECISION",
    probe=f"SELECT CASE WHEN to_regclass('{TABLE}') IS NULL THEN 0 ELSE 1 END",
)


@dataclass(frozen=True, slots=True)
class Step:
    """One statement; `many` runs it once per parameter row."""

    sql: str
    params: Sequence[Any] = ()
    many: bool = False


class SyncDb(Protocol):
    """Runs steps in one transaction and returns the rows of the last one."""

    dialect: Dialect

    def setup(self) -> None: ...

    def exists(self) -> bool:
        """Whether the outbox table exists (a sweep ran on this database), creating nothing."""
        ...

    def run(self, steps: Sequence[Step]) -> list[tuple[Any, ...]]: ...


class AsyncDb(Protocol):
    """Async twin of `SyncDb`."""

    dialect: Dialect

    async def setup(self) -> None: ...

    async def exists(self) -> bool: ...

    async def run(self, steps: Sequence[Step]) -> list[tuple[Any, ...]]: ...


class SqliteDb:
    """A SQLite database on a connection of the outbox's own (thread-safe by a lock)."""

    dialect = SQLITE

    def __init__(self, target: str) -> None:
        # isolation_level=None: transactions are exactly the BEGIN/COMMIT written below.
        self._conn = sqlite3.connect(
            target, timeout=30, isolation_level=None, check_same_thread=False
        )
        self._lock = threading.Lock()
        self._ready = False

    def setup(self) -> None:
        with self._lock:
            if not self._ready:
                self._conn.execute(self.dialect.create())
                for index in self.dialect.indexes():
                    self._conn.execute(index)
                self._ready = True

    def exists(self) -> bool:
        if self._ready:
            return True
        with self._lock:
            (count,) = self._conn.execute(self.dialect.exists()).fetchone()
            return bool(count)

    def run(self, steps: Sequence[Step]) -> list[tuple[Any, ...]]:
        self.setup()
        with self._lock:
            conn = self._conn
            # BEGIN IMMEDIATE takes SQLite's write lock at once: claims of other
            # processes wait for this transaction rather than interleave with it.
            conn.execute("BEGIN IMMEDIATE")
            try:
                rows: list[tuple[Any, ...]] = []
                for step in steps:
                    if step.many:
                        conn.executemany(step.sql, step.params)
                        rows = []
                    else:
                        rows = [tuple(r) for r in conn.execute(step.sql, step.params)]
                conn.execute("COMMIT")
                return rows
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _pg_row(row: Any) -> tuple[Any, ...]:
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


class PostgresDb:
    """The PostgreSQL database of a `PostgresSaver`, through the saver's connection."""

    dialect = POSTGRES

    def __init__(self, saver: Any) -> None:
        self._saver = saver
        self._ready = False

    def setup(self) -> None:
        if self._ready:
            return
        with postgres_cursor(self._saver)() as cur, cur.connection.transaction():
            # Two processes creating the table at once would race in the catalog.
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (PG_LOCK_NS, _PG_SETUP_KEY))
            cur.execute(self.dialect.create())
            for index in self.dialect.indexes():
                cur.execute(index)
        self._ready = True

    def exists(self) -> bool:
        if self._ready:
            return True
        with postgres_cursor(self._saver)() as cur:
            cur.execute(self.dialect.exists())
            return bool(_pg_row(cur.fetchone())[0])

    def run(self, steps: Sequence[Step]) -> list[tuple[Any, ...]]:
        self.setup()
        rows: list[tuple[Any, ...]] = []
        with postgres_cursor(self._saver)() as cur, cur.connection.transaction():
            for step in steps:
                if step.many:
                    cur.executemany(step.sql, step.params)
                    rows = []
                else:
                    cur.execute(step.sql, step.params)
                    rows = [_pg_row(r) for r in cur.fetchall()] if cur.description else []
        return rows


class AsyncPostgresDb:
    """The PostgreSQL database of an `AsyncPostgresSaver`."""

    dialect = POSTGRES

    def __init__(self, saver: Any) -> None:
        self._saver = saver
        self._ready = False

    async def setup(self) -> None:
        if self._ready:
            return
        async with postgres_cursor(self._saver)() as cur, cur.connection.transaction():
            await cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (PG_LOCK_NS, _PG_SETUP_KEY))
            await cur.execute(self.dialect.create())
            for index in self.dialect.indexes():
                await cur.execute(index)
        self._ready = True

    async def exists(self) -> bool:
        if self._ready:
            return True
        async with postgres_cursor(self._saver)() as cur:
            await cur.execute(self.dialect.exists())
            return bool(_pg_row(await cur.fetchone())[0])

    async def run(self, steps: Sequence[Step]) -> list[tuple[Any, ...]]:
        await self.setup()
        rows: list[tuple[Any, ...]] = []
        async with postgres_cursor(self._saver)() as cur, cur.connection.transaction():
            for step in steps:
                if step.many:
                    await cur.executemany(step.sql, step.params)
                    rows = []
                else:
                    await cur.execute(step.sql, step.params)
                    fetched = await cur.fetchall() if cur.description else []
                    rows = [_pg_row(r) for r in fetched]
        return rows


class ThreadedDb:
    """A `SyncDb` used from async code: each step runs in a worker thread."""

    def __init__(self, sync: SyncDb) -> None:
        self.sync = sync
        self.dialect = sync.dialect

    async def setup(self) -> None:
        await asyncio.to_thread(self.sync.setup)

    async def exists(self) -> bool:
        return await asyncio.to_thread(self.sync.exists)

    async def run(self, steps: Sequence[Step]) -> list[tuple[Any, ...]]:
        return await asyncio.to_thread(self.sync.run, steps)


# Each saver gets one outbox connection in this process, which lives and dies with the
# saver: a SQLite file's own connection, or, for savers without a database of their own
# (InMemorySaver, SQLite ":memory:"), an in-memory database that is the outbox itself.
_DBS: weakref.WeakKeyDictionary[object, SqliteDb] = weakref.WeakKeyDictionary()
_DBS_LOCK = threading.Lock()


def _per_saver(saver: object, target: str) -> SqliteDb:
    with _DBS_LOCK:
        db = _DBS.get(saver)
        if db is None:
            db = _DBS[saver] = SqliteDb(target)
            weakref.finalize(saver, db.close)
        return db


def _sqlite_target(path: str | None) -> str:
    return ":memory:" if path is None else path


def _sqlite_path(saver: Any) -> str | None:
    conn, lock = sqlite_connection(saver)
    with lock:
        return sqlite_file(conn.execute("PRAGMA database_list").fetchall())


def _async_only(saver: object) -> bool:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    if isinstance(saver, AsyncSqliteSaver):
        return True
    try:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        return False
    return isinstance(saver, AsyncPostgresSaver)


def db_for(saver: BaseCheckpointSaver[Any]) -> SyncDb:
    """Where the outbox of a sync checkpointer lives."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    if _async_only(saver):
        raise TypeError(
            f"{type(saver).__name__} is an async checkpointer: use `await inbox.anotify(...)` "
            "and `await afailed_deliveries(...)` with it."
        )

    if isinstance(saver, SqliteSaver):
        path = _sqlite_path(saver)
        return _per_saver(saver, _sqlite_target(path))
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        return _per_saver(saver, ":memory:")
    if isinstance(saver, PostgresSaver):
        return PostgresDb(saver)
    return _per_saver(saver, ":memory:")


async def adb_for(saver: BaseCheckpointSaver[Any]) -> AsyncDb:
    """Where the outbox of an async (or in-memory) checkpointer lives."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    if isinstance(saver, AsyncSqliteSaver):
        conn, lock = sqlite_connection(saver)
        async with lock, conn.execute("PRAGMA database_list") as cur:
            path = sqlite_file(list(await cur.fetchall()))
        return ThreadedDb(_per_saver(saver, _sqlite_target(path)))
    if _async_only(saver):
        return AsyncPostgresDb(saver)
    return ThreadedDb(db_for(saver))
