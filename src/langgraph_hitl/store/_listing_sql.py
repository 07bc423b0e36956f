"""The listing's tables, triggers and shared SQL, spelled for SQLite and for PostgreSQL.

Beside the checkpointer's tables the inbox keeps `hitl_listing` (one row per pending
interrupt, under one index per filter), the queue its triggers fill, and the response
schemas its rows use (`_listing` says why and how they stay exact). This module holds the
text of all that: the tables, the triggers in each dialect, the test of what is pending
(`PENDING`), and the vocabulary of the plans that run it (`Query`, `Many`, `Tx`).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from ..core._compat import CONTROL_CHANNELS
from ._claims import PG_LOCK_NS

__all__ = [
    "BACKFILL",
    "BEGIN",
    "COMMIT",
    "JOIN_WRITE",
    "PENDING",
    "PG_SETUP_KEY",
    "POSTGRES",
    "READ",
    "SCHEMA_INDEX",
    "SQLITE",
    "TABLES",
    "Dialect",
    "Many",
    "Op",
    "Plan",
    "Query",
    "Tx",
    "queue_table",
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
CONTROL = "('" + "', '".join(sorted(CONTROL_CHANNELS)) + "')"
"""Writes that say what happened to a task rather than what it produced: any other
write means the task finished (`langgraph.pregel._task_status`)."""

SCHEMA_INDEX = "hitl_listing_schema"
TABLES = (
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
    f"CREATE INDEX IF NOT EXISTS {SCHEMA_INDEX} "
    "ON hitl_listing (schema_digest) WHERE schema_digest IS NOT NULL",
    # An approval's schema is the same kilobytes for every call of its tool: once here.
    "CREATE TABLE IF NOT EXISTS hitl_listing_schemas "
    "(digest TEXT PRIMARY KEY, body {blob_type} NOT NULL)",
)


def queue_table(dialect_id: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS hitl_listing_queue (id {dialect_id}, "
        "thread_id TEXT NOT NULL, checkpoint_id TEXT NOT NULL, task_id TEXT NOT NULL, "
        "idx INTEGER NOT NULL)"
    )


# The truth about one interrupt write `w`: what `pending_interrupts` would say. Its
# checkpoint is the thread's latest (one backward probe of the primary key), and its task
# wrote no output there.
PENDING = f"""w.checkpoint_id = (
    SELECT max(c.checkpoint_id) FROM checkpoints AS c
    WHERE c.thread_id = w.thread_id AND c.checkpoint_ns = '')
  AND NOT EXISTS (
    SELECT 1 FROM {{writes}} AS o
    WHERE o.thread_id = w.thread_id AND o.checkpoint_ns = '' AND o.checkpoint_id = w.checkpoint_id
      AND o.task_id = w.task_id AND o.channel NOT IN {CONTROL})"""

JOIN_WRITE = """JOIN {writes} AS w ON w.thread_id = l.thread_id AND w.checkpoint_ns = ''
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
WHEN {_MATTERS.format(r="NEW", c=CONTROL)}
BEGIN {_queue_task("writes", "NEW")}; END""",
    f"""CREATE TRIGGER IF NOT EXISTS hitl_listing_v2_w_del AFTER DELETE ON writes
WHEN {_MATTERS.format(r="OLD", c=CONTROL)}
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
    IF {_MATTERS.format(r="OLD", c=CONTROL)} THEN
      IF OLD.channel = '__interrupt__' THEN
        INSERT INTO hitl_listing_queue (thread_id, checkpoint_id, task_id, idx)
        VALUES (OLD.thread_id, OLD.checkpoint_id, OLD.task_id, OLD.idx);
      END IF;
      {_queue_task("checkpoint_writes", "OLD")};
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF {_MATTERS.format(r="NEW", c=CONTROL)} THEN
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
    f"OR (type = 'index' AND name = '{SCHEMA_INDEX}')",
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
# Advisory lock keys under this library's namespace (`_claims.PG_LOCK_NS`): the claims table
# uses 1, the interrupt-write index (`_backends`) 2, the notification outbox 5.
PG_SETUP_KEY = 3
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
    f"WHERE schemaname = current_schema() AND indexname = '{SCHEMA_INDEX}'",
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

BACKFILL = f"""INSERT INTO hitl_listing_queue (thread_id, checkpoint_id, task_id, idx)
SELECT w.thread_id, w.checkpoint_id, w.task_id, w.idx FROM {{writes}} AS w
WHERE w.channel = '__interrupt__' AND w.checkpoint_ns = '' AND {PENDING}"""
