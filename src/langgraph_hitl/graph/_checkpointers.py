"""Opening a real checkpointer from a URL: a SQLite file path, or a `postgresql://` URL.

The accepted forms are checked before anything is opened, so a typo never becomes a new
file or folder (`mysql://host/db` would otherwise create `./mysql:/host/db`): a value
with any other scheme, or an empty one, is refused with `DatabaseURLError`. With
`create=False` (the reviewer commands) the SQLite file must exist already. A database
that cannot be reached or opened raises `DatabaseUnavailableError`, naming host and
port (never the password) or the file, and the reason (a SQLite file this process may
not read or write is refused before SQLite touches it, so nothing is created next to it).
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
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


# The severity libpq puts before the server's message.
_SEVERITY = re.compile(r"^(?:FATAL|ERROR|PANIC):\s*")


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
    try:
        mode: int | None = file.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError:
        # E.g. a folder on the way that this user may not enter: not a wrong value, a
        # file that cannot be opened (`open_checkpointer` says why).
        return str(file)
    if mode is not None and stat.S_ISDIR(mode):
        raise DatabaseURLError(
            f"The database {url!r} is a folder, not a SQLite file; expected {ACCEPTED_FORMS}."
        )
    if not create and (mode is None or not stat.S_ISREG(mode)):
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
    reason = _SEVERITY.sub("", reason)  # "FATAL:  password authentication failed ..."
    database = (parts.path or "/").lstrip("/") or "(default)"
    return DatabaseUnavailableError(
        f"Cannot reach the PostgreSQL database {database!r} at {where}: {reason}."
    )


def _sqlite_unavailable(path: str, exc: Exception | str) -> DatabaseUnavailableError:
    return DatabaseUnavailableError(f"Cannot open the SQLite database {path!r}: {exc}.")


def _check_access(path: str) -> None:
    """Refuse a SQLite file this process may not read and write, saying which.

    SQLite itself only says "unable to open database file" (or fails later, on the first
    write, after it made `-wal` and `-shm` files next to a read-only one). Opening the
    file here names the reason, and nothing is created. A file that does not exist is
    left to the caller (created, or refused by `check_database_url`).
    """
    if path == ":memory:":
        return
    # O_NONBLOCK: never wait on a FIFO that has no writer.
    for flags, what in ((os.O_RDONLY, "readable"), (os.O_RDWR, "writable")):
        try:
            fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return
        except OSError as exc:
            reason = (exc.strerror or type(exc).__name__).lower()
            if isinstance(exc, PermissionError):
                reason += f" (not {what} by this user)"
            raise _sqlite_unavailable(path, reason) from exc
        os.close(fd)


class _SqliteConnect(NamedTuple):
    """What both openers pass to `sqlite3.connect` (directly, or through aiosqlite)."""

    database: str
    uri: bool
    # check_same_thread=False: LangGraph runs sync nodes in worker threads; SqliteSaver
    # serializes access with its own lock. A writer waits up to 30 s for another's lock.
    check_same_thread: bool = False
    timeout: float = 30.0


def _sqlite_connect(path: str, *, create: bool) -> _SqliteConnect:
    """How to open `path`: created (with its folder) when missing, or never created."""
    if path == ":memory:":
        return _SqliteConnect(path, uri=False)
    if create:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return _SqliteConnect(path, uri=False)
    # mode=rw: never create the file, even if it vanished since it was checked.
    return _SqliteConnect(f"file:{quote(str(Path(path).resolve()))}?mode=rw", uri=True)


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

    _check_access(target)
    try:
        conn = sqlite3.connect(**_sqlite_connect(target, create=create)._asdict())
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
            try:
                await postgres.setup()
            except psycopg.OperationalError as exc:
                raise _postgres_unavailable(target, exc) from exc
            yield postgres
        finally:
            await opened.__aexit__(None, None, None)
        return
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    _check_access(target)
    try:
        conn = await aiosqlite.connect(**_sqlite_connect(target, create=create)._asdict())
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
