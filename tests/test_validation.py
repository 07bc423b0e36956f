"""Client-side validation: which validator checks an answer to a published schema."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from pydantic import BaseModel, TypeAdapter, field_validator
from typing_extensions import TypedDict

from langgraph_hitl import InvalidResumeError, pending_interrupts, resume
from langgraph_hitl.answers._validation import register_schema, validate_answer

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver


def _no_x() -> type[BaseModel]:
    class Reply(BaseModel):
        data: str

        @field_validator("data")
        @classmethod
        def _refuse_x(cls, value: str) -> str:
            if "x" in value:
                raise ValueError("no x allowed")
            return value

    return Reply


def _no_y() -> type[BaseModel]:
    class Reply(BaseModel):
        data: str

        @field_validator("data")
        @classmethod
        def _refuse_y(cls, value: str) -> str:
            if "y" in value:
                raise ValueError("no y allowed")
            return value

    return Reply


def _note_without_x() -> type[BaseModel]:
    class Note(BaseModel):
        data: str

        @field_validator("data")
        @classmethod
        def _refuse_x(cls, value: str) -> str:
            if "x" in value:
                raise ValueError("no x allowed")
            return value

    return Note


class State(TypedDict):
    answer: str


def test_two_types_with_one_schema_never_check_each_others_answers(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    no_x, no_y = _no_x(), _no_y()
    schema = TypeAdapter(no_x).json_schema()
    assert schema == TypeAdapter(no_y).json_schema()
    register_schema(TypeAdapter(no_x), schema)
    register_schema(TypeAdapter(no_y), schema)

    def ask(state: State) -> dict[str, str]:
        reply = interrupt("which?", response_schema=no_x)
        return {"answer": str(reply.model_dump()["data"])}

    builder = StateGraph(State)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    graph = builder.compile(checkpointer=checkpointer)
    graph.invoke({"answer": ""}, config)

    # "y" is fine for the graph's own type; the other type must not refuse it first.
    out = resume(graph, config, {"data": "yes"})
    assert out.value == {"answer": "yes"}


def test_the_same_type_made_twice_keeps_pydantic_checks(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    # A schema of its own (title "Note"), which no other test registers.
    first, second = _note_without_x(), _note_without_x()
    schema = TypeAdapter(first).json_schema()
    register_schema(TypeAdapter(first), schema)
    register_schema(TypeAdapter(second), schema)

    # Same module and qualified name: one factory's type, so its validator still runs
    # on the client (jsonschema alone would accept the "x").
    with pytest.raises(InvalidResumeError, match="no x allowed"):
        validate_answer({"data": "x"}, schema, interrupt_id="i")

    def ask(state: State) -> dict[str, str]:
        reply = interrupt("which?", response_schema=second)
        return {"answer": str(reply.model_dump()["data"])}

    builder = StateGraph(State)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    graph = builder.compile(checkpointer=checkpointer)
    graph.invoke({"answer": ""}, config)
    before = pending_interrupts(graph, config)
    with pytest.raises(InvalidResumeError, match="no x allowed"):
        resume(graph, config, {"data": "xx"})
    assert pending_interrupts(graph, config) == before
