"""Opening a real checkpointer from a URL: a SQLite file path, or a `postgresql://` URL.

The accepted forms are checked before anything is opened, so a typo never becomes a new
file or folder (`mysql://host/db` would otherwise create `./mysql:/host/db`): a value
with any other scheme, or an empty one, is refused with `DatabaseURLError`. With
`create=False` (the reviewer commands) the SQLite file must exist already. A database
that cannot be reached or opened raises `DatabaseUnavailableError`, naming host and
port (never the password) or the file, and the reason.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from ..core._errors import DatabaseUnavailableError, DatabaseURLError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from langgraph.checkpoint.base import BaseCheckpointSaver

__all__ = [
    "ACCEPTED_FORMS",
    "aopen_checkpointer",
    "check_database_url",
    "is_postgres_url",
    "open_checkpointer",
    "redacted",
]

ACCEPTED_FORMS = (
    "a SQLite file path (agent.db, sqlite:///agent.db) or a postgresql://user@host:5432/db URL"
)
"""What a database URL may be, as error messages say it."""

# A scheme is two or more letters before a colon, so `C:\agent.db` stays a path.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")


def is_postgres_url(url: str) -> bool:
    """Whether `url` names a PostgreSQL database rather than a SQLite file."""
    return url.startswith(("postgresql://", "postgres://"))


def redacted(url: str) -> str:
    """`url` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _sqlite_path(url: str) -> str:
    for prefix in ("sqlite:///", "sqlite://", "sqlite:"):
        if url.startswith(prefix):
            return url[len(prefix) :]
    return url


def check_database_url(url: str, *, create: bool = True) -> str:
    """Check that `url` is an accepted form; return the SQLite path or the PostgreSQL URL.

    Args:
        url: The value given.
        create: Whether a SQLite file that does not exist may be created. When False, it
            must exist.

    Raises:
        DatabaseURLError: Empty, a scheme other than `sqlite:` / `postgresql://`, or (with
            `create=False`) a SQLite file that does not exist. Nothing is created.
    """
    if not url.strip():
        raise DatabaseURLError(f"The database {url!r} is empty; expected {ACCEPTED_FORMS}.")
    if is_postgres_url(url):
        # No host is fine: libpq then uses its local socket (postgresql:///agent).
        return url
    scheme = _SCHEME.match(url)
    if scheme is not None and scheme.group(1).lower() != "sqlite":
        raise DatabaseURLError(
            f"The database {redacted(url)!r} has the scheme {scheme.group(1)!r}, which is not "
            f"supported; expected {ACCEPTED_FORMS}."
        )
    path = _sqlite_path(url)
    if path == ":memory:":
        if create:
            return path
        raise DatabaseURLError(
            f"The database {url!r} is in memory, so it is always empty; expected {ACCEPTED_FORMS}."
        )
    if not path.strip():
        raise DatabaseURLError(f"The database {url!r} names no file; expected {ACCEPTED_FORMS}.")
    file = Path(path).expanduser()
    if file.is_dir():
        raise DatabaseURLError(
            f"The database {url!r} is a folder, not a SQLite file; expected {ACCEPTED_FORMS}."
        )
    if not create and not file.is_file():
        raise DatabaseURLError(
            f"No database file {url!r} (nothing was created); expected the path of an existing "
            "SQLite file (as the agent that wrote it was given) or a postgresql:// URL."
        )
    return str(file)


def _postgres_missing() -> ImportError:
    return ImportError(
        "A postgresql:// URL needs the PostgreSQL extra: pip install 'langgraph-hitl[postgres]'."
    )


def _postgres_unavailable(url: str, exc: Exception) -> DatabaseUnavailableError:
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or 5432}" if parts.hostname else "the local socket"
    # psycopg's reasons run over several lines; the first that says why is enough.
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    reason = first.rpartition("failed:")[2].strip() or first or type(exc).__name__
    database = (parts.path or "/").lstrip("/") or "(default)"
    return DatabaseUnavailableError(
        f"Cannot reach the PostgreSQL database {database!r} at {where}: {reason}."
    )


