"""The traps of LangGraph's resume path, one test each (issues 4 and 10).

Each test shows the trap with plain LangGraph first, asserting the bad behaviour a user
meets today, then runs the same graph through this library's helpers and asserts the clear
error and the untouched thread. If LangGraph fixes a trap, the first half of its test
fails: then the helper's guard for it can be reconsidered.
"""

from __future__ import annotations

import operator
from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from langgraph.checkpoint.serde.types import RESUME
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt
from pydantic import BaseModel, ConfigDict, ValidationError
from typing_extensions import TypedDict

from langgraph_hitl import (
    AmbiguousResumeError,
    Inbox,
    InvalidResumeError,
    NoPendingInterruptError,
    ResumeConflictError,
    ResumeFailedError,
    UnknownInterruptError,
    pending_interrupts,
    resume,
)
from langgraph_hitl.answers._send import NULL_TASK_ID

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

Graph = Any


class Log(TypedDict):
    log: Annotated[list[Any], operator.add]


def _thread(config: RunnableConfig, suffix: str) -> RunnableConfig:
    thread_id = config["configurable"]["thread_id"]
    return {"configurable": {"thread_id": f"{thread_id}-{suffix}"}}


def _seen(graph: Graph, config: RunnableConfig) -> tuple[str, list[str], Any]:
    """Checkpoint id, pending interrupt ids and values: what a refusal must leave alone."""
    snapshot = graph.get_state(config)
    ids = sorted(i.id for i in snapshot.interrupts)
    return snapshot.config["configurable"]["checkpoint_id"], ids, snapshot.values


