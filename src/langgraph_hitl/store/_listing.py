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
that moment queued) whenever its triggers are missing. Each page re-checks every row it
returns against the checkpoint tables, and takes the interrupt itself from the write, so
a row can never list what is not pending there.

Sync and async share everything but the I/O: each operation is a plan, a generator that
yields SQL and receives rows (`Query`, `Many`, `BEGIN`, `COMMIT`); a small driver per
database runs it (`_listing_db`; h11's "sans-I/O").
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from langgraph.types import Interrupt

from ..core._compat import CONTROL_CHANNELS
from ._backends import Decoder, paused_gc
from ._claims import PG_LOCK_NS
from ._cursor import Filters, Position, kind_of, tool_of

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

__all__ = [
    "POSTGRES",
    "SQLITE",
    "Dialect",
    "Many",
    "Op",
    "Plan",
    "Query",
    "RawPage",
    "Row",
    "Tx",
    "count_plan",
    "drain_plan",
    "page_plan",
    "page_query",
    "setup_plan",
]

T = TypeVar("T")


# -- plans: SQL in, rows out -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    """Run `sql` with `params`; the plan receives the rows (tuples)."""

    sql: str
    params: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Many:
    """Run `sql` once per parameter tuple; the plan receives no rows."""

    sql: str
    params: list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Tx:
    """Open (`begin`) or commit (`commit`) a write transaction."""

    op: str


BEGIN, COMMIT = Tx("begin"), Tx("commit")
Op = Query | Many | Tx
Plan = Generator[Op, list[tuple[Any, ...]], T]


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one engine names the checkpointer's tables and spells what differs."""

    writes: str
    blob: str
    placeholder: str
    queue_id: str
    """The queue's key column: one that numbers rows as they are added."""
    lock: str | None
    """What serializes drains, run first in their transaction (SQLite: BEGIN IMMEDIATE)."""
    triggers: tuple[str, ...]
    has_triggers: str
    trigger_names: tuple[str, ...]

    def sql(self, text: str) -> str:
        return (
            text.replace("{writes}", self.writes)
            .replace("{blob}", self.blob)
            .replace("?", self.placeholder)
        )


# One list of control writes for the SQL and for the rollback (`_compat.CONTROL_CHANNELS`).
_CONTROL = "('" + "', '".join(sorted(CONTROL_CHANNELS)) + "')"
"""Writes that say what happened to a task rather than what it produced: any other
write means the task finished (`langgraph.pregel._task_status`)."""

_TABLES = (
    """CREATE TABLE IF NOT EXISTS hitl_listing (
    thread_id TEXT NOT NULL, checkpoint_id TEXT NOT NULL, interrupt_id TEXT NOT NULL,
    task_id TEXT NOT NULL, idx INTEGER NOT NULL, tool TEXT, kind TEXT,
    PRIMARY KEY (thread_id, checkpoint_id, interrupt_id))""",
    # One index per filter, each in listing order, so a page reads only its own rows.
    "CREATE INDEX IF NOT EXISTS hitl_listing_order "
    "ON hitl_listing (checkpoint_id, thread_id, interrupt_id)",
    "CREATE INDEX IF NOT EXISTS hitl_listing_tool "
    "ON hitl_listing (tool, checkpoint_id, thread_id, interrupt_id)",
    "CREATE INDEX IF NOT EXISTS hitl_listing_kind "
    "ON hitl_listing (kind, checkpoint_id, thread_id, interrupt_id)",
)


def _queue_table(dialect_id: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS hitl_listing_queue (id {dialect_id}, "
        "thread_id TEXT NOT NULL, checkpoint_id TEXT NOT NULL, task_id TEXT NOT NULL, "
        "idx INTEGER NOT NULL)"
    )


# The truth about one interrupt write `w`: what `pending_interrupts` would say. Its
# checkpoint is the thread's latest (one backward probe of the primary key), and its task
# wrote no output there.
_PENDING = f"""w.checkpoint_id = (
    SELECT max(c.checkpoint_id) FROM checkpoints AS c
    WHERE c.thread_id = w.thread_id AND c.checkpoint_ns = '')
  AND NOT EXISTS (
    SELECT 1 FROM {{writes}} AS o
    WHERE o.thread_id = w.thread_id AND o.checkpoint_ns = '' AND o.checkpoint_id = w.checkpoint_id
      AND o.task_id = w.task_id AND o.channel NOT IN {_CONTROL})"""

_JOIN_WRITE = """JOIN {writes} AS w ON w.thread_id = l.thread_id AND w.checkpoint_ns = ''
  AND w.checkpoint_id = l.checkpoint_id AND w.task_id = l.task_id AND w.idx = l.idx"""

# Interrupt writes of a thread at some checkpoints: what a trigger queues (partial index).
_QUEUE_WRITES = """INSERT INTO hitl_listing_queue (thread_id, checkpoint_id, task_id, idx)
SELECT w.thread_id, w.checkpoint_id, w.task_id, w.idx FROM {writes} AS w
WHERE w.thread_id = {r}.thread_id AND w.checkpoint_ns = '' AND w.channel = '__interrupt__'"""

_NEWEST_BEFORE = """(SELECT max(c.checkpoint_id) FROM checkpoints AS c
  WHERE c.thread_id = {r}.thread_id AND c.checkpoint_ns = ''
    AND c.checkpoint_id < {r}.checkpoint_id)"""
_NEWEST = """(SELECT max(c.checkpoint_id) FROM checkpoints AS c
  WHERE c.thread_id = {r}.thread_id AND c.checkpoint_ns = '')"""


def _queue_task(writes: str, r: str) -> str:
    sql = _QUEUE_WRITES.replace("{writes}", writes).replace("{r}", r)
    return sql + f" AND w.checkpoint_id = {r}.checkpoint_id AND w.task_id = {r}.task_id"


def _queue_at(writes: str, r: str, *checkpoints: str) -> str:
    sql = _QUEUE_WRITES.replace("{writes}", writes).replace("{r}", r)
    at = ", ".join(c.replace("{r}", r) for c in checkpoints)
    return f"{sql} AND w.checkpoint_id IN ({at})"


_MATTERS = "{r}.checkpoint_ns = '' AND ({r}.channel = '__interrupt__' OR {r}.channel NOT IN {c})"
_SQLITE_TRIGGER_NAMES = (
    "hitl_listing_v1_w_ins",
    "hitl_listing_v1_w_del",
    "hitl_listing_v1_c_ins",
    "hitl_listing_v1_c_del",
)
# The interrupt write itself when it is the one deleted; else the task's interrupt writes.
_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS hitl_listing_v1_w_ins AFTER INSERT ON writes
WHEN {_MATTERS.format(r="NEW", c=_CONTROL)}
BEGIN {_queue_task("writes", "NEW")}; END""",
    f"""CREATE TRIGGER IF NOT EXISTS hitl_listing_v1_w_del AFTER DELETE ON writes
WHEN {_MATTERS.format(r="OLD", c=_CONTROL)}
BEGIN
  INSERT INTO hitl_listing_queue (thread_id, checkpoint_id, task_id, idx)
  SELECT OLD.thread_id, OLD.checkpoint_id, OLD.task_id, OLD.idx WHERE OLD.channel = '__interrupt__';
  {_queue_task("writes", "OLD")};
END""",
    f"""CREATE TRIGGER IF NOT EXISTS hitl_listing_v1_c_ins AFTER INSERT ON checkpoints
WHEN NEW.checkpoint_ns = ''
BEGIN {_queue_at("writes", "NEW", "{r}.checkpoint_id", _NEWEST_BEFORE)}; END""",
    f"""CREATE TRIGGER IF NOT EXISTS hitl_listing_v1_c_del AFTER DELETE ON checkpoints
WHEN OLD.checkpoint_ns = ''
BEGIN {_queue_at("writes", "OLD", "{r}.checkpoint_id", _NEWEST)}; END""",
)

_PG_TRIGGER_NAMES = ("hitl_listing_v1_writes", "hitl_listing_v1_checkpoints")
_PG_TRIGGERS = (
    f"""CREATE OR REPLACE FUNCTION hitl_listing_v1_writes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    IF {_MATTERS.format(r="OLD", c=_CONTROL)} THEN
      IF OLD.channel = '__interrupt__' THEN
        INSERT INTO hitl_listing_queue (thread_id, checkpoint_id, task_id, idx)
        VALUES (OLD.thread_id, OLD.checkpoint_id, OLD.task_id, OLD.idx);
      END IF;
      {_queue_task("checkpoint_writes", "OLD")};
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF {_MATTERS.format(r="NEW", c=_CONTROL)} THEN
      {_queue_task("checkpoint_writes", "NEW")};
    END IF;
  END IF;
  RETURN NULL;
END $$""",
    f"""CREATE OR REPLACE FUNCTION hitl_listing_v1_checkpoints() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.checkpoint_ns = '' THEN
      {_queue_at("checkpoint_writes", "NEW", "{r}.checkpoint_id", _NEWEST_BEFORE)};
    END IF;
  ELSIF OLD.checkpoint_ns = '' THEN
    {_queue_at("checkpoint_writes", "OLD", "{r}.checkpoint_id", _NEWEST)};
  END IF;
  RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS hitl_listing_v1_writes ON checkpoint_writes",
    "CREATE TRIGGER hitl_listing_v1_writes AFTER INSERT OR UPDATE OR DELETE "
    "ON checkpoint_writes FOR EACH ROW EXECUTE FUNCTION hitl_listing_v1_writes()",
    "DROP TRIGGER IF EXISTS hitl_listing_v1_checkpoints ON checkpoints",
    "CREATE TRIGGER hitl_listing_v1_checkpoints AFTER INSERT OR DELETE "
    "ON checkpoints FOR EACH ROW EXECUTE FUNCTION hitl_listing_v1_checkpoints()",
)

SQLITE = Dialect(
    writes="writes",
    blob="value",
    placeholder="?",
    queue_id="INTEGER PRIMARY KEY",
    lock=None,
    triggers=_SQLITE_TRIGGERS,
    has_triggers="SELECT name FROM sqlite_master WHERE (type = 'trigger' AND name LIKE "
    "'hitl_listing_v1_%') OR (type = 'table' AND name LIKE 'hitl_listing%')",
    trigger_names=_SQLITE_TRIGGER_NAMES,
)
# Advisory lock keys under this library's namespace (`_claims.PG_LOCK_NS`; `_index` uses 1, 2).
_PG_SETUP_KEY = 3
_PG_DRAIN_KEY = 4
POSTGRES = Dialect(
    writes="checkpoint_writes",
    blob="blob",
    placeholder="%s",
    queue_id="BIGSERIAL PRIMARY KEY",
    lock=f"SELECT pg_advisory_xact_lock({PG_LOCK_NS}, {_PG_DRAIN_KEY})",
    triggers=_PG_TRIGGERS,
    has_triggers="SELECT tgname FROM pg_trigger WHERE tgname LIKE 'hitl_listing_v1_%' "
    "AND NOT tgisinternal UNION SELECT tablename FROM pg_tables "
    "WHERE schemaname = current_schema() AND tablename LIKE 'hitl_listing%'",
    trigger_names=_PG_TRIGGER_NAMES,
)

_BACKFILL = f"""INSERT INTO hitl_listing_queue (thread_id, checkpoint_id, task_id, idx)
SELECT w.thread_id, w.checkpoint_id, w.task_id, w.idx FROM {{writes}} AS w
WHERE w.channel = '__interrupt__' AND w.checkpoint_ns = '' AND {_PENDING}"""


def setup_plan(d: Dialect) -> Plan[None]:
    """Create the table, its queue and the triggers; when they were missing, fill the queue."""
    # Triggers without their tables would make every checkpoint write fail: both or none.
    wanted = {*d.trigger_names, "hitl_listing", "hitl_listing_queue"}
    found = yield Query(d.has_triggers)
    if {str(r[0]) for r in found} >= wanted:
        return
    yield BEGIN
    if d is POSTGRES:
        yield Query(f"SELECT pg_advisory_xact_lock({PG_LOCK_NS}, {_PG_SETUP_KEY})")
    found = yield Query(d.has_triggers)  # another process may have done it meanwhile
    if {str(r[0]) for r in found} >= wanted:
        yield COMMIT
        return
    for sql in (*_TABLES, _queue_table(d.queue_id), *d.triggers):
        yield Query(sql)
    # Triggers and backfill in one transaction: no change between them goes unseen.
    # Whatever the table held was kept without triggers: start again from the truth.
    yield Query("DELETE FROM hitl_listing")
    yield Query(d.sql(_BACKFILL))
    yield COMMIT


_DRAIN_BATCH = 2_000

# The batch is chosen first, in a subquery of its own: else an engine may join the whole
# queue before it sorts and cuts (PostgreSQL did, a minute per batch at 100,000 queued).
_DRAIN = f"""SELECT q.id, q.thread_id, q.checkpoint_id, q.task_id, q.idx, w.type, w.{{blob}}
FROM (SELECT id, thread_id, checkpoint_id, task_id, idx FROM hitl_listing_queue
  ORDER BY id LIMIT ?) AS q
LEFT JOIN {{writes}} AS w ON w.thread_id = q.thread_id AND w.checkpoint_ns = ''
  AND w.checkpoint_id = q.checkpoint_id AND w.task_id = q.task_id AND w.idx = q.idx
  AND w.channel = '__interrupt__' AND {_PENDING}
ORDER BY q.id"""


def drain_plan(d: Dialect, saver: BaseCheckpointSaver[Any]) -> Plan[int]:
    """Bring `hitl_listing` up to date with the queue; returns how many writes were read."""
    # Through the key's index: a plain scan would first step over every row drained
    # since the last vacuum.
    probe = yield Query("SELECT id FROM hitl_listing_queue ORDER BY id LIMIT 1")
    done = 0
    while probe:
        yield BEGIN
        if d.lock is not None:
            yield Query(d.lock)
        # One statement, one snapshot: the queued writes and their truth agree.
        batch = yield Query(d.sql(_DRAIN), (_DRAIN_BATCH,))
        keys: dict[tuple[str, str, str, int], None] = {}
        rows: list[tuple[Any, ...]] = []
        decoder = Decoder()
        with paused_gc():
            for _, thread_id, checkpoint_id, task_id, idx, kind, blob in batch:
                key = (str(thread_id), str(checkpoint_id), str(task_id), int(idx))
                if key in keys:
                    continue
                keys[key] = None
                if kind is None:  # no longer pending (or gone): its rows go
                    continue
                value = decoder.loads(saver, str(kind), bytes(blob))
                rows += [
                    (*key[:2], i.id, *key[2:], tool_of(i.value), kind_of(i.value))
                    for i in value or ()
                    if isinstance(i, Interrupt)
                ]
        yield Many(
            d.sql(
                "DELETE FROM hitl_listing WHERE thread_id = ? AND checkpoint_id = ? "
                "AND task_id = ? AND idx = ?"
            ),
            list(keys),
        )
        if rows:
            yield Many(
                d.sql(
                    "INSERT INTO hitl_listing (thread_id, checkpoint_id, interrupt_id, task_id, "
                    "idx, tool, kind) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
                ),
                rows,
            )
        yield Many(d.sql("DELETE FROM hitl_listing_queue WHERE id = ?"), [(r[0],) for r in batch])
        yield COMMIT
        done += len(batch)
        if len(batch) < _DRAIN_BATCH:
            break
    return done


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
class Row:
    """One listed interrupt, as its write holds it now."""

    position: Position
    task_id: str
    task_path: str
    interrupt: Interrupt | None
    """None when the write no longer holds this id (it changed since the row was read)."""


@dataclass(frozen=True, slots=True)
class RawPage:
    """A page as read: rows in listing order, whether more follow or precede, thread ids."""

    rows: list[Row]
    more: bool
    earlier: bool
    ids: dict[str, list[str]]
    """Every interrupt id pending on each thread of the page (for its version token)."""


def _exists(d: Dialect, filters: Filters, op: str, at: Position) -> Query:
    inner, params = _in_order(filters, op, at, desc=op == "<")
    sql = f"SELECT 1 FROM ({inner}) AS l {_JOIN_WRITE} WHERE {_PENDING} LIMIT 1"
    return Query(d.sql(sql), (*params, _NEIGHBOURS))


_NEIGHBOURS = 20
"""Rows looked at beyond a page's edge to tell whether a neighbour page exists."""


def _in_order(
    filters: Filters, op: str | None, at: Position | None, *, desc: bool
) -> tuple[str, list[Any]]:
    """The listing rows in order from a position, through the index of the filter."""
    where, params = _where(filters)
    if op is not None and at is not None:
        where.append(f"{_KEY} {op} (?, ?, ?)")
        params += [at.checkpoint_id, at.thread_id, at.interrupt_id]
    order = ", ".join(f"l.{c}{' DESC' if desc else ''}" for c in _ORDER)
    sql = (
        "SELECT l.checkpoint_id, l.thread_id, l.interrupt_id, l.task_id, l.idx "
        f"FROM hitl_listing AS l{' WHERE ' + ' AND '.join(where) if where else ''} "
        f"ORDER BY {order} LIMIT ?"
    )
    return sql, params


_ORDER = ("checkpoint_id", "thread_id", "interrupt_id")


def page_query(
    d: Dialect,
    filters: Filters,
    *,
    after: Position | None,
    before: Position | None,
    limit: int,
) -> Query:
    """The query of a page: `limit` listing rows in order, each re-checked against its write.

    The rows are chosen in a subquery of their own, so that the engine walks the index of
    the filter in order and stops at `limit`, whatever it estimates of the re-check; a
    row the re-check refuses (answered since the last drain) comes back without a write.
    """
    op = "<" if before is not None else ">"
    desc = before is not None
    inner, params = _in_order(filters, op, before if desc else after, desc=desc)
    order = ", ".join(f"l.{c}{' DESC' if desc else ''}" for c in _ORDER)
    sql = (
        "SELECT l.checkpoint_id, l.thread_id, l.interrupt_id, l.task_id, w.task_path, w.type, "
        f"w.{{blob}} FROM ({inner}) AS l LEFT {_JOIN_WRITE} "
        f"AND w.channel = '__interrupt__' AND {_PENDING} ORDER BY {order}"
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
    neighbours: bool = True,
) -> Plan[RawPage]:
    """Read one page: at most `limit` pending interrupts after (or before) a position.

    With `neighbours` False, whether a page precedes (or follows) is not asked: a stream
    going one way has no use for it.
    """
    yield from drain_plan(d, saver)
    at = before if before is not None else after
    raw = yield page_query(d, filters, after=after, before=before, limit=limit + 1)
    beyond = len(raw) > limit
    raw = raw[:limit]
    if before is not None:
        raw.reverse()
    rows = []
    decoder = Decoder()
    with paused_gc():
        for checkpoint_id, thread_id, interrupt_id, task_id, task_path, kind, blob in raw:
            value = None if kind is None else decoder.loads(saver, str(kind), bytes(blob))
            found = next(
                (i for i in value or () if isinstance(i, Interrupt) and i.id == interrupt_id),
                None,
            )
            position = Position(str(checkpoint_id), str(thread_id), str(interrupt_id))
            rows.append(Row(position, str(task_id), str(task_path or ""), found))
    other = False
    if at is not None and neighbours:
        edge = rows[0].position if before is None and rows else at
        if before is not None:
            edge = rows[-1].position if rows else at
        got = yield _exists(d, filters, ">" if before is not None else "<", edge)
        other = bool(got)
    # A thread's pending requests share its latest checkpoint, so they sit side by side in
    # the listing: only the threads at the page's two edges may have some off the page.
    ids: dict[str, list[str]] = {}
    for r in rows:
        ids.setdefault(r.position.thread_id, []).append(r.position.interrupt_id)
    edges = sorted({rows[0].position.thread_id, rows[-1].position.thread_id} if rows else ())
    if edges:
        marks = ", ".join("?" for _ in edges)
        found_ids = yield Query(
            d.sql(
                f"SELECT l.thread_id, l.interrupt_id FROM hitl_listing AS l {_JOIN_WRITE} "
                f"WHERE l.thread_id IN ({marks}) AND {_PENDING}"
            ),
            tuple(edges),
        )
        for thread_id in edges:
            ids[thread_id] = []
        for thread_id, interrupt_id in found_ids:
            ids[str(thread_id)].append(str(interrupt_id))
    more, earlier = (other, beyond) if before is not None else (beyond, other)
    return RawPage(rows, more, earlier, ids)


def count_plan(d: Dialect, saver: BaseCheckpointSaver[Any], filters: Filters) -> Plan[int]:
    """How many requests the listing holds: exact as of the drain just before it."""
    yield from drain_plan(d, saver)
    where, params = _where(filters)
    sql = "SELECT count(*) FROM hitl_listing AS l" + (
        f" WHERE {' AND '.join(where)}" if where else ""
    )
    got = yield Query(d.sql(sql), tuple(params))
    return int(got[0][0])