def _sqlite_unavailable(path: str, exc: Exception) -> DatabaseUnavailableError:
    return DatabaseUnavailableError(f"Cannot open the SQLite database {path!r}: {exc}.")


def _connect_sqlite(path: str, *, create: bool) -> sqlite3.Connection:
    if path == ":memory:":
        return sqlite3.connect(path, check_same_thread=False)
    if create:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        target, uri = path, False
    else:
        # mode=rw: never create the file, even if it vanished since it was checked.
        target, uri = f"file:{quote(str(Path(path).resolve()))}?mode=rw", True
    # check_same_thread=False: LangGraph runs sync nodes in worker threads; SqliteSaver
    # serializes access with its own lock.
    return sqlite3.connect(target, check_same_thread=False, timeout=30, uri=uri)


@contextmanager
def open_checkpointer(url: str, *, create: bool = True) -> Iterator[BaseCheckpointSaver[Any]]:
    """Open (and set up) the checkpointer for `url`; close it on exit.

    Args:
        url: A SQLite file path (`agent.db`, `sqlite:///agent.db`) or a PostgreSQL URL
            (`postgresql://user@host/db`, needs the `postgres` extra).
        create: Create the SQLite file (and its folder) when missing. With False, a file
            that does not exist is refused.

    Raises:
        DatabaseURLError: `url` is not an accepted form (nothing is created).
        DatabaseUnavailableError: The database cannot be reached or opened.
    """
    target = check_database_url(url, create=create)
    if is_postgres_url(target):
        try:
            import psycopg
            from langgraph.checkpoint.postgres import PostgresSaver
        except ImportError as exc:  # pragma: no cover - depends on the installed extra
            raise _postgres_missing() from exc
        try:
            opened = PostgresSaver.from_conn_string(target)
            postgres = opened.__enter__()
        except psycopg.Error as exc:
            raise _postgres_unavailable(target, exc) from exc
        try:
            try:
                postgres.setup()
            except psycopg.OperationalError as exc:
                raise _postgres_unavailable(target, exc) from exc
            yield postgres
        finally:
            opened.__exit__(None, None, None)
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    try:
        conn = _connect_sqlite(target, create=create)
    except sqlite3.Error as exc:
        raise _sqlite_unavailable(target, exc) from exc
    try:
        saver = SqliteSaver(conn)
        try:
            saver.setup()
        except sqlite3.DatabaseError as exc:
            raise _sqlite_unavailable(target, exc) from exc
        yield saver
    finally:
        conn.close()


@asynccontextmanager
async def aopen_checkpointer(
    url: str, *, create: bool = True
) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """Async twin of `open_checkpointer` (AsyncSqliteSaver / AsyncPostgresSaver)."""
    target = check_database_url(url, create=create)
    if is_postgres_url(target):
        try:
            import psycopg
            from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        except ImportError as exc:  # pragma: no cover - depends on the installed extra
            raise _postgres_missing() from exc
        try:
            opened = AsyncPostgresSaver.from_conn_string(target)
            postgres = await opened.__aenter__()
        except psycopg.Error as exc:
            raise _postgres_unavailable(target, exc) from exc
        try:
            await postgres.setup()
            yield postgres
        finally:
            await opened.__aexit__(None, None, None)
        return
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    if target != ":memory:" and create:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    where = target if create or target == ":memory:" else f"file:{quote(target)}?mode=rw"
    try:
        conn = await aiosqlite.connect(where, uri=not create)
    except sqlite3.Error as exc:
        raise _sqlite_unavailable(target, exc) from exc
    try:
        saver = AsyncSqliteSaver(conn)
        try:
            await saver.setup()
        except sqlite3.DatabaseError as exc:
            raise _sqlite_unavailable(target, exc) from exc
        yield saver
    finally:
        await conn.close()
