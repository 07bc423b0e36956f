"""The inbox's listing in SQL: pages by keyset, filters through indexes, and the cursor.

What is pending lives in the checkpointer's own tables: an `__interrupt__` write at the
thread's latest top-level checkpoint whose task has no output write (`_index`). Nothing
there says which tool or kind of request a write is about: that is inside the msgpack
blob. So beside those tables this module keeps `hitl_listing`, one row per pending
interrupt with its tool and kind, in oldest-first order under indexes, so that a page
(filtered or not), a count and a streamed listing read only the rows they return.

Why it cannot drift. The database keeps it, in the transactions that change the truth:
triggers on the checkpointer's tables add, to `hitl_listing_queue`, every interrupt write
whose pending state a change may have changed (a new or replaced interrupt, a task's
output written or deleted, a checkpoint added or deleted). A listing first drains that
queue: under one lock, it reads the queued writes and their truth in one snapshot,
decodes the pending ones, and sets their rows. A crash at any point leaves the queue and
the rows of one committed state; what the queue holds is drained by the next listing.
The table is also created from the checkpoint tables themselves (every write pending at
that moment queued) whenever its triggers are missing. Every read is made in a snapshot in
which the queue is empty and the triggers are in place, where the table is exactly what
the checkpoint tables say: a page, a count and a streamed listing read the table alone.
In a snapshot that shows a trigger missing (dropped behind the listing's back), a page
re-checks each row it returns against its write, so a row never lists what is not
pending there.

Sync and async share everything but the I/O: each operation is a plan, a generator that
yields SQL and receives rows (`Query`, `Many`, `BEGIN`, `COMMIT`); a small driver per
database runs it (`_triggers`; h11's "sans-I/O"). The SQL text is in `_listing_sql`,
what rows become in `_listing_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ormsgpack

from ._backends import paused_gc
from ._claims import PG_LOCK_NS
from ._cursor import Filters, Position
from ._listing_rows import SCHEMAS_KEPT, Entries, PageItems, Rows, Schemas, node_of
from ._listing_sql import (
    BACKFILL,
    BEGIN,
    COMMIT,
    JOIN_WRITE,
    PENDING,
    PG_SETUP_KEY,
    POSTGRES,
    READ,
    SCHEMA_INDEX,
    SQLITE,
    TABLES,
    Dialect,
    Many,
    Op,
    Plan,
    Query,
    Tx,
    queue_table,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from langgraph.checkpoint.base import BaseCheckpointSaver

    from ..core._pending import PendingInterrupt

__all__ = [
    "POSTGRES",
    "SQLITE",
    "Dialect",
    "Many",
    "Op",
    "Plan",
    "Query",
    "RawPage",
    "Schemas",
    "Tx",
    "count_plan",
    "drain_plan",
    "node_of",
    "page_plan",
    "page_query",
    "settled_plan",
    "setup_plan",
]


def _complete(d: Dialect) -> Plan[bool]:
    """Whether the listing's tables, its schema index and every one of its triggers exist."""
    # Triggers without their tables would make every checkpoint write fail: both or none.
    wanted = {
        *d.trigger_names,
        "hitl_listing",
        "hitl_listing_queue",
        "hitl_listing_schemas",
        SCHEMA_INDEX,
    }
    found = yield Query(d.in_place)
    return {str(r[0]) for r in found} >= wanted


def setup_plan(d: Dialect) -> Plan[None]:
    """Create the table, its queue and the triggers; when they were missing, fill the queue."""
    if (yield from _complete(d)):
        return
    yield BEGIN
    if d is POSTGRES:
        yield Query(f"SELECT pg_advisory_xact_lock({PG_LOCK_NS}, {PG_SETUP_KEY})")
    if (yield from _complete(d)):  # another process may have done it meanwhile
        yield COMMIT
        return
    # Whatever the table held was kept without triggers (or in an earlier layout): it is
    # dropped, and filled again from the truth.
    tables = [t.replace("{blob_type}", d.blob_type) for t in TABLES]
    for sql in (*d.obsolete, *tables, queue_table(d.queue_id), *d.triggers):
        yield Query(sql)
    # Triggers and backfill in one transaction: no change between them goes unseen. The
    # schemas go with the rows they were kept for: each drain stores its rows' own again.
    yield Query("DELETE FROM hitl_listing_schemas")
    yield Query("DELETE FROM hitl_listing_queue")
    yield Query(d.sql(BACKFILL))
    yield COMMIT


_DRAIN_BATCH = 2_000

