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
database runs it (`_listing_db`; h11's "sans-I/O").
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import ormsgpack
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.types import Interrupt

from ..core._compat import CONTROL_CHANNELS, PULL_TASK_PREFIX, interrupt_id_of
from ..core._pending import PendingInterrupt, listed, make_pending, parse_time, version_of
from ._backends import Decoder, checkpoint_time, paused_gc
from ._claims import PG_LOCK_NS
from ._cursor import Filters, Position, kind_of, tool_of

if TYPE_CHECKING:
    from datetime import datetime

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
    "Tx",
    "Schemas",
    "count_plan",
    "drain_plan",
    "node_of",
    "page_plan",
    "page_query",
    "settled_plan",
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
    """Open a write transaction (`begin`), a read snapshot (`read`), or commit (`commit`).

    A read snapshot sees one committed state for all its statements (SQLite: a deferred
    transaction; PostgreSQL: REPEATABLE READ), and holds no write lock.
    """

    op: str


BEGIN, READ, COMMIT = Tx("begin"), Tx("read"), Tx("commit")
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
    in_place: str
    """Names the listing's triggers, tables and schema index that exist (`_complete`)."""
    trigger_names: tuple[str, ...]
    blob_type: str
    obsolete: tuple[str, ...]
    """What an earlier layout of the listing left, dropped when this one is set up."""

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

_SCHEMA_INDEX = "hitl_listing_schema"
_TABLES = (
    # What a listed request needs beside its position, so that a page reads no checkpoint
    # blob: its tool and kind (filters), the node that raised it, its value as plain
    # msgpack (None when the value is not plain data: then the page decodes the write) and
    # the digest of its response schema, kept once in `hitl_listing_schemas`.
    """CREATE TABLE IF NOT EXISTS hitl_listing (
    thread_id TEXT NOT NULL, checkpoint_id TEXT NOT NULL, interrupt_id TEXT NOT NULL,
    task_id TEXT NOT NULL, idx INTEGER NOT NULL, tool TEXT, kind TEXT, task_path TEXT,
    node TEXT, value {blob_type}, schema_digest TEXT,
    PRIMARY KEY (thread_id, checkpoint_id, interrupt_id))""",
    # One index per filter, each in listing order, so a page reads only its own rows.
    "CREATE INDEX IF NOT EXISTS hitl_listing_order "
    "ON hitl_listing (checkpoint_id, thread_id, interrupt_id)",
    "CREATE INDEX IF NOT EXISTS hitl_listing_tool "
    "ON hitl_listing (tool, checkpoint_id, thread_id, interrupt_id)",
    "CREATE INDEX IF NOT EXISTS hitl_listing_kind "
    "ON hitl_listing (kind, checkpoint_id, thread_id, interrupt_id)",
    # Which rows still use a schema: a drain drops the schemas its batch left unused.
    f"CREATE INDEX IF NOT EXISTS {_SCHEMA_INDEX} "
    "ON hitl_listing (schema_digest) WHERE schema_digest IS NOT NULL",
    # An approval's schema is the same kilobytes for every call of its tool: once here.
    "CREATE TABLE IF NOT EXISTS hitl_listing_schemas "
    "(digest TEXT PRIMARY KEY, body {blob_type} NOT NULL)",
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
    "hitl_listing_v2_w_ins",
    "hitl_listing_v2_w_del",
    "hitl_listing_v2_c_ins",
    "hitl_listing_v2_c_del",
)
# The interrupt write itself when it is the one deleted; else the task's interrupt writes.
_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS hitl_listing_v2_w_ins AFTER INSERT ON writes
WHEN {_MATTERS.format(r="NEW", c=_CONTROL)}
BEGIN {_queue_task("writes", "NEW")}; END""",
    f"""CREATE TRIGGER IF NOT EXISTS hitl_listing_v2_w_del AFTER DELETE ON writes
WHEN {_MATTERS.format(r="OLD", c=_CONTROL)}
BEGIN
  INSERT INTO hitl_listing_queue (thread_id, checkpoint_id, task_id, idx)
  SELECT OLD.thread_id, OLD.checkpoint_id, OLD.task_id, OLD.idx WHERE OLD.channel = '__interrupt__';
  {_queue_task("writes", "OLD")};
END""",
    f"""CREATE TRIGGER IF NOT EXISTS hitl_listing_v2_c_ins AFTER INSERT ON checkpoints
WHEN NEW.checkpoint_ns = ''
BEGIN {_queue_at("writes", "NEW", "{r}.checkpoint_id", _NEWEST_BEFORE)}; END""",
    f"""CREATE TRIGGER IF NOT EXISTS hitl_listing_v2_c_del AFTER DELETE ON checkpoints
WHEN OLD.checkpoint_ns = ''
BEGIN {_queue_at("writes", "OLD", "{r}.checkpoint_id", _NEWEST)}; END""",
)

_PG_TRIGGER_NAMES = ("hitl_listing_v2_writes", "hitl_listing_v2_checkpoints")
_PG_TRIGGERS = (
    f"""CREATE OR REPLACE FUNCTION hitl_listing_v2_writes() RETURNS trigger
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
    f"""CREATE OR REPLACE FUNCTION hitl_listing_v2_checkpoints() RETURNS trigger
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
    "DROP TRIGGER IF EXISTS hitl_listing_v2_writes ON checkpoint_writes",
    "CREATE TRIGGER hitl_listing_v2_writes AFTER INSERT OR UPDATE OR DELETE "
    "ON checkpoint_writes FOR EACH ROW EXECUTE FUNCTION hitl_listing_v2_writes()",
    "DROP TRIGGER IF EXISTS hitl_listing_v2_checkpoints ON checkpoints",
    "CREATE TRIGGER hitl_listing_v2_checkpoints AFTER INSERT OR DELETE "
    "ON checkpoints FOR EACH ROW EXECUTE FUNCTION hitl_listing_v2_checkpoints()",
)

SQLITE = Dialect(
    writes="writes",
    blob="value",
    placeholder="?",
    queue_id="INTEGER PRIMARY KEY",
    lock=None,
    triggers=_SQLITE_TRIGGERS,
    in_place="SELECT name FROM sqlite_master WHERE (type = 'trigger' AND name LIKE "
    f"'hitl_listing_v2_%') OR (type = 'table' AND name LIKE 'hitl_listing%') "
    f"OR (type = 'index' AND name = '{_SCHEMA_INDEX}')",
    trigger_names=_SQLITE_TRIGGER_NAMES,
    blob_type="BLOB",
    obsolete=(
        *(
            f"DROP TRIGGER IF EXISTS hitl_listing_v1_{name}"
            for name in ("w_ins", "w_del", "c_ins", "c_del")
        ),
        "DROP TABLE IF EXISTS hitl_listing",
    ),
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
    in_place="SELECT tgname FROM pg_trigger WHERE tgname LIKE 'hitl_listing_v2_%' "
    "AND NOT tgisinternal UNION SELECT tablename FROM pg_tables "
    "WHERE schemaname = current_schema() AND tablename LIKE 'hitl_listing%' "
    "UNION SELECT indexname FROM pg_indexes "
    f"WHERE schemaname = current_schema() AND indexname = '{_SCHEMA_INDEX}'",
    trigger_names=_PG_TRIGGER_NAMES,
    blob_type="BYTEA",
    obsolete=(
        "DROP TRIGGER IF EXISTS hitl_listing_v1_writes ON checkpoint_writes",
        "DROP TRIGGER IF EXISTS hitl_listing_v1_checkpoints ON checkpoints",
        "DROP FUNCTION IF EXISTS hitl_listing_v1_writes()",
        "DROP FUNCTION IF EXISTS hitl_listing_v1_checkpoints()",
        "DROP TABLE IF EXISTS hitl_listing",
    ),
)

_BACKFILL = f"""INSERT INTO hitl_listing_queue (thread_id, checkpoint_id, task_id, idx)
SELECT w.thread_id, w.checkpoint_id, w.task_id, w.idx FROM {{writes}} AS w
WHERE w.channel = '__interrupt__' AND w.checkpoint_ns = '' AND {_PENDING}"""


def _complete(d: Dialect) -> Plan[bool]:
    """Whether the listing's tables, its schema index and every one of its triggers exist."""
    # Triggers without their tables would make every checkpoint write fail: both or none.
    wanted = {
        *d.trigger_names,
        "hitl_listing",
        "hitl_listing_queue",
        "hitl_listing_schemas",
        _SCHEMA_INDEX,
    }
    found = yield Query(d.in_place)
    return {str(r[0]) for r in found} >= wanted


def setup_plan(d: Dialect) -> Plan[None]:
    """Create the table, its queue and the triggers; when they were missing, fill the queue."""
    if (yield from _complete(d)):
        return
    yield BEGIN
    if d is POSTGRES:
        yield Query(f"SELECT pg_advisory_xact_lock({PG_LOCK_NS}, {_PG_SETUP_KEY})")
    if (yield from _complete(d)):  # another process may have done it meanwhile
        yield COMMIT
        return
    # Whatever the table held was kept without triggers (or in an earlier layout): it is
    # dropped, and filled again from the truth.
    tables = [t.replace("{blob_type}", d.blob_type) for t in _TABLES]
    for sql in (*d.obsolete, *tables, _queue_table(d.queue_id), *d.triggers):
        yield Query(sql)
    # Triggers and backfill in one transaction: no change between them goes unseen. The
    # schemas go with the rows they were kept for: each drain stores its rows' own again.
    yield Query("DELETE FROM hitl_listing_schemas")
    yield Query("DELETE FROM hitl_listing_queue")
    yield Query(d.sql(_BACKFILL))
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
  AND w.channel = '__interrupt__' AND {_PENDING}
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


def node_of(task_path: str, task_id: str, interrupt_id: str, nodes: Sequence[str]) -> str | None:
    """The node among `nodes` whose own task raised `interrupt_id`, or None.

    None for an interrupt raised deeper (a subgraph, a functional-API task): its id is
    derived from another namespace than `node:task_id`.
    """
    parts = [p.strip() for p in task_path.split(",")]
    if len(parts) == 2 and parts[0] == PULL_TASK_PREFIX:
        # A node's own task names its node: only that one can have raised it.
        nodes = (parts[1],) if parts[1] in nodes else ()
    for answered in range(_MAX_ANSWERED):
        for name in nodes:
            if interrupt_id_of(f"{name}:{task_id}", answered) == interrupt_id:
                return name
    return None


_MAX_ANSWERED = 32
"""How many earlier answers of one task are tried when matching an interrupt id to a node."""


def _pull_node(task_path: str) -> str | None:
    parts = [p.strip() for p in task_path.split(",")]
    return parts[1] if len(parts) == 2 and parts[0] == PULL_TASK_PREFIX else None


class _Entries:
    """What a drain stores of each pending interrupt, schemas digested once per batch."""

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        self.saver = saver
        self.decoder = Decoder()
        self.digests: dict[int, tuple[Any, str]] = {}
        self.schemas: dict[str, bytes] = {}
        """The batch's new schemas: digest to body."""

    def decode(self, kind: str, blob: bytes) -> tuple[Any, bool]:
        """The write's value and whether it is plain msgpack data (storable as is)."""
        if kind == "msgpack" and type(self.saver.serde) is JsonPlusSerializer:
            try:
                return ormsgpack.unpackb(blob, ext_hook=self.decoder.hook), True
            except Exception:  # anything unusual takes the serializer's path
                pass
        return self.saver.serde.loads_typed((kind, blob)), False

    def digest(self, schema: object) -> str | None:
        if not isinstance(schema, dict):
            return None
        known = self.digests.get(id(schema))
        if known is not None and known[0] is schema:
            return known[1]
        try:
            body = ormsgpack.packb(schema)
        except Exception:  # not plain data: the page reads it from the write
            return None
        digest = hashlib.sha256(body).hexdigest()[:32]
        self.digests[id(schema)] = (schema, digest)
        self.schemas[digest] = body
        return digest

    def rows(self, key: tuple[str, str, str, int], kind: str, blob: bytes, path: str) -> Rows:
        value, plain = self.decode(kind, blob)
        pull = _pull_node(path)
        out = []
        for i in value or ():
            if not isinstance(i, Interrupt):
                continue
            packed: bytes | None = None
            digest = self.digest(i.response_schema) if plain else None
            if plain and (digest is not None or i.response_schema is None):
                try:
                    packed = ormsgpack.packb(i.value)
                except Exception:  # e.g. keys that are not strings
                    packed = None
            node = None if pull is None else node_of(path, key[2], i.id, (pull,))
            tool, kind_ = tool_of(i.value), kind_of(i.value)
            out.append((*key[:2], i.id, *key[2:], tool, kind_, path, node, packed, digest))
        return out


Rows = list[tuple[Any, ...]]


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
        entries = _Entries(saver)
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

    items: list[PendingInterrupt | Position]
    """The page's requests in listing order; a `Position` where the request is tied to no
    node of the graph (raised in a subgraph, say): its thread is read the exact way."""
    read: int
    """How many rows the page read, listed or not."""
    first: Position | None
    last: Position | None
    """The first and last rows read: the page's cursors (a row dropped as answered since
    the drain moves no cursor)."""
    more: bool
    earlier: bool


def _exists(d: Dialect, filters: Filters, op: str, at: Position, *, exact: bool) -> Query:
    """Whether a listed request lies beyond `at` (re-checked against its write unless `exact`)."""
    inner, params = _in_order(filters, op, at, desc=op == "<")
    if exact:
        return Query(d.sql(f"SELECT 1 FROM ({inner}) AS l"), (*params, 1))
    sql = f"SELECT 1 FROM ({inner}) AS l {_JOIN_WRITE} WHERE {_PENDING} LIMIT 1"
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
        f"LEFT {_JOIN_WRITE} "
        f"AND w.channel = '__interrupt__' AND {_PENDING} ORDER BY {order}"
    )
    return Query(d.sql(sql), (*params, limit))


