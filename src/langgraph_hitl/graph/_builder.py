"""Where a graph is built: `build_hitl_graph`, the tutorial graph with the single-tool-call rule.

The graph is `START -> chatbot -(tools_condition)-> tools -> chatbot ... -> END`. The tools
node runs exactly one tool call per step: the first call of the last AI message that has
no tool message yet. Under every policy a step therefore holds one call, so a resume
re-runs only the call that was interrupted, never a sibling that already ran.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Sequence
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Literal,
    get_args,
    get_origin,
    get_type_hints,
    overload,
)

from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    MessageLikeRepresentation,
    SystemMessage,
    ToolMessage,
    convert_to_messages,
)
from langchain_core.tools import BaseTool, InjectedToolCallId
from langchain_core.tools import tool as as_tool

# LangGraph's own node wrapper (what `add_node` makes of a function): unlike RunnableLambda it
# inspects signatures once, not per call, and takes a sync and an async body.
from langgraph.channels import BinaryOperatorAggregate
from langgraph.errors import GraphBubbleUp, is_invalid_resume
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command
from pydantic import BaseModel, ValidationError
from typing_extensions import ReadOnly, TypedDict

from ..core._compat import TOOL_CALL_WITH_CONTEXT, RunnableCallable
from ..core._errors import ParallelToolCallsError
from ..core._plan import Plan, adrive, drive
from ..tools._effects import Effect, Invoke, arun_effect, run_effect
from ..tools._policy import last_requests_plan
from ._new_input import (
    HITLStateGraph,
    NewInputPolicy,
    close_waiting,
    waiting_calls,
    with_history,
)

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel, LanguageModelInput
    from langchain_core.messages.tool import ToolCall
    from langchain_core.runnables import Runnable, RunnableConfig
    from langgraph.typing import StateT

__all__ = [
    "HITLInput",
    "HITLState",
    "NewInputPolicy",
    "ParallelToolCallsPolicy",
    "build_hitl_graph",
]

ParallelToolCallsPolicy = Literal["raise", "keep_first", "sequential"]
"""What `build_hitl_graph` does when one model turn asks for several tool calls.

- `"raise"`: raise `ParallelToolCallsError` naming the calls; the AI message is not saved,
  the user's input is kept and the thread can be run again.
- `"keep_first"`: keep the first call and drop the others from the stored AI message, so
  every tool call in the history has exactly one tool message.
- `"sequential"`: keep every call and run them one per step, so each call runs exactly once
  across any number of interrupts and resumes, and each gets its own answer.
