"""The inbox a page at a time: keyset cursors, filters in SQL, `count`, `iter_pending`.

Every test runs on InMemorySaver, SqliteSaver and a real PostgreSQL. What a walk through
the pages gives is compared with `pending_interrupts`, thread by thread: paging must
neither repeat nor drop a request, also while requests are added and answered.
"""

from __future__ import annotations

import gc
import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from graphs.mail import ask, make_graph

from langgraph_hitl import Approve, InvalidCursorError, Page, PendingInterrupt, pending_interrupts
from langgraph_hitl.core._plan import drive
from langgraph_hitl.inbox._bounds import bounds
from langgraph_hitl.inbox._inbox import Inbox
from langgraph_hitl.inbox._listing import ListingEffect, Outcome, Query, Reader, Ready
from langgraph_hitl.store import _listing as store_listing
from langgraph_hitl.store._cursor import Filters, Position, decode_cursor, encode_cursor
from langgraph_hitl.store._listing import SQLITE, RawPage

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

Graph = Any  # a compiled graph of any state (`Pregel[...]`)


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _start(graph: Graph, kinds: str) -> list[str]:
    """One thread per letter, in order: `m` asks to approve an e-mail, `h` asks for help."""
    threads = []
    for kind in kinds:
        thread = f"t-{uuid.uuid4().hex[:8]}"
        if kind == "m":
            graph.invoke(
                ask("send_email", to=f"{thread}@example.com", subject="Hi"), _config(thread)
            )
        else:
            graph.invoke(ask("human_assistance", query=f"Help {thread}?"), _config(thread))
        threads.append(thread)
    return threads


def _exact(graph: Graph, threads: list[str]) -> list[tuple[str | None, str]]:
    return sorted(
        (p.thread_id, p.id) for t in threads for p in pending_interrupts(graph, _config(t))
    )


def _ids(items: list[PendingInterrupt]) -> list[tuple[str | None, str]]:
    return [(p.thread_id, p.id) for p in items]


def _walk(inbox: Inbox[Any], limit: int, **filters: Any) -> list[Page]:
    pages = [inbox.page(limit=limit, **filters)]
    while pages[-1].next_cursor is not None:
        pages.append(inbox.page(limit=limit, after=pages[-1].next_cursor, **filters))
    return pages


@pytest.fixture
def graph(checkpointer: BaseCheckpointSaver[Any]) -> Graph:
    return make_graph().compile(checkpointer=checkpointer)


def test_pages_walk_the_whole_listing_both_ways(graph: Graph) -> None:
    threads = _start(graph, "mhmmhmh")
    inbox = Inbox(graph)

    pages = _walk(inbox, 3)

    assert [len(p.items) for p in pages] == [3, 3, 1]
    walked = [i for p in pages for i in p.items]
    assert [i.thread_id for i in walked] == threads  # oldest first
    assert _ids(walked) == _ids(inbox.pending())
    assert sorted(_ids(walked)) == _exact(graph, threads)
    assert pages[0].prev_cursor is None
    assert pages[-1].next_cursor is None
    # Back from the last page: the same pages, in reverse.
    back = [pages[-1]]
    while back[-1].prev_cursor is not None:
        back.append(inbox.page(limit=3, before=back[-1].prev_cursor))
    assert [_ids(p.items) for p in reversed(back)] == [_ids(p.items) for p in pages]
    assert back[-1].prev_cursor is None
    assert back[-1].next_cursor is not None


def test_pending_takes_a_cursor_and_iter_pending_streams_everything(graph: Graph) -> None:
    threads = _start(graph, "mhmhm")
    inbox = Inbox(graph)
    first = inbox.page(limit=2)

    assert first.next_cursor is not None
    rest = inbox.pending(after=first.next_cursor)
    assert [i.thread_id for i in rest] == threads[2:]
    assert [i.thread_id for i in inbox.pending(limit=1, after=first.next_cursor)] == [threads[2]]
    assert _ids(list(inbox.iter_pending(page_size=1))) == _ids(inbox.pending())
    assert [i.thread_id for i in inbox.iter_pending(after=first.next_cursor)] == threads[2:]
    assert inbox.pending(limit=0) == []


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_a_stream_builds_each_request_as_it_is_handed_on(graph: Graph) -> None:
    # A page of SQL rows is held, not a page of built requests: the consumer that drops
    # each one keeps one alive at a time (the collector never walks a built page).
    _start(graph, "mhmhmhmh")
    inbox = Inbox(graph)

    def alive() -> int:
        return sum(1 for o in gc.get_objects() if type(o) is PendingInterrupt)

    before = alive()
    seen = []
    for item in inbox.iter_pending(page_size=4):
        seen.append((item.thread_id, alive() - before))
        del item

    assert [n for _, n in seen] == [1] * 8
    assert [t for t, _ in seen] == [i.thread_id for i in inbox.pending()]


