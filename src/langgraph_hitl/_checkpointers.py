"""Opening a real checkpointer from a URL: a SQLite file path, or a `postgresql://` URL."""

from __future__ import annotations

import sqlite3
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from langgraph.checkpoint.base import BaseCheckpointSaver

__all__ = ["aopen_checkpointer", "is_postgres_url", "open_checkpointer"]


def is_postgres_url(url: str) -> bool:
    """Whether `url` names a PostgreSQL database rather than a SQLite file."""
    return url.startswith(("postgresql://", "postgres://"))


def _sqlite_path(url: str) -> str:
    path = url.removeprefix("sqlite:///").removeprefix("sqlite://")
    if path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return path


def _postgres_missing() -> ImportError:
    return ImportError(
        "A postgresql:// URL needs the PostgreSQL extra: pip install 'langgraph-hitl[postgres]'."
    )


@contextmanager
def open_checkpointer(url: str) -> Iterator[BaseCheckpointSaver[Any]]:
    """Open (and set up) the checkpointer for `url`; close it on exit.

    Args:
        url: A SQLite file path (`agent.db`, `sqlite:///agent.db`) or a PostgreSQL URL
            (`postgresql://user@host/db`, needs the `postgres` extra).
    """
    if is_postgres_url(url):
        try:
            from langgraph.checkpoint.postgres import PostgresSaver
        except ImportError as exc:  # pragma: no cover - depends on the installed extra
            raise _postgres_missing() from exc
        with PostgresSaver.from_conn_string(url) as postgres:
            postgres.setup()
            yield postgres
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    # check_same_thread=False: LangGraph runs sync nodes in worker threads; SqliteSaver
    # serializes access with its own lock.
    conn = sqlite3.connect(_sqlite_path(url), check_same_thread=False, timeout=30)
    try:
        saver = SqliteSaver(conn)
        saver.setup()
        yield saver
    finally:
        conn.close()


@asynccontextmanager
async def aopen_checkpointer(url: str) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """Async twin of `open_checkpointer` (AsyncSqliteSaver / AsyncPostgresSaver)."""
    if is_postgres_url(url):
        try:
            from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        except ImportError as exc:  # pragma: no cover - depends on the installed extra
            raise _postgres_missing() from exc
        async with AsyncPostgresSaver.from_conn_string(url) as postgres:
            await postgres.setup()
            yield postgres
        return
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    async with AsyncSqliteSaver.from_conn_string(_sqlite_path(url)) as saver:
        await saver.setup()
        yield saver