Schemas = dict[str, Any]
"""Response schemas by digest, kept by the caller across pages (`hitl_listing_schemas`)."""
_SCHEMAS_KEPT = 256


def _items(
    raw: list[tuple[Any, ...]],
    saver: BaseCheckpointSaver[Any],
    schemas: Schemas,
    nodes: Sequence[str],
    ids: dict[str, list[str]],
) -> list[PendingInterrupt | Position]:
    """The page's requests, built straight from its rows: one pass, no checkpoint blob."""
    out: list[PendingInterrupt | Position] = []
    known = frozenset(nodes)
    stamps: dict[str, tuple[datetime | None, str]] = {}
    unpack = ormsgpack.unpackb
    decoder: Decoder | None = None
    for cid, tid, iid, task_id, path, node, packed, digest, found, kind, blob in raw:
        if found is None:
            continue  # answered since the drain: not listed (its row still moves the cursor)
        if node is not None:
            # A node this graph lacks: the thread is another graph's (read it the exact way).
            name = node if node in known else None
        else:
            name = node_of(path or "", task_id, iid, nodes)
        if name is None:
            out.append(Position(cid, tid, iid))
            continue
        if packed is not None:
            value = unpack(packed)
            schema = None if digest is None else schemas[digest]
        else:  # a value that is not plain data: the serializer's own reading of the write
            decoder = decoder or Decoder()
            item = next(
                (
                    i
                    for i in decoder.loads(saver, str(kind), bytes(blob)) or ()
                    if isinstance(i, Interrupt) and i.id == iid
                ),
                None,
            )
            if item is None:
                continue
            value, schema = item.value, item.response_schema
        stamp = stamps.get(tid)
        if stamp is None:
            stamp = stamps[tid] = (checkpoint_time(cid), version_of(cid, ids.get(tid) or [iid]))
        if type(value) is dict:
            # What `_pending` reads of a value, without its Mapping check (an ABC's).
            call, kind_, expires = value.get("tool_call_id"), value.get("type"), None
            if "expires_at" in value:
                expires = parse_time(value["expires_at"])
            out.append(
                listed(
                    iid,
                    value,
                    schema if type(schema) is dict else None,
                    call if type(call) is str else None,
                    kind_ if type(kind_) is str else None,
                    name,
                    (name,),
                    tid,
                    cid,
                    stamp[0],
                    expires,
                    stamp[1],
                )
            )
            continue
        out.append(
            make_pending(
                Interrupt(value, iid, response_schema=schema),
                node=name,
                path=(name,),
                thread_id=tid,
                checkpoint_id=cid,
                created_at=stamp[0],
                version=stamp[1],
            )
        )
    return out


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
    missing = sorted({r[7] for r in raw if r[7] is not None and r[6] is not None} - set(schemas))
    if missing:
        if len(schemas) + len(missing) > _SCHEMAS_KEPT:
            schemas.clear()  # bounded: a listing of endless distinct schemas reads them again
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
                else f"SELECT l.thread_id, l.interrupt_id FROM hitl_listing AS l {_JOIN_WRITE} "
                f"WHERE {where} AND {_PENDING}"
            ),
            tuple(edges),
        )
        for thread_id in edges:
            ids[thread_id] = []
        for thread_id, interrupt_id in found_ids:
            ids[str(thread_id)].append(str(interrupt_id))
    yield COMMIT
    with paused_gc():  # thousands of small dicts, no cycles: a collector pass costs more
        items = _items(raw, saver, schemas, nodes, ids)
    more, earlier = (other, beyond) if before is not None else (beyond, other)
    return RawPage(items, len(raw), first, last, more, earlier)


def count_plan(d: Dialect, saver: BaseCheckpointSaver[Any], filters: Filters) -> Plan[int]:
    """How many requests the listing holds: exact in the snapshot it is read in."""
    yield from settled_plan(d, saver)
    where, params = _where(filters)
    sql = "SELECT count(*) FROM hitl_listing AS l"
    if not (yield from _complete(d)):  # as a page would: each row re-checked
        sql += f" {_JOIN_WRITE}"
        where.append(_PENDING)
    sql += f" WHERE {' AND '.join(where)}" if where else ""
    got = yield Query(d.sql(sql), tuple(params))
    yield COMMIT
    return int(got[0][0])