def test_a_page_after_the_kept_schemas_are_cleared_reads_its_own_again(
    graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One schema kept: the second page (`h`, then `m`) clears it to read the new one, and
    # must read again the one it shares with the first page.
    monkeypatch.setattr(store_listing, "SCHEMAS_KEPT", 1)
    threads = _start(graph, "mmhm")
    inbox = Inbox(graph)

    pages = _walk(inbox, 2)

    walked = [i for p in pages for i in p.items]
    exact = [p for t in threads for p in pending_interrupts(graph, _config(t))]
    assert [(i.id, i.response_schema) for i in walked] == [(i.id, i.response_schema) for i in exact]
    assert len({json.dumps(i.response_schema, sort_keys=True) for i in walked}) == 2


def test_pages_are_stable_while_requests_come_and_go(graph: Graph) -> None:
    threads = _start(graph, "mmmmmm")
    inbox = Inbox(graph)
    first = inbox.page(limit=2)
    assert first.next_cursor is not None

    # Meanwhile: one listed request and one not yet listed are answered, two new ones come.
    inbox.resume(threads[0], Approve())
    inbox.resume(threads[3], Approve())
    later = _start(graph, "hm")
    second = inbox.page(limit=2, after=first.next_cursor)
    assert second.next_cursor is not None
    third = inbox.page(limit=10, after=second.next_cursor)

    assert [i.thread_id for i in second.items] == [threads[2], threads[4]]
    assert [i.thread_id for i in third.items] == [threads[5], *later]
    assert third.next_cursor is None
    assert [i.thread_id for i in inbox.pending()] == [threads[1], threads[2], *threads[4:], *later]


def test_filters_page_and_count(graph: Graph) -> None:
    threads = _start(graph, "mhmhmm")
    inbox = Inbox(graph)
    mails = [threads[i] for i in (0, 2, 4, 5)]

    by_tool = _walk(inbox, 3, tool="send_email")
    assert [[i.thread_id for i in p.items] for p in by_tool] == [mails[:3], mails[3:]]
    assert [i.thread_id for i in inbox.pending(type="human_assistance")] == [threads[1], threads[3]]
    assert [i.thread_id for i in inbox.pending(thread_id=threads[4])] == [threads[4]]
    assert inbox.pending(tool="send_email", type="human_assistance") == []
    assert inbox.count() == 6
    assert inbox.count(tool="send_email") == 4
    assert inbox.count(type="tool_approval") == 4
    assert inbox.count(type="human_assistance", thread_id=threads[3]) == 1
    assert inbox.count(tool="delete_everything") == 0

    inbox.resume(threads[0], Approve())
    inbox.resume(threads[1], {"data": "Use LangGraph."})
    assert inbox.count() == 4
    assert inbox.count(tool="send_email") == 3
    assert sorted(_ids(inbox.pending())) == _exact(graph, threads)


def test_an_emptied_previous_page_falls_back_to_the_first(graph: Graph) -> None:
    threads = _start(graph, "mmmm")
    inbox = Inbox(graph)
    second = inbox.page(limit=2, after=inbox.page(limit=2).next_cursor)
    assert second.prev_cursor is not None
    for thread in threads[:2]:
        inbox.resume(thread, Approve())

    back = inbox.page(limit=2, before=second.prev_cursor)

    assert [i.thread_id for i in back.items] == threads[2:]
    assert back.prev_cursor is None


def test_a_page_after_the_end_is_empty_and_points_back(graph: Graph) -> None:
    _start(graph, "mm")
    inbox = Inbox(graph)
    page = inbox.page(limit=2)
    assert page.next_cursor is None
    at = encode_cursor(Position("\uffff", "", ""), Filters())

    empty = inbox.page(limit=2, after=at)

    assert empty.items == []
    assert empty.next_cursor is None
    assert empty.prev_cursor is not None
    assert _ids(inbox.page(limit=5, before=empty.prev_cursor).items) == _ids(page.items)


@pytest.mark.parametrize(
    ("cursor", "message"),
    [
        ("page-2", "is not an inbox cursor"),
        ("c1.!!!", "is malformed"),
        ("c1." + "W10", "is malformed"),  # base64 of "[]"
    ],
)
def test_a_malformed_cursor_is_refused_by_name(graph: Graph, cursor: str, message: str) -> None:
    inbox = Inbox(graph)

    with pytest.raises(InvalidCursorError, match=message) as caught:
        inbox.page(after=cursor)

    assert repr(cursor) in str(caught.value)
    assert "Page.next_cursor" in str(caught.value)
    with pytest.raises(ValueError, match=message):
        inbox.pending(after=cursor)


def test_a_cursor_of_another_listing_is_refused(graph: Graph) -> None:
    _start(graph, "mhm")
    inbox = Inbox(graph)
    cursor = inbox.page(limit=1, tool="send_email").next_cursor
    assert cursor is not None

    with pytest.raises(InvalidCursorError, match="tool='send_email'") as caught:
        inbox.page(after=cursor)

    assert "not for this one" in str(caught.value)
    with pytest.raises(InvalidCursorError, match="type='human_assistance'"):
        list(inbox.iter_pending(after=cursor, tool="send_email", type="human_assistance"))
    assert decode_cursor(cursor, Filters(tool="send_email")).thread_id


def test_bad_limits_and_two_cursors_are_refused(graph: Graph) -> None:
    inbox = Inbox(graph)
    cursor = encode_cursor(Position("a", "b", "c"), Filters())

    with pytest.raises(ValueError, match="limit must be a positive int, got 0"):
        inbox.page(limit=0)
    with pytest.raises(ValueError, match="got -1"):
        inbox.pending(limit=-1)
    with pytest.raises(ValueError, match="page_size"):
        list(inbox.iter_pending(page_size=0))
    with pytest.raises(ValueError, match="either after= or before="):
        inbox.page(after=cursor, before=cursor)


async def test_async_pages_count_and_stream(async_checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = make_graph().compile(checkpointer=async_checkpointer)
    threads = []
    for n in range(5):
        thread = f"a-{n}-{uuid.uuid4().hex[:6]}"
        if n % 2:
            await graph.ainvoke(ask("human_assistance", query="Help?"), _config(thread))
        else:
            await graph.ainvoke(
                ask("send_email", to="a@example.com", subject="Hi"), _config(thread)
            )
        threads.append(thread)
    inbox = Inbox(graph)

    first = await inbox.apage(limit=2)
    assert first.next_cursor is not None
    second = await inbox.apage(limit=2, after=first.next_cursor)
    streamed = [i async for i in inbox.aiter_pending(page_size=2)]

    assert [i.thread_id for i in [*first.items, *second.items]] == threads[:4]
    assert [i.thread_id for i in streamed] == threads
    assert await inbox.acount() == 5
    assert await inbox.acount(tool="send_email") == 3
    assert [i.thread_id for i in await inbox.apending(type="human_assistance")] == threads[1::2]
    assert second.prev_cursor is not None
    back = await inbox.apage(limit=2, before=second.prev_cursor)
    assert _ids(back.items) == _ids(first.items)
    with pytest.raises(InvalidCursorError):
        await inbox.apage(after="nope")


def test_a_long_listing_reports_progress_every_500_requests() -> None:
    """`pending`'s plan, fed pages of 300 rows: one call per 500 read, then the total."""
    from langgraph.checkpoint.memory import InMemorySaver

    rows = [
        PendingInterrupt(
            id=f"i-{n}",
            value={"type": "human_assistance"},
            response_schema=None,
            tool_call_id=None,
            type="human_assistance",
            node="ask",
            path=("ask",),
            thread_id=f"t-{n:04}",
            checkpoint_id=f"c-{n:04}",
            created_at=None,
            expires_at=None,
        )
        for n in range(1_200)
    ]
    pages = [rows[n : n + 300] for n in range(0, len(rows), 300)]
    asked: list[str] = []

    def do(effect: ListingEffect) -> Outcome:
        if isinstance(effect, Ready):
            return SQLITE
        assert isinstance(effect, Query)
        asked.append(repr(effect.plan).split()[2])  # "<generator object count_plan at ...>"
        if asked[-1] == "count_plan":
            return len(rows)
        page = pages.pop(0)
        last = Position(page[-1].checkpoint_id or "", page[-1].thread_id or "", page[-1].id)
        return RawPage(
            items=list(page), read=len(page), first=None, last=last, more=bool(pages), earlier=False
        )

    calls: list[tuple[int, int]] = []
    reader = Reader(InMemorySaver(), ("ask",))
    plan = reader.pending(bounds(500, None, None, Filters()), None, lambda *c: calls.append(c))

    assert drive(plan, do) == rows
    assert asked == ["count_plan", *["page_plan"] * 4]
    assert calls == [(500, 1_200), (1_000, 1_200), (1_200, 1_200)]
