"""`request.expired` is sent when `Inbox.expire()` answers a request, whatever the sweeps saw.

`expire()` leaves a marker in the outbox for each request it answers; the next sweep
sends its `request.expired` once per channel: for approvals and questions, for requests
no sweep ever saw pending, sync and async, on memory, SQLite and PostgreSQL. A request a
human answered never gets one. Every delivery goes to real loopback receivers; time is a
`FakeClock`.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import pytest
from graphs.mail import ask
from graphs.notify_mail import DEADLINE, make_graph
from notify_support import SECRET, HttpReceiver, Received, aoutbox_rows, outbox_rows

from langgraph_hitl import Approve, Inbox, PendingInterrupt, open_checkpointer
from langgraph_hitl.notify import Slack, Webhook, failed_deliveries
from langgraph_hitl.notify._event import event_of
from langgraph_hitl.testing import FakeClock, use_clock

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from langgraph.checkpoint.base import BaseCheckpointSaver

LINK = "https://review.example.com"
# Announced by the first sweep, then expired / answered by a human in time.
SEEN = {
    "seen-mail": ask("send_email", to="ada@example.com", subject="Hi"),
    "seen-help": ask("human_assistance", query="Which city?"),
    "human-mail": ask("send_email", to="bob@example.com", subject="Yo"),
    "human-help": ask("human_assistance", query="Which day?"),
}
# Raised after the first sweep: no sweep ever sees them pending.
UNSEEN = {
    "new-mail": ask("send_email", to="cy@example.com", subject="Hey"),
    "new-help": ask("human_assistance", query="Which hour?"),
    "new-human": ask("human_assistance", query="Which room?"),
}
EXPIRED = {"seen-mail", "seen-help", "new-mail", "new-help"}
HUMAN = {"human-mail": Approve(reviewer="ada"), "human-help": {"data": "Monday"}}


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    with use_clock(FakeClock()) as installed:
        assert isinstance(installed, FakeClock)
        yield installed


def _config(thread_id: str) -> Any:
    return {"configurable": {"thread_id": thread_id}}


def _expired(received: list[Received]) -> list[Received]:
    return [r for r in received if r.json()["event"] == "request.expired"]


def _check(
    hook: HttpReceiver,
    slack: HttpReceiver,
    ids: dict[str, PendingInterrupt],
    outcomes: list[tuple[str, str, str]],
) -> None:
    """What the sweep after expire() sent: each expired request once per channel."""
    assert sorted(outcomes) == sorted(
        (t, "request.expired", kind) for t in EXPIRED for kind in ("webhook", "slack")
    )
    expired = _expired(hook.received)
    assert sorted(r.key for r in expired) == sorted(f"{ids[t].id}:request.expired" for t in EXPIRED)
    assert all(r.signed for r in expired)
    created = {r.json()["thread_id"]: r.json() for r in hook.received if r not in expired}
    for r in expired:
        body, thread = r.json(), r.json()["thread_id"]
        if thread in created:  # the very body announced, as request.expired
            assert body == {**created[thread], "event": "request.expired"}
        else:  # never announced: the same event, built from the request
            assert body == {**event_of(ids[thread], "request.expired", link_base=LINK)}
    # Slack is told too, in its own message shape, with the same idempotency keys.
    told = [r for r in slack.received if r.json()["text"].startswith("Expired")]
    assert sorted(r.key for r in told) == sorted(r.key for r in expired)


def test_expire_announces_what_it_answered_once_per_channel(
    checkpointer: BaseCheckpointSaver[Any], clock: FakeClock
) -> None:
    graph = make_graph().compile(checkpointer=checkpointer)
    inbox = Inbox(graph)
    with HttpReceiver() as hook, HttpReceiver() as slack:
        channels = [Webhook(hook.url, secret=SECRET), Slack(slack.url)]
        for thread, input in SEEN.items():
            graph.invoke(input, _config(thread))
        first = inbox.notify(channels, link_base=LINK)
        for thread, input in UNSEEN.items():
            graph.invoke(input, _config(thread))
        ids = {p.thread_id or "": p for p in inbox.pending()}
        # Humans answer in time: two seen pending, one never seen.
        for thread, answer in {**HUMAN, "new-human": {"data": "Room 3"}}.items():
            inbox.resume(thread, {ids[thread].id: answer})
        clock.advance(DEADLINE * 2)
        answered = inbox.expire()
        swept = inbox.notify(channels, link_base=LINK)
        again = inbox.notify(channels, link_base=LINK)
        rows = outbox_rows(checkpointer)

    assert len(first.sent) == 2 * len(SEEN)
    assert {p.thread_id for p in answered} == EXPIRED
    _check(
        hook, slack, ids, [(o.thread_id, o.event, o.channel.split(":")[0]) for o in swept.outcomes]
    )
    assert again.outcomes == ()
    # expire()'s markers are spent, every row of the finished requests closed.
    markers = [r for r in rows if r[3] == ""]
    assert sorted(r[0] for r in markers) == sorted(EXPIRED)
    assert all(r[4:] == ("sent", 1) for r in rows)


async def test_aexpire_announces_what_it_answered_once_per_channel(
    async_checkpointer: BaseCheckpointSaver[Any], clock: FakeClock
) -> None:
    graph = make_graph().compile(checkpointer=async_checkpointer)
    inbox = Inbox(graph)
    with HttpReceiver() as hook, HttpReceiver() as slack:
        channels = [Webhook(hook.url, secret=SECRET), Slack(slack.url)]
        for thread, input in SEEN.items():
            await graph.ainvoke(input, _config(thread))
        await inbox.anotify(channels, link_base=LINK)
        for thread, input in UNSEEN.items():
            await graph.ainvoke(input, _config(thread))
        ids = {p.thread_id or "": p for p in await inbox.apending()}
        for thread, answer in {**HUMAN, "new-human": {"data": "Room 3"}}.items():
            await inbox.aresume(thread, {ids[thread].id: answer})
        clock.advance(DEADLINE * 2)
        answered = await inbox.aexpire()
        swept = await inbox.anotify(channels, link_base=LINK)
        again = await inbox.anotify(channels, link_base=LINK)
        rows = await aoutbox_rows(async_checkpointer)

    assert {p.thread_id for p in answered} == EXPIRED
    _check(
        hook, slack, ids, [(o.thread_id, o.event, o.channel.split(":")[0]) for o in swept.outcomes]
    )
    assert again.outcomes == ()
    assert sorted(r[0] for r in rows if r[3] == "") == sorted(EXPIRED)


def test_a_request_answered_by_a_human_never_gets_expired(
    checkpointer: BaseCheckpointSaver[Any], clock: FakeClock
) -> None:
    graph = make_graph().compile(checkpointer=checkpointer)
    inbox = Inbox(graph)
    with HttpReceiver() as hook:
        channels = [Webhook(hook.url, secret=SECRET)]
        inbox.notify(channels)  # an empty outbox: the table exists, markers are kept
        for thread, input in SEEN.items():
            if thread.startswith("human"):
                graph.invoke(input, _config(thread))
        inbox.notify(channels)
        # expire() with a `now` past the deadlines: it answers the question (it cannot
        # tell the system from a human) and leaves the approval, not overdue yet.
        early = inbox.expire(now=clock() + DEADLINE * 2)
        (mail,) = inbox.pending()
        inbox.resume("human-mail", {mail.id: Approve(reviewer="ada")})
        clock.advance(DEADLINE * 3)
        assert inbox.expire() == []
        swept = inbox.notify(channels)
        for _ in range(2):
            clock.advance(DEADLINE)
            assert inbox.notify(channels).outcomes == ()

    assert [p.thread_id for p in early] == ["human-help"]
    # The question was answered by expire(): its request.expired; the approval, by a human.
    assert [(o.thread_id, o.event) for o in swept.outcomes] == [("human-help", "request.expired")]
    assert [r.json()["thread_id"] for r in _expired(hook.received)] == ["human-help"]


def test_an_approval_a_human_answered_between_sweeps_gets_no_expired(
    checkpointer: BaseCheckpointSaver[Any], clock: FakeClock
) -> None:
    graph = make_graph().compile(checkpointer=checkpointer)
    inbox = Inbox(graph)
    with HttpReceiver() as hook:
        channels = [Webhook(hook.url, secret=SECRET)]
        for thread in ("human-mail", "human-help"):
            graph.invoke(SEEN[thread], _config(thread))
        inbox.notify(channels)
        ids = {p.thread_id or "": p for p in inbox.pending()}
        clock.advance(DEADLINE / 2)
        for thread, answer in HUMAN.items():
            inbox.resume(thread, {ids[thread].id: answer})
        # The next sweep comes after the deadlines: the requests are gone, by a human.
        clock.advance(DEADLINE)
        assert inbox.expire() == []
        swept = inbox.notify(channels)

    assert swept.outcomes == ()
    assert _expired(hook.received) == []


def test_expire_writes_nothing_where_no_sweep_ran(tmp_path: Path, clock: FakeClock) -> None:
    db = tmp_path / "agent.db"
    with open_checkpointer(str(db)) as saver:
        graph = make_graph().compile(checkpointer=saver)
        graph.invoke(SEEN["seen-help"], _config("help"))
        clock.advance(DEADLINE * 2)
        assert failed_deliveries(graph) == {}  # a read: it makes no table either
        assert [p.thread_id for p in Inbox(graph).expire()] == ["help"]
        with sqlite3.connect(db) as conn:
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        with HttpReceiver() as hook:
            first = Inbox(graph).notify([Webhook(hook.url, secret=SECRET)])
    assert "hitl_notifications" not in tables
    # No sweep ran before: a deployment that starts notifying is not told of old expiries.
    assert first.outcomes == ()
    assert hook.received == []


def test_a_lost_marker_is_made_up_for_by_the_seen_overdue_request(
    checkpointer: BaseCheckpointSaver[Any], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # expire() died between its answer and its marker: a sweep that saw the question
    # pending after its deadline still announces its expiry.
    from langgraph_hitl.notify import _expired

    graph = make_graph().compile(checkpointer=checkpointer)
    inbox = Inbox(graph)
    with HttpReceiver() as hook:
        channels = [Webhook(hook.url, secret=SECRET)]
        graph.invoke(SEEN["seen-help"], _config("help"))
        inbox.notify(channels)
        clock.advance(DEADLINE * 2)
        assert inbox.notify(channels).outcomes == ()  # overdue: armed, nothing sent yet
        monkeypatch.setattr(_expired, "_step", lambda db, item: 1 / 0)
        assert [p.thread_id for p in inbox.expire()] == ["help"]  # the answer stands
        swept = inbox.notify(channels)

    assert [(o.thread_id, o.event, o.status) for o in swept.outcomes] == [
        ("help", "request.expired", "sent")
    ]