# The batch is chosen first, in a subquery of its own: else an engine may join the whole
# queue before it sorts and cuts (PostgreSQL did, a minute per batch at 100,000 queued).
_DRAIN = f"""SELECT q.id, q.thread_id, q.checkpoint_id, q.task_id, q.idx, w.type, w.{{blob}},
  w.task_path
FROM (SELECT id, thread_id, checkpoint_id, task_id, idx FROM hitl_listing_queue
  ORDER BY id LIMIT ?) AS q
LEFT JOIN {{writes}} AS w ON w.thread_id = q.thread_id AND w.checkpoint_ns = ''
  AND w.checkpoint_id = q.checkpoint_id AND w.task_id = q.task_id AND w.idx = q.idx
  AND w.channel = '__interrupt__' AND {PENDING}
ORDER BY q.id"""

_PROBE = "SELECT id FROM hitl_listing_queue ORDER BY id LIMIT 1"

# The schemas that rows of a batch use, read before the batch replaces those rows (the
# queue's ids from the batch's first to its last: a few more is harmless).
_BATCH_SCHEMAS = """SELECT DISTINCT l.schema_digest FROM hitl_listing_queue AS q
JOIN hitl_listing AS l ON l.thread_id = q.thread_id AND l.checkpoint_id = q.checkpoint_id
  AND l.task_id = q.task_id AND l.idx = q.idx
WHERE q.id BETWEEN ? AND ? AND l.schema_digest IS NOT NULL"""

# Of those, the ones no row uses any more (one probe of the schema index each).
_UNUSED_SCHEMAS = """DELETE FROM hitl_listing_schemas WHERE digest IN ({marks})
AND NOT EXISTS (SELECT 1 FROM hitl_listing AS l
  WHERE l.schema_digest = hitl_listing_schemas.digest)"""


def drain_plan(d: Dialect, saver: BaseCheckpointSaver[Any]) -> Plan[int]:
    """Bring `hitl_listing` up to date with the queue; returns how many writes were read."""
    # Through the key's index: a plain scan would first step over every row drained
    # since the last vacuum.
    probe = yield Query(_PROBE)
    done = 0
    while probe:
        yield BEGIN
        if d.lock is not None:
            yield Query(d.lock)
        # One statement, one snapshot: the queued writes and their truth agree.
        batch = yield Query(d.sql(_DRAIN), (_DRAIN_BATCH,))
        keys: dict[tuple[str, str, str, int], None] = {}
        rows: Rows = []
        entries = Entries(saver)
        with paused_gc():
            for _, thread_id, checkpoint_id, task_id, idx, kind, blob, path in batch:
                key = (str(thread_id), str(checkpoint_id), str(task_id), int(idx))
                if key in keys:
                    continue
                keys[key] = None
                if kind is None:  # no longer pending (or gone): its rows go
                    continue
                rows += entries.rows(key, str(kind), bytes(blob), str(path or ""))
        used: Rows = []
        if batch:  # (empty when another process drained the queue since the probe)
            used = yield Query(d.sql(_BATCH_SCHEMAS), (batch[0][0], batch[-1][0]))
        yield Many(
            d.sql(
                "DELETE FROM hitl_listing WHERE thread_id = ? AND checkpoint_id = ? "
                "AND task_id = ? AND idx = ?"
            ),
            list(keys),
        )
        if entries.schemas:
            yield Many(
                d.sql(
                    "INSERT INTO hitl_listing_schemas (digest, body) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING"
                ),
                list(entries.schemas.items()),
            )
        if rows:
            yield Many(
                d.sql(
                    "INSERT INTO hitl_listing (thread_id, checkpoint_id, interrupt_id, task_id, "
                    "idx, tool, kind, task_path, node, value, schema_digest) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
                ),
                rows,
            )
        if used:
            marks = ", ".join("?" for _ in used)
            yield Query(d.sql(_UNUSED_SCHEMAS.format(marks=marks)), tuple(r[0] for r in used))
        yield Many(d.sql("DELETE FROM hitl_listing_queue WHERE id = ?"), [(r[0],) for r in batch])
        yield COMMIT
        done += len(batch)
        if len(batch) < _DRAIN_BATCH:
            break
    return done


def settled_plan(d: Dialect, saver: BaseCheckpointSaver[Any]) -> Plan[None]:
    """Open a read snapshot in which the queue is empty, draining it first; left open.

    The triggers queue a change in the transaction that makes it, so in a snapshot that
    holds no queued change `hitl_listing` is exactly what the checkpoint tables say: a
    row's stored value is its write's, and a write replaced since (a node's second
    question) cannot hide behind its first question's row.
    """
    while True:
        yield READ
        if not (yield Query(_PROBE)):
            return
        yield COMMIT
        yield from drain_plan(d, saver)


