"""Listing what waits for a human across 1,000 and 10,000 paused threads.

`Inbox.pending()` (one query over the checkpointer's tables) against the naive scan a user
would write without it: every thread from `checkpointer.list(None)`, then
`pending_interrupts` thread by thread. Each database also holds as many finished threads
(answered, so their history stays), so the naive scan pays for history the inbox skips.
On SQLite, and on PostgreSQL when LANGGRAPH_HITL_TEST_POSTGRES_URL is set (`make bench`
starts one). Targets: 10,000 paused threads listed in under 1 s; at least 10x faster than
the naive scan at 10,000.

Seeding: the graph runs for a few hundred threads (pausing at an approval), then their
rows are copied in SQL under new thread ids, which is what thousands of runs would leave.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.tools import tool

from langgraph_hitl import Approve, approval_tool, build_hitl_graph, pending_interrupts, resume
from langgraph_hitl._checkpointers import open_checkpointer
from langgraph_hitl._inbox import Inbox
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from langchain_core.messages import AIMessage
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.pregel import Pregel

SIZES = (1_000, 10_000)
SEED = 250
"""Threads run for real (paused, and as many finished); the rest are SQL copies."""
POSTGRES_ENV = "LANGGRAPH_HITL_TEST_POSTGRES_URL"
TARGET_SECONDS = 1.0
TARGET_SPEEDUP = 10.0


@tool
def send_email(to: str, subject: str) -> str:
    """Send an e-mail."""
    return f"Sent to {to}."


def _graph(saver: BaseCheckpointSaver[Any], threads: int) -> Pregel[Any, Any, Any, Any]:
    """The agent, scripted for `_run_seed`: odd threads are answered and finish."""
    script: list[AIMessage | str] = []
    for n in range(threads):
        call = ("send_email", {"to": f"user{n}@example.com", "subject": "Hi"})
        script += [ai_tool_calls(call), "Sent."] if n % 2 else [ai_tool_calls(call)]
    model = ScriptedChatModel(responses=script)
    return build_hitl_graph(model, [approval_tool(send_email)]).compile(checkpointer=saver)


def _run_seed(saver: BaseCheckpointSaver[Any]) -> None:
    """SEED paused threads and SEED finished ones, run through the real graph."""
    graph = _graph(saver, 2 * SEED)
    user = {"messages": [{"role": "user", "content": "Mail them."}]}
    for n in range(2 * SEED):
        config: Any = {"configurable": {"thread_id": f"seed-{n}"}}
        graph.invoke(user, config)
        if n % 2:
            resume(graph, config, Approve())


_SQLITE_TABLES = ("checkpoints", "writes")
_PG_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")


def _copy_sql(table: str, columns: list[str], first: int, last: int, *, pg: bool) -> str:
    """Copy the seeded threads' rows of `table` once per k in [first, last], as `seed-N-cK`."""
    picked = ", ".join("thread_id || '-c' || k" if c == "thread_id" else c for c in columns)
    series = (
        f"generate_series({first}, {last}) AS k"
        if pg
        else f"(WITH RECURSIVE n(k) AS (SELECT {first} UNION ALL SELECT k + 1 FROM n "
        f"WHERE k < {last}) SELECT k FROM n)"
    )
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {picked} FROM {table} "
        f"CROSS JOIN {series} WHERE thread_id LIKE 'seed-%' AND thread_id NOT LIKE '%-c%'"
    )


def _grow(saver: BaseCheckpointSaver[Any], first: int, last: int) -> None:
    """Copy every seeded thread under copy numbers `first`..`last`."""
    if last < first:
        return
    conn: Any = getattr(saver, "conn", None)
    if isinstance(conn, sqlite3.Connection):
        with saver.lock:  # type: ignore[attr-defined]
            for table in _SQLITE_TABLES:
                columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
                conn.execute(_copy_sql(table, columns, first, last, pg=False))
            conn.commit()
        return
    with saver._cursor() as cur:  # type: ignore[attr-defined]
        for table in _PG_TABLES:
            cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND table_schema = current_schema() ORDER BY ordinal_position",
                (table,),
            )
            columns = [row["column_name"] for row in cur.fetchall()]
            cur.execute(_copy_sql(table, columns, first, last, pg=True))
        cur.execute("ANALYZE")


def _naive(graph: Pregel[Any, Any, Any, Any]) -> int:
    saver: Any = graph.checkpointer
    threads = dict.fromkeys(c.config["configurable"]["thread_id"] for c in saver.list(None))
    found = 0
    for thread in threads:
        found += len(pending_interrupts(graph, {"configurable": {"thread_id": thread}}))
    return found


def _time(fn: Callable[[], int], runs: int) -> tuple[float, int]:
    samples, result = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


@contextmanager
def _stores() -> Iterator[tuple[str, Callable[[], Any]]]:
    """(name, factory of a fresh empty store URL) per backend available."""
    with tempfile.TemporaryDirectory() as tmp:
        yield "sqlite", lambda: str(Path(tmp) / f"{uuid.uuid4().hex}.db")


def _postgres_store() -> Iterator[str]:
    import psycopg

    admin = os.environ[POSTGRES_ENV]
    base, sep, query = admin.partition("?")
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base.rsplit('/', 1)[0]}/{name}{sep}{query}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _bench(backend: str, url: str) -> list[tuple[str, int, float, float]]:
    rows = []
    with open_checkpointer(url) as saver:
        started = time.perf_counter()
        _run_seed(saver)
        graph = _graph(saver, 0)
        inbox = Inbox(graph)
        copies = 0
        for size in SIZES:
            _grow(saver, copies + 1, size // SEED - 1)
            copies = size // SEED - 1
            seeded = time.perf_counter() - started
            fast, listed = _time(lambda: len(inbox.pending()), runs=5)
            slow, scanned = _time(lambda: _naive(graph), runs=1 if size > 1_000 else 3)
            assert listed == scanned == size, (listed, scanned, size)
            print(
                f"  {backend:<9} {size:>6} paused (+{size} finished): "
                f"Inbox.pending() {fast * 1000:8.1f} ms   naive scan {slow * 1000:9.1f} ms   "
                f"{slow / fast:6.1f}x faster   (seeded in {seeded:.0f} s)",
                flush=True,
            )
            rows.append((backend, size, fast, slow))
    return rows


def main() -> None:
    results: list[tuple[str, int, float, float]] = []
    with _stores() as (name, fresh):
        results += _bench(name, fresh())
    if os.environ.get(POSTGRES_ENV):
        for url in _postgres_store():
            results += _bench("postgres", url)
    else:
        print(f"  postgres  skipped: set {POSTGRES_ENV} (or run `make bench`)")
    for backend, size, fast, slow in results:
        if size != max(SIZES):
            continue
        ok = fast < TARGET_SECONDS and slow / fast >= TARGET_SPEEDUP
        print(
            f"  {backend}: {size} listed in {fast:.3f} s (target < {TARGET_SECONDS:g} s), "
            f"{slow / fast:.0f}x the naive scan (target >= {TARGET_SPEEDUP:g}x): "
            f"{'met' if ok else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
