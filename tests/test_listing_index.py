"""The listing table: kept by the database on every path, rebuilt when missing, indexed.

`count()` reads the table without re-checking each row, so each test compares it (and
the streamed listing) with `pending_interrupts`, thread by thread, after one way a
request can appear or go: a thread moved on without answering, one of two parallel
requests answered, a thread deleted, a checkpoint deleted, threads written before the
table existed, the table's triggers dropped. Then the query plans: a page walks an index
of the listing in order, and never scans the checkpointer's writes table.
"""

from __future__ import annotations

import uuid
from dataclasses import FrozenInstanceError, fields, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pytest
from graphs.mail import ask, make_graph
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from typing_extensions import TypedDict

from langgraph_hitl import Approve, approval_tool, open_checkpointer, pending_interrupts
from langgraph_hitl.core._compat import postgres_cursor, sqlite_connection
from langgraph_hitl.core._pending import LISTED_FIELDS, PendingInterrupt, listed
from langgraph_hitl.inbox._inbox import Inbox
from langgraph_hitl.store._backends import checkpoint_time
from langgraph_hitl.store._cursor import Filters, Position
from langgraph_hitl.store._listing import POSTGRES, SQLITE, page_query
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from pathlib import Path

    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

Graph = Any


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _mail(graph: Graph, kinds: str) -> list[str]:
    threads = []
    for kind in kinds:
        thread = f"t-{uuid.uuid4().hex[:8]}"
        if kind == "m":
            graph.invoke(ask("send_email", to="a@example.com", subject="Hi"), _config(thread))
        else:
            graph.invoke(ask("human_assistance", query="Help?"), _config(thread))
        threads.append(thread)
    return threads


def _agrees(inbox: Inbox[Any], graph: Graph, threads: list[str]) -> int:
    """Assert the listing says what each thread says; return how many requests wait."""
    exact = sorted(
        (p.thread_id, p.id) for t in threads for p in pending_interrupts(graph, _config(t))
    )
    assert sorted((p.thread_id, p.id) for p in inbox.iter_pending(page_size=2)) == exact
    assert inbox.count() == len(exact)
    return len(exact)


def _sql(saver: BaseCheckpointSaver[Any], statements: list[str]) -> None:
    if isinstance(saver, InMemorySaver):
        return
    if type(saver).__name__ == "SqliteSaver":
        conn, lock = sqlite_connection(saver)
        with lock:
            for sql in statements:
                conn.execute(sql)
            conn.commit()
        return
    with postgres_cursor(saver)() as cur:
        for sql in statements:
            cur.execute(sql.replace("writes", "checkpoint_writes"))


