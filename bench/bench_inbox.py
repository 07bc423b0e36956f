"""The inbox at 100,000 paused threads (and 1,000,000 with `--scale 1000000`).

Per size, on SQLite and on PostgreSQL (when LANGGRAPH_HITL_TEST_POSTGRES_URL is set;
`make bench` starts one), each database also holding as many finished threads:

- the first page of 50 (`Inbox.page(limit=50)`), and filtered by tool (one tool in ten);
- page 100, read from its cursor, and the walk of all 100 pages to reach it;
- `count()`;
- the whole listing streamed (`iter_pending`): requests per second, and its peak memory
  (tracemalloc, in a second pass);
- the baselines: the previous listing (one query that reads and decodes every pending
  row, then filters and cuts in Python: what `pending(limit=50)` cost before), and the
  naive scan (`pending_interrupts` thread by thread), timed on 2,000 threads and
  extrapolated, as a full run takes hours at these sizes (a lower bound: the thread ids
  come from SQL, not from `checkpointer.list(None)`, which decodes every checkpoint).

Targets: a first page, unfiltered or by tool, under 50 ms at 1,000,000 paused threads;
the streamed listing at least 50,000 requests/s on SQLite, its peak memory the same at
every size.

Seeding: the graph runs for a few hundred threads (half pause at an approval, half are
answered and finish), then their rows are copied in SQL under new thread ids, in big
batches, which is what that many runs would leave. The listing's rows are copied with them
(each copy's rows are its seed's under the new thread id: what the triggers and a drain
would make of it), with the triggers off for the copy; a sample of copied threads is then
checked against `pending_interrupts`. With `--through-triggers` the triggers see every
copied row instead, and the first listing after a copy drains what they queued (timed as
"catch-up").

Wall time counts the waits for a core on a shared machine; the streamed listing's rate is
also given per second of CPU time, which such waits do not inflate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.tools import tool

from langgraph_hitl import Approve, approval_tool, build_hitl_graph, pending_interrupts, resume
from langgraph_hitl.core._compat import postgres_cursor, sqlite_connection
from langgraph_hitl.graph._checkpointers import open_checkpointer
from langgraph_hitl.inbox._inbox import Inbox
from langgraph_hitl.store._backends import Decoder, paused_gc
from langgraph_hitl.store._cursor import Filters
from langgraph_hitl.store._listing import POSTGRES, SQLITE, page_query
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from langchain_core.messages import AIMessage
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.pregel import Pregel

SMALLEST = 100_000
SEED = 250
"""Threads run for real (paused), and as many finished; the rest are SQL copies."""
RARE_EVERY = 10
"""One paused thread in this many asks about `wire_money`: the filtered page's tool."""
NAIVE_SAMPLE = 2_000
POSTGRES_ENV = "LANGGRAPH_HITL_TEST_POSTGRES_URL"
TARGET_PAGE_S = 0.050
TARGET_RATE = 50_000


@tool
def send_email(to: str, subject: str) -> str:
    """Send an e-mail."""
    return f"Sent to {to}."


@tool
def wire_money(to: str, amount: int) -> str:
    """Wire money."""
    return f"Wired {amount} to {to}."


def _graph(saver: BaseCheckpointSaver[Any], threads: int) -> Pregel[Any, Any, Any, Any]:
    """The agent, scripted for `_run_seed`: odd threads are answered and finish."""
    script: list[AIMessage | str] = []
    for n in range(threads):
        if n % (2 * RARE_EVERY) == 0:
            call = ("wire_money", {"to": f"user{n}", "amount": n})
        else:
            call = ("send_email", {"to": f"user{n}@example.com", "subject": "Hi"})
        script += [ai_tool_calls(call), "Done."] if n % 2 else [ai_tool_calls(call)]
    model = ScriptedChatModel(responses=script)
    tools = [approval_tool(send_email), approval_tool(wire_money)]
    return build_hitl_graph(model, tools).compile(checkpointer=saver)


def _run_seed(saver: BaseCheckpointSaver[Any]) -> None:
    graph = _graph(saver, 2 * SEED)
    user = {"messages": [{"role": "user", "content": "Do it."}]}
    for n in range(2 * SEED):
        config: Any = {"configurable": {"thread_id": f"seed-{n}"}}
        graph.invoke(user, config)
        if n % 2:
            resume(graph, config, Approve())


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


def _grow(saver: BaseCheckpointSaver[Any], first: int, last: int, *, direct: bool) -> None:
    """Copy every seeded thread under copy numbers `first`..`last`, a chunk at a time."""
    for start in range(first, last + 1, 100):
        _copy(saver, start, min(start + 99, last), direct=direct)
    _analyze(saver)


