"""LangGraph's tutorial, "Customize state", written with langgraph-hitl.

The chatbot looks up when LangGraph was released, then asks a human to verify the `name`
and `birthday` it found. The human's answer is a typed pydantic model, checked before it is
sent; `on_reply` turns it into a `Command` that stores both in custom state keys, with the
tool message the tutorial adds. Then the state is updated by hand, as in the tutorial.

Runs offline: a `ScriptedChatModel` plays the model and a canned `search` tool plays Tavily.

    python examples/customize_state.py --answer '{"name": "LangGraph", "birthday": "Jan 17, 2024"}'
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

from langchain_core.messages import AnyMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.message import add_messages
from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import NotRequired, TypedDict

from langgraph_hitl import (
    InvalidResumeError,
    build_hitl_graph,
    human_assistance_tool,
    pending_interrupts,
    resume_command,
)
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from langchain_core.runnables import RunnableConfig
    from langgraph.graph.state import CompiledStateGraph

USER_INPUT = (
    "Can you look up when LangGraph was released? "
    "When you have the answer, use the human_assistance tool for review."
)
HUMAN_ANSWER = {"name": "LangGraph", "birthday": "Jan 17, 2024"}


class State(TypedDict):
    """The tutorial's state: the conversation, plus what the human verified."""

    messages: Annotated[list[AnyMessage], add_messages]
    name: NotRequired[str]
    birthday: NotRequired[str]


class Verification(BaseModel):
    """The human's answer: the verified name and birthday."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    """The verified name."""
    birthday: str = Field(min_length=1)
    """The verified release date, as the human writes it."""


def store_verified(reply: Verification, tool_call_id: str) -> Command[Any]:
    """Put the verified facts in the state, with the tool message the tutorial adds."""
    return Command(
        update={
            "name": reply.name,
            "birthday": reply.birthday,
            "messages": [
                ToolMessage(
                    f"Verified: {reply.name}, released {reply.birthday}.", tool_call_id=tool_call_id
                )
            ],
        }
    )


def search(query: str) -> str:
    """Search the web (offline: a canned result, where the tutorial uses Tavily)."""
    return "LangGraph's first release was announced on January 17, 2024."


def tutorial_model() -> ScriptedChatModel:
    """The tutorial's model, scripted: search, ask for review, then sum up."""
    return ScriptedChatModel(
        responses=[
            ai_tool_calls(("search", {"query": "LangGraph release date"})),
            ai_tool_calls(
                (
                    "human_assistance",
                    {"query": "Is this correct? name: LangGraph, birthday: Jan 17, 2024"},
                ),
                content="I found it; let me ask a human to review it.",
            ),
            "Thanks for reviewing: the verified facts are stored in the state.",
        ]
    )


def build_graph() -> CompiledStateGraph[State, None, State, State]:
    """The tutorial graph with a custom state and a typed human answer."""
    review = human_assistance_tool(
        response_model=Verification,
        on_reply=store_verified,
        description="Ask a human to verify a name and a birthday.",
    )
    builder = build_hitl_graph(tutorial_model(), [search, review], state_schema=State)
    return builder.compile(checkpointer=InMemorySaver())


def _print_new(events: Iterator[dict[str, Any] | Any], seen: set[str]) -> None:
    for event in events:
        for message in event.get("messages", []):
            if message.id not in seen:
                seen.add(message.id)
                message.pretty_print()


def _verified(
    graph: CompiledStateGraph[State, None, State, State], config: RunnableConfig
) -> dict[str, Any]:
    values = graph.get_state(config).values
    return {key: values.get(key) for key in ("name", "birthday")}


def run(answer: object = HUMAN_ANSWER) -> dict[str, Any]:
    """Run the conversation, answering the review with `answer`; return the verified state.

    Raises:
        InvalidResumeError: `answer` is not a `Verification`; nothing was sent.
    """
    graph = build_graph()
    config: RunnableConfig = {"configurable": {"thread_id": "1"}}
    seen: set[str] = set()

    events = graph.stream(
        {"messages": [HumanMessage(content=USER_INPUT)]}, config, stream_mode="values"
    )
    _print_new(events, seen)
    (request,) = pending_interrupts(graph, config)
    print(f"\nThe model asks a human: {request.value['query']!r}")
    print(f"Expected answer (JSON schema): {json.dumps(request.response_schema)}")
    print(f"The human answers: {json.dumps(answer)}\n")

    # Checked against the published schema before anything is sent.
    command = resume_command(graph, config, answer)
    _print_new(graph.stream(command, config, stream_mode="values"), seen)

    print(f"\nVerified state: {_verified(graph, config)}")
    graph.update_state(config, {"name": "LangGraph (library)"})
    print(f"After a manual update: {_verified(graph, config)}")
    return _verified(graph, config)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `--answer JSON` is the human's verification."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--answer", default=json.dumps(HUMAN_ANSWER), help='e.g. \'{"name": ..., "birthday": ...}\''
    )
    args = parser.parse_args(argv)
    try:
        answer = json.loads(args.answer)
    except json.JSONDecodeError as exc:
        parser.error(f"--answer is not JSON: {exc}")
    try:
        run(answer)
    except InvalidResumeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


if __name__ == "__main__":
    main()
