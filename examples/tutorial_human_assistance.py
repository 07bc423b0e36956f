"""LangGraph's tutorial, part 4 ("Add human-in-the-loop controls"), written with langgraph-hitl.

The chatbot asks a human for help through the `human_assistance` tool; the graph pauses at
that call, and the human's answer resumes it, with the tutorial's own
`Command(resume={"data": ...})`. No hand-written tool, `ToolNode`, `tools_condition` or
`assert len(message.tool_calls) <= 1`: `build_hitl_graph` and `human_assistance_tool`
give them, typed.

Runs offline: a `ScriptedChatModel` plays the tutorial's model. Swap in any chat model with
`bind_tools` (e.g. `init_chat_model("anthropic:claude-3-5-sonnet-latest")`) to run it live.

    python examples/tutorial_human_assistance.py --answer "Use LangGraph."
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from langgraph_hitl import build_hitl_graph, human_assistance_tool, pending_interrupts
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AnyMessage
    from langchain_core.runnables import RunnableConfig
    from langgraph.graph.state import CompiledStateGraph

    from langgraph_hitl import HITLInput, HITLState

USER_INPUT = (
    "I need some expert guidance for building an AI agent. Could you request assistance for me?"
)
EXPERT_ANSWER = (
    "We, the experts are here to help! We'd recommend you check out LangGraph to build your "
    "agent. It's much more reliable and extensible than simple autonomous agents."
)


def tutorial_model() -> ScriptedChatModel:
    """The tutorial's model, scripted: it asks for help, then thanks the experts."""
    return ScriptedChatModel(
        responses=[
            ai_tool_calls(
                ("human_assistance", {"query": "I need expert guidance for building an AI agent."}),
                content="I'll request expert assistance for you.",
            ),
            "Thank you for your patience. I've received expert advice for your AI agent: "
            "see their answer above.",
        ]
    )


def build_graph(
    model: BaseChatModel | None = None,
) -> CompiledStateGraph[HITLState, None, HITLInput, HITLState]:
    """The tutorial's graph: `chatbot` and `tools` nodes, with an in-memory checkpointer."""
    builder = build_hitl_graph(model or tutorial_model(), [human_assistance_tool()])
    return builder.compile(checkpointer=InMemorySaver())


def _print_new(events: Iterator[dict[str, Any] | Any], seen: set[str]) -> None:
    """Print each new message of a `values` stream once, as the tutorial prints them."""
    for event in events:
        for message in event.get("messages", []):
            if message.id not in seen:
                seen.add(message.id)
                message.pretty_print()


def run(answer: str = EXPERT_ANSWER) -> list[AnyMessage]:
    """Run the tutorial's conversation, answering the model's request with `answer`.

    Prints each message as the tutorial does; returns the whole conversation.
    """
    graph = build_graph()
    config: RunnableConfig = {"configurable": {"thread_id": "1"}}
    seen: set[str] = set()

    events = graph.stream(
        {"messages": [{"role": "user", "content": USER_INPUT}]}, config, stream_mode="values"
    )
    _print_new(events, seen)

    snapshot = graph.get_state(config)
    print(f"\nPaused before: {snapshot.next}")
    (request,) = pending_interrupts(graph, config)
    print(f"The model asks a human: {request.value['query']!r}")
    print(f"The human answers: {answer!r}\n")

    # The tutorial's own resume payload, unchanged.
    human_command: Command[Any] = Command(resume={"data": answer})
    _print_new(graph.stream(human_command, config, stream_mode="values"), seen)

    messages: list[AnyMessage] = graph.get_state(config).values["messages"]
    return messages


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: `--answer TEXT` is what the human expert says."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--answer", default=EXPERT_ANSWER, help="the human expert's answer")
    args = parser.parse_args(argv)
    run(args.answer)


if __name__ == "__main__":
    main()
