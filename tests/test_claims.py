"""The guarded answer path, step by step: claim, re-check under the claim, fence, send.

The path is one plan of effects (`_answer.answer_plan`), so a test can run it with the
real driver and act between two steps: another answer completes right after this one
read the thread, the lease runs out right after the claim. Every test runs on memory,
SQLite and PostgreSQL; the races between real processes are in `test_concurrency.py`.
"""

from __future__ import annotations

import logging
import operator
import sqlite3
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from node_config import takes_config
from typing_extensions import TypedDict

from langgraph_hitl import (
    ResumeConflictError,
    UnknownInterruptError,
    aresume_command,
    pending_interrupts,
    resume,
    resume_command,
)
from langgraph_hitl.answers._effects import Claim, Read
from langgraph_hitl.answers._send import DEFAULT_LEASE, _Sync, answer_plan
from langgraph_hitl.core._plan import drive
from langgraph_hitl.store._backends import backend_for
from langgraph_hitl.store._claims import SqliteClaims
from langgraph_hitl.store._lease import Heartbeat, Lease
from langgraph_hitl.testing import FakeClock, use_clock

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from langgraph_hitl.answers._effects import Effect, Plan

Graph = Any


class Log(TypedDict):
    log: Annotated[list[Any], operator.add]


def _graph(checkpointer: BaseCheckpointSaver[Any], effects: list[str]) -> Graph:
    """Asks one question, then records the answer as its side effect."""

    def ask(state: Log) -> dict[str, Any]:
        answer = interrupt("Proceed?")
        effects.append(answer)
        return {"log": [answer]}

    # takes_config: on Python 3.10 an async run gives a sync node no config context.
    builder = StateGraph(Log).add_node("ask", takes_config(ask)).add_edge(START, "ask")
    return builder.compile(checkpointer=checkpointer)


def _plan(config: RunnableConfig, answer: object, **expect: str | None) -> Plan:
    return answer_plan(
        config,
        answer,
        expect_checkpoint=expect.get("expect_checkpoint"),
        expect_version=expect.get("expect_version"),
        refuse_late=False,
        lease=DEFAULT_LEASE,
        invoke_kwargs={},
    )


def _drive(graph: Graph, plan: Plan, after: Callable[[Effect, Any], None]) -> Any:
    """`_answer.run`, calling `after(effect, result)` once each effect is carried out."""
    driver = _Sync(graph)

    def do(effect: Effect) -> Any:
        result: Any = None
        try:
            result = driver.do(effect)
            return result
        finally:
            after(effect, result)

    return drive(plan, do, catch=BaseException)


def _once(kind: type[Any], action: Callable[[], None]) -> Callable[[Effect, Any], None]:
    done: list[bool] = []

    def after(effect: Effect, result: Any) -> None:
        if isinstance(effect, kind) and not done:
            done.append(True)
            action()

    return after


@pytest.mark.parametrize("keyed", ["bare", "by_id", "by_id_version"])
def test_an_answer_bound_to_what_it_read_is_refused_once_that_was_answered(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, keyed: str
) -> None:
    """The other answer ran to the end between this one's read and its claim."""
    effects: list[str] = []
    graph = _graph(checkpointer, effects)
    graph.invoke({"log": []}, config)
    (seen,) = pending_interrupts(graph, config)
    answer: object = "mine" if keyed == "bare" else {seen.id: "mine"}
    expect = {"expect_version": seen.version} if keyed == "by_id_version" else {}

    def other_answers() -> None:
        resume(graph, config, "theirs")

    with pytest.raises(ResumeConflictError, match="moved on while this answer was being claimed"):
        _drive(graph, _plan(config, answer, **expect), _once(Read, other_answers))

    assert effects == ["theirs"]
    assert graph.get_state(config).values["log"] == ["theirs"]
    assert backend_for(checkpointer).claims.holder(str(config["configurable"]["thread_id"])) is None


