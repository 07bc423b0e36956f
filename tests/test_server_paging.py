"""Pages of a deployment's listing (`_remote_page`): a page read part-way is the final page.

The server lists interrupted threads oldest change first and has no keyset filter, so
`RemoteInbox.page` reads from the start until the page cannot change. These tests feed the
pure listing what the server would return, in pages of any size (threads whose last run
failed first, as the inbox reads them), and check that whenever it says a page is known,
that page is the one the whole listing gives.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langgraph_hitl import InvalidCursorError, PendingInterrupt
from langgraph_hitl.inbox._remote_page import Bounds, Listing, bounds, stamp_of
from langgraph_hitl.inbox._remote_wire import ThreadRecord
from langgraph_hitl.store._cursor import Filters, Position, encode_cursor

START = datetime(2025, 1, 1, tzinfo=timezone.utc)


def record(n: int, status: str, second: int) -> ThreadRecord:
    return ThreadRecord(
        thread_id=f"t-{n:03}",
        status=status,
        assistant_id=None,
        graph_id="g",
        stamp=(START + timedelta(seconds=second)).isoformat(),
        interrupts=(),
    )


def item(rec: ThreadRecord, k: int, tool: str) -> PendingInterrupt:
    return PendingInterrupt(
        id=f"{rec.thread_id}-i{k}",
        value={"type": "tool_approval", "name": tool},
        response_schema=None,
        tool_call_id=None,
        type="tool_approval",
        node="tools",
        path=("tools",),
        thread_id=rec.thread_id,
        checkpoint_id=None,
        created_at=rec.updated_at,
        expires_at=None,
    )


Thread = tuple[ThreadRecord, list[PendingInterrupt]]

threads_st = st.lists(
    st.tuples(
        st.sampled_from(["interrupted", "interrupted", "interrupted", "error"]),
        st.integers(0, 12),  # few seconds: many threads changed at the same moment
        st.lists(st.sampled_from(["pay", "mail"]), min_size=1, max_size=2),
    ),
    max_size=25,
)


def build(raw: list[tuple[str, int, list[str]]]) -> list[Thread]:
    out = []
    for n, (status, second, tools) in enumerate(raw):
        rec = record(n, status, second)
        out.append((rec, [item(rec, k, tool) for k, tool in enumerate(tools)]))
    return out


def whole(threads: list[Thread], filters: Filters) -> Listing:
    listing = Listing(filters)
    for rec, items in threads:
        listing.add(rec, items)
    listing.complete = True
    return listing


def scans(threads: list[Thread], filters: Filters, size: int) -> list[Listing]:
    """The listing after each page the server gives, as `_remote_reader.Server.scan` reads it."""
    errors = [t for t in threads if t[0].status == "error"]
    # The server orders threads changed at the same moment as it likes: here, against ours.
    waiting = sorted(
        (t for t in threads if t[0].status != "error"),
        key=lambda t: (t[0].stamp, [-ord(c) for c in t[0].thread_id]),
    )
    listing = Listing(filters)
    for rec, items in errors:
        listing.add(rec, items)
    states = []
    for start in range(0, len(waiting), size):
        chunk = waiting[start : start + size]
        for rec, items in chunk:
            listing.add(rec, items)
        if start + size < len(waiting):  # a full page: more may follow
            listing.edge = max(listing.edge, stamp_of(chunk[-1][0]))
            states.append(Listing(filters, dict(listing.found), edge=listing.edge, complete=False))
    listing.complete = True
    states.append(listing)
    return states


@settings(max_examples=300, deadline=None)
@given(
    raw=threads_st,
    size=st.integers(1, 6),
    limit=st.integers(1, 5),
    tool=st.sampled_from([None, "pay"]),
    cursor=st.tuples(st.sampled_from(["after", "before", None]), st.integers(0, 60)),
)
def test_a_page_known_part_way_is_the_page_of_the_whole_listing(
    raw: list[tuple[str, int, list[str]]],
    size: int,
    limit: int,
    tool: str | None,
    cursor: tuple[str | None, int],
) -> None:
    threads = build(raw)
    filters = Filters(tool, None, None)
    full = whole(threads, filters)
    positions = sorted(full.found)
    kind, index = cursor
    at: Position | None = positions[index % len(positions)] if positions and kind else None
    asked = Bounds(
        filters=filters,
        after=at if kind == "after" else None,
        before=at if kind == "before" else None,
        limit=limit,
    )
    expected = full.page(asked)
    assert expected is not None
    for state in scans(threads, filters, size):
        found = state.page(asked)
        if found is not None:
            assert found == expected
            break
    else:
        pytest.fail("the complete listing always gives the page")
    for state in scans(threads, filters, size):
        first = state.first(limit)
        if first is not None:
            assert first == [full.found[p] for p in positions[:limit]]
            break


def test_walking_the_pages_forward_and_back_visits_every_request_once() -> None:
    threads = build([("interrupted", n // 3, ["pay"] * (1 + n % 2)) for n in range(17)])
    threads += build([("error", 2, ["pay"])])
    listing = whole(threads, Filters())
    everything = [i for _, i in sorted(listing.found.items())]
    seen: list[Any] = []
    page = listing.page(bounds(4, None, None, Filters()))
    pages = []
    while page is not None:
        pages.append(page)
        seen += page.items
        if page.next_cursor is None:
            break
        page = listing.page(bounds(4, page.next_cursor, None, Filters()))
    assert seen == everything
    assert pages[0].prev_cursor is None
    for earlier, later in itertools.pairwise(pages):
        assert later.prev_cursor is not None
        back = listing.page(bounds(4, None, later.prev_cursor, Filters()))
        assert back == earlier


def test_an_error_thread_changed_later_does_not_come_before_unread_older_ones() -> None:
    # The inbox reads threads whose last run failed first; they must not fill a page
    # while older interrupted threads are still unread.
    newest_error = build([("error", 50, ["pay"])])
    older = build([("interrupted", 10, ["pay"])])
    listing = Listing(Filters())
    listing.add(*newest_error[0])
    listing.edge = stamp_of(record(9, "interrupted", 9))
    assert listing.first(1) is None
    assert listing.page(bounds(1, None, None, Filters())) is None
    listing.add(*older[0])
    listing.complete = True
    assert [i.thread_id for i in listing.first(1) or []] == [older[0][0].thread_id]


def test_a_cursor_of_another_listing_is_refused() -> None:
    local = encode_cursor(Position("1f0a2b3c-0000", "t", "i"), Filters())
    with pytest.raises(InvalidCursorError, match=r"inbox of a checkpointer \(Inbox\(graph\)\)"):
        bounds(5, local, None, Filters())
    mine = encode_cursor(Position(stamp_of(record(1, "interrupted", 1)), "t", "i"), Filters())
    assert bounds(5, mine, None, Filters()).after is not None
    with pytest.raises(InvalidCursorError, match="made for the listing with tool=None"):
        bounds(5, None, mine, Filters(tool="pay"))
    with pytest.raises(InvalidCursorError, match="not an inbox cursor"):
        bounds(5, "page-2", None, Filters())


@pytest.mark.parametrize(
    ("limit", "after", "before", "message"),
    [
        (0, None, None, "limit must be a positive int, got 0"),
        (True, None, None, "limit must be a positive int, got True"),
        (5, "c1.x", "c1.y", "Pass either after= or before=, not both"),
    ],
)
def test_bad_page_arguments_are_refused(
    limit: int, after: str | None, before: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        bounds(limit, after, before, Filters())
