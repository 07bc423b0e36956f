"""The resume helpers: what `pending_interrupts` lists and how `resume` answers it.

Every test runs on each checkpointer (memory, SQLite, PostgreSQL). The traps these
helpers exist for are in `test_traps.py`; random answers in `test_resume_properties.py`.
"""

from __future__ import annotations

import operator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, GraphOutput, interrupt
from node_config import takes_config
from pydantic import BaseModel, ConfigDict, Discriminator, TypeAdapter, field_validator
from typing_extensions import TypedDict

from langgraph_hitl import (
    AmbiguousResumeError,
    CheckpointerRequiredError,
    HumanReply,
    InvalidResumeError,
    NoPendingInterruptError,
    ResumeConflictError,
    ResumeFailedError,
    UnknownInterruptError,
    apending_interrupts,
    aresume,
    build_hitl_graph,
    human_assistance_tool,
    pending_interrupts,
    resume,
    resume_command,
)
from langgraph_hitl.answers._resume import send
from langgraph_hitl.answers._validation import validate_answer
from langgraph_hitl.core._pending import read_wait
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.graph.state import CompiledStateGraph

Graph = Any  # CompiledStateGraph of the small test states below


class Log(TypedDict):
    log: Annotated[list[Any], operator.add]


class Choice(BaseModel):
    """A strict answer, published by LangGraph as the interrupt's `response_schema`."""

    model_config = ConfigDict(extra="forbid")

    choice: str

    @field_validator("choice")
    @classmethod
    def _known(cls, value: str) -> str:
        # Not expressible in JSON schema: only LangGraph's own check can refuse it.
        if value not in ("yes", "no"):
            raise ValueError("choice must be 'yes' or 'no'")
        return value


def _asker(name: str, *, schema: Any = None, tool_call_id: str | None = None) -> Any:
    @takes_config
    def node(state: Log) -> dict[str, Any]:
        request: dict[str, Any] = {"type": "question", "name": name}
        if tool_call_id is not None:
            request["tool_call_id"] = tool_call_id
        answer = interrupt(request, response_schema=schema)
        if isinstance(answer, BaseModel):
            answer = answer.model_dump()
        return {"log": [[name, answer]]}

    return node


def _parallel(
    saver: BaseCheckpointSaver[Any] | None, *names: str, schema: Any = None, calls: bool = False
) -> Graph:
    builder = StateGraph(Log)
    for name in names:
        builder.add_node(
            name, _asker(name, schema=schema, tool_call_id=f"call_{name}" if calls else None)
        )
        builder.add_edge(START, name)
        builder.add_edge(name, END)
    return builder.compile(checkpointer=saver)


def _twice(saver: BaseCheckpointSaver[Any] | None) -> Graph:
    """One node that asks two questions in a row."""

    def node(state: Log) -> dict[str, Any]:
        first = interrupt("first?")
        second = interrupt("second?")
        return {"log": [["first", first], ["second", second]]}

    return StateGraph(Log).add_node("ask", node).add_edge(START, "ask").compile(checkpointer=saver)


def _nested(saver: BaseCheckpointSaver[Any]) -> Graph:
    inner = StateGraph(Log).add_node("ask", _asker("inner")).add_edge(START, "ask").compile()
    return StateGraph(Log).add_node("sub", inner).add_edge(START, "sub").compile(checkpointer=saver)


def _state(graph: Graph, config: RunnableConfig) -> tuple[str, list[str], list[Any]]:
    """What must not change when an answer is refused: checkpoint, pending ids, values."""
    snapshot = graph.get_state(config)
    pending = [p.id for p in pending_interrupts(graph, config)]
    return snapshot.config["configurable"]["checkpoint_id"], pending, snapshot.values["log"]