def test_an_answer_read_after_the_other_finished_names_its_unknown_id(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects: list[str] = []
    graph = _graph(checkpointer, effects)
    graph.invoke({"log": []}, config)
    (seen,) = pending_interrupts(graph, config)
    resume(graph, config, {seen.id: "theirs"})

    with pytest.raises(UnknownInterruptError, match=seen.id) as caught:
        resume(graph, config, {seen.id: "mine"})

    assert caught.value.unknown == (seen.id,)
    assert effects == ["theirs"]


def test_a_claim_lost_before_the_graph_runs_sends_nothing(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, caplog: pytest.LogCaptureFixture
) -> None:
    """The fence: the lease ran out right after the claim, and someone else took it."""
    effects: list[str] = []
    graph = _graph(checkpointer, effects)
    graph.invoke({"log": []}, config)
    before = pending_interrupts(graph, config)
    thread = str(config["configurable"]["thread_id"])
    claims = backend_for(checkpointer).claims
    clock = FakeClock()

    def lapse_and_take_over() -> None:
        clock.advance(timedelta(seconds=DEFAULT_LEASE))
        assert claims.claim(thread, "intruder", 600) is not None

    with (
        use_clock(clock),
        caplog.at_level(logging.WARNING, logger="langgraph_hitl"),
        pytest.raises(ResumeConflictError, match="was lost before the answer was sent"),
    ):
        _drive(graph, _plan(config, "mine"), _once(Claim, lapse_and_take_over))

    assert effects == []
    assert pending_interrupts(graph, config) == before
    assert any("Lost the claim" in r.getMessage() for r in caplog.records)
    held = claims.holder(thread)
    assert held is not None
    assert held.owner == "intruder"  # the loser released nothing of the intruder's


def test_a_lapsed_lease_is_not_revived(checkpointer: BaseCheckpointSaver[Any]) -> None:
    claims = backend_for(checkpointer).claims
    claims.setup()
    clock = FakeClock()
    with use_clock(clock):
        assert claims.claim("t", "first", 30) is not None
        assert claims.renew("t", "first", 30) is not None
        clock.advance(timedelta(seconds=30))

        assert claims.renew("t", "first", 30) is None
        assert claims.holder("t") is None


def test_a_renewal_that_fails_is_logged(tmp_path: Any, caplog: pytest.LogCaptureFixture) -> None:
    path = str(tmp_path / "claims.db")
    claims = SqliteClaims(path)
    claims.setup()
    clock = FakeClock()
    with use_clock(clock):
        until = claims.claim("t", "me", 30)
        assert until is not None
        lease = Lease("t", "me", 30, until)
        with sqlite3.connect(path) as other:
            other.execute("DROP TABLE hitl_claims")  # every renewal now raises
        heartbeat = Heartbeat.shared()
        with caplog.at_level(logging.WARNING, logger="langgraph_hitl"):
            heartbeat.add(claims, lease)
            try:
                clock.advance(timedelta(seconds=10))
                deadline = time.monotonic() + 300
                while not lease.failed:
                    assert time.monotonic() < deadline, "the heartbeat never tried to renew"
                    threading.Event().wait(0.01)
            finally:
                heartbeat.remove(lease)

    assert not lease.lost  # not known to be lost: the fence asks the store again
    (record,) = [r for r in caplog.records if "Could not renew" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "no such table" in record.getMessage()


def test_in_memory_claims_belong_to_one_saver() -> None:
    first, second = InMemorySaver(), InMemorySaver()
    effects: list[str] = []
    a, b, also_first = _graph(first, effects), _graph(second, effects), _graph(first, effects)
    config: RunnableConfig = {"configurable": {"thread_id": "same-id"}}
    a.invoke({"log": []}, config)
    b.invoke({"log": []}, config)
    assert backend_for(first).claims.claim("same-id", "reviewer", 60) is not None

    # Another saver's thread of the same id is another thread: not blocked.
    assert resume(b, config, "b").value == {"log": ["b"]}
    # Another graph on the same saver shares its claims.
    with pytest.raises(ResumeConflictError):
        resume(also_first, config, "a")
    backend_for(first).claims.release("same-id", "reviewer")
    assert resume(a, config, "a").value == {"log": ["a"]}


async def test_aresume_command_builds_what_resume_command_builds(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects: list[str] = []
    graph = _graph(async_checkpointer, effects)
    await graph.ainvoke({"log": []}, config)

    command = await aresume_command(graph, config, "yes")

    (seen,) = (await graph.aget_state(config)).interrupts
    assert command.resume == {seen.id: "yes"}
    if isinstance(async_checkpointer, InMemorySaver):
        assert resume_command(graph, config, "yes").resume == command.resume
    assert effects == []  # built, not sent


def test_a_release_also_drops_the_threads_lapsed_rows(tmp_path: Any) -> None:
    path = str(tmp_path / "claims.db")
    claims = SqliteClaims(path)
    claims.setup()
    with sqlite3.connect(path) as old:  # a per-request row, as earlier versions wrote them
        old.execute("INSERT INTO hitl_claims VALUES ('t', ?, 'old', 1.0)", ("a" * 32,))
        old.execute("INSERT INTO hitl_claims VALUES ('other', ?, 'old', 1.0)", ("b" * 32,))

    assert claims.claim("t", "me", 30) is not None
    claims.release("t", "me")

    with sqlite3.connect(path) as check:
        rows = check.execute("SELECT thread_id FROM hitl_claims").fetchall()
    assert rows == [("other",)]  # another thread's rows are its own claimer's to drop