def _where(filters: Filters) -> tuple[list[str], list[Any]]:
    where, params = [], []
    for column, value in (
        ("l.tool", filters.tool),
        ("l.kind", filters.type),
        ("l.thread_id", filters.thread_id),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    return where, params


_KEY = "(l.checkpoint_id, l.thread_id, l.interrupt_id)"


@dataclass(frozen=True, slots=True)
class RawPage:
    """A page as read: its requests, the positions of every row read, its neighbours."""

    items: Iterable[PendingInterrupt | Position]
    """The page's requests in listing order, built as they are iterated (`PageItems`); a
    `Position` where the request is tied to no node of the graph (raised in a subgraph,
    say): its thread is read the exact way."""
    read: int
    """How many rows the page read, listed or not."""
    first: Position | None
    last: Position | None
    """The first and last rows read: the page's cursors (a row dropped as answered since
    the drain moves no cursor)."""
    more: bool
    earlier: bool
    unbound: tuple[str, ...] = ()
    """The threads of the requests given as a `Position`."""


def _exists(d: Dialect, filters: Filters, op: str, at: Position, *, exact: bool) -> Query:
    """Whether a listed request lies beyond `at` (re-checked against its write unless `exact`)."""
    inner, params = _in_order(filters, op, at, desc=op == "<")
    if exact:
        return Query(d.sql(f"SELECT 1 FROM ({inner}) AS l"), (*params, 1))
    sql = f"SELECT 1 FROM ({inner}) AS l {JOIN_WRITE} WHERE {PENDING} LIMIT 1"
    return Query(d.sql(sql), (*params, _NEIGHBOURS))


_NEIGHBOURS = 20
"""Rows looked at beyond a page's edge to tell whether a neighbour page exists."""

_ORDER = ("checkpoint_id", "thread_id", "interrupt_id")


_STORED = "l.task_path, l.node, l.value, l.schema_digest"
"""What a listed request needs beside its position and task, as the table stores it."""


def _in_order(
    filters: Filters, op: str | None, at: Position | None, *, desc: bool, columns: str = "l.idx"
) -> tuple[str, list[Any]]:
    """The listing rows in order from a position, through the index of the filter.

    Each row is its position, its task id, then `columns`.
    """
    where, params = _where(filters)
    if op is not None and at is not None:
        where.append(f"{_KEY} {op} (?, ?, ?)")
        params += [at.checkpoint_id, at.thread_id, at.interrupt_id]
    order = ", ".join(f"l.{c}{' DESC' if desc else ''}" for c in _ORDER)
    sql = (
        f"SELECT l.checkpoint_id, l.thread_id, l.interrupt_id, l.task_id, {columns} "
        f"FROM hitl_listing AS l{' WHERE ' + ' AND '.join(where) if where else ''} "
        f"ORDER BY {order} LIMIT ?"
    )
    return sql, params


def page_query(
    d: Dialect,
    filters: Filters,
    *,
    after: Position | None,
    before: Position | None,
    limit: int,
    exact: bool = False,
) -> Query:
    """The query of a page: `limit` listing rows in order from a cursor.

    `exact`: for a snapshot that shows the table exact (`page_plan`), the rows as the
    table has them: one index walk in order that stops at `limit`, whatever the size of
    the checkpoint tables. A row whose value the table does not hold comes back with
    `found` NULL (its page is then read again, re-checked).

    Else each row is re-checked against its write. The rows are then chosen in a subquery
    of their own, so that the engine walks the index of the filter in order and stops at
    `limit`, whatever it estimates of the re-check; a row the re-check refuses (answered
    since the last drain) comes back without a write. The write's blob is read only for a
    row whose value the listing does not hold.
    """
    desc = before is not None
    op, at = ("<", before) if desc else (">", after)
    if exact:
        # Named: a driver that reads rows as dicts keeps one of two columns of the same name.
        found = "CASE WHEN l.value IS NULL THEN NULL ELSE 1 END AS found"
        columns = f"{_STORED}, {found}, NULL AS w_type, NULL AS w_blob"
        sql, params = _in_order(filters, op, at, desc=desc, columns=columns)
        return Query(d.sql(sql), (*params, limit))
    inner, params = _in_order(filters, op, at, desc=desc, columns=f"l.idx, {_STORED}")
    order = ", ".join(f"l.{c}{' DESC' if desc else ''}" for c in _ORDER)
    sql = (
        "SELECT l.checkpoint_id, l.thread_id, l.interrupt_id, l.task_id, l.task_path, l.node, "
        "l.value, l.schema_digest, w.idx AS found, CASE WHEN l.value IS NULL THEN w.type END "
        f"AS w_type, CASE WHEN l.value IS NULL THEN w.{{blob}} END AS w_blob FROM ({inner}) AS l "
        f"LEFT {JOIN_WRITE} "
        f"AND w.channel = '__interrupt__' AND {PENDING} ORDER BY {order}"
    )
    return Query(d.sql(sql), (*params, limit))


def page_plan(
    d: Dialect,
    saver: BaseCheckpointSaver[Any],
    filters: Filters,
    *,
    after: Position | None,
    before: Position | None,
    limit: int,
    nodes: Sequence[str],
    neighbours: bool = True,
    schemas: Schemas | None = None,
) -> Plan[RawPage]:
    """Read one page: at most `limit` pending interrupts after (or before) a position.

    All its reads are made in one snapshot in which the queue is drained (`settled_plan`).
    When that snapshot also shows every trigger in place, the table is exactly what the
    checkpoint tables say, and the page reads the table alone (`page_query` with `exact`): one index
    walk, which costs the same however large and however cold the checkpoint tables are.
    Else (a trigger dropped behind the listing's back) each row is re-checked against its
    write (`page_query`). Each request is tied to the node among `nodes` whose own task
    raised it (`node_of`).

    With `neighbours` False, whether a page precedes (or follows) is not asked: a stream
    going one way has no use for it.
    """
    schemas = {} if schemas is None else schemas
    yield from settled_plan(d, saver)
    at = before if before is not None else after
    exact = yield from _complete(d)
    raw = yield page_query(d, filters, after=after, before=before, limit=limit + 1, exact=exact)
    if exact and any(r[8] is None for r in raw):  # a value the table does not hold
        exact = False
        raw = yield page_query(d, filters, after=after, before=before, limit=limit + 1)
    beyond = len(raw) > limit
    raw = raw[:limit]
    if before is not None:
        raw.reverse()
    first = Position(*raw[0][:3]) if raw else None
    last = Position(*raw[-1][:3]) if raw else None
    used = {r[7] for r in raw if r[7] is not None and r[6] is not None}
    missing = sorted(used - set(schemas))
    if missing:
        if len(schemas) + len(missing) > SCHEMAS_KEPT:
            schemas.clear()  # bounded: a listing of endless distinct schemas reads them again
            missing = sorted(used)  # this page's own, those kept before included
        marks = ", ".join("?" for _ in missing)
        got = yield Query(
            d.sql(f"SELECT digest, body FROM hitl_listing_schemas WHERE digest IN ({marks})"),
            tuple(missing),
        )
        schemas.update((str(k), ormsgpack.unpackb(bytes(b))) for k, b in got)
    other = False
    if at is not None and neighbours:
        edge = (first if before is None else last) or at
        got = yield _exists(d, filters, ">" if before is not None else "<", edge, exact=exact)
        other = bool(got)
    # A thread's pending requests share its latest checkpoint, so they sit side by side in
    # the listing: only the threads at the page's two edges may have some off the page.
    ids: dict[str, list[str]] = {}
    for r in raw:
        ids.setdefault(r[1], []).append(r[2])
    edges = sorted({first.thread_id, last.thread_id} if first and last else ())
    if edges:
        marks = ", ".join("?" for _ in edges)
        where = f"l.thread_id IN ({marks})"
        found_ids = yield Query(
            d.sql(
                f"SELECT l.thread_id, l.interrupt_id FROM hitl_listing AS l WHERE {where}"
                if exact
                else f"SELECT l.thread_id, l.interrupt_id FROM hitl_listing AS l {JOIN_WRITE} "
                f"WHERE {where} AND {PENDING}"
            ),
            tuple(edges),
        )
        for thread_id in edges:
            ids[thread_id] = []
        for thread_id, interrupt_id in found_ids:
            ids[str(thread_id)].append(str(interrupt_id))
    yield COMMIT
    # The page's own schemas: a later page may clear the caller's before these are built.
    items = PageItems(raw, saver, {k: schemas[k] for k in used}, nodes, ids)
    more, earlier = (other, beyond) if before is not None else (beyond, other)
    return RawPage(items, len(raw), first, last, more, earlier, items.unbound)


def count_plan(d: Dialect, saver: BaseCheckpointSaver[Any], filters: Filters) -> Plan[int]:
    """How many requests the listing holds: exact in the snapshot it is read in."""
    yield from settled_plan(d, saver)
    where, params = _where(filters)
    sql = "SELECT count(*) FROM hitl_listing AS l"
    if not (yield from _complete(d)):  # as a page would: each row re-checked
        sql += f" {JOIN_WRITE}"
        where.append(PENDING)
    sql += f" WHERE {' AND '.join(where)}" if where else ""
    got = yield Query(d.sql(sql), tuple(params))
    yield COMMIT
    return int(got[0][0])