def _assistant(saver: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    model = ScriptedChatModel(
        responses=[ai_tool_calls(("human_assistance", {"query": "Need an expert"})), "Thanks."]
    )
    return build_hitl_graph(model, [human_assistance_tool()]).compile(checkpointer=saver)


# -- pending_interrupts ---------------------------------------------------------------------


def test_pending_interrupt_of_a_tool_has_every_field(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _assistant(checkpointer)
    graph.invoke({"messages": [HumanMessage("help")]}, config)
    snapshot = graph.get_state(config)

    (pending,) = pending_interrupts(graph, config)

    assert pending.id == snapshot.interrupts[0].id
    assert pending.value == {
        "type": "human_assistance",
        "query": "Need an expert",
        "tool_call_id": "call_0_0",
        "name": "human_assistance",
        # Agent Inbox's HumanInterrupt shape (issue 13).
        "action_request": {"action": "human_assistance", "args": {"query": "Need an expert"}},
        "config": {
            "allow_accept": False,
            "allow_edit": False,
            "allow_respond": True,
            "allow_ignore": False,
        },
        "description": "Need an expert",
    }
    assert pending.response_schema == TypeAdapter(HumanReply).json_schema()
    assert pending.tool_call_id == "call_0_0"
    assert pending.type == "human_assistance"
    assert (pending.node, pending.path) == ("tools", ("tools",))
    assert pending.thread_id == config["configurable"]["thread_id"]
    assert pending.checkpoint_id == snapshot.config["configurable"]["checkpoint_id"]
    assert isinstance(pending.created_at, datetime)
    assert pending.expires_at is None
    assert pending.version.startswith(f"{pending.checkpoint_id}:")


def test_pending_interrupt_in_a_subgraph_names_its_path(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _nested(checkpointer)
    graph.invoke({"log": []}, config)

    (pending,) = pending_interrupts(graph, config)

    assert (pending.node, pending.path) == ("sub", ("sub", "ask"))
    assert pending.value == {"type": "question", "name": "inner"}
    assert resume(graph, config, "deep").value == {"log": [["inner", "deep"]]}


def test_parallel_interrupts_are_all_listed_with_one_version(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(checkpointer, "a", "b", calls=True)
    graph.invoke({"log": []}, config)

    pending = pending_interrupts(graph, config)

    assert sorted(p.node for p in pending) == ["a", "b"]
    assert sorted(p.tool_call_id or "" for p in pending) == ["call_a", "call_b"]
    assert len({p.version for p in pending}) == 1
    assert {p.id for p in pending} == {i.id for i in graph.get_state(config).interrupts}


def test_nothing_is_pending_on_a_new_or_finished_thread(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(checkpointer, "a")
    assert pending_interrupts(graph, config) == []
    graph.invoke({"log": []}, config)
    resume(graph, config, "x")
    assert pending_interrupts(graph, config) == []


def test_pending_reads_the_latest_checkpoint_whatever_the_config_says(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _twice(checkpointer)
    graph.invoke({"log": []}, config)
    old = graph.get_state(config).config  # carries the checkpoint id of the first pause
    resume(graph, config, "one")

    (pending,) = pending_interrupts(graph, old)

    assert pending.value == "second?"


def test_a_graph_without_checkpointer_is_refused_by_every_helper() -> None:
    graph = _parallel(None, "a")
    config: RunnableConfig = {"configurable": {"thread_id": "t"}}
    with pytest.raises(CheckpointerRequiredError, match="compiled without a checkpointer"):
        pending_interrupts(graph, config)
    with pytest.raises(CheckpointerRequiredError, match="InMemorySaver"):
        resume_command(graph, config, "x")
    with pytest.raises(CheckpointerRequiredError):
        resume(graph, config, "x")


async def test_async_helpers_without_checkpointer_are_refused() -> None:
    graph = _parallel(None, "a")
    config: RunnableConfig = {"configurable": {"thread_id": "t"}}
    with pytest.raises(CheckpointerRequiredError):
        await apending_interrupts(graph, config)
    with pytest.raises(CheckpointerRequiredError):
        await aresume(graph, config, "x")


# -- resume: answers and what comes back ----------------------------------------------------


def test_resume_with_a_bare_answer_returns_the_graph_output(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _assistant(checkpointer)
    graph.invoke({"messages": [HumanMessage("help")]}, config)

    out = resume(graph, config, {"data": "Use LangGraph."})

    assert isinstance(out, GraphOutput)
    assert out.interrupts == ()
    messages = out.value["messages"]
    assert isinstance(messages[-2], ToolMessage)
    assert messages[-2].content == "Use LangGraph."
    assert messages[-2].tool_call_id == "call_0_0"
    assert isinstance(messages[-1], AIMessage)
    assert messages[-1].content == "Thanks."


def test_resume_takes_a_pydantic_answer_as_its_json(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _assistant(checkpointer)
    graph.invoke({"messages": [HumanMessage("help")]}, config)
    (pending,) = pending_interrupts(graph, config)

    command = resume_command(graph, config, HumanReply(data="typed"))

    assert command.resume == {pending.id: {"data": "typed"}}
    assert pending_interrupts(graph, config) == [pending]  # built, not sent
    out = resume(graph, config, HumanReply(data="typed"))
    assert out.value["messages"][-2].content == "typed"


def test_resume_answers_by_interrupt_id_and_by_tool_call_id(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(checkpointer, "a", "b", calls=True)
    graph.invoke({"log": []}, config)
    a = next(p for p in pending_interrupts(graph, config) if p.node == "a")

    out = resume(graph, config, {a.id: "by id", "call_b": "by call"})

    assert sorted(out.value["log"]) == [["a", "by id"], ["b", "by call"]]
    assert out.interrupts == ()


def test_resume_returns_the_next_interrupt(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _twice(checkpointer)
    graph.invoke({"log": []}, config)

    out = resume(graph, config, "one")

    assert [i.value for i in out.interrupts] == ["second?"]
    assert [p.value for p in pending_interrupts(graph, config)] == ["second?"]
    assert resume(graph, config, "two").value == {"log": [["first", "one"], ["second", "two"]]}


def test_answering_some_parallel_interrupts_leaves_the_others_answerable(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(checkpointer, "a", "b", "c")
    graph.invoke({"log": []}, config)
    by_node = {p.node: p.id for p in pending_interrupts(graph, config)}

    out = resume(graph, config, {by_node["a"]: 1, by_node["c"]: 3})

    assert [p.node for p in pending_interrupts(graph, config)] == ["b"]
    assert [p.id for p in pending_interrupts(graph, config)] == [by_node["b"]]
    assert [i.id for i in out.interrupts] == [by_node["b"]]
    final = resume(graph, config, 2)
    assert sorted(final.value["log"]) == [["a", 1], ["b", 2], ["c", 3]]


async def test_aresume_and_apending_interrupts(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(async_checkpointer, "a", "b", calls=True)
    await graph.ainvoke({"log": []}, config)

    pending = await apending_interrupts(graph, config)
    assert sorted(p.tool_call_id or "" for p in pending) == ["call_a", "call_b"]
    with pytest.raises(AmbiguousResumeError):
        await aresume(graph, config, "bare")

    out = await aresume(graph, config, {"call_a": "A", "call_b": "B"})

    assert sorted(out.value["log"]) == [["a", "A"], ["b", "B"]]
    assert await apending_interrupts(graph, config) == []
    with pytest.raises(NoPendingInterruptError):
        await aresume(graph, config, "again")


# -- refusals: each leaves the thread as it was ---------------------------------------------


def test_no_pending_interrupt_on_a_new_and_on_a_finished_thread(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(checkpointer, "a")
    with pytest.raises(NoPendingInterruptError, match="waits for no human answer"):
        resume(graph, config, "x")
    assert graph.get_state(config).values == {}  # the graph did not start
    graph.invoke({"log": []}, config)
    resume(graph, config, "x")
    before = _state(graph, config)
    with pytest.raises(NoPendingInterruptError):
        resume(graph, config, "y")
    assert _state(graph, config) == before


def test_a_static_breakpoint_is_not_answered_but_explained(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = (
        StateGraph(Log)
        .add_node("step", lambda state: {"log": ["ran"]})
        .add_edge(START, "step")
        .compile(checkpointer=checkpointer, interrupt_before=["step"])
    )
    graph.invoke({"log": []}, config)

    with pytest.raises(NoPendingInterruptError, match=r"paused before \['step'\].*invoke\(None"):
        resume(graph, config, "x")
    assert graph.get_state(config).next == ("step",)


def test_a_wrong_answer_is_refused_client_side_with_one_precise_error(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _assistant(checkpointer)
    graph.invoke({"messages": [HumanMessage("help")]}, config)
    before = graph.get_state(config)
    (pending,) = pending_interrupts(graph, config)

    with pytest.raises(InvalidResumeError) as caught:
        resume(graph, config, {"data": 42})

    error = caught.value
    assert [(e.loc, e.message) for e in error.errors] == [
        (("data",), "Input should be a valid string")
    ]
    assert error.interrupt_id == pending.id
    assert "Nothing was sent" in str(error)
    assert isinstance(error, ValueError)
    after = graph.get_state(config)
    assert after.config == before.config
    assert after.values == before.values
    assert pending_interrupts(graph, config) == [pending]
    assert resume(graph, config, {"data": "ok"}).value["messages"][-2].content == "ok"


def test_a_bare_answer_with_several_pending_is_ambiguous(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(checkpointer, "a", "b")
    graph.invoke({"log": []}, config)
    before = _state(graph, config)

    with pytest.raises(AmbiguousResumeError) as caught:
        resume(graph, config, "which one?")

    for interrupt_id in before[1]:
        assert interrupt_id in str(caught.value)
    assert _state(graph, config) == before


def test_an_unknown_id_is_refused_and_the_pending_ids_listed(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(checkpointer, "a")
    graph.invoke({"log": []}, config)
    before = _state(graph, config)
    made_up = "0" * 32

    with pytest.raises(UnknownInterruptError) as caught:
        resume(graph, config, {made_up: "x"})

    assert caught.value.unknown == (made_up,)
    assert caught.value.pending == tuple(before[1])
    assert before[1][0] in str(caught.value)
    assert _state(graph, config) == before


def test_an_interrupt_named_twice_is_refused(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(checkpointer, "a", calls=True)
    graph.invoke({"log": []}, config)
    (pending,) = pending_interrupts(graph, config)

    with pytest.raises(InvalidResumeError, match="answered twice"):
        resume(graph, config, {pending.id: 1, "call_a": 2})


def test_a_tool_call_id_shared_by_two_interrupts_is_ambiguous(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    builder = StateGraph(Log)
    for name in ("a", "b"):
        builder.add_node(name, _asker(name, tool_call_id="call_same"))
        builder.add_edge(START, name)
    graph = builder.compile(checkpointer=checkpointer)
    graph.invoke({"log": []}, config)

    with pytest.raises(AmbiguousResumeError, match="'call_same' names 2 pending"):
        resume(graph, config, {"call_same": "x"})


# -- the matching rule ------------------------------------------------------------------------


def test_a_plain_dict_answer_is_not_read_as_a_mapping(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(checkpointer, "a")
    graph.invoke({"log": []}, config)

    out = resume(graph, config, {"data": "plain", "n": 1})

    assert out.value["log"] == [["a", {"data": "plain", "n": 1}]]


def test_a_dict_with_an_id_shaped_key_is_read_as_a_mapping(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(checkpointer, "a")
    graph.invoke({"log": []}, config)
    (pending,) = pending_interrupts(graph, config)

    # One key names the pending interrupt: the other key must name one too.
    with pytest.raises(UnknownInterruptError, match="'extra'"):
        resume(graph, config, {pending.id: "x", "extra": 1})
    with pytest.raises(UnknownInterruptError):
        resume(graph, config, {"f" * 32: "x"})
    with pytest.raises(InvalidResumeError, match="empty mapping"):
        resume(graph, config, {})
    assert resume(graph, config, {pending.id: {"data": 1}}).value == {"log": [["a", {"data": 1}]]}


# -- optimistic concurrency ---------------------------------------------------------------------


def test_expect_checkpoint_refuses_a_thread_that_moved_on(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _assistant(checkpointer)
    graph.invoke({"messages": [HumanMessage("help")]}, config)
    (seen,) = pending_interrupts(graph, config)
    resume(graph, config, {"data": "first reviewer"}, expect_checkpoint=seen.checkpoint_id)
    after = graph.get_state(config)

    with pytest.raises(ResumeConflictError, match="moved on"):
        resume(graph, config, {"data": "second reviewer"}, expect_checkpoint=seen.checkpoint_id)

    assert graph.get_state(config).config == after.config
    messages = graph.get_state(config).values["messages"]
    assert [m.content for m in messages if isinstance(m, ToolMessage)] == ["first reviewer"]


def test_expect_version_sees_what_expect_checkpoint_cannot(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    """A partial answer keeps the checkpoint id; the version token still changes."""
    graph = _parallel(checkpointer, "a", "b")
    graph.invoke({"log": []}, config)
    seen = pending_interrupts(graph, config)
    a = next(p for p in seen if p.node == "a")
    resume(graph, config, {a.id: "A"}, expect_version=a.version)
    (b,) = pending_interrupts(graph, config)
    assert b.checkpoint_id == a.checkpoint_id  # LangGraph kept the checkpoint
    assert b.version != a.version

    resume_command(graph, config, "B", expect_checkpoint=a.checkpoint_id)  # not detected
    with pytest.raises(ResumeConflictError, match="version"):
        resume(graph, config, "B", expect_version=a.version)

    assert resume(graph, config, "B", expect_version=b.version).interrupts == ()


def test_an_answer_to_a_finished_thread_with_an_expectation_is_a_conflict(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(checkpointer, "a")
    graph.invoke({"log": []}, config)
    (seen,) = pending_interrupts(graph, config)
    resume(graph, config, "first")

    with pytest.raises(ResumeConflictError, match="no longer waits"):
        resume(graph, config, "second", expect_version=seen.version)
    with pytest.raises(ResumeConflictError):
        resume(graph, config, {seen.id: "second"}, expect_checkpoint=seen.checkpoint_id)


def test_an_answer_that_lost_a_race_is_refused_by_langgraph_too(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    """Checked when sent, not only when read: the other reviewer answered in between."""
    graph = _twice(checkpointer)
    graph.invoke({"log": []}, config)
    wait = read_wait(graph, config)
    stale: Command[Any] = Command(resume={wait.pending[0].id: "late"})
    resume(graph, config, "first")  # the other reviewer wins
    before = _state(graph, config)

    with pytest.raises(ResumeConflictError, match="another reviewer answered first"):
        send(graph, config, wait, stale)

    assert _state(graph, config) == before
    assert resume(graph, config, "second").value["log"] == [
        ["first", "first"],
        ["second", "second"],
    ]


# -- answers LangGraph refuses, or a node fails on -------------------------------------------


def test_an_answer_only_langgraph_can_refuse_leaves_the_thread_answerable(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _parallel(checkpointer, "a", schema=Choice)
    graph.invoke({"log": []}, config)
    (pending,) = pending_interrupts(graph, config)
    before = _state(graph, config)
    # The JSON schema says "a string"; only Choice's validator knows which strings.
    assert resume_command(graph, config, {"choice": "maybe"}).resume == {
        pending.id: {"choice": "maybe"}
    }

    with pytest.raises(InvalidResumeError, match="choice must be 'yes' or 'no'") as caught:
        resume(graph, config, {"choice": "maybe"})

    assert caught.value.interrupt_id == pending.id
    assert [e.loc for e in caught.value.errors] == [("choice",)]
    assert _state(graph, config) == before
    assert resume(graph, config, {"choice": "yes"}).value == {"log": [["a", {"choice": "yes"}]]}


def _fragile(saver: BaseCheckpointSaver[Any]) -> Graph:
    """A node without a schema that fails on an answer without an `age`."""

    @takes_config
    def node(state: Log) -> dict[str, Any]:
        answer = interrupt("age?")
        return {"log": [int(answer["age"])]}

    return StateGraph(Log).add_node("ask", node).add_edge(START, "ask").compile(checkpointer=saver)


def test_an_answer_a_node_fails_on_is_taken_back(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _fragile(checkpointer)
    graph.invoke({"log": []}, config)
    before = _state(graph, config)

    with pytest.raises(ResumeFailedError, match="taken back") as caught:
        resume(graph, config, {"years": 3})

    assert isinstance(caught.value.__cause__, KeyError)
    assert caught.value.taken_back == tuple(before[1])
    assert caught.value.delivered == ()
    assert _state(graph, config) == before
    assert resume(graph, config, {"age": 3}).value == {"log": [3]}


async def test_aresume_takes_back_an_answer_a_node_fails_on(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _fragile(async_checkpointer)
    await graph.ainvoke({"log": []}, config)
    before = (await graph.aget_state(config)).config

    with pytest.raises(ResumeFailedError):
        await aresume(graph, config, {"years": 3})

    assert (await graph.aget_state(config)).config == before
    assert (await aresume(graph, config, {"age": 4})).value == {"log": [4]}


def test_a_failure_after_the_answer_was_used_is_the_graphs_own(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    """A later step that fails is not the answer's fault: its error comes through as is."""

    def boom(state: Log) -> dict[str, Any]:
        raise ZeroDivisionError("later step")

    graph = (
        StateGraph(Log)
        .add_node("ask", _asker("ask"))
        .add_node("boom", boom)
        .add_edge(START, "ask")
        .add_edge("ask", "boom")
        .compile(checkpointer=checkpointer)
    )
    graph.invoke({"log": []}, config)

    with pytest.raises(ZeroDivisionError, match="later step"):
        resume(graph, config, "used")

    assert pending_interrupts(graph, config) == []
    assert graph.get_state(config).values == {"log": [["ask", "used"]]}


# -- LangGraph internals the helpers rely on --------------------------------------------------


def test_interrupt_ids_follow_the_task_namespace_and_answer_count(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    """Pins the rule `_rollback` uses to find an answer's slot (private in LangGraph)."""
    from langgraph.types import _interrupt_id

    graph = _twice(checkpointer)
    graph.invoke({"log": []}, config)
    (task,) = graph.get_state(config).tasks
    assert task.interrupts[0].id == _interrupt_id(f"ask:{task.id}", 0)
    resume(graph, config, "one")
    (task,) = graph.get_state(config).tasks
    assert task.interrupts[0].id == _interrupt_id(f"ask:{task.id}", 1)


# -- client-side validation ------------------------------------------------------------------


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Pet(BaseModel):
    pet: Annotated[Cat | Dog, Discriminator("kind")]


def test_a_nested_tagged_union_reports_the_tagged_branch_only() -> None:
    schema = TypeAdapter(Pet).json_schema()

    with pytest.raises(InvalidResumeError) as wrong_field:
        validate_answer({"pet": {"kind": "dog", "good": "very"}}, schema)
    with pytest.raises(InvalidResumeError) as wrong_tag:
        validate_answer({"pet": {"kind": "fish"}}, schema)

    assert [(e.loc, e.message) for e in wrong_field.value.errors] == [
        (("pet", "good"), "'very' is not of type 'boolean'")
    ]
    assert [(e.loc, e.message) for e in wrong_tag.value.errors] == [
        (("pet", "kind"), "\"fish\" is not one of ['cat', 'dog']")
    ]
    assert validate_answer({"pet": {"kind": "cat", "lives": 9}}, schema) == {
        "pet": {"kind": "cat", "lives": 9}
    }


def test_the_message_says_what_was_wrong_and_what_is_accepted() -> None:
    schema = {
        "type": "object",
        "properties": {"age": {"type": "integer"}},
        "required": ["age"],
        "additionalProperties": False,
    }

    with pytest.raises(InvalidResumeError) as caught:
        validate_answer({"years": 3}, schema, interrupt_id="abc")

    message = str(caught.value)
    assert "to interrupt 'abc'" in message
    assert "Expected: an object with keys ['age'] (required: ['age'])" in message
    assert 'Got: {"years": 3}' in message
    assert {e.message for e in caught.value.errors} >= {"'age' is a required property"}


def test_a_schema_no_validator_can_read_does_not_block_the_answer() -> None:
    broken = {"type": "no-such-type"}

    assert validate_answer({"any": "thing"}, broken) == {"any": "thing"}
