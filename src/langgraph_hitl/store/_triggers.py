"""Running listing plans on a checkpointer's own connection, sync or async.

A plan (`_listing`) yields SQL and receives rows; these drivers run it on the saver's
connection, under the saver's lock (SQLite) or on a cursor of its pool (PostgreSQL).
"""

from __future__ import annotations

from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from ..core._compat import postgres_cursor, sqlite_connection
from ..core._plan import adrive, drive
from ._listing_sql import POSTGRES, SQLITE, Dialect, Many, Op, Plan, Tx

if TYPE_CHECKING:
    import asyncio
    import sqlite3
    import threading
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
    from contextlib import AbstractAsyncContextManager, AbstractContextManager

    import aiosqlite
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from psycopg import AsyncCursor, Cursor
    from psycopg.rows import DictRow

__all__ = ["AsyncListing", "Listing", "alisting_for", "listing_for"]

T = TypeVar("T")
Rows = list[tuple[Any, ...]]
"""What a statement of a listing plan returns: its rows, as tuples."""

# A write transaction takes SQLite's write lock at once: drains queue behind each other
# rather than fail to upgrade a read. A read is one snapshot (WAL) without a write lock.
_SQLITE_BEGIN = {"begin": "BEGIN IMMEDIATE", "read": "BEGIN DEFERRED"}
_PG_TX = {
    "begin": "BEGIN",
    "read": "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    "commit": "COMMIT",
}


class Listing:
    """The listing of a `SqliteSaver` or `PostgresSaver`, run on its own connection."""

    def __init__(self, saver: BaseCheckpointSaver[Any], dialect: Dialect) -> None:
        self.saver = saver
        self.dialect = dialect

    @contextmanager
    def _session(self) -> Iterator[Callable[[Op], Rows]]:
        if self.dialect is SQLITE:
            conn: sqlite3.Connection
            lock: threading.Lock
            conn, lock = sqlite_connection(self.saver)
            with lock:
                state = {"tx": False}

                def do(op: Op) -> Rows:
                    if isinstance(op, Tx):
                        if op.op == "commit":
                            conn.commit()
                        else:
                            if conn.in_transaction:
                                conn.commit()
                            conn.execute(_SQLITE_BEGIN[op.op])
                        state["tx"] = op.op != "commit"
                        return []
                    if isinstance(op, Many):
                        conn.executemany(op.sql, op.params)
                        return []
                    return [tuple(r) for r in conn.execute(op.sql, op.params).fetchall()]

                try:
                    yield do
                finally:
                    if state["tx"]:
                        conn.rollback()
            return
        cursor: AbstractContextManager[Cursor[DictRow]] = postgres_cursor(self.saver)()
        with cursor as cur:
            in_tx = {"tx": False}

            def pg(op: Op) -> Rows:
                if isinstance(op, Tx):
                    cur.execute(_PG_TX[op.op])
                    in_tx["tx"] = op.op != "commit"
                    return []
                if isinstance(op, Many):
                    cur.executemany(op.sql, op.params)
                    return []
                cur.execute(op.sql, op.params or None)
                if cur.description is None:
                    return []
                return [tuple(r.values()) for r in cur.fetchall()]

            try:
                yield pg
            finally:
                if in_tx["tx"]:
                    cur.execute("ROLLBACK")

    def run(self, plan: Plan[T]) -> T:
        """Run a plan on the saver's connection."""
        with self._session() as do:
            return drive(plan, do)


class AsyncListing:
    """The listing of an `AsyncSqliteSaver` or `AsyncPostgresSaver`."""

    def __init__(self, saver: BaseCheckpointSaver[Any], dialect: Dialect) -> None:
        self.saver = saver
        self.dialect = dialect

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[Callable[[Op], Awaitable[Rows]]]:
        if self.dialect is SQLITE:
            conn: aiosqlite.Connection
            lock: asyncio.Lock
            conn, lock = sqlite_connection(self.saver)
            async with lock:
                state = {"tx": False}

                async def do(op: Op) -> Rows:
                    if isinstance(op, Tx):
                        if op.op == "commit":
                            await conn.commit()
                        else:
                            if conn.in_transaction:
                                await conn.commit()
                            await conn.execute(_SQLITE_BEGIN[op.op])
                        state["tx"] = op.op != "commit"
                        return []
                    if isinstance(op, Many):
                        await conn.executemany(op.sql, op.params)
                        return []
                    async with conn.execute(op.sql, op.params) as cur:
                        return [tuple(r) for r in await cur.fetchall()]

                try:
                    yield do
                finally:
                    if state["tx"]:
                        await conn.rollback()
            return
        acursor: AbstractAsyncContextManager[AsyncCursor[DictRow]] = postgres_cursor(self.saver)()
        async with acursor as cur:
            in_tx = {"tx": False}

            async def pg(op: Op) -> Rows:
                if isinstance(op, Tx):
                    await cur.execute(_PG_TX[op.op])
                    in_tx["tx"] = op.op != "commit"
                    return []
                if isinstance(op, Many):
                    await cur.executemany(op.sql, op.params)
                    return []
                await cur.execute(op.sql, op.params or None)
                if cur.description is None:
                    return []
                return [tuple(r.values()) for r in await cur.fetchall()]

            try:
                yield pg
            finally:
                if in_tx["tx"]:
                    await cur.execute("ROLLBACK")

    async def run(self, plan: Plan[T]) -> T:
        """Run a plan on the saver's connection."""
        async with self._session() as do:
            return await adrive(plan, do)


def _dialect_of(saver: BaseCheckpointSaver[Any], *, aio: bool) -> Dialect | None:
    if aio:
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        if isinstance(saver, AsyncSqliteSaver):
            return SQLITE
    else:
        from langgraph.checkpoint.sqlite import SqliteSaver

        if isinstance(saver, SqliteSaver):
            return SQLITE
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        return None
    postgres = AsyncPostgresSaver if aio else PostgresSaver
    return POSTGRES if isinstance(saver, postgres) else None


def listing_for(saver: BaseCheckpointSaver[Any]) -> Listing | None:
    """The SQL listing of a sync saver, or None (the inbox reads its threads one by one)."""
    dialect = _dialect_of(saver, aio=False)
    return None if dialect is None else Listing(saver, dialect)


def alisting_for(saver: BaseCheckpointSaver[Any]) -> AsyncListing | None:
    """The SQL listing of an async saver, or None."""
    dialect = _dialect_of(saver, aio=True)
    return None if dialect is None else AsyncListing(saver, dialect)
