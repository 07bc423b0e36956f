"""Set-up the approval tests share: a graph paused on one gated call, and what to compare.

`paused` builds `build_hitl_graph` around one approval tool with a scripted model that
calls it once, and runs it until the call waits for a reviewer; `where` is the state a
refused answer must leave as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langgraph_hitl import build_hitl_graph, pending_interrupts
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.messages import AIMessage
    from langchain_core.runnables import RunnableConfig
    from langchain_core.tools import BaseTool
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.graph.state import CompiledStateGraph

    from langgraph_hitl import HITLInput, HITLState

    Graph = CompiledStateGraph[HITLState, None, HITLInput, HITLState]


def paused(
    checkpointer: BaseCheckpointSaver[Any],
    config: RunnableConfig,
    gated: BaseTool,
    *,
    user: HITLInput,
    call: tuple[str, dict[str, Any]],
    turns: Sequence[AIMessage | str] | None = None,
) -> Graph:
    """`gated` in a graph whose model makes `call` (or plays `turns`), run on `user`'s input."""
    script: Sequence[AIMessage | str] = turns or [ai_tool_calls(call), "Done."]
    graph = build_hitl_graph(ScriptedChatModel(responses=script), [gated]).compile(
        checkpointer=checkpointer
    )
    graph.invoke(user, config)
    return graph


def where(graph: Graph, config: RunnableConfig) -> tuple[str, list[str]]:
    """The thread's checkpoint id and pending interrupt ids: what a refusal must not change."""
    checkpoint = graph.get_state(config).config["configurable"]["checkpoint_id"]
    return checkpoint, [p.id for p in pending_interrupts(graph, config)]
