"""The inbox set up on PostgreSQL by several processes at once: no deadlock, no broken index.

The first listing of a database creates the listing's tables and triggers, then builds
the interrupt-write index `CONCURRENTLY`. Such a build holds a lock on checkpoint_writes
that `CREATE TRIGGER` waits for, and at its end waits for every transaction older than
it: a process that created the triggers while another built the index deadlocked (CI
saw it in the concurrency test). Here a transaction of the test's own, open on a
connection of its own, keeps a build waiting for as long as the test needs, so what
other processes can do meanwhile is shown, not raced. Every lister is a real process.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

import forked
import psycopg
import pytest
from graphs.mail import ask
from graphs.worker import GRAPH, opened
from server_support import wait_until

from langgraph_hitl import Inbox, aopen_checkpointer
from langgraph_hitl.core._graphref import load_graph
from langgraph_hitl.store._listing import POSTGRES

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.queues import Queue

WAIT = 300.0
"""Seconds to wait for another process: generous, for a loaded machine."""

_BUILD = "CREATE INDEX CONCURRENTLY%hitl_pending_interrupts%"
_INDEX = """SELECT i.indisvalid FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
WHERE c.relname = 'hitl_pending_interrupts'"""


def _first_listing(db: str, how: str, results: Queue[dict[str, Any]]) -> None:
    """In a process of its own: list `db` with a new inbox; put what it found or raised."""
    try:
        if how == "sync":
            with opened(db) as graph:
                found = [p.thread_id for p in Inbox(graph).pending()]
        else:
            found = asyncio.run(_alist(db))
        results.put({"found": found})
    except Exception as exc:
        results.put({"error": type(exc).__name__, "message": str(exc)})


async def _alist(db: str) -> list[str | None]:
    async with aopen_checkpointer(db) as saver:
        inbox = Inbox(load_graph(GRAPH, saver))
        return [p.thread_id for p in await inbox.apending()]


def _query(db: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(db, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def _waiting_build(db: str) -> int | None:
    """The pid of the backend whose index build waits on another transaction, if any."""
    rows = _query(
        db,
        "SELECT pid FROM pg_stat_activity WHERE query LIKE '" + _BUILD + "' "
        "AND wait_event = 'virtualxid'",
    )
    return int(rows[0][0]) if rows else None


@pytest.fixture
def paused(postgres_url: str) -> str:
    """A database with one thread waiting for an approval, never listed; its thread id."""
    thread = f"t-{uuid.uuid4().hex[:8]}"
    with opened(postgres_url) as graph:
        config: Any = {"configurable": {"thread_id": thread}}
        graph.invoke(ask("send_email", to="a@example.com", subject="Hi"), config)
    return thread


@pytest.fixture
def old_transaction(postgres_url: str) -> Iterator[psycopg.Connection[Any]]:
    """An open transaction with a snapshot, as a long report would hold: a concurrent index
    build waits for it at its end. It holds no lock on any table."""
    conn = psycopg.connect(postgres_url)
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    conn.execute("SELECT 1")
    try:
        yield conn
    finally:
        conn.close()


def _lister(db: str, how: str) -> tuple[Any, Queue[dict[str, Any]]]:
    context = forked.context()
    results: Queue[dict[str, Any]] = context.Queue()
    process = context.Process(target=_first_listing, args=(db, how, results))
    process.start()
    return process, results


@pytest.mark.parametrize("how", ["sync", "async"])
def test_while_the_index_is_built_other_processes_list_without_waiting(
    postgres_url: str, paused: str, old_transaction: psycopg.Connection[Any], how: str
) -> None:
    builder, built = _lister(postgres_url, how)
    other = None
    try:
        wait_until(lambda: _waiting_build(postgres_url), timeout=WAIT, what="the index build")
        # The triggers came first, committed: nobody creates them again while it builds.
        triggers = {r[0] for r in _query(postgres_url, POSTGRES.in_place)}
        assert set(POSTGRES.trigger_names) <= triggers
        other, listed = _lister(postgres_url, "sync")
        assert listed.get(timeout=WAIT) == {"found": [paused]}
        assert _waiting_build(postgres_url) is not None  # it listed while the build waited
        old_transaction.rollback()
        assert built.get(timeout=WAIT) == {"found": [paused]}
        assert _query(postgres_url, _INDEX) == [(True,)]
    finally:
        old_transaction.rollback()  # (again, when an assertion failed: the build ends)
        for process in (builder, other):
            if process is not None:
                process.join(timeout=WAIT)
                process.kill()


def test_an_index_left_invalid_by_a_failed_build_is_built_again(
    postgres_url: str, paused: str, old_transaction: psycopg.Connection[Any]
) -> None:
    builder, built = _lister(postgres_url, "sync")
    try:
        pid = wait_until(lambda: _waiting_build(postgres_url), timeout=WAIT, what="the build")
        _query(postgres_url, f"SELECT pg_cancel_backend({pid})")
        failed = built.get(timeout=WAIT)
        assert failed["error"] == "QueryCanceled", failed
        # What a failed concurrent build leaves: an index that is not valid.
        assert _query(postgres_url, _INDEX) == [(False,)]
    finally:
        old_transaction.rollback()
        builder.join(timeout=WAIT)
        builder.kill()
    again, listed = _lister(postgres_url, "async")
    try:
        assert listed.get(timeout=WAIT) == {"found": [paused]}
        assert _query(postgres_url, _INDEX) == [(True,)]
    finally:
        again.join(timeout=WAIT)
        again.kill()