def test_a_thread_that_moves_on_unanswered_leaves(checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = make_graph().compile(checkpointer=checkpointer)
    threads = _mail(graph, "mmh")
    inbox = Inbox(graph)
    assert _agrees(inbox, graph, threads) == 3

    # A new checkpoint, no answer: the old request no longer waits.
    graph.update_state(_config(threads[0]), {"messages": []}, as_node="__start__")

    assert _agrees(inbox, graph, threads) == len(pending_interrupts(graph, _config(threads[1]))) + 1


def test_one_of_two_parallel_requests_answered(checkpointer: BaseCheckpointSaver[Any]) -> None:
    @tool
    def send_email(to: str) -> str:
        """Send an e-mail."""
        return f"Sent to {to}."

    calls = [("send_email", {"to": "ada@example.com"}), ("send_email", {"to": "bob@example.com"})]
    model = ScriptedChatModel(responses=[ai_tool_calls(*calls), "Done."])
    agent = create_agent(model, tools=[approval_tool(send_email)], checkpointer=checkpointer)
    thread = "parallel"
    agent.invoke({"messages": [HumanMessage(content="Mail them.")]}, _config(thread))
    inbox = Inbox(agent)
    first, _ = inbox.pending()
    assert _agrees(inbox, agent, [thread]) == 2

    # Its task's output is written at the same checkpoint: no new checkpoint yet.
    inbox.resume(thread, {first.id: Approve()})

    assert _agrees(inbox, agent, [thread]) == 1
    assert inbox.count(tool="send_email") == 1


def test_deleted_threads_and_checkpoints(checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = make_graph().compile(checkpointer=checkpointer)
    threads = _mail(graph, "mmm")
    inbox = Inbox(graph)
    paused = graph.get_state(_config(threads[1])).config["configurable"]["checkpoint_id"]
    inbox.resume(threads[1], Approve())
    assert _agrees(inbox, graph, threads) == 2

    checkpointer.delete_thread(threads[0])
    assert _agrees(inbox, graph, threads) == 1

    # Everything after the pause taken away, but the interrupt: its request waits again.
    _sql(
        checkpointer,
        [
            f"DELETE FROM writes WHERE thread_id = '{threads[1]}' AND checkpoint_id >= '{paused}' "
            "AND channel <> '__interrupt__'",
            f"DELETE FROM checkpoints WHERE thread_id = '{threads[1]}' "
            f"AND checkpoint_id > '{paused}'",
        ],
    )
    expected = 2 if not isinstance(checkpointer, InMemorySaver) else 1
    assert _agrees(inbox, graph, threads) == expected


def test_requests_written_before_the_table_and_after_its_triggers_went(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = make_graph().compile(checkpointer=checkpointer)
    before = _mail(graph, "mhm")  # no inbox yet: nothing of this library in the database
    inbox = Inbox(graph)
    assert _agrees(inbox, graph, before) == 3

    # Triggers dropped (a restore without them, say): what is written meanwhile goes
    # unseen by the table, so the next inbox rebuilds it from the checkpoint tables.
    drop = ["DROP TRIGGER IF EXISTS hitl_listing_v2_w_ins", "DROP TRIGGER hitl_listing_v2_c_ins"]
    if type(checkpointer).__name__ == "PostgresSaver":
        drop = ["DROP TRIGGER hitl_listing_v2_checkpoints ON checkpoints"]
    _sql(checkpointer, drop)
    inbox.resume(before[0], Approve())
    later = _mail(graph, "h")

    assert _agrees(Inbox(graph), graph, [*before, *later]) == 3


def test_a_listing_whose_triggers_went_rechecks_every_row(sql_saver: Any) -> None:
    """Pages, streams and counts read the table as is only while the triggers keep it exact."""
    graph = make_graph().compile(checkpointer=sql_saver)
    threads = _mail(graph, "mmh")
    inbox = Inbox(graph)
    assert inbox.count() == 3

    # Every trigger dropped behind this inbox's back: the answer below goes unseen by the
    # table, which still holds the answered request's row.
    if type(sql_saver).__name__ == "PostgresSaver":
        with postgres_cursor(sql_saver)() as cur:
            cur.execute("DROP TRIGGER hitl_listing_v2_writes ON checkpoint_writes")
            cur.execute("DROP TRIGGER hitl_listing_v2_checkpoints ON checkpoints")
    else:
        _sql(sql_saver, [f"DROP TRIGGER {name}" for name in SQLITE.trigger_names])
    inbox.resume(threads[0], Approve())
    assert _rows(sql_saver, f"SELECT count(*) FROM hitl_listing WHERE thread_id = '{threads[0]}'")
    assert _rows(sql_saver, "SELECT count(*) FROM hitl_listing") == [(3,)]

    streamed = [(p.thread_id, p.id) for p in inbox.iter_pending(page_size=2)]
    exact = [(p.thread_id, p.id) for t in threads for p in _exact(graph, t)]
    assert sorted(streamed) == sorted(exact)
    assert threads[0] not in {t for t, _ in streamed}
    paged, page = [], inbox.page(limit=1)
    while True:
        paged += [(p.thread_id, p.id) for p in page.items]
        if page.next_cursor is None:
            break
        page = inbox.page(limit=1, after=page.next_cursor)
    assert paged == streamed
    assert inbox.count() == len(exact) == 2


def test_a_listed_request_is_the_dataclass_itself() -> None:
    """`listed` (the listing's fast constructor) builds what `PendingInterrupt(...)` does."""
    assert tuple(f.name for f in fields(PendingInterrupt)) == LISTED_FIELDS
    at = datetime(2026, 12, 2, tzinfo=timezone.utc)
    fields_: dict[str, Any] = {
        "id": "i",
        "value": {"a": 1},
        "response_schema": {"type": "object"},
        "tool_call_id": "call",
        "type": "tool_approval",
        "node": "tools",
        "path": ("tools",),
        "thread_id": "t",
        "checkpoint_id": "c",
        "created_at": at,
        "expires_at": at,
        "version": "c:v",
    }
    item = listed(*(fields_[name] for name in LISTED_FIELDS))
    assert item == PendingInterrupt(**fields_)
    assert {name: getattr(item, name) for name in LISTED_FIELDS} == fields_
    with pytest.raises(FrozenInstanceError):
        item.id = "other"  # type: ignore[misc]


# -- query plans -------------------------------------------------------------------------

COPIES = 1_500
"""Each seeded thread copied this often: a table large enough to have a plan worth reading."""


def _grow(saver: BaseCheckpointSaver[Any], copies: int) -> None:
    """Copy every thread's rows `copies` times under new thread ids, in SQL."""
    pg = type(saver).__name__ == "PostgresSaver"
    tables = (
        ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
        if pg
        else ("checkpoints", "writes")
    )
    series = (
        f"generate_series(1, {copies}) AS k"
        if pg
        else f"(WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < {copies}) "
        "SELECT k FROM n)"
    )
    if pg:
        with postgres_cursor(saver)() as cur:
            for table in tables:
                cur.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                    "AND table_schema = current_schema() ORDER BY ordinal_position",
                    (table,),
                )
                columns = [r["column_name"] for r in cur.fetchall()]
                cur.execute(_copy(table, columns, series))
            cur.execute("ANALYZE")
        return
    conn, lock = sqlite_connection(saver)
    with lock:
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            conn.execute(_copy(table, columns, series))
        conn.commit()
        conn.execute("ANALYZE")


def _copy(table: str, columns: list[str], series: str) -> str:
    picked = ", ".join("thread_id || '-c' || k" if c == "thread_id" else c for c in columns)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {picked} FROM {table} "
        f"CROSS JOIN {series}"
    )


@pytest.fixture(params=["sqlite", "postgres"])
def sql_saver(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    url = (
        str(tmp_path / "plans.db")
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    with open_checkpointer(url) as saver:
        yield saver


def test_pages_walk_an_index_and_never_scan_the_writes_table(sql_saver: Any) -> None:
    graph = make_graph().compile(checkpointer=sql_saver)
    threads = _mail(graph, "mh")
    inbox = Inbox(graph)
    inbox.resume(threads[0], Approve())  # answered history too, as a live database has
    _mail(graph, "m")
    _grow(sql_saver, COPIES)
    assert inbox.count() == 2 * (COPIES + 1)
    assert inbox.count(tool="send_email") == COPIES + 1
    _analyze(sql_saver)  # what autovacuum (or `ANALYZE`) does once the table has grown
    pg = type(sql_saver).__name__ == "PostgresSaver"
    dialect = POSTGRES if pg else inbox._listing.dialect  # type: ignore[union-attr]
    at = Position("1", "t", "x")
    cases = {
        "hitl_listing_order": (Filters(), None, None),
        "hitl_listing_tool": (Filters(tool="send_email"), at, None),
        "hitl_listing_kind": (Filters(type="human_assistance"), None, at),
    }
    for index, (filters, after, before) in cases.items():
        # A page of an exact table reads the filter's index alone, in order, and stops.
        query = page_query(dialect, filters, after=after, before=before, limit=51, exact=True)
        plan = _explain(sql_saver, query.sql, query.params, pg=pg)
        assert index in plan, plan
        for other in ("writes", "checkpoints", "Sort", "TEMP B-TREE"):
            assert other not in plan, plan
        # Re-checked (a trigger missing): the writes table is only searched by key.
        query = page_query(dialect, filters, after=after, before=before, limit=51)
        plan = _explain(sql_saver, query.sql, query.params, pg=pg)
        assert index in plan, plan
        if pg:
            assert "Seq Scan on checkpoint_writes" not in plan, plan
            assert "Sort" not in plan, plan
        else:
            # The page's rows come from the filter's index, in order; the writes table is
            # only searched by key. (The one sort left orders the page's own few rows.)
            assert f"SCAN l USING INDEX {index}" in plan or f"SEARCH l USING INDEX {index}" in plan
            assert "SCAN w" not in plan, plan
            assert "SCAN o" not in plan, plan


def test_a_drain_joins_only_its_batch(sql_saver: Any) -> None:
    """The batch is cut before the join: else each batch costs as much as the whole queue."""
    from langgraph_hitl.store._listing import _DRAIN, SQLITE

    graph = make_graph().compile(checkpointer=sql_saver)
    Inbox(graph).count()  # the tables and triggers
    _mail(graph, "mh")
    _grow(sql_saver, 300)  # queued by the triggers, not drained yet
    pg = type(sql_saver).__name__ == "PostgresSaver"
    dialect = POSTGRES if pg else SQLITE

    plan = _explain(sql_saver, dialect.sql(_DRAIN), (10,), pg=pg).splitlines()

    if pg:
        assert not plan[0].lstrip().startswith(("Limit", "Sort")), plan
        assert any("Limit" in line for line in plan[1:]), plan
    else:
        # The batch is a co-routine of its own, read before any join (the sort left
        # orders the batch's own rows).
        assert any("CO-ROUTINE q" in line or "MATERIALIZE q" in line for line in plan), plan


def _analyze(saver: Any) -> None:
    if type(saver).__name__ == "PostgresSaver":
        with postgres_cursor(saver)() as cur:
            cur.execute("ANALYZE hitl_listing")
        return
    conn, lock = sqlite_connection(saver)
    with lock:
        conn.execute("ANALYZE")
        conn.commit()


def _explain(saver: Any, sql: str, params: tuple[Any, ...], *, pg: bool) -> str:
    if pg:
        with postgres_cursor(saver)() as cur:
            cur.execute(f"EXPLAIN {sql}", params)
            return "\n".join(str(next(iter(r.values()))) for r in cur.fetchall())
    conn, lock = sqlite_connection(saver)
    with lock:
        return "\n".join(str(r[-1]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def test_a_dropped_listing_table_is_rebuilt(checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = make_graph().compile(checkpointer=checkpointer)
    threads = _mail(graph, "mh")
    assert _agrees(Inbox(graph), graph, threads) == 2

    _sql(checkpointer, ["DROP TABLE hitl_listing"])
    threads += _mail(graph, "m")

    assert _agrees(Inbox(graph), graph, threads) == 3


# -- what the listing stores of a request ------------------------------------------------

_SHAPES: list[tuple[object, dict[str, Any] | None]] = [
    ({"type": "question", "tool_call_id": "c1", "expires_at": "2030-01-02T03:04:05Z"}, None),
    ({"type": "question", "n": [1, 2.5, None, True, b"raw"]}, {"title": "Answer"}),
    ("a bare question", None),
    ({"when": datetime(2025, 1, 2, tzinfo=timezone.utc)}, None),  # not plain data
    ({1: "int keys"}, None),  # plain msgpack, but not storable as is
    ({"q": 1}, {"properties": {"response_schema": {"title": "response_schema"}}}),
]


def _shapes_graph(saver: BaseCheckpointSaver[Any]) -> Any:
    class State(TypedDict):
        n: int
        answer: object

    def ask(state: State) -> dict[str, object]:
        value, schema = _SHAPES[state["n"]]
        return {"answer": interrupt(value, response_schema=schema)}

    builder: StateGraph[State, Any, State, State] = StateGraph(State)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    return builder.compile(checkpointer=saver)


def _seen(p: Any) -> tuple[Any, ...]:
    return (
        p.thread_id,
        p.id,
        p.value,
        p.response_schema,
        p.tool_call_id,
        p.type,
        p.node,
        p.path,
        p.checkpoint_id,
        p.created_at,
        p.expires_at,
        p.version,
    )


def test_every_kind_of_value_is_listed_as_its_thread_reads_it(sql_saver: Any) -> None:
    graph = _shapes_graph(sql_saver)
    for n in range(len(_SHAPES)):
        graph.invoke({"n": n, "answer": None}, _config(f"shape-{n}"))
    exact = sorted(
        (_seen(p) for n in range(len(_SHAPES)) for p in _exact(graph, f"shape-{n}")), key=repr
    )
    inbox = Inbox(graph)

    listed = sorted(map(_seen, inbox.iter_pending(page_size=2)), key=repr)

    assert listed == exact
    assert len(listed) == len(_SHAPES)
    by_thread = {p.thread_id: p for p in inbox.pending()}
    assert by_thread["shape-0"].expires_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert by_thread["shape-3"].value["when"] == datetime(2025, 1, 2, tzinfo=timezone.utc)
    assert by_thread["shape-4"].value == {1: "int keys"}


def _exact(graph: Any, thread: str) -> list[Any]:
    return [
        replace(p, created_at=checkpoint_time(p.checkpoint_id or ""))
        for p in pending_interrupts(graph, _config(thread))
    ]


def _rows(saver: Any, sql: str) -> list[tuple[Any, ...]]:
    if type(saver).__name__ == "PostgresSaver":
        with postgres_cursor(saver)() as cur:
            cur.execute(sql)
            return [tuple(r.values()) for r in cur.fetchall()]
    conn, lock = sqlite_connection(saver)
    with lock:
        return [tuple(r) for r in conn.execute(sql)]


def test_a_tools_schema_is_stored_once_and_pages_read_no_write(sql_saver: Any) -> None:
    graph = make_graph().compile(checkpointer=sql_saver)
    threads = _mail(graph, "mmmh")
    inbox = Inbox(graph)
    assert inbox.count() == 4

    # One schema per tool, whatever the number of its requests; each row holds its value.
    assert _rows(sql_saver, "SELECT count(*) FROM hitl_listing_schemas") == [(2,)]
    assert _rows(sql_saver, "SELECT count(*) FROM hitl_listing WHERE value IS NULL") == [(0,)]
    exact = sorted((_seen(p) for t in threads for p in _exact(graph, t)), key=repr)
    assert sorted(map(_seen, inbox.pending()), key=repr) == exact

    # A page takes the request from the listing: with every write's blob made unreadable
    # behind the triggers' back, it still lists them.
    if type(sql_saver).__name__ == "PostgresSaver":
        with postgres_cursor(sql_saver)() as cur:
            cur.execute("SET session_replication_role = replica")  # no trigger fires
            cur.execute("UPDATE checkpoint_writes SET blob = '' WHERE channel = '__interrupt__'")
            cur.execute("SET session_replication_role = DEFAULT")
    else:  # SQLite's triggers watch inserts and deletes only
        _sql(sql_saver, ["UPDATE writes SET value = x'' WHERE channel = '__interrupt__'"])
    assert sorted(map(_seen, Inbox(graph).pending()), key=repr) == exact


_V1_TABLE = """CREATE TABLE hitl_listing (
    thread_id TEXT NOT NULL, checkpoint_id TEXT NOT NULL, interrupt_id TEXT NOT NULL,
    task_id TEXT NOT NULL, idx INTEGER NOT NULL, tool TEXT, kind TEXT,
    PRIMARY KEY (thread_id, checkpoint_id, interrupt_id))"""


def _schemas_graph(saver: BaseCheckpointSaver[Any]) -> Any:
    """Each thread asks with the schema its input names: one schema per name."""

    class State(TypedDict):
        schema: str
        answer: object

    def ask(state: State) -> dict[str, object]:
        schema = {"title": state["schema"], "type": "object"}
        return {"answer": interrupt({"q": state["schema"]}, response_schema=schema)}

    builder: StateGraph[State, Any, State, State] = StateGraph(State)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    return builder.compile(checkpointer=saver)


def test_a_schema_no_request_uses_any_more_is_dropped(sql_saver: Any) -> None:
    graph = _schemas_graph(sql_saver)
    for thread, schema in (("t0", "a"), ("t1", "b"), ("t2", "b"), ("t3", "c")):
        graph.invoke({"schema": schema, "answer": None}, _config(thread))
    inbox = Inbox(graph)
    kept = "SELECT count(*) FROM hitl_listing_schemas"
    assert inbox.count() == 4
    assert _rows(sql_saver, kept) == [(3,)]

    inbox.resume("t0", {"ok": True})  # answered: its schema "a" serves no request any more
    assert inbox.count() == 3
    assert _rows(sql_saver, kept) == [(2,)]
    sql_saver.delete_thread("t1")  # "b" still serves t2
    assert inbox.count() == 2
    assert _rows(sql_saver, kept) == [(2,)]
    sql_saver.delete_thread("t2")
    assert [p.response_schema for p in inbox.pending()] == [{"title": "c", "type": "object"}]
    assert _rows(sql_saver, kept) == [(1,)]

    # A listing without its schema index (an earlier layout) is rebuilt, and the schemas
    # it kept that no rebuilt row uses go with it.
    _sql(
        sql_saver,
        [
            "INSERT INTO hitl_listing_schemas (digest, body) VALUES ('stale', 'x')",
            "DROP INDEX hitl_listing_schema",
        ],
    )
    assert [p.response_schema for p in Inbox(graph).pending()] == [{"title": "c", "type": "object"}]
    assert _rows(sql_saver, kept) == [(1,)]
    assert _rows(sql_saver, "SELECT count(*) FROM hitl_listing_schemas WHERE digest = 'stale'") == [
        (0,)
    ]


def test_a_listing_of_the_first_layout_is_replaced(sql_saver: Any) -> None:
    """A database set up by the first release: its triggers go, its table is rebuilt."""
    graph = make_graph().compile(checkpointer=sql_saver)
    threads = _mail(graph, "mh")
    Inbox(graph).count()
    pg = type(sql_saver).__name__ == "PostgresSaver"
    if pg:
        old = [
            "DROP TRIGGER hitl_listing_v2_writes ON checkpoint_writes",
            "DROP TABLE hitl_listing",
            _V1_TABLE,
            "CREATE FUNCTION hitl_listing_v1_writes() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN INSERT INTO hitl_listing (thread_id, checkpoint_id, interrupt_id, task_id, "
            "idx) VALUES ('v1', 'v1', 'v1', 'v1', 0) ON CONFLICT DO NOTHING; RETURN NULL; END $$",
            "CREATE TRIGGER hitl_listing_v1_writes AFTER INSERT ON checkpoint_writes "
            "FOR EACH ROW EXECUTE FUNCTION hitl_listing_v1_writes()",
        ]
        gone = "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'hitl_listing_v1%'"
    else:
        old = [
            "DROP TRIGGER hitl_listing_v2_w_ins",
            "DROP TABLE hitl_listing",
            _V1_TABLE,
            "CREATE TRIGGER hitl_listing_v1_w_ins AFTER INSERT ON writes BEGIN "
            "INSERT OR IGNORE INTO hitl_listing (thread_id, checkpoint_id, interrupt_id, "
            "task_id, idx) VALUES ('v1', 'v1', 'v1', 'v1', 0); END",
        ]
        gone = "SELECT name FROM sqlite_master WHERE name LIKE 'hitl_listing_v1%'"
    if pg:
        with postgres_cursor(sql_saver)() as cur:
            for sql in old:
                cur.execute(sql)
    else:
        _sql(sql_saver, old)
    assert _rows(sql_saver, gone)

    inbox = Inbox(graph)
    assert _agrees(inbox, graph, threads) == 2
    threads += _mail(graph, "m")  # written under the new triggers only

    assert _agrees(inbox, graph, threads) == 3
    assert _rows(sql_saver, gone) == []