def test_trap_a_wrong_answer_without_schema_poisons_the_thread(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    def ask_age(state: Log) -> dict[str, Any]:
        answer = interrupt("How old are you?")  # no schema: LangGraph cannot check it
        return {"log": [int(answer["age"])]}

    graph = (
        StateGraph(Log)
        .add_node("ask", ask_age)
        .add_edge(START, "ask")
        .compile(checkpointer=checkpointer)
    )

    # Plain LangGraph: the wrong answer is saved before the node fails on it...
    plain = _thread(config, "plain")
    graph.invoke({"log": []}, plain)
    (pending,) = graph.get_state(plain).interrupts
    with pytest.raises(KeyError):
        graph.invoke(Command(resume={pending.id: {"years": 30}}), plain)
    # ...and every later answer, even a correct one, fails the same way.
    with pytest.raises(KeyError):
        graph.invoke(Command(resume={pending.id: {"age": 30}}), plain)
    with pytest.raises(KeyError):
        graph.invoke(Command(resume={pending.id: {"age": 31}}), plain)

    # This library: the failed answer is taken back, the thread still waits, and a
    # correct answer completes it.
    graph.invoke({"log": []}, config)
    before = _seen(graph, config)
    with pytest.raises(ResumeFailedError, match="taken back"):
        resume(graph, config, {"years": 30})
    assert _seen(graph, config) == before
    assert resume(graph, config, {"age": 30}).value == {"log": [30]}

    # It also cures a thread that plain LangGraph already poisoned.
    assert resume(graph, plain, {"age": 32}).value == {"log": [32]}


def test_trap_an_empty_or_unknown_resume_is_silently_ignored(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects: Counter[str] = Counter()

    def charge(state: Log) -> dict[str, Any]:
        effects["card charged"] += 1  # a side effect before the question
        answer = interrupt("Confirm the order?")
        return {"log": [answer]}

    graph = (
        StateGraph(Log)
        .add_node("charge", charge)
        .add_edge(START, "charge")
        .compile(checkpointer=checkpointer)
    )

    # Plain LangGraph: both resumes are accepted, the node runs again (charging again),
    # and the graph asks the same question again.
    plain = _thread(config, "plain")
    graph.invoke({"log": []}, plain)
    asked = graph.get_state(plain).interrupts
    out = graph.invoke(Command(resume={}), plain, version="v2")
    assert out.interrupts == asked
    out = graph.invoke(Command(resume={"0" * 32: "yes"}), plain, version="v2")
    assert out.interrupts == asked
    assert effects["card charged"] == 3

    # This library: both are refused before anything runs.
    effects.clear()
    graph.invoke({"log": []}, config)
    before = _seen(graph, config)
    with pytest.raises(InvalidResumeError, match="empty mapping"):
        resume(graph, config, {})
    with pytest.raises(UnknownInterruptError, match=before[1][0]):
        resume(graph, config, {"0" * 32: "yes"})
    assert effects["card charged"] == 1
    assert _seen(graph, config) == before


def test_trap_an_answered_id_answers_a_newer_question_in_the_same_node(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    def transfer(state: Log) -> dict[str, Any]:
        amount = interrupt("How much?")
        confirmed = interrupt(f"Send {amount}?")
        return {"log": [amount, confirmed]}

    graph = (
        StateGraph(Log)
        .add_node("transfer", transfer)
        .add_edge(START, "transfer")
        .compile(checkpointer=checkpointer)
    )

    # Plain LangGraph: a retried answer to the first question (same id, e.g. a double
    # submit) is taken as the answer to the second one.
    plain = _thread(config, "plain")
    graph.invoke({"log": []}, plain)
    (first,) = graph.get_state(plain).interrupts
    graph.invoke(Command(resume={first.id: "100"}), plain)
    (second,) = graph.get_state(plain).interrupts
    assert second.value == "Send 100?"
    graph.invoke(Command(resume={first.id: "100"}), plain)
    assert graph.get_state(plain).values == {"log": ["100", "100"]}  # "100" confirmed it

    # This library: the answered id is not pending any more, so it is refused, and a
    # bare retry made for the first question is refused by the version token.
    graph.invoke({"log": []}, config)
    (first_seen,) = pending_interrupts(graph, config)
    resume(graph, config, {first_seen.id: "100"})
    before = _seen(graph, config)
    with pytest.raises(UnknownInterruptError, match="already answered"):
        resume(graph, config, {first_seen.id: "100"})
    with pytest.raises(ResumeConflictError):
        resume(graph, config, "100", expect_version=first_seen.version)
    assert _seen(graph, config) == before
    assert resume(graph, config, "yes").value == {"log": ["100", "yes"]}


def test_trap_a_resume_of_a_thread_that_waits_for_nothing_does_nothing(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    def ask(state: Log) -> dict[str, Any]:
        return {"log": [interrupt("Name?")]}

    graph = (
        StateGraph(Log)
        .add_node("ask", ask)
        .add_edge(START, "ask")
        .compile(checkpointer=checkpointer)
    )

    # Plain LangGraph: on a finished thread the answer is dropped silently; on a new
    # thread the graph starts from scratch and the answer is dropped too.
    plain = _thread(config, "plain")
    graph.invoke({"log": []}, plain)
    graph.invoke(Command(resume="Ada"), plain)
    finished = graph.get_state(plain).config
    out = graph.invoke(Command(resume="Grace"), plain, version="v2")
    assert out.value == {"log": ["Ada"]}
    assert out.interrupts == ()
    assert graph.get_state(plain).config == finished
    fresh = _thread(config, "fresh")
    out = graph.invoke(Command(resume="Grace"), fresh, version="v2")
    assert [i.value for i in out.interrupts] == ["Name?"]  # asked, "Grace" ignored

    # This library: both are a clear error, and nothing runs.
    graph.invoke({"log": []}, config)
    resume(graph, config, "Ada")
    before = _seen(graph, config)
    with pytest.raises(NoPendingInterruptError, match="waits for no human answer"):
        resume(graph, config, "Grace")
    assert _seen(graph, config) == before
    new = _thread(config, "new")
    with pytest.raises(NoPendingInterruptError):
        resume(graph, new, "Grace")
    assert graph.get_state(new).values == {}


def test_trap_a_bare_answer_with_several_pending_raises_a_generic_error(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    def asker(name: str) -> Any:
        return lambda state: {"log": [[name, interrupt(f"{name}?")]]}

    builder = StateGraph(Log)
    for name in ("legal", "finance"):
        builder.add_node(name, asker(name))
        builder.add_edge(START, name)
        builder.add_edge(name, END)
    graph = builder.compile(checkpointer=checkpointer)

    # Plain LangGraph: a RuntimeError that names neither interrupt.
    plain = _thread(config, "plain")
    graph.invoke({"log": []}, plain)
    with pytest.raises(RuntimeError, match="multiple pending interrupts") as caught:
        graph.invoke(Command(resume="approved"), plain)
    assert not isinstance(caught.value, AmbiguousResumeError)
    for pending in graph.get_state(plain).interrupts:
        assert pending.id not in str(caught.value)

    # This library: an AmbiguousResumeError that lists each pending interrupt.
    graph.invoke({"log": []}, config)
    before = _seen(graph, config)
    with pytest.raises(AmbiguousResumeError) as refused:
        resume(graph, config, "approved")
    for interrupt_id in before[1]:
        assert interrupt_id in str(refused.value)
    assert "legal" in str(refused.value)
    assert _seen(graph, config) == before


def test_trap_interrupts_in_subgraphs_and_parallel_branches_are_easy_to_miss(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    def asker(name: str) -> Any:
        return lambda state: {"log": [[name, interrupt(f"{name}?")]]}

    review = (
        StateGraph(Log)
        .add_node("legal", asker("legal"))
        .add_node("security", asker("security"))
        .add_edge(START, "legal")
        .add_edge(START, "security")
        .compile()
    )
    graph = (
        StateGraph(Log)
        .add_node("review", review)
        .add_node("budget", asker("budget"))
        .add_edge(START, "review")
        .add_edge(START, "budget")
        .compile(checkpointer=checkpointer)
    )

    # Plain LangGraph: the tutorial's way to read "the" interrupt sees one of three, and
    # the nodes that wait inside the subgraph are not named anywhere.
    plain = _thread(config, "plain")
    graph.invoke({"log": []}, plain)
    snapshot = graph.get_state(plain)
    first_task_first_interrupt = snapshot.tasks[0].interrupts[0]
    assert len(snapshot.interrupts) == 3
    assert first_task_first_interrupt.value in ("legal?", "security?", "budget?")
    assert set(snapshot.next) == {"review", "budget"}
    assert not any(
        task.state is not None and hasattr(task.state, "tasks") for task in snapshot.tasks
    )

    # This library: every interrupt, with the path down to its node; answering some
    # leaves the others answerable, and answering the rest completes the step.
    graph.invoke({"log": []}, config)
    pending = pending_interrupts(graph, config)
    assert sorted(p.path for p in pending) == [
        ("budget",),
        ("review", "legal"),
        ("review", "security"),
    ]
    by_path = {p.path[-1]: p.id for p in pending}
    out = resume(graph, config, {by_path["security"]: "ok", by_path["budget"]: "ok"})
    assert [p.path for p in pending_interrupts(graph, config)] == [("review", "legal")]
    assert [i.id for i in out.interrupts] == [by_path["legal"]]
    final = resume(graph, config, "signed")
    assert sorted(map(tuple, final.value["log"])) == [
        ("budget", "ok"),
        ("legal", "signed"),
        ("security", "ok"),
    ]


class Choice(BaseModel):
    """A strict answer LangGraph itself validates (a pydantic `response_schema`)."""

    model_config = ConfigDict(extra="forbid")

    choice: str


def _two_questions(checkpointer: BaseCheckpointSaver[Any]) -> Graph:
    """One node: a question LangGraph validates, then a free-form one."""

    def ask(state: Log) -> dict[str, Any]:
        picked = interrupt({"q": "Which?"}, response_schema=Choice)
        why = interrupt({"q": "Why?"})
        return {"log": [picked.choice, why]}

    return (
        StateGraph(Log)
        .add_node("ask", ask)
        .add_edge(START, "ask")
        .compile(checkpointer=checkpointer)
    )


def _stale_resume(checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig) -> list[Any]:
    """The bare answers LangGraph keeps as input of the thread's latest step."""
    saved = checkpointer.get_tuple(config)
    assert saved is not None
    return [
        value
        for task_id, channel, value in saved.pending_writes or []
        if task_id == NULL_TASK_ID and channel == RESUME and value is not None
    ]


def test_trap_a_refused_raw_command_is_kept_and_answers_the_next_question(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _two_questions(checkpointer)

    # Plain LangGraph: the refused bare answer is saved before the node refuses it...
    plain = _thread(config, "plain")
    graph.invoke({"log": []}, plain)
    with pytest.raises(ValidationError):
        graph.invoke(Command(resume={"choice": 3}), plain)
    assert _stale_resume(checkpointer, plain) == [{"choice": 3}]
    # ...so continuing the thread fails with it again,
    with pytest.raises(ValidationError):
        graph.invoke(None, plain)
    # ...and once the first question is answered, it answers the second one.
    (first,) = graph.get_state(plain).interrupts
    done = graph.invoke(Command(resume={first.id: {"choice": "tea"}}), plain, version="v2")
    assert done.value == {"log": ["tea", {"choice": 3}]}

    # This library: after the same refusal, what waits is unchanged, each answer is
    # judged on its own input, and an accepted one runs with the stale write gone.
    graph.invoke({"log": []}, config)
    before = _seen(graph, config)
    with pytest.raises(ValidationError):
        graph.invoke(Command(resume={"choice": 3}), config)
    assert _seen(graph, config)[:2] == before[:2]
    (request,) = pending_interrupts(graph, config)
    with pytest.raises(UnknownInterruptError, match="1" * 32) as unknown:
        resume(graph, config, {"1" * 32: {"choice": "tea"}})
    assert unknown.value.unknown == ("1" * 32,)
    with pytest.raises(InvalidResumeError, match="choice"):
        resume(graph, config, {"choice": ["not", "a", "string"]})
    assert pending_interrupts(graph, config) == [request]

    asked = resume(graph, config, {"choice": "tea"})

    assert _stale_resume(checkpointer, config) == []
    (why,) = asked.interrupts
    assert why.value == {"q": "Why?"}  # asked, not answered by the stale write
    assert resume(graph, config, "thirsty").value == {"log": ["tea", "thirsty"]}


def test_an_inbox_answer_after_a_refused_raw_command_applies_cleanly(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _two_questions(checkpointer)
    graph.invoke({"log": []}, config)
    with pytest.raises(ValidationError):
        graph.invoke(Command(resume={"choice": 3}), config)
    inbox = Inbox(graph)
    thread = str(config["configurable"]["thread_id"])
    (item,) = inbox.pending()

    with pytest.raises(UnknownInterruptError, match="2" * 32):
        inbox.resume(thread, {"2" * 32: {"choice": "tea"}})
    asked = inbox.resume(thread, {item.id: {"choice": "tea"}})

    assert [i.value for i in asked.interrupts] == [{"q": "Why?"}]
    assert _stale_resume(checkpointer, config) == []


def test_the_null_task_id_is_langgraphs() -> None:
    # The id LangGraph gives the writes of a `Command`; the stale-answer cleanup uses it.
    from langgraph._internal._constants import NULL_TASK_ID as langgraphs

    assert langgraphs == NULL_TASK_ID


def test_a_web_answer_after_a_refused_raw_command_is_judged_on_its_own(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    from starlette.testclient import TestClient
    from web_support import Ledger, agent, pay, start
    from web_support import config as thread_config

    from langgraph_hitl.web import create_app

    ledger = Ledger()
    graph = agent(checkpointer, [pay()], ledger=ledger)
    item = start(graph, "t-1")
    with pytest.raises(ValidationError, match="'maybe'"):  # a decision the tool does not know
        graph.invoke(Command(resume={"type": "maybe"}), thread_config("t-1"))
    assert _stale_resume(checkpointer, thread_config("t-1")) == [{"type": "maybe"}]
    assert pending_interrupts(graph, thread_config("t-1")) == [item]

    with TestClient(create_app(graph), base_url="http://127.0.0.1") as client:
        url = "/api/threads/t-1/resume"
        unknown = client.post(url, json={"interrupt_id": "3" * 32, "answer": {"type": "approve"}})
        accepted = client.post(url, json={"interrupt_id": item.id, "answer": {"type": "approve"}})

    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["error"] == "unknown_interrupt"
    assert "3" * 32 in unknown.json()["message"]
    assert accepted.status_code == 200, accepted.text
    assert ledger.paid == [{"invoice_id": "INV-1", "amount": 120.0}]
    assert pending_interrupts(graph, thread_config("t-1")) == []
