"""`Inbox.from_server`: listing, validating and answering against a real `langgraph dev`."""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from server_graphs import DEADLINE, SURVEY_SCHEMA
from server_support import Server, ai_message, counted_connects, serve, tool_call, wait_until

from langgraph_hitl import (
    Inbox,
    InvalidResumeError,
    NoPendingInterruptError,
    RemoteInbox,
    RequestExpiredError,
    ResumeConflictError,
    ServerError,
    UnknownInterruptError,
)
from langgraph_hitl.inbox._remote_wire import ThreadRecord, run_refusal
from langgraph_hitl.testing import FakeClock, use_clock

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from langgraph_hitl import PendingInterrupt


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `langgraph dev` for the module (starting one takes seconds)."""
    with serve(tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture
def inbox(server: Server) -> Iterator[RemoteInbox]:
    remote = Inbox.from_server(server.url)
    try:
        yield remote
    finally:
        remote.close()


def pay(invoice_id: str, amount: float = 10.0) -> dict[str, Any]:
    return ai_message(tool_call("pay_invoice", invoice_id=invoice_id, amount=amount))


def only(items: list[PendingInterrupt], thread_id: str) -> PendingInterrupt:
    mine = [i for i in items if i.thread_id == thread_id]
    assert len(mine) == 1, mine
    return mine[0]


def test_lists_an_approval_with_every_field(server: Server, inbox: RemoteInbox) -> None:
    before = datetime.now(timezone.utc)
    thread_id = server.start("approval", pay("INV-1", 12.5))
    item = only(inbox.pending(), thread_id)

    client = server.client()
    try:
        state = client.threads.get_state(thread_id)
    finally:
        client.close()
    published = state["interrupts"][0]
    assert item.id == published["id"]
    assert item.response_schema == published["response_schema"]
    assert item.response_schema is not None
    assert item.response_schema["title"] == "Decision_pay_invoice"
    assert item.type == "tool_approval"
    assert item.value["args"] == {"invoice_id": "INV-1", "amount": 12.5}
    assert item.value["reviewers"] == ["alice", "bob"]
    assert item.tool_call_id == item.value["tool_call_id"]
    assert (item.node, item.path) == ("tools", ("tools",))
    assert item.expires_at is not None
    assert before + DEADLINE <= item.expires_at <= datetime.now(timezone.utc) + DEADLINE
    assert item.created_at is not None
    assert before <= item.created_at
    assert item.version

    exact = only(inbox.pending(thread_id=thread_id), thread_id)
    assert exact.checkpoint_id == state["checkpoint"]["checkpoint_id"]
    assert (exact.id, exact.version, exact.path) == (item.id, item.version, item.path)


def test_a_subgraph_request_comes_with_its_path(server: Server, inbox: RemoteInbox) -> None:
    thread_id = server.start("subgraph", pay("SUB-1"))
    item = only(inbox.pending(), thread_id)
    assert (item.node, item.path) == ("review", ("review", "tools"))
    assert item.type == "tool_approval"

    inbox.resume(thread_id, {item.id: {"type": "approve"}})
    assert server.effects(invoice_id="SUB-1") == [
        {"tool": "pay_invoice", "invoice_id": "SUB-1", "amount": 10.0}
    ]
    assert [i for i in inbox.pending() if i.thread_id == thread_id] == []


def test_human_assistance_is_answered_through_the_server(
    server: Server, inbox: RemoteInbox
) -> None:
    thread_id = server.start("human", ai_message(tool_call("human_assistance", query="Why?")))
    item = only(inbox.pending(type="human_assistance"), thread_id)
    assert item.value["query"] == "Why?"
    assert item.response_schema is not None
    assert item.response_schema["required"] == ["data"]

    output = inbox.resume(thread_id, {"data": "Because."})
    assert output.interrupts == ()
    assert output.value["messages"][-1]["content"] == "Because."


def test_filters_by_assistant_tool_type_and_limit(server: Server) -> None:
    human_thread = server.start("human", ai_message(tool_call("human_assistance", query="?")))
    approval_thread = server.start("approval", pay("INV-F"))
    client = server.client()
    try:
        human_assistant = (client.threads.get(human_thread)["metadata"] or {})["assistant_id"]
    finally:
        client.close()
    for key in ("human", human_assistant):
        with Inbox.from_server(server.url, assistant_id=key) as only_human:
            listed = only_human.pending()
            assert {i.type for i in listed} == {"human_assistance"}
            assert human_thread in {i.thread_id for i in listed}
            assert only_human.pending(thread_id=approval_thread) == []
    with Inbox.from_server(server.url) as everything:
        assert approval_thread in {i.thread_id for i in everything.pending(tool="pay_invoice")}
        assert {i.value["name"] for i in everything.pending(tool="pay_invoice")} == {"pay_invoice"}
        assert {i.type for i in everything.pending(type="tool_approval")} == {"tool_approval"}
        oldest = everything.pending()
        assert everything.pending(limit=2) == oldest[:2]


def test_a_refused_answer_sends_nothing(server: Server, inbox: RemoteInbox) -> None:
    thread_id = server.start("approval", pay("INV-BAD"))
    item = only(inbox.pending(), thread_id)

    with pytest.raises(InvalidResumeError, match="reviewer") as refused:
        inbox.resume(thread_id, {item.id: {"type": "approve", "reviewer": "mallory"}})
    assert refused.value.interrupt_id == item.id
    with pytest.raises(InvalidResumeError, match="'type'"):
        inbox.resume(thread_id, {item.id: {"type": "pay-anyway", "reviewer": "alice"}})
    edit = {"name": "pay_invoice", "args": {"invoice_id": "INV-BAD", "amount": "lots"}}
    with pytest.raises(InvalidResumeError, match="amount"):
        inbox.resume(
            thread_id, {item.id: {"type": "edit", "reviewer": "bob", "edited_action": edit}}
        )
    with pytest.raises(UnknownInterruptError):
        inbox.resume(thread_id, {"0" * 32: {"type": "approve", "reviewer": "alice"}})

    after = only(inbox.pending(), thread_id)
    assert after.version == item.version  # the thread did not move
    assert server.effects(invoice_id="INV-BAD") == []
    client = server.client()
    try:
        assert len(client.runs.list(thread_id)) == 1  # only the run that asked
    finally:
        client.close()


def test_a_plain_json_schema_is_checked_with_jsonschema(server: Server, inbox: RemoteInbox) -> None:
    thread_id = server.start("survey", {})
    item = only(inbox.pending(type="survey"), thread_id)
    assert item.response_schema == SURVEY_SCHEMA
    with pytest.raises(InvalidResumeError, match="score"):
        inbox.resume(thread_id, {"score": 9})
    output = inbox.resume(thread_id, {"score": 4})
    assert output.value == {"score": 4}


def test_approve_applies_once_and_a_second_answer_is_refused(
    server: Server, inbox: RemoteInbox
) -> None:
    thread_id = server.start("approval", pay("INV-2", 99.0))
    item = only(inbox.pending(), thread_id)
    decision = {"type": "approve", "reviewer": "alice"}

    output = inbox.resume(thread_id, {item.id: decision}, expect_version=item.version)
    assert output.interrupts == ()
    assert output.value["messages"][-1]["content"] == "Paid 99.00 EUR for INV-2."
    with pytest.raises(UnknownInterruptError, match=item.id):
        inbox.resume(thread_id, {item.id: {"type": "approve", "reviewer": "bob"}})
    with pytest.raises(NoPendingInterruptError):
        inbox.resume(thread_id, {"type": "approve", "reviewer": "bob"})
    assert len(server.effects(invoice_id="INV-2")) == 1


def test_a_stale_version_or_checkpoint_is_a_conflict(server: Server, inbox: RemoteInbox) -> None:
    calls = [tool_call("pay_invoice", invoice_id=f"INV-V{n}", amount=1.0) for n in (1, 2)]
    thread_id = server.start("approval", ai_message(*calls))
    first = only(inbox.pending(thread_id=thread_id), thread_id)
    inbox.resume(thread_id, {first.id: {"type": "approve", "reviewer": "alice"}})
    second = only(inbox.pending(thread_id=thread_id), thread_id)
    assert second.id != first.id

    approve = {second.id: {"type": "approve", "reviewer": "bob"}}
    with pytest.raises(ResumeConflictError, match="version"):
        inbox.resume(thread_id, approve, expect_version=first.version)
    # A node asking its next question keeps the checkpoint: only the version tells.
    assert second.checkpoint_id == first.checkpoint_id
    with pytest.raises(ResumeConflictError, match="checkpoint 'not-this-one'"):
        inbox.resume(thread_id, approve, expect_checkpoint="not-this-one")
    assert server.effects(invoice_id="INV-V2") == []
    inbox.resume(thread_id, approve, expect_checkpoint=second.checkpoint_id)
    assert len(server.effects(invoice_id="INV-V2")) == 1


def test_a_bare_answer_needs_one_pending_request(server: Server, inbox: RemoteInbox) -> None:
    thread_id = server.start("survey", {})
    only(inbox.pending(thread_id=thread_id), thread_id)
    with pytest.raises(InvalidResumeError, match="empty mapping"):
        inbox.resume(thread_id, {})
    assert inbox.resume(thread_id, {"score": 1}).value == {"score": 1}


def test_a_late_human_answer_is_refused_before_sending(server: Server, inbox: RemoteInbox) -> None:
    thread_id = server.start("approval", pay("INV-LATE"))
    item = only(inbox.pending(), thread_id)
    assert item.expires_at is not None
    late = FakeClock(item.expires_at + timedelta(seconds=1))
    with use_clock(late), pytest.raises(RequestExpiredError, match="expired"):
        inbox.resume(thread_id, {item.id: {"type": "approve", "reviewer": "alice"}})
    assert server.effects(invoice_id="INV-LATE") == []
    assert only(inbox.pending(), thread_id).version == item.version


def test_expire_ahead_of_the_servers_clock_is_skipped(server: Server, inbox: RemoteInbox) -> None:
    # The deadline is the server's: its tool refuses a timeout decision before it.
    thread_id = server.start("approval", pay("INV-EARLY"))
    item = only(inbox.pending(), thread_id)
    assert item.expires_at is not None
    assert inbox.expire(now=item.expires_at + timedelta(minutes=1)) == []
    assert server.effects(invoice_id="INV-EARLY") == []
    still = only(inbox.pending(), thread_id)
    assert still.id == item.id
    inbox.resume(thread_id, {item.id: {"type": "reject", "reviewer": "bob"}})
    assert [i for i in inbox.pending() if i.thread_id == thread_id] == []


def test_expire_applies_the_published_timeout_answer(server: Server, inbox: RemoteInbox) -> None:
    thread_id = server.start("expiring", pay("INV-EXP"))
    item = only(inbox.pending(), thread_id)
    assert item.expires_at is not None
    assert item.expires_at <= datetime.now(timezone.utc)

    done = inbox.expire()
    assert thread_id in {d.thread_id for d in done}
    assert [i for i in inbox.pending() if i.thread_id == thread_id] == []
    assert server.effects(invoice_id="INV-EXP") == []
    messages = inbox.values(thread_id)["messages"]
    assert "No reviewer answered before the deadline." in messages[-1]["content"]
    assert thread_id not in {d.thread_id for d in inbox.expire()}


async def test_the_async_twins(server: Server) -> None:
    thread_id = server.start("approval", pay("INV-A"))
    expiring = server.start("expiring", pay("INV-AE"))
    async with Inbox.from_server(server.url) as inbox:
        item = only(await inbox.apending(), thread_id)
        assert only(await inbox.apending(thread_id=thread_id), thread_id).checkpoint_id
        output = await inbox.aresume(thread_id, {item.id: {"type": "approve", "reviewer": "bob"}})
        assert output.interrupts == ()
        assert expiring in {d.thread_id for d in await inbox.aexpire()}
        assert (await inbox.avalues(thread_id))["messages"][-1]["type"] == "tool"
    assert len(server.effects(invoice_id="INV-A")) == 1
    assert server.effects(invoice_id="INV-AE") == []


def test_a_stale_run_is_refused_by_the_server_and_the_thread_stays_listed(
    server: Server, inbox: RemoteInbox
) -> None:
    # What a losing reviewer's run meets when the winner's run finished before it arrived:
    # the strict-resume flag this inbox sends makes the server's run refuse the old id.
    from langgraph_hitl.core._compat import STRICT_RESUME_KEY as STRICT_RESUME

    calls = [tool_call("pay_invoice", invoice_id=f"INV-S{n}", amount=1.0) for n in (1, 2)]
    thread_id = server.start("approval", ai_message(*calls))
    first = only(inbox.pending(), thread_id)
    inbox.resume(thread_id, {first.id: {"type": "approve", "reviewer": "alice"}})
    second = only(inbox.pending(), thread_id)

    client = server.client()
    try:
        run = client.runs.create(
            thread_id,
            "approval",
            command={"resume": {first.id: {"type": "approve", "reviewer": "bob"}}},
            config={"configurable": {STRICT_RESUME: True}},
            multitask_strategy="reject",
        )
        joined = client.runs.join(thread_id, run["run_id"])
        final = client.runs.get(thread_id, run["run_id"])
        record = ThreadRecord.of(client.threads.get(thread_id))
    finally:
        client.close()
    refusal = run_refusal(final, joined, thread_id=thread_id, ids=[first.id])
    assert isinstance(refusal, ResumeConflictError)
    assert len(server.effects(invoice_id="INV-S1")) == 1
    assert server.effects(invoice_id="INV-S2") == []
    # The refused run leaves the thread in status "error", still waiting: still listed.
    assert record.status == "error"
    assert only(inbox.pending(), thread_id).id == second.id
    inbox.resume(thread_id, {second.id: {"type": "approve", "reviewer": "bob"}})
    assert len(server.effects(invoice_id="INV-S2")) == 1


def test_the_listing_pages_through_every_thread(server: Server) -> None:
    with Inbox.from_server(server.url, assistant_id="survey") as inbox:
        already = {i.thread_id for i in inbox.pending()}
    started = {server.start("survey", {}) for _ in range(23)}
    progress: list[tuple[int, int]] = []
    with RemoteInbox(server.url, assistant_id="survey", page_size=10) as paged:
        listed = paged.pending(on_progress=lambda done, total: progress.append((done, total)))
        assert {i.thread_id for i in listed} == started | already
        assert len(listed) == len(started | already)
        assert paged.pending(limit=3) == listed[:3]
    assert progress[-1][0] == progress[-1][1] == len(started | already)
    assert len(progress) >= 3


@pytest.mark.parametrize("size", [0, 9, True, 10.5])
def test_a_page_size_below_ten_is_refused(size: object) -> None:
    with pytest.raises(ValueError, match="page_size must be an int of at least 10"):
        RemoteInbox("http://127.0.0.1:1", page_size=size)  # type: ignore[arg-type]


def _inside(thread: threading.Thread, function: str) -> bool:
    """Whether `thread` is running `function` now (somewhere on its stack)."""
    frame = sys._current_frames().get(thread.ident or 0)
    while frame is not None:
        if frame.f_code.co_name == function:
            return True
        frame = frame.f_back
    return False


# The SDK warns as it tries to reconnect to the run's stream; the server is gone for good.
@pytest.mark.filterwarnings("ignore:Request failed, attempting reconnect:UserWarning")
def test_a_server_lost_after_accepting_says_the_answer_was_accepted(
    tmp_path: Path,
) -> None:
    with serve(tmp_path / "lost") as lost:
        thread_id = lost.start("held", ai_message(tool_call("hold_payment", invoice_id="H-1")))
        failures: list[BaseException] = []
        port = int(lost.url.rsplit(":", 1)[1])
        # One reconnect of the wait for the run, whose request is tried twice.
        with counted_connects(port) as counted, Inbox.from_server(lost.url, retries=1) as inbox:
            (item,) = inbox.pending()

            def answer() -> None:
                try:
                    inbox.resume(thread_id, {item.id: {"type": "approve"}})
                except BaseException as exc:
                    failures.append(exc)

            worker = threading.Thread(target=answer)
            worker.start()
            wait_until(lambda: lost.effects(state="entered"), what="the tool to run")
            # Sent, with its headers back: the SDK reads the result's body (its own name).
            wait_until(lambda: _inside(worker, "_decode_json"), what="the wait for the run")
            counted[port] = 0
            lost.kill()
            worker.join(timeout=120)
            assert counted[port] == 2
    assert not worker.is_alive()
    (failure,) = failures
    assert isinstance(failure, ServerError)
    assert "accepted the answer" in str(failure)
    assert "may still apply it" in str(failure)


def test_a_version_from_the_listing_holds_until_the_thread_changes(
    server: Server, inbox: RemoteInbox
) -> None:
    thread_id = server.start("approval", pay("INV-META"))
    before = only(inbox.pending(), thread_id)
    client = server.client()
    try:
        # A change of the thread that is not a change of its state (updated_at moves).
        client.threads.update(thread_id, metadata={"triaged": True})
    finally:
        client.close()
    decision = {before.id: {"type": "approve", "reviewer": "alice"}}
    with pytest.raises(ResumeConflictError, match="version"):
        inbox.resume(thread_id, decision, expect_version=before.version)
    fresh = only(inbox.pending(), thread_id)
    assert fresh.version != before.version
    inbox.resume(thread_id, decision, expect_version=fresh.version)
    assert len(server.effects(invoice_id="INV-META")) == 1