"""


class HITLState(TypedDict):
    """The default state: the conversation, merged with `add_messages` (as `MessagesState`)."""

    messages: Annotated[list[AnyMessage], add_messages]


class HITLInput(TypedDict):
    """What a graph with the default state takes as input.

    Messages in any form `add_messages` reads: message objects, `{"role": "user",
    "content": ...}` dicts (as in LangGraph's tutorial), `("user", "...")` tuples, strings.
    They are stored as messages, so the state (`HITLState`) always holds message objects.
    Read-only, so a `HITLState` is a valid input too.
    """

    messages: ReadOnly[Annotated[Sequence[MessageLikeRepresentation], add_messages]]


ToolLike = BaseTool | Callable[..., Any]


def _messages(state: object) -> list[BaseMessage]:
    messages = (
        state.get("messages") if isinstance(state, dict) else getattr(state, "messages", None)
    )
    if not isinstance(messages, list):
        raise TypeError(
            f"build_hitl_graph needs a state with a 'messages' list; got {type(state).__name__} "
            "without one. Use HITLState, MessagesState, or a schema with "
            "`messages: Annotated[list[AnyMessage], add_messages]`."
        )
    return messages


def _bind(
    model: BaseChatModel, tools: Sequence[BaseTool]
) -> Runnable[LanguageModelInput, AIMessage]:
    """Bind tools, switching parallel tool calls off where the model's API has that option."""
    if "parallel_tool_calls" in inspect.signature(model.bind_tools).parameters:
        return model.bind_tools(tools, parallel_tool_calls=False)
    return model.bind_tools(tools)


def _names(message: AIMessage) -> str:
    return ", ".join(f"{c['name']}(id={c.get('id')!r})" for c in message.tool_calls)


def _keep_first(message: AIMessage) -> AIMessage:
    first = message.tool_calls[0]
    update: dict[str, object] = {"tool_calls": [first], "invalid_tool_calls": []}
    if isinstance(message.content, list):
        # Provider content blocks (e.g. Anthropic's tool_use) must agree with tool_calls.
        update["content"] = [
            block
            for block in message.content
            if not (
                isinstance(block, dict)
                and block.get("type") in ("tool_use", "tool_call", "function_call")
                and block.get("id") not in (None, first.get("id"))
            )
        ]
    kwargs = dict(message.additional_kwargs)
    raw = kwargs.get("tool_calls")
    if isinstance(raw, list):
        kwargs["tool_calls"] = [
            c for c in raw if isinstance(c, dict) and c.get("id") == first["id"]
        ]
    update["additional_kwargs"] = kwargs
    return message.model_copy(update=update)


def _next_call(messages: Sequence[BaseMessage]) -> tuple[ToolCall, AIMessage] | None:
    """The first call of the last AI message that has no tool message yet."""
    answered: set[str] = set()
    for message in reversed(messages):
        if isinstance(message, ToolMessage):
            answered.add(message.tool_call_id)
        elif isinstance(message, AIMessage):
            for call in message.tool_calls:
                if call.get("id") not in answered:
                    return call, message
            return None
    return None


def _needs_tool_node(tool: BaseTool) -> bool:
    """Whether the tool wants injected state, store or runtime (beyond its tool call id)."""
    schema = tool.tool_call_schema
    full = tool.get_input_schema()
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        return True
    if not issubclass(full, BaseModel):
        return True
    extra = set(full.model_fields) - set(schema.model_fields)
    if not extra:
        return False
    try:
        hints = get_type_hints(full, include_extras=True)
    except Exception:  # unresolvable annotations: let ToolNode deal with the tool
        return True
    for name in extra:
        hint = hints.get(name)
        metadata = get_args(hint)[1:] if get_origin(hint) is Annotated else ()
        if not any(m is InjectedToolCallId or isinstance(m, InjectedToolCallId) for m in metadata):
            return True
    return False


def _answering_command(command: Command[Any], call: ToolCall) -> Command[Any]:
    """Check that a tool's `Command` answers its call, as `ToolNode` does.

    Without a `ToolMessage` for the call, the call would stay unanswered and the tools node
    would run it again, and again.
    """
    if command.graph == Command.PARENT:
        return command
    update = command.update
    if not isinstance(update, dict):
        update = {}
    messages = convert_to_messages(update.get("messages", []))
    answers = [m for m in messages if isinstance(m, ToolMessage) and m.tool_call_id == call["id"]]
    if not answers:
        raise ValueError(
            f"Tool {call['name']!r} returned a Command without a ToolMessage for its call "
            f"{call['id']!r}; every tool call needs exactly one. Return "
            "`Command(update={'messages': [ToolMessage(content, tool_call_id=tool_call_id)], "
            f"...}})`. Got update={command.update!r}."
        )
    for message in answers:
        if message.name is None:
            message.name = call["name"]
    return Command(
        graph=command.graph,
        update={**update, "messages": messages},
        resume=command.resume,
        goto=command.goto,
    )


NodeUpdate = dict[str, Any] | Command[Any] | list[Command[Any]]
"""What a node returns: a state update, or the `Command`s of a tool."""


def _error_message(call: ToolCall, content: str) -> ToolMessage:
    """The tool message answering `call` with an error the model can act on."""
    return ToolMessage(
        content=content, name=call["name"], tool_call_id=call["id"] or "", status="error"
    )


class _ToolsNode:
    """Runs the next unanswered tool call, one per step."""

    def __init__(self, tools: Sequence[BaseTool]) -> None:
        self.by_name = {tool.name: tool for tool in tools}
        self.heavy = {tool.name for tool in tools if _needs_tool_node(tool)}
        self.tool_node = ToolNode(tools) if self.heavy else None

    def _prepare(self, state: object) -> tuple[ToolCall, BaseTool] | ToolMessage:
        found = _next_call(_messages(state))
        if found is None:
            raise RuntimeError(
                "The tools node ran but the last AI message has no unanswered tool call; "
                "route to 'tools' only with tools_condition or after a tool-calling turn."
            )
        call, _ = found
        tool = self.by_name.get(call["name"])
        if tool is None:
            return _error_message(
                call,
                f"Error: {call['name']!r} is not a valid tool; try one of {sorted(self.by_name)}.",
            )
        return {**call, "type": "tool_call"}, tool

    @staticmethod
    def _output(result: object, call: ToolCall) -> NodeUpdate:
        if isinstance(result, Command):
            return _answering_command(result, call)
        if isinstance(result, ToolMessage):
            return {"messages": [result]}
        if isinstance(result, dict) and "messages" in result:  # from ToolNode
            return result
        if isinstance(result, list):  # from ToolNode, which checked its Commands itself
            commands = [r for r in result if isinstance(r, Command)]
            if commands:
                return commands
            return {"messages": result}
        raise TypeError(
            f"Tool {call['name']!r} returned {type(result).__name__}, "
            "expected a ToolMessage or a Command."
        )

    def step(self, state: object, config: RunnableConfig) -> Plan[Effect, object, NodeUpdate]:
        """One step, as a plan: what `run` and `arun` drive."""
        prepared = self._prepare(state)
        if isinstance(prepared, ToolMessage):
            return {"messages": [prepared]}
        call, tool = prepared
        try:
            if self.tool_node is not None and tool.name in self.heavy:
                context = {"__type": TOOL_CALL_WITH_CONTEXT, "tool_call": call, "state": state}
                result = yield Invoke(self.tool_node, context, config)
            else:
                result = yield Invoke(tool, call, config)
            return self._output(result, call)
        except GraphBubbleUp:
            raise
        except ValidationError as exc:
            if is_invalid_resume(exc):
                raise
            return {
                "messages": [
                    _error_message(
                        call,
                        f"Error invoking tool {call['name']!r} with arguments {call['args']!r}: "
                        f"{exc}\nPlease fix the arguments and try again.",
                    )
                ]
            }

    def run(self, state: object, config: RunnableConfig) -> NodeUpdate:
        return drive(self.step(state, config), run_effect)

    async def arun(self, state: object, config: RunnableConfig) -> NodeUpdate:
        return await adrive(self.step(state, config), arun_effect)


class _Chatbot:
    def __init__(
        self,
        bound: Runnable[LanguageModelInput, AIMessage],
        *,
        system_prompt: str | None,
        policy: ParallelToolCallsPolicy,
        on_new_input: NewInputPolicy,
        tools: Sequence[BaseTool],
    ) -> None:
        self.bound = bound
        self.system = SystemMessage(content=system_prompt) if system_prompt else None
        self.policy = policy
        self.on_new_input = on_new_input
        self.by_name = {tool.name: tool for tool in tools}

    def _closing(self, messages: list[BaseMessage]) -> list[str]:
        """The waiting calls new input closes now (none, on the usual turn)."""
        return waiting_calls(messages) if self.on_new_input == "supersede" else []

    def _input(self, history: list[BaseMessage]) -> list[BaseMessage]:
        return [self.system, *history] if self.system is not None else history

    def _checked(self, response: object) -> dict[str, Any]:
        if not isinstance(response, AIMessage):
            raise TypeError(f"The model returned {type(response).__name__}, expected AIMessage.")
        if any(not call.get("id") for call in response.tool_calls):
            # A tool message is paired with its call by id; some providers leave it out.
            response = response.model_copy(
                update={
                    "tool_calls": [
                        {**call, "id": call.get("id") or f"call_{uuid.uuid4().hex}"}
                        for call in response.tool_calls
                    ]
                }
            )
        if len(response.tool_calls) > 1:
            if self.policy == "raise":
                raise ParallelToolCallsError(
                    f"The model asked for {len(response.tool_calls)} tool calls in one turn "
                    f"({_names(response)}), but this graph runs one per turn "
                    "(on_parallel_tool_calls='raise'). The AI message was not saved and the "
                    "user's input is kept: run the thread again, or build the graph with "
                    "on_parallel_tool_calls='keep_first' or 'sequential'.",
                    tool_calls=[(c["name"], c.get("id")) for c in response.tool_calls],
                )
            if self.policy == "keep_first":
                response = _keep_first(response)
        return {"messages": [response]}

    def turn(self, state: object, config: RunnableConfig) -> Plan[Effect, object, dict[str, Any]]:
        """One model turn, as a plan: what `run` and `arun` drive."""
        messages = _messages(state)
        waiting = self._closing(messages)
        # What each waiting approval published last, so its audit record keeps its votes.
        requests = yield from last_requests_plan(config.get("configurable") or {}, waiting)
        # The conversation to send, and whether waiting calls had to be closed in it.
        history, rewritten = close_waiting(messages, self.on_new_input, self.by_name, requests)
        response = yield Invoke(self.bound, self._input(history), config)
        result = self._checked(response)
        return with_history(result, history) if rewritten else result

    def run(self, state: object, config: RunnableConfig) -> dict[str, Any]:
        return drive(self.turn(state, config), run_effect)

    async def arun(self, state: object, config: RunnableConfig) -> dict[str, Any]:
        return await adrive(self.turn(state, config), arun_effect)


def _after_tools(state: object) -> Literal["tools", "chatbot"]:
    return "tools" if _next_call(_messages(state)) is not None else "chatbot"


def _check_state_schema(builder: StateGraph[Any, None, Any, Any], schema: object) -> None:
    channel = builder.channels.get("messages")
    if not isinstance(channel, BinaryOperatorAggregate):
        # Without a reducer, each node's {"messages": [one message]} would replace the
        # whole conversation instead of adding to it.
        problem = "has no 'messages' key" if channel is None else "has no reducer on 'messages'"
        raise TypeError(
            f"state_schema {getattr(schema, '__name__', schema)!r} {problem}; build_hitl_graph "
            "needs `messages: Annotated[list[AnyMessage], add_messages]` (as in HITLState "
            "and MessagesState)."
        )


@overload
def build_hitl_graph(
    model: BaseChatModel,
    tools: Sequence[ToolLike],
    *,
    system_prompt: str | None = ...,
    on_parallel_tool_calls: ParallelToolCallsPolicy = ...,
    on_new_input: NewInputPolicy = ...,
) -> StateGraph[HITLState, None, HITLInput, HITLState]: ...


@overload
def build_hitl_graph(
    model: BaseChatModel,
    tools: Sequence[ToolLike],
    *,
    state_schema: type[StateT],
    system_prompt: str | None = ...,
    on_parallel_tool_calls: ParallelToolCallsPolicy = ...,
    on_new_input: NewInputPolicy = ...,
) -> StateGraph[StateT, None, StateT, StateT]: ...


def build_hitl_graph(
    model: BaseChatModel,
    tools: Sequence[ToolLike],
    *,
    state_schema: type[Any] = HITLState,
    system_prompt: str | None = None,
    on_parallel_tool_calls: ParallelToolCallsPolicy = "raise",
    on_new_input: NewInputPolicy = "supersede",
) -> StateGraph[Any, None, Any, Any]:
    """Build the tutorial's chatbot graph, uncompiled, with the single-tool-call rule.

    Nodes are named `chatbot` and `tools`, routed with `tools_condition`, as in LangGraph's
    tutorial; add your own nodes and edges, then compile with any checkpointer. While a
    tool waits for a human, `graph.get_state(config).next == ("tools",)`.

    Args:
        model: A chat model that implements `bind_tools`. Parallel tool calls are switched
            off when its `bind_tools` accepts `parallel_tool_calls`.
        tools: The tools, as `BaseTool`s or plain typed functions.
        state_schema: The graph's state; it must have a `messages` list merged with
            `add_messages`. Defaults to `HITLState`.
        system_prompt: A system message put before the conversation at every model call
            (not stored in the state).
        on_parallel_tool_calls: What to do when a model turn still holds several tool
            calls; see `ParallelToolCallsPolicy`.
        on_new_input: What to do when the user writes while tool calls wait for a human;
            see `NewInputPolicy`. A new message never loses a request silently.
    """
    if on_parallel_tool_calls not in ("raise", "keep_first", "sequential"):
        raise ValueError(
            f"on_parallel_tool_calls={on_parallel_tool_calls!r} is not a policy; "
            "use 'raise', 'keep_first' or 'sequential'."
        )
    if on_new_input not in ("supersede", "raise"):
        raise ValueError(
            f"on_new_input={on_new_input!r} is not a policy; use 'supersede' or 'raise'."
        )
    as_tools = [t if isinstance(t, BaseTool) else as_tool(t) for t in tools]
    names = [t.name for t in as_tools]
    if len(set(names)) != len(names):
        raise ValueError(f"Tool names must be unique, got {names}.")
    chatbot = _Chatbot(
        _bind(model, as_tools),
        system_prompt=system_prompt,
        policy=on_parallel_tool_calls,
        on_new_input=on_new_input,
        tools=as_tools,
    )
    tools_node = _ToolsNode(as_tools)
    # The default state takes the tutorial's input ({"role": ..., "content": ...} dicts)
    # under type checking too; a custom state is its own input, as in LangGraph.
    input_schema = HITLInput if state_schema is HITLState else None
    builder = HITLStateGraph(state_schema, input_schema=input_schema)
    builder.refuse_new_input = on_new_input == "raise"
    _check_state_schema(builder, state_schema)
    builder.add_node("chatbot", RunnableCallable(chatbot.run, chatbot.arun, trace=False))
    builder.add_node("tools", RunnableCallable(tools_node.run, tools_node.arun, trace=False))
    builder.add_edge(START, "chatbot")
    builder.add_conditional_edges("chatbot", tools_condition, {"tools": "tools", END: END})
    builder.add_conditional_edges("tools", _after_tools, {"tools": "tools", "chatbot": "chatbot"})
    return builder