def _copy(saver: BaseCheckpointSaver[Any], first: int, last: int, *, direct: bool) -> None:
    """Copy the seeded threads' rows; `direct`: their listing rows too, triggers off.

    The listing's rows of a copied thread are its seed's under the new thread id (the same
    checkpoint, task, interrupt ids, value and schema), which is what the triggers and a
    drain would make of the copied rows, minus the per-row trigger and decoding work.
    """
    if type(saver).__name__ == "SqliteSaver":
        conn, lock = sqlite_connection(saver)
        with lock:
            if direct:
                for name in SQLITE.trigger_names:
                    conn.execute(f"DROP TRIGGER {name}")
            for table in ("checkpoints", "writes", *(("hitl_listing",) if direct else ())):
                columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
                conn.execute(_copy_sql(table, columns, first, last, pg=False))
            if direct:
                for sql in SQLITE.triggers:
                    conn.execute(sql)
            conn.commit()
        return
    with postgres_cursor(saver)() as cur:
        if direct:
            cur.execute("BEGIN")
            cur.execute("SET LOCAL session_replication_role = replica")  # no trigger fires
        for table in (
            "checkpoints",
            "checkpoint_blobs",
            "checkpoint_writes",
            *(("hitl_listing",) if direct else ()),
        ):
            cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND table_schema = current_schema() ORDER BY ordinal_position",
                (table,),
            )
            columns = [row["column_name"] for row in cur.fetchall()]
            cur.execute(_copy_sql(table, columns, first, last, pg=True))
        if direct:
            cur.execute("COMMIT")


