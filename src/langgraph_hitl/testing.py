"""The testing kit: a scripted chat model that supports tool calling.

LangChain's stock fake chat models do not implement `bind_tools`, so a graph that binds
tools cannot be unit-tested with them. `ScriptedChatModel` replays a fixed script of
answers and records what it was asked, so a test can drive a whole human-in-the-loop
conversation offline and check what the model saw::

    model = ScriptedChatModel(responses=[
        ai_tool_calls(("human_assistance", {"query": "Need an expert"})),
        "Thanks, the expert says: use LangGraph.",
    ])
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, ToolCall, ToolMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, PrivateAttr

from .core._errors import InvalidHistoryError, ScriptExhaustedError, SwallowedInterruptError
from .core._testclock import FakeClock, use_clock
from .graph._guard import InterruptWatch, SwallowedInterrupt, detect_swallowed_interrupts

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator, Sequence

    from langchain_core.callbacks import (
        AsyncCallbackManagerForLLMRun,
        CallbackManagerForLLMRun,
    )
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.messages import BaseMessage
    from langchain_core.runnables import Runnable
    from langchain_core.tools import BaseTool

__all__ = [
    "FakeClock",
    "InterruptWatch",
    "InvalidHistoryError",
    "ModelCall",
    "ScriptExhaustedError",
    "ScriptedChatModel",
    "SwallowedInterrupt",
    "SwallowedInterruptError",
    "ai_tool_calls",
    "detect_swallowed_interrupts",
    "use_clock",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelCall:
    """One call the scripted model answered."""

    messages: tuple[BaseMessage, ...]
    """The messages the model was given."""
    tools: tuple[str, ...]
    """Names of the tools bound for that call (empty when none were bound)."""
    parallel_tool_calls: bool | None
    """The `parallel_tool_calls` option the caller bound, if any."""


@dataclass(slots=True)
class _Script:
    """The replay position, shared by a model and every model bound from it."""

    responses: list[AIMessage]
    position: int = 0
    calls: list[ModelCall] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self, call: ModelCall) -> AIMessage:
        with self.lock:
            if self.position >= len(self.responses):
                n = len(self.responses)
                scripted = f"{n} response was" if n == 1 else f"{n} responses were"
                raise ScriptExhaustedError(
                    f"ScriptedChatModel ran out of responses: only {scripted} scripted, "
                    f"and all of them were used. Add the answer for call {n + 1} to "
                    f"`responses=[...]`. The last message it was given: "
                    f"{_last_text(call.messages)!r}."
                )
            message = self.responses[self.position]
            self.position += 1
            self.calls.append(call)
        # A copy, so a graph that edits the stored message cannot change the script.
        return message.model_copy(deep=True)


def _last_text(messages: Sequence[BaseMessage]) -> str:
    return messages[-1].text[:200] if messages else ""


def ai_tool_calls(*calls: tuple[str, dict[str, Any]] | ToolCall, content: str = "") -> AIMessage:
    """An `AIMessage` that asks for the given tool calls, with ids filled in.

    Args:
        *calls: `(name, args)` pairs or full `ToolCall` dicts.
        content: Text of the message beside its tool calls.
    """
    tool_calls: list[ToolCall] = []
    for call in calls:
        if isinstance(call, tuple):
            name, args = call
            tool_calls.append(ToolCall(name=name, args=args, id=None, type="tool_call"))
        else:
            tool_calls.append(call)
    return AIMessage(content=content, tool_calls=tool_calls)


def _scripted(response: AIMessage | str, index: int) -> AIMessage:
    message = AIMessage(content=response) if isinstance(response, str) else response
    if not isinstance(message, AIMessage):
        raise TypeError(
            f"responses[{index}] is {type(response).__name__}; "
            "ScriptedChatModel replays AIMessage or str values."
        )
    if any(not call.get("id") for call in message.tool_calls):
        # Real providers always give ids; tools and ToolMessages need them to pair up.
        message = message.model_copy(
            update={
                "tool_calls": [
                    {**call, "id": call.get("id") or f"call_{index}_{n}"}
                    for n, call in enumerate(message.tool_calls)
                ]
            }
        )
    return message


def check_history(messages: Sequence[BaseMessage]) -> None:
    """Refuse a history as chat providers do: each tool call answered right after its turn.

    Raises:
        InvalidHistoryError: A tool call has no tool message among the messages right after
            its AI message, or a tool message answers no call of the AI message before it.
    """
    expected: dict[str, str] = {}
    for n, message in enumerate([*messages, None]):
        if isinstance(message, ToolMessage):
            if message.tool_call_id not in expected:
                raise InvalidHistoryError(
                    f"messages[{n}] is a tool message for tool_call_id "
                    f"{message.tool_call_id!r}, which no tool call right before it has; "
                    "a provider would refuse this request."
                )
            del expected[message.tool_call_id]
            continue
        if expected:
            missing = ", ".join(f"{name}(id={id_!r})" for id_, name in expected.items())
            raise InvalidHistoryError(
                f"An AI message asked for tool calls that have no tool message after it: "
                f"{missing}; a provider would refuse this request (every tool call needs "
                "its result right after the AI message that made it)."
            )
        if isinstance(message, AIMessage):
            expected = {str(c["id"]): c["name"] for c in message.tool_calls}


class ScriptedChatModel(BaseChatModel):
    """A chat model that replays scripted answers, with tool calling.

    Each call returns the next entry of `responses` (a `str` becomes an `AIMessage`);
    when the script runs out it raises `ScriptExhaustedError`, which says how many answers
    were scripted. `bind_tools` works (and records `parallel_tool_calls`), and a bound
    model shares the script of the model it came from. `invoke`, `ainvoke`, `stream` and
    `astream` all work; streaming yields the text word by word, then the tool calls.

    With `strict_history=True` the model refuses, as real providers do, a history where a
    tool call has no tool message right after its AI message (`InvalidHistoryError`).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    # A list, not a Sequence: pydantic reads this annotation at runtime.
    responses: list[AIMessage] = Field(default_factory=list)
    """The answers to replay, in order (strings already turned into `AIMessage`)."""
    strict_history: bool = False
    """Whether to refuse a history with an unanswered tool call, as providers do."""

    _script: _Script = PrivateAttr()

    def __init__(self, *, responses: Sequence[AIMessage | str], **kwargs: Any) -> None:
        if isinstance(responses, (str, AIMessage)):
            raise TypeError(
                "responses must be a list of AIMessage or str values, got a single "
                f"{type(responses).__name__}; write responses=[{responses!r}]."
            )
        scripted = [_scripted(response, n) for n, response in enumerate(responses)]
        # A cached answer would skip the script's order; a script is replayed, never cached.
        kwargs.setdefault("cache", False)
        super().__init__(responses=scripted, **kwargs)
        self._script = _Script(responses=scripted)

    @property
    def _llm_type(self) -> str:
        return "scripted-chat-model"

    @property
    def calls(self) -> list[ModelCall]:
        """Every call answered so far, oldest first."""
        return list(self._script.calls)

    @property
    def remaining(self) -> int:
        """How many scripted answers are left."""
        return len(self._script.responses) - self._script.position

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools as a provider would; the script does not depend on them."""
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        bound: dict[str, Any] = {"tools": formatted, **kwargs}
        if tool_choice is not None:
            bound["tool_choice"] = tool_choice
        if parallel_tool_calls is not None:
            bound["parallel_tool_calls"] = parallel_tool_calls
        return self.bind(**bound)

    def _next(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        if self.strict_history:
            check_history(messages)
        tools = tuple(str(tool["function"]["name"]) for tool in kwargs.get("tools", ()))
        parallel = kwargs.get("parallel_tool_calls")
        call = ModelCall(
            messages=tuple(messages),
            tools=tools,
            parallel_tool_calls=parallel if isinstance(parallel, bool) else None,
        )
        return self._script.next(call)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next(messages, kwargs))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, None, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in _chunks(self._next(messages, kwargs)):
            if run_manager is not None:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in _chunks(self._next(messages, kwargs)):
            if run_manager is not None:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


def _chunks(message: AIMessage) -> Iterator[ChatGenerationChunk]:
    """Split a scripted answer as a provider streams it: words, then the rest.

    The last chunk carries the tool calls and the metadata, so the chunks add up to the
    scripted message (what `invoke` returns).
    """
    text = message.content if isinstance(message.content, str) else ""
    words = text.split(" ") if text else []
    for n, word in enumerate(words):
        piece = word if n == len(words) - 1 else word + " "
        yield ChatGenerationChunk(message=AIMessageChunk(content=piece, id=message.id))
    tool_call_chunks = [
        tool_call_chunk(name=call["name"], args=json.dumps(call["args"]), id=call["id"], index=n)
        for n, call in enumerate(message.tool_calls)
    ]
    yield ChatGenerationChunk(
        message=AIMessageChunk(
            content="" if isinstance(message.content, str) else message.content,
            id=message.id,
            name=message.name,
            tool_call_chunks=tool_call_chunks,
            additional_kwargs=message.additional_kwargs,
            response_metadata=message.response_metadata,
            usage_metadata=message.usage_metadata,
            chunk_position="last",
        )
    )
