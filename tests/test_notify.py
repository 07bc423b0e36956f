"""Notification sweeps (`Inbox.notify` / `anotify`) on memory, SQLite and PostgreSQL.

Every delivery goes to a real HTTP server on loopback (`notify_support.HttpReceiver`),
which checks each webhook's signature. Time is a `FakeClock`, moved past backoffs,
reminder windows and deadlines; nothing sleeps.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from graphs.mail import ask
from graphs.notify_mail import DEADLINE, make_graph
from notify_support import SECRET, HttpReceiver, Received

from langgraph_hitl import Approve, Inbox, PendingInterrupt, aopen_checkpointer, open_checkpointer
from langgraph_hitl.notify import (
    Slack,
    Webhook,
    afailed_deliveries,
    failed_deliveries,
)
from langgraph_hitl.testing import FakeClock, use_clock

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.pregel import Pregel

Graph = Any  # a compiled graph of the mail agent

MAIL = ask("send_email", to="ada@example.com", subject="Hi")
HELP = ask("human_assistance", query="Which city?")


def _graph(checkpointer: BaseCheckpointSaver[Any], threads: dict[str, Any]) -> Graph:
    graph = make_graph().compile(checkpointer=checkpointer)
    for thread_id, input in threads.items():
        graph.invoke(input, {"configurable": {"thread_id": thread_id}})
    return graph


def _by_thread(inbox: Inbox[Any]) -> dict[str, PendingInterrupt]:
    return {p.thread_id or "": p for p in inbox.pending()}


def _expiry(item: PendingInterrupt) -> datetime:
    assert item.expires_at is not None
    return item.expires_at


def _events(received: list[Received]) -> list[tuple[str, str]]:
    return [(r.json()["thread_id"], r.json()["event"]) for r in received]


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    with use_clock(FakeClock()) as installed:
        assert isinstance(installed, FakeClock)
        yield installed


@pytest.fixture
def hook() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver


def test_each_request_is_announced_once_per_channel_signed(
    checkpointer: BaseCheckpointSaver[Any], hook: HttpReceiver, clock: FakeClock
) -> None:
    graph = _graph(checkpointer, {"mail": MAIL})
    inbox = Inbox(graph)
    with HttpReceiver() as slack:
        channels = [Webhook(hook.url, secret=SECRET), Slack(slack.url)]
        first = inbox.notify(channels, link_base="https://review.example.com/")
        graph.invoke(HELP, {"configurable": {"thread_id": "help"}})
        second = inbox.notify(channels, link_base="https://review.example.com")
        third = inbox.notify(channels)

    pending = _by_thread(inbox)
    mail = pending["mail"]
    assert [(o.thread_id, o.status) for o in first.outcomes] == [("mail", "sent")] * 2
    assert [(o.thread_id, o.status) for o in second.outcomes] == [("help", "sent")] * 2
    assert third.outcomes == ()
    assert all(r.signed for r in hook.received)
    assert hook.keys() == [f"{mail.id}:request.created", f"{pending['help'].id}:request.created"]
    assert mail.expires_at is not None
    assert hook.received[0].json() == {
        "event": "request.created",
        "thread_id": "mail",
        "interrupt_id": mail.id,
        "type": "tool_approval",
        "tool": "send_email",
        "args": {"to": "ada@example.com", "subject": "Hi"},
        "description": "Send 'Hi' to ada@example.com?",
        "expires_at": mail.expires_at.isoformat(),
        "link": f"https://review.example.com/thread?id=mail#req-{mail.id}",
    }
    assert hook.received[1].json()["args"] == {"query": "Which city?"}
    assert hook.received[1].json()["description"] == "Which city?"
    headers = hook.received[0].headers
    assert headers["x-hitl-event"] == "request.created"
    assert headers["content-type"] == "application/json"
    assert int(headers["x-hitl-timestamp"]) == int(clock().timestamp())
    slack_text = slack.received[0].json()["text"]
    assert "send_email" in slack_text
    assert "thread mail" in slack_text
    assert f"https://review.example.com/thread?id=mail#req-{mail.id}" in slack_text
    assert slack.received[0].json()["blocks"][0]["type"] == "section"
    assert not any(r.signed for r in slack.received)  # Slack's hooks are not signed


def test_a_receiver_that_fails_twice_gets_it_on_the_third_sweep(
    checkpointer: BaseCheckpointSaver[Any], clock: FakeClock
) -> None:
    inbox = Inbox(_graph(checkpointer, {"mail": MAIL}))
    with HttpReceiver([503, 500]) as hook:
        channels = [Webhook(hook.url, secret=SECRET)]
        one = inbox.notify(channels, backoff=timedelta(seconds=30))
        early = inbox.notify(channels, backoff=timedelta(seconds=30))
        clock.advance(timedelta(seconds=30))
        two = inbox.notify(channels, backoff=timedelta(seconds=30))
        clock.advance(timedelta(seconds=59))
        still_early = inbox.notify(channels, backoff=timedelta(seconds=30))
        clock.advance(timedelta(seconds=1))  # the second backoff is doubled: 60 s
        three = inbox.notify(channels, backoff=timedelta(seconds=30))
        after = inbox.notify(channels, backoff=timedelta(seconds=30))

    assert [(o.status, o.attempts) for o in one.outcomes] == [("retry", 1)]
    assert one.outcomes[0].error is not None
    assert "HTTP 503" in one.outcomes[0].error
    assert early.outcomes == still_early.outcomes == after.outcomes == ()
    assert [(o.status, o.attempts) for o in two.outcomes] == [("retry", 2)]
    assert [(o.status, o.attempts) for o in three.outcomes] == [("sent", 3)]
    mail = _by_thread(inbox)["mail"]
    assert hook.keys() == [f"{mail.id}:request.created"] * 3
    assert len({r.body for r in hook.received}) == 1  # every repeat is the same body
    assert all(r.signed for r in hook.received)


def test_failed_for_good_after_the_last_attempt_and_listed_until_answered(
    checkpointer: BaseCheckpointSaver[Any], clock: FakeClock
) -> None:
    graph = _graph(checkpointer, {"mail": MAIL, "help": HELP})
    inbox = Inbox(graph)
    mail = _by_thread(inbox)["mail"]
    # The mail thread is announced first (oldest); the help thread's delivery gets a 404.
    with HttpReceiver([503, 404, 502]) as hook:
        channels = [Webhook(hook.url, secret=SECRET)]
        one = inbox.notify(channels, max_attempts=2, backoff=timedelta(0), concurrency=1)
        two = inbox.notify(channels, max_attempts=2, backoff=timedelta(0), concurrency=1)
        failed = failed_deliveries(graph)
        three = inbox.notify(channels, max_attempts=2, backoff=timedelta(0))
        inbox.resume("mail", {mail.id: Approve()})
        inbox.notify(channels, max_attempts=2)
        answered = failed_deliveries(graph)

    assert [(o.thread_id, o.status) for o in one.outcomes] == [
        ("mail", "retry"),
        ("help", "failed"),
    ]
    assert [(o.thread_id, o.status, o.attempts) for o in two.outcomes] == [("mail", "failed", 2)]
    assert three.outcomes == ()  # nothing is retried once failed
    help_id = _by_thread(inbox)["help"].id
    assert set(failed) == {mail.id, help_id}
    assert "HTTP 502" in failed[mail.id]
    assert "(2 attempts)" in failed[mail.id]
    assert "request.created via webhook" in failed[mail.id]
    assert "HTTP 404" in failed[help_id]
    assert "(1 attempt)" in failed[help_id]
    assert answered == {help_id: failed[help_id]}  # the answered request is done with
    assert failed_deliveries(checkpointer) == answered  # a saver works as well as a graph


def test_one_reminder_before_the_deadline(
    checkpointer: BaseCheckpointSaver[Any], hook: HttpReceiver, clock: FakeClock
) -> None:
    inbox = Inbox(_graph(checkpointer, {"mail": MAIL, "help": HELP}))
    channels = [Webhook(hook.url, secret=SECRET)]
    before = timedelta(minutes=15)

    inbox.notify(channels, remind_before=before)
    # Each deadline counts from its own checkpoint's real time: read them, not guessed.
    first, last = sorted(_expiry(p) for p in inbox.pending())
    clock.advance_to(first - before - timedelta(seconds=1))
    inbox.notify(channels, remind_before=before)
    assert len(hook.received) == 2  # not yet: the first window opens in a second
    clock.advance_to(last - before + timedelta(seconds=1))
    reminded = inbox.notify(channels, remind_before=before)
    clock.advance(timedelta(minutes=5))
    again = inbox.notify(channels, remind_before=before)

    assert {(o.thread_id, o.event) for o in reminded.outcomes} == {
        ("mail", "request.reminder"),
        ("help", "request.reminder"),
    }
    assert again.outcomes == ()
    assert sorted(_events(hook.received)) == sorted(
        [(t, e) for t in ("mail", "help") for e in ("request.created", "request.reminder")]
    )
    assert all(r.signed for r in hook.received)


def test_no_reminder_for_a_request_raised_inside_the_window(
    checkpointer: BaseCheckpointSaver[Any], hook: HttpReceiver, clock: FakeClock
) -> None:
    inbox = Inbox(_graph(checkpointer, {"mail": MAIL}))
    channels = [Webhook(hook.url, secret=SECRET)]
    inbox.notify(channels, remind_before=DEADLINE * 2)
    clock.advance(DEADLINE / 2)
    later = inbox.notify(channels, remind_before=DEADLINE * 2)
    assert later.outcomes == ()
    assert _events(hook.received) == [("mail", "request.created")]


@pytest.mark.parametrize("seen_overdue", [True, False], ids=["swept-after-deadline", "not"])
def test_expired_is_announced_when_expire_answers_a_request(
    checkpointer: BaseCheckpointSaver[Any], hook: HttpReceiver, clock: FakeClock, seen_overdue: bool
) -> None:
    inbox = Inbox(
        _graph(
            checkpointer,
            {"mail": MAIL, "help": HELP, "early": ask("send_email", to="b@x.io", subject="B")},
        )
    )
    channels = [Webhook(hook.url, secret=SECRET)]
    inbox.notify(channels)
    early = _by_thread(inbox)["early"]
    inbox.resume("early", {early.id: Approve(reviewer="ada")})  # a human, in time
    clock.advance_to(max(_expiry(p) for p in inbox.pending()) + timedelta(seconds=1))
    if seen_overdue:
        assert inbox.notify(channels).outcomes == ()  # overdue: armed, nothing sent yet
    before = {p.thread_id: p for p in inbox.pending()}
    assert set(before) == {"mail", "help"}
    assert {p.thread_id for p in inbox.expire()} == {"mail", "help"}
    swept = inbox.notify(channels)
    after = inbox.notify(channels)

    # expire() says what it answered, whether or not a sweep saw the requests overdue.
    expected = {"mail", "help"}
    assert {(o.thread_id, o.event, o.status) for o in swept.outcomes} == {
        (t, "request.expired", "sent") for t in expected
    }
    assert after.outcomes == ()
    expired = [r for r in hook.received if r.json()["event"] == "request.expired"]
    assert {r.key for r in expired} == {f"{before[t].id}:request.expired" for t in expected}
    created = {r.json()["thread_id"]: r.json() for r in hook.received[:3]}
    for r in expired:
        body = r.json()
        assert body == {**created[body["thread_id"]], "event": "request.expired"}
        assert r.signed


def test_two_sweeps_at_once_send_each_delivery_once(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    threads = {f"t{n}": ask("send_email", to=f"u{n}@example.com", subject="Hi") for n in range(6)}
    graph = _graph(checkpointer, threads)
    with HttpReceiver() as hook:
        hook.gate.clear()
        channels = [Webhook(hook.url, secret=SECRET)]
        results: dict[str, Any] = {}

        def run(name: str) -> None:
            results[name] = Inbox(graph).notify(channels, concurrency=2)

        first = threading.Thread(target=run, args=("first",))
        first.start()
        hook.wait_until(lambda got: len(got) >= 2, "the first sweep's deliveries in flight")
        second = threading.Thread(target=run, args=("second",))
        second.start()
        # The first sweep has two in flight at most: four means the second is sending too.
        hook.wait_until(lambda got: len(got) >= 4, "the second sweep's deliveries in flight")
        hook.gate.set()
        first.join(timeout=300)
        second.join(timeout=300)

    keys = hook.keys()
    assert len(keys) == len(set(keys)) == 6
    assert len(results["first"].sent) == 4  # its first claim: twice its concurrency
    assert len(results["second"].sent) == 2


async def test_anotify_on_async_checkpointers(
    async_checkpointer: BaseCheckpointSaver[Any], clock: FakeClock
) -> None:
    graph: Pregel[Any, Any, Any, Any] = make_graph().compile(checkpointer=async_checkpointer)
    await graph.ainvoke(MAIL, {"configurable": {"thread_id": "mail"}})
    inbox = Inbox(graph)
    with HttpReceiver([503]) as hook:
        channels = [Webhook(hook.url, secret=SECRET)]
        one = await inbox.anotify(channels, max_attempts=1)
        failed = await afailed_deliveries(graph)
        two = await inbox.anotify(channels, max_attempts=1)
    (mail,) = await inbox.apending()
    assert [(o.status, o.attempts) for o in one.outcomes] == [("failed", 1)]
    assert two.outcomes == ()
    assert list(failed) == [mail.id]
    assert "HTTP 503" in failed[mail.id]
    assert hook.keys() == [f"{mail.id}:request.created"]
    assert hook.received[0].signed


def test_a_copied_thread_is_announced_on_its_own(tmp_path: Path) -> None:
    # A thread copied row for row (as LangGraph's `copy_thread` does) has the same
    # interrupt ids as its source: the outbox keys each delivery by thread as well.
    with open_checkpointer(str(tmp_path / "agent.db")) as saver:
        graph = _graph(saver, {"mail": MAIL})
        sqlite: Any = saver  # a SqliteSaver: its connection and lock
        conn = sqlite.conn
        with sqlite.lock:
            for table in ("checkpoints", "writes"):
                columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
                picked = ", ".join("'copy'" if c == "thread_id" else c for c in columns)
                conn.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"SELECT {picked} FROM {table} WHERE thread_id = 'mail'"
                )
            conn.commit()
        inbox = Inbox(graph)
        pending = inbox.pending()
        with HttpReceiver() as hook:
            result = inbox.notify([Webhook(hook.url, secret=SECRET)])
            again = inbox.notify([Webhook(hook.url, secret=SECRET)])
    assert sorted(p.thread_id or "" for p in pending) == ["copy", "mail"]
    assert len({p.id for p in pending}) == 1
    assert len(result.sent) == 2
    assert again.outcomes == ()
    assert sorted(r.json()["thread_id"] for r in hook.received) == ["copy", "mail"]


async def test_the_sync_sweep_refuses_an_async_checkpointer(tmp_path: Path) -> None:
    async with aopen_checkpointer(str(tmp_path / "agent.db")) as saver:
        graph = make_graph().compile(checkpointer=saver)
        with pytest.raises(
            TypeError, match=r"AsyncSqliteSaver is an async checkpointer: use `await inbox\.anotify"
        ):
            Inbox(graph).notify([Webhook("http://127.0.0.1:9/h", secret=SECRET)])
        with pytest.raises(TypeError, match="afailed_deliveries"):
            failed_deliveries(saver)
        assert await afailed_deliveries(saver) == {}
