"""The outbox keeps what it sent about a finished request for `retention`, then purges it.

Time is a `FakeClock` moved by days; nothing sleeps. On memory, SQLite and PostgreSQL:
closed rows older than the retention go, a batch per sweep; rows of pending requests,
and deliveries still to be retried, stay whatever their age, and a purge never makes a
sweep send anything again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from graphs.mail import ask
from graphs.notify_mail import DEADLINE, make_graph
from notify_support import SECRET, HttpReceiver, Received, outbox_rows

from langgraph_hitl import Approve, Inbox, InvalidChannelError
from langgraph_hitl.notify import SweepResult, Webhook
from langgraph_hitl.testing import FakeClock, use_clock

if TYPE_CHECKING:
    from collections.abc import Iterator

    from langgraph.checkpoint.base import BaseCheckpointSaver

DAY = timedelta(days=1)


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    with use_clock(FakeClock()) as installed:
        assert isinstance(installed, FakeClock)
        yield installed


def _config(thread_id: str) -> Any:
    return {"configurable": {"thread_id": thread_id}}


def _table(saver: Any) -> set[tuple[str, str, str, int]]:
    """(thread, event or "marker", status, closed) of every outbox row."""
    return {
        (thread, "marker" if channel == "" else event, status, closed)
        for thread, _, event, channel, status, closed in outbox_rows(saver)
    }


def test_finished_rows_are_purged_after_the_retention_and_needed_ones_kept(
    checkpointer: BaseCheckpointSaver[Any], clock: FakeClock
) -> None:
    graph = make_graph().compile(checkpointer=checkpointer)
    inbox = Inbox(graph)
    # "failed" is refused for good; "retrying" and expiring's request.expired are refused
    # with a 503 (retried, without end) until `failing` is emptied.
    failing = {("retrying", "request.created"), ("expiring", "request.expired")}

    def refuse(got: Received) -> int | None:
        body = got.json()
        if body["thread_id"] == "failed":
            return 404
        return 503 if (body["thread_id"], body["event"]) in failing else None

    with HttpReceiver(refuse=refuse) as hook:
        channels = [Webhook(hook.url, secret=SECRET)]

        def sweep() -> SweepResult:
            return inbox.notify(channels, max_attempts=1000)

        graph.invoke(ask("human_assistance", query="Which city?"), _config("expiring"))
        for thread in ("done", "failed", "pending", "retrying"):
            graph.invoke(
                ask("send_email", to=f"{thread}@example.com", subject="Hi"), _config(thread)
            )
        sweep()
        ids = {p.thread_id: p.id for p in inbox.pending()}
        for thread in ("done", "failed"):
            inbox.resume(thread, {ids[thread]: Approve(reviewer="ada")})
        # A `now` ahead: the question is answered, the approvals refuse an early timeout.
        assert [p.thread_id for p in inbox.expire(now=clock() + DEADLINE * 2)] == ["expiring"]
        second = sweep()  # closes the rows of done, failed and expiring
        finished = _table(checkpointer)

        clock.advance(DAY * 29)
        within = sweep()
        clock.advance(DAY * 2)
        purge = sweep()
        kept = _table(checkpointer)
        failing.clear()
        clock.advance(DAY)  # the retries were needed: they are delivered now
        retried = sweep()
        clock.advance(DAY * 31)
        last = sweep()
        rest = _table(checkpointer)

    assert [(o.thread_id, o.event, o.status) for o in second.outcomes] == [
        ("expiring", "request.expired", "retry")
    ]
    assert second.purged == 0
    assert {(t, e, s) for t, e, s, closed in finished if closed} == {
        ("expiring", "request.created", "sent"),
        ("expiring", "marker", "sent"),
        ("done", "request.created", "sent"),
        ("failed", "request.created", "failed"),
    }
    for result in (within, purge):
        assert sorted((o.thread_id, o.status) for o in result.outcomes) == [
            ("expiring", "retry"),
            ("retrying", "retry"),
        ]
    assert within.purged == 0
    assert purge.purged == 4
    assert kept == {
        ("expiring", "request.expired", "retry", 0),
        ("pending", "request.created", "sent", 0),
        ("pending", "request.expired", "armed", 0),  # overdue: armed for when it goes
        ("retrying", "request.created", "retry", 0),
        ("retrying", "request.expired", "armed", 0),
    }
    assert sorted((o.thread_id, o.event, o.status) for o in retried.outcomes) == [
        ("expiring", "request.expired", "sent"),
        ("retrying", "request.created", "sent"),
    ]
    assert retried.purged == 0
    assert last.outcomes == ()
    assert last.purged == 1  # expiring's request.expired, delivered 31 days ago
    assert rest == {
        ("pending", "request.created", "sent", 0),
        ("pending", "request.expired", "armed", 0),
        ("retrying", "request.created", "sent", 0),
        ("retrying", "request.expired", "armed", 0),
    }
    # Nothing purged came back: each key's repeats are the 503s' retries.
    keys = {r.key for r in hook.received}
    assert len(keys) == 6
    assert all(r.key.endswith(":request.created") for r in hook.received[:5])


@pytest.mark.parametrize("days", [1, 7])
def test_the_retention_is_an_option_and_purges_a_batch_per_sweep(
    checkpointer: BaseCheckpointSaver[Any],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    days: int,
) -> None:
    from langgraph_hitl.notify import _sweep_plan

    monkeypatch.setattr(_sweep_plan, "PURGE_BATCH", 2)
    graph = make_graph().compile(checkpointer=checkpointer)
    inbox = Inbox(graph)
    threads = [f"t{n}" for n in range(3)]
    with HttpReceiver() as hook:
        channels = [Webhook(hook.url, secret=SECRET)]
        retention = DAY * days
        for thread in threads:
            graph.invoke(
                ask("send_email", to=f"{thread}@example.com", subject="Hi"), _config(thread)
            )
        inbox.notify(channels, retention=retention)
        for item in inbox.pending():
            assert item.thread_id is not None
            inbox.resume(item.thread_id, {item.id: Approve(reviewer="ada")})
        inbox.notify(channels, retention=retention)
        clock.advance(retention - timedelta(seconds=1))
        early = inbox.notify(channels, retention=retention)
        clock.advance(timedelta(seconds=1))
        purged = [inbox.notify(channels, retention=retention).purged for _ in range(3)]
        left = _table(checkpointer)

    assert early.purged == 0
    assert purged == [2, 1, 0]
    assert left == set()
    assert len(hook.received) == 3


def test_the_retention_must_be_a_positive_timedelta(checkpointer: BaseCheckpointSaver[Any]) -> None:
    inbox = Inbox(make_graph().compile(checkpointer=checkpointer))
    channels = [Webhook("http://127.0.0.1:9/h", secret=SECRET)]
    for bad in (timedelta(0), -DAY, 30):
        with pytest.raises(InvalidChannelError, match=r"retention must be a positive"):
            inbox.notify(channels, retention=bad)  # type: ignore[arg-type]
