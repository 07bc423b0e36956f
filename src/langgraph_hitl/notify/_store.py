"""Where the outbox lives, and what runs its statements in one transaction.

The table and its statements are `_outbox_sql.py`. They run through an executor:
SQLite (its own connection to the saver's file), PostgreSQL (the saver's connection),
or, for savers without a database, an in-memory SQLite database kept per saver in this
process. Times are the library clock's (`_clock.timestamp`), so tests move them with a
`FakeClock`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import weakref
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from ..core._compat import postgres_cursor, sqlite_connection
from ..core._plan import adrive, drive
from ..store._claims import PG_LOCK_NS, sqlite_file
from ._outbox_sql import POSTGRES, SQLITE, Dialect, Row, Step

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

__all__ = ["AsyncDb", "SyncDb", "adb_for", "db_for", "is_async_saver", "last_rows"]

_PG_SETUP_KEY = 5  # advisory key under PG_LOCK_NS (1 to 4 are the store's)


class SyncDb(Protocol):
    """Runs steps in one transaction and returns the rows of the last one."""

    dialect: Dialect

    def setup(self) -> None: ...

    def exists(self) -> bool:
        """Whether the outbox table exists (a sweep ran on this database), creating nothing."""
        ...

    def run(self, steps: Sequence[Step]) -> list[Row]: ...


class AsyncDb(Protocol):
    """Async twin of `SyncDb`."""

    dialect: Dialect

    async def setup(self) -> None: ...

    async def exists(self) -> bool: ...

    async def run(self, steps: Sequence[Step]) -> list[Row]: ...


def last_rows(steps: Sequence[Step]) -> Generator[Step, list[Row], list[Row]]:
    """The plan of one transaction: each step in turn; the rows of the last one.

    Its driver runs a step and returns its rows (none for a `many` step).
    """
    rows: list[Row] = []
    for step in steps:
        rows = yield step
    return rows


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

    def _step(self, step: Step) -> list[Row]:
        if step.many:
            self._conn.executemany(step.sql, step.params)
            return []
        return [tuple(r) for r in self._conn.execute(step.sql, step.params)]

    def run(self, steps: Sequence[Step]) -> list[Row]:
        self.setup()
        with self._lock:
            conn = self._conn
            # BEGIN IMMEDIATE takes SQLite's write lock at once: claims of other
            # processes wait for this transaction rather than interleave with it.
            conn.execute("BEGIN IMMEDIATE")
            try:
                rows = drive(last_rows(steps), self._step)
                conn.execute("COMMIT")
                return rows
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _pg_row(row: Any) -> Row:
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


def _pg_setup(dialect: Dialect) -> tuple[Step, ...]:
    # Two processes creating the table at once would race in the catalog: a lock first.
    lock = Step("SELECT pg_advisory_xact_lock(%s, %s)", (PG_LOCK_NS, _PG_SETUP_KEY))
    return (lock, Step(dialect.create()), *(Step(index) for index in dialect.indexes()))


def _pg_step(cur: Any, step: Step) -> list[Row]:
    if step.many:
        cur.executemany(step.sql, step.params)
        return []
    cur.execute(step.sql, step.params)
    return [_pg_row(r) for r in cur.fetchall()] if cur.description else []


async def _apg_step(cur: Any, step: Step) -> list[Row]:
    if step.many:
        await cur.executemany(step.sql, step.params)
        return []
    await cur.execute(step.sql, step.params)
    return [_pg_row(r) for r in await cur.fetchall()] if cur.description else []


class PostgresDb:
    """The PostgreSQL database of a `PostgresSaver`, through the saver's connection."""

    dialect = POSTGRES

    def __init__(self, saver: object) -> None:
        self._saver = saver
        self._ready = False

    def _transaction(self, steps: Sequence[Step]) -> list[Row]:
        with postgres_cursor(self._saver)() as cur, cur.connection.transaction():
            return drive(last_rows(steps), partial(_pg_step, cur))

    def setup(self) -> None:
        if not self._ready:
            self._transaction(_pg_setup(self.dialect))
            self._ready = True

    def exists(self) -> bool:
        if self._ready:
            return True
        with postgres_cursor(self._saver)() as cur:
            return bool(_pg_step(cur, Step(self.dialect.exists()))[0][0])

    def run(self, steps: Sequence[Step]) -> list[Row]:
        self.setup()
        return self._transaction(steps)


class AsyncPostgresDb:
    """The PostgreSQL database of an `AsyncPostgresSaver`."""

    dialect = POSTGRES

    def __init__(self, saver: object) -> None:
        self._saver = saver
        self._ready = False

    async def _transaction(self, steps: Sequence[Step]) -> list[Row]:
        async with postgres_cursor(self._saver)() as cur, cur.connection.transaction():
            return await adrive(last_rows(steps), partial(_apg_step, cur))

    async def setup(self) -> None:
        if not self._ready:
            await self._transaction(_pg_setup(self.dialect))
            self._ready = True

    async def exists(self) -> bool:
        if self._ready:
            return True
        async with postgres_cursor(self._saver)() as cur:
            return bool((await _apg_step(cur, Step(self.dialect.exists())))[0][0])

    async def run(self, steps: Sequence[Step]) -> list[Row]:
        await self.setup()
        return await self._transaction(steps)


class ThreadedDb:
    """A `SyncDb` used from async code: each step runs in a worker thread."""

    def __init__(self, sync: SyncDb) -> None:
        self.sync = sync
        self.dialect = sync.dialect

    async def setup(self) -> None:
        await asyncio.to_thread(self.sync.setup)

    async def exists(self) -> bool:
        return await asyncio.to_thread(self.sync.exists)

    async def run(self, steps: Sequence[Step]) -> list[Row]:
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


def _sqlite_path(saver: object) -> str | None:
    conn, lock = sqlite_connection(saver)
    with lock:
        return sqlite_file(conn.execute("PRAGMA database_list").fetchall())


def is_async_saver(saver: object) -> bool:
    """Whether `saver` is an `AsyncSqliteSaver` or `AsyncPostgresSaver` (async calls only)."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    if isinstance(saver, AsyncSqliteSaver):
        return True
    try:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        return False
    return isinstance(saver, AsyncPostgresSaver)


def db_for(saver: object) -> SyncDb:
    """Where the outbox of a sync checkpointer lives."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    if is_async_saver(saver):
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


async def adb_for(saver: object) -> AsyncDb:
    """Where the outbox of an async (or in-memory) checkpointer lives."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    if isinstance(saver, AsyncSqliteSaver):
        conn, lock = sqlite_connection(saver)
        async with lock, conn.execute("PRAGMA database_list") as cur:
            path = sqlite_file(list(await cur.fetchall()))
        return ThreadedDb(_per_saver(saver, _sqlite_target(path)))
    if is_async_saver(saver):
        return AsyncPostgresDb(saver)
    return ThreadedDb(db_for(saver))