def _check_sample(graph: Pregel[Any, Any, Any, Any], inbox: Inbox[Any], size: int) -> None:
    """Copied threads list as their own state says (ids, values, versions), sampled."""
    for n in range(0, size // SEED - 1, max(1, size // SEED // 20)):
        thread = f"seed-{2 * (n % SEED)}-c{n + 1}"
        exact = pending_interrupts(graph, {"configurable": {"thread_id": thread}})
        listed = inbox.pending(thread_id=thread)
        assert [(p.id, p.value, p.version, p.node) for p in listed] == [
            (p.id, p.value, p.version, p.node) for p in exact
        ], thread
        assert exact, thread


def _analyze(saver: BaseCheckpointSaver[Any]) -> None:
    # What autovacuum does on a live database once tables have grown.
    if type(saver).__name__ == "SqliteSaver":
        conn, lock = sqlite_connection(saver)
        with lock:
            # Sampled, as `PRAGMA optimize` does: a full ANALYZE reads every index of
            # tens of gigabytes.
            conn.execute("PRAGMA analysis_limit = 1000")
            conn.execute("ANALYZE")
            conn.commit()
        return
    with postgres_cursor(saver)() as cur:
        cur.execute("ANALYZE")


# The previous listing, kept as the baseline: every pending row read and decoded.
_PREVIOUS = """
SELECT w.thread_id, w.checkpoint_id, w.task_id, w.task_path, w.type, w.{blob}
FROM {writes} AS w
WHERE w.channel = '__interrupt__' AND w.checkpoint_ns = ''
  AND NOT EXISTS (
    SELECT 1 FROM checkpoints AS c
    WHERE c.thread_id = w.thread_id AND c.checkpoint_ns = '' AND c.checkpoint_id > w.checkpoint_id)
  AND NOT EXISTS (
    SELECT 1 FROM {writes} AS o
    WHERE o.thread_id = w.thread_id AND o.checkpoint_ns = '' AND o.checkpoint_id = w.checkpoint_id
      AND o.task_id = w.task_id
      AND o.channel NOT IN ('__interrupt__', '__resume__', '__error__', '__error_source_node__'))
ORDER BY w.checkpoint_id, w.thread_id, w.task_id
"""


def _previous(saver: BaseCheckpointSaver[Any], tool_name: str | None) -> int:
    """The previous `pending(limit=50, tool=...)`: read all, decode all, filter, cut."""
    if type(saver).__name__ == "SqliteSaver":
        conn, lock = sqlite_connection(saver)
        with lock:
            raw = conn.execute(_PREVIOUS.format(writes="writes", blob="value")).fetchall()
    else:
        with postgres_cursor(saver)() as cur:
            cur.execute(_PREVIOUS.format(writes="checkpoint_writes", blob="blob"))
            raw = [tuple(r.values()) for r in cur.fetchall()]
    decoder = Decoder()
    kept = []
    with paused_gc():
        for row in raw:
            for item in decoder.loads(saver, str(row[4]), bytes(row[5])) or ():
                value = item.value
                if tool_name is None or (
                    isinstance(value, dict) and value.get("name") == tool_name
                ):
                    kept.append(item)
    return len(kept[:50])


def _naive(graph: Pregel[Any, Any, Any, Any], sample: int) -> tuple[float, int]:
    """Seconds for `pending_interrupts` over `sample` threads, and the threads there are.

    The thread ids come from SQL here: the naive scan's own `checkpointer.list(None)`
    decodes every checkpoint of every thread, which alone takes minutes at these sizes,
    so the extrapolated figure is a lower bound.
    """
    saver: Any = graph.checkpointer
    threads = [str(t) for t in _thread_ids(saver)]
    started = time.perf_counter()
    for thread in threads[:sample]:
        pending_interrupts(graph, {"configurable": {"thread_id": thread}})
    return time.perf_counter() - started, len(threads)


def _thread_ids(saver: BaseCheckpointSaver[Any]) -> list[str]:
    sql = "SELECT DISTINCT thread_id FROM checkpoints"
    if type(saver).__name__ == "SqliteSaver":
        conn, lock = sqlite_connection(saver)
        with lock:
            return [r[0] for r in conn.execute(sql)]
    with postgres_cursor(saver)() as cur:
        cur.execute(sql)
        return [r["thread_id"] for r in cur.fetchall()]


def _plans(saver: BaseCheckpointSaver[Any]) -> str:
    """Which index each page query walks, and whether any plan scans the writes table."""
    pg = type(saver).__name__ != "SqliteSaver"
    dialect = POSTGRES if pg else SQLITE
    found = []
    for filters in (Filters(), Filters(tool="wire_money"), Filters(type="tool_approval")):
        query = page_query(dialect, filters, after=None, before=None, limit=51)
        if pg:
            with postgres_cursor(saver)() as cur:
                cur.execute(f"EXPLAIN {query.sql}", query.params)
                plan = "\n".join(str(next(iter(r.values()))) for r in cur.fetchall())
            scans = "Seq Scan on checkpoint_writes" in plan
        else:
            conn, lock = sqlite_connection(saver)
            with lock:
                rows = conn.execute(f"EXPLAIN QUERY PLAN {query.sql}", query.params)
                plan = "\n".join(str(r[-1]) for r in rows)
            scans = "SCAN w" in plan or "SCAN o" in plan
        index = next((i for i in _INDEXES if i in plan), "NO INDEX")
        found.append(f"{index}{' + SCAN OF WRITES' if scans else ''}")
    return ", ".join(found) + " (no scan of the writes table)" * all(
        "WRITES" not in f for f in found
    )


_INDEXES = ("hitl_listing_order", "hitl_listing_tool", "hitl_listing_kind")


def _median(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


STREAM_RUNS = 3


def _stream(inbox: Inbox[Any]) -> tuple[float, float, int]:
    """Wall and CPU seconds of the whole streamed listing, and how many it gave.

    The median of `STREAM_RUNS` runs by wall time (the first also warms the database's
    pages in the OS cache, as a listing that runs often finds them). CPU time is printed
    too: on a machine shared with other work, wall time also counts the waits for a core.
    """
    runs = []
    for _ in range(STREAM_RUNS):
        started, cpu = time.perf_counter(), time.process_time()
        n = sum(1 for _ in inbox.iter_pending(page_size=1_000))
        runs.append((time.perf_counter() - started, time.process_time() - cpu, n))
    return sorted(runs)[len(runs) // 2]


def _peak(inbox: Inbox[Any]) -> int:
    tracemalloc.start()
    try:
        for _ in inbox.iter_pending(page_size=1_000):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _bench(backend: str, url: str, sizes: list[int], *, direct: bool) -> list[dict[str, Any]]:
    results = []
    with open_checkpointer(url) as saver:
        started = time.perf_counter()
        graph = _graph(saver, 0)
        inbox = Inbox(graph)
        inbox.count()  # the listing's table and triggers exist before the threads
        _run_seed(saver)
        inbox.count()  # the seeds' own rows are in the listing: a direct copy copies them
        copies = 0
        for size in sizes:
            _grow(saver, copies + 1, size // SEED - 1, direct=direct)
            copies = size // SEED - 1
            caught = time.perf_counter()
            total = inbox.count()
            catch_up = time.perf_counter() - caught
            _analyze(saver)
            seeded = time.perf_counter() - started
            assert total == size, (total, size)
            _check_sample(graph, inbox, size)
            r: dict[str, Any] = {"backend": backend, "size": size, "seeded": seeded}
            r["catch_up"] = catch_up
            r["first"] = _median(lambda: inbox.page(limit=50), 21)
            r["tool"] = _median(lambda: inbox.page(limit=50, tool="wire_money"), 21)
            rare = inbox.count(tool="wire_money")
            walk_started = time.perf_counter()
            page = inbox.page(limit=50)
            reached, cursor = 1, ""
            while reached < 100 and page.next_cursor is not None:
                cursor = page.next_cursor
                page = inbox.page(limit=50, after=cursor)
                reached += 1
            r["walk100"] = time.perf_counter() - walk_started
            r["page100"] = _median(partial(inbox.page, limit=50, after=cursor), 21)
            assert reached == 100 or size < 5_000, reached
            r["count"] = _median(inbox.count, 5)
            seconds, cpu, streamed = _stream(inbox)
            assert streamed == size, (streamed, size)
            r["rate"] = streamed / seconds
            r["cpu_rate"] = streamed / cpu
            r["stream_s"] = seconds
            r["peak"] = _peak(inbox)
            r["previous"] = _median(lambda: _previous(saver, None), 1 if size > SMALLEST else 3)
            r["previous_tool"] = _median(lambda: _previous(saver, "wire_money"), 1)
            r["plans"] = _plans(saver)
            naive, threads = _naive(graph, NAIVE_SAMPLE)
            r["naive"] = naive / NAIVE_SAMPLE * threads
            print(
                f"  {backend:<8} {size:>9,} paused (+{size:,} finished; {rare:,} wire_money), "
                f"seeded in {seeded:.0f} s"
                + (f", catch-up drain {catch_up:.1f} s\n" if not direct else " (rows copied)\n")
                + f"    first page of 50      {r['first'] * 1000:8.2f} ms"
                f"   (previous listing {r['previous'] * 1000:9.0f} ms)\n"
                f"    page of 50 by tool    {r['tool'] * 1000:8.2f} ms"
                f"   (previous listing {r['previous_tool'] * 1000:9.0f} ms)\n"
                f"    page 100 (cursor)     {r['page100'] * 1000:8.2f} ms"
                f"   (walking pages 1-100: {r['walk100'] * 1000:.0f} ms)\n"
                f"    count()               {r['count'] * 1000:8.2f} ms\n"
                f"    streamed listing      {r['rate']:8,.0f} requests/s"
                f" ({r['cpu_rate']:,.0f}/s of CPU time; {r['stream_s']:.1f} s in all),"
                f" peak {r['peak'] / 1e6:.1f} MB traced\n"
                f"    query plans           {r['plans']}\n"
                f"    naive scan            {r['naive']:8.0f} s"
                f"   (extrapolated from {NAIVE_SAMPLE:,} of {threads:,} threads): "
                f"{r['naive'] / r['stream_s']:,.0f}x the streamed listing, "
                f"{r['naive'] / r['first']:,.0f}x the first page",
                flush=True,
            )
            results.append(r)
    return results


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


def _verdict(results: list[dict[str, Any]]) -> None:
    for r in results:
        pages = max(r["first"], r["tool"]) < TARGET_PAGE_S
        rate = r["backend"] != "sqlite" or r["rate"] >= TARGET_RATE
        print(
            f"  {r['backend']} at {r['size']:,}: first page {r['first'] * 1000:.1f} ms, by tool "
            f"{r['tool'] * 1000:.1f} ms (target < {TARGET_PAGE_S * 1000:g} ms): "
            f"{'met' if pages else 'MISSED'}; streamed {r['rate']:,.0f}/s"
            + (
                f" (target >= {TARGET_RATE:,}/s): {'met' if rate else 'MISSED'}"
                if r["backend"] == "sqlite"
                else ""
            )
            + f"; peak {r['peak'] / 1e6:.1f} MB"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench inbox")
    parser.add_argument(
        "--scale",
        type=int,
        default=SMALLEST,
        help="the largest number of paused threads (default 100000; e.g. 1000000)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--through-triggers",
        action="store_true",
        help="copy threads with the listing's triggers on, and time the drain that follows "
        "(slower: every copied row is queued, then decoded)",
    )
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    direct = not args.through_triggers
    sizes = sorted({SMALLEST, args.scale}) if args.scale > SMALLEST else [args.scale]
    results: list[dict[str, Any]] = []
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            results += _bench("sqlite", str(Path(tmp) / "inbox.db"), sizes, direct=direct)
    if args.backend in ("postgres", "both"):
        if os.environ.get(POSTGRES_ENV):
            for url in _postgres_store():
                results += _bench("postgres", url, sizes, direct=direct)
        else:
            print(f"  postgres  skipped: set {POSTGRES_ENV} (or run `make bench`)")
    _verdict(results)


if __name__ == "__main__":
    main()
