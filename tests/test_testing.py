"""The testing kit: `ScriptedChatModel` replays a script, binds tools, invokes and streams."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from langchain_core.caches import InMemoryCache
from langchain_core.globals import set_llm_cache
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.tools import tool

from langgraph_hitl import HITLError, InvalidHistoryError, ScriptExhaustedError
from langgraph_hitl.testing import FakeClock, ModelCall, ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Iterator


@tool
def lookup(city: str) -> str:
    """Look up the weather of a city."""
    return f"sunny in {city}"


@tool
def shout(text: str) -> str:
    """Say it louder."""
    return text.upper()


def _sum(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def test_replays_the_script_in_order() -> None:
    model = ScriptedChatModel(responses=["one", AIMessage(content="two"), "three"])

    answers = [model.invoke(f"question {n}") for n in range(3)]

    assert [a.content for a in answers] == ["one", "two", "three"]
    assert model.remaining == 0


def test_a_string_response_becomes_an_ai_message() -> None:
    model = ScriptedChatModel(responses=["plain text"])

    answer = model.invoke("hi")

    assert isinstance(answer, AIMessage)
    assert answer.content == "plain text"
    assert answer.tool_calls == []


def test_tool_calls_without_ids_get_ids_by_position() -> None:
    explicit = ToolCall(name="lookup", args={"city": "Oslo"}, id="given", type="tool_call")
    model = ScriptedChatModel(
        responses=[
            "no calls",
            ai_tool_calls(("lookup", {"city": "Paris"}), ("shout", {"text": "hi"})),
            ai_tool_calls(explicit),
        ]
    )

    model.invoke("x")
    second = model.invoke("x")
    third = model.invoke("x")

    assert [c["id"] for c in second.tool_calls] == ["call_1_0", "call_1_1"]
    assert [c["args"] for c in second.tool_calls] == [{"city": "Paris"}, {"text": "hi"}]
    assert third.tool_calls == [explicit]


def test_ai_tool_calls_keeps_its_text() -> None:
    message = ai_tool_calls(("lookup", {"city": "Rome"}), content="Let me check.")

    assert message.content == "Let me check."
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("lookup", {"city": "Rome"})]


def test_records_what_each_call_was_given() -> None:
    model = ScriptedChatModel(responses=["a", "b"])

    model.invoke([HumanMessage(content="first")])
    model.invoke([HumanMessage(content="second"), AIMessage(content="a")])

    calls = model.calls
    assert all(isinstance(call, ModelCall) for call in calls)
    assert [[m.content for m in call.messages] for call in calls] == [["first"], ["second", "a"]]
    assert [call.tools for call in calls] == [(), ()]
    assert [call.parallel_tool_calls for call in calls] == [None, None]


def test_bind_tools_shares_the_script_with_its_parent() -> None:
    model = ScriptedChatModel(responses=["from bound", "from parent", "from bound again"])
    bound = model.bind_tools([lookup, shout])

    first = bound.invoke("x")
    second = model.invoke("x")
    third = bound.invoke("x")

    assert [first.content, second.content, third.content] == [
        "from bound",
        "from parent",
        "from bound again",
    ]
    assert model.remaining == 0
    assert [call.tools for call in model.calls] == [("lookup", "shout"), (), ("lookup", "shout")]


def test_bind_tools_records_parallel_tool_calls() -> None:
    model = ScriptedChatModel(responses=["a", "b", "c"])

    model.bind_tools([lookup], parallel_tool_calls=False).invoke("x")
    model.bind_tools([lookup], parallel_tool_calls=True).invoke("x")
    model.bind_tools([lookup]).invoke("x")

    assert [call.parallel_tool_calls for call in model.calls] == [False, True, None]


def test_bind_tools_accepts_plain_functions_and_dicts() -> None:
    def forecast(city: str, days: int) -> str:
        """Forecast the weather."""
        return f"{city}: {days} days"

    schema = {
        "type": "function",
        "function": {"name": "raw", "description": "A raw tool.", "parameters": {}},
    }
    model = ScriptedChatModel(responses=["ok"])

    model.bind_tools([forecast, schema]).invoke("x")

    assert model.calls[0].tools == ("forecast", "raw")


def _scripted_turn() -> AIMessage:
    return ai_tool_calls(
        ("lookup", {"city": "Paris"}),
        ("shout", {"text": 'a "quoted" word'}),
        content="Let me look that up for you.",
    )


def test_stream_adds_up_to_the_invoked_message() -> None:
    invoked = ScriptedChatModel(responses=[_scripted_turn()]).bind_tools([lookup]).invoke("x")
    streamed = ScriptedChatModel(responses=[_scripted_turn()]).bind_tools([lookup])

    chunks = list(streamed.stream("x"))

    assert len(chunks) > 2, "the text should arrive in several pieces"
    total = _sum([c for c in chunks if isinstance(c, AIMessageChunk)])
    assert total.content == invoked.content == "Let me look that up for you."
    assert total.tool_calls == invoked.tool_calls
    assert [c["id"] for c in total.tool_calls] == ["call_0_0", "call_0_1"]


def test_stream_keeps_metadata_and_content_blocks() -> None:
    scripted = AIMessage(
        content=[{"type": "text", "text": "blocks"}],
        response_metadata={"model_name": "scripted"},
        usage_metadata={"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
        additional_kwargs={"refusal": None},
    )
    model = ScriptedChatModel(responses=[scripted])

    total = _sum(list(model.stream("x")))

    assert total.content == [{"type": "text", "text": "blocks"}]
    assert total.response_metadata["model_name"] == "scripted"
    assert total.usage_metadata == scripted.usage_metadata
    assert total.additional_kwargs == {"refusal": None}


async def test_ainvoke_and_astream_replay_the_same_script() -> None:
    model = ScriptedChatModel(responses=["async answer", _scripted_turn()])

    first = await model.ainvoke("x")
    chunks = [chunk async for chunk in model.astream("y")]

    assert first.content == "async answer"
    total = _sum(chunks)
    assert total.content == "Let me look that up for you."
    assert [c["name"] for c in total.tool_calls] == ["lookup", "shout"]
    assert model.remaining == 0


async def test_concurrent_calls_each_get_their_own_response() -> None:
    model = ScriptedChatModel(responses=[str(n) for n in range(20)])

    answers = await asyncio.gather(*(model.ainvoke("x") for _ in range(20)))

    assert sorted(int(str(a.content)) for a in answers) == list(range(20))


def test_exhausted_script_says_how_many_responses_were_scripted() -> None:
    model = ScriptedChatModel(responses=["a", "b"])
    model.invoke("x")
    model.invoke("y")

    with pytest.raises(ScriptExhaustedError, match="only 2 responses were scripted") as info:
        model.invoke([HumanMessage(content="one more")])

    assert isinstance(info.value, HITLError)
    assert isinstance(info.value, RuntimeError)
    assert "call 3" in str(info.value)
    assert "'one more'" in str(info.value)


def test_exhausted_script_of_one_response() -> None:
    model = ScriptedChatModel(responses=["a"])
    model.invoke("x")

    with pytest.raises(ScriptExhaustedError, match="only 1 response was scripted"):
        model.invoke("y")


async def test_exhausted_script_raises_on_every_path() -> None:
    model = ScriptedChatModel(responses=[])

    with pytest.raises(ScriptExhaustedError, match="only 0 responses were scripted"):
        model.invoke("x")
    with pytest.raises(ScriptExhaustedError):
        await model.ainvoke("x")
    with pytest.raises(ScriptExhaustedError):
        list(model.stream("x"))
    with pytest.raises(ScriptExhaustedError):
        [chunk async for chunk in model.astream("x")]


def test_a_returned_message_is_a_copy_of_the_script() -> None:
    message = AIMessage(content="original")
    model = ScriptedChatModel(responses=[message, message])

    first = model.invoke("x")
    first.content = "edited by the graph"

    assert model.invoke("x").content == "original"


def test_rejects_responses_that_are_not_messages() -> None:
    with pytest.raises(TypeError, match=r"responses\[1\] is int"):
        ScriptedChatModel(responses=["fine", 42])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="write responses=\\['hello'\\]"):
        ScriptedChatModel(responses="hello")


@pytest.fixture
def global_cache() -> Iterator[None]:
    set_llm_cache(InMemoryCache())
    try:
        yield
    finally:
        set_llm_cache(None)


@pytest.mark.usefixtures("global_cache")
def test_a_global_llm_cache_does_not_skip_the_script() -> None:
    model = ScriptedChatModel(responses=["first", "second"])
    same_prompt: list[BaseMessage] = [HumanMessage(content="same")]

    answers = [model.invoke(same_prompt).content, model.invoke(same_prompt).content]

    assert answers == ["first", "second"]


def test_strict_history_fails_like_a_provider_on_an_unanswered_tool_call() -> None:
    model = ScriptedChatModel(responses=["Sure."] * 3, strict_history=True)
    call = ai_tool_calls(("send_email", {"to": "ann"}))
    call.tool_calls[0]["id"] = "call_1"
    with pytest.raises(InvalidHistoryError, match=r"send_email\(id='call_1'\)"):
        model.invoke([HumanMessage(content="Hi"), call, HumanMessage(content="Never mind.")])
    with pytest.raises(InvalidHistoryError, match="no tool message after it"):
        model.invoke([HumanMessage(content="Hi"), call])
    orphan = ToolMessage(content="x", tool_call_id="call_9")
    with pytest.raises(InvalidHistoryError, match=r"messages\[1\].*'call_9'"):
        model.invoke([HumanMessage(content="Hi"), orphan])
    assert model.remaining == 3  # a refused call uses no scripted answer
    answered = [call, ToolMessage(content="sent", tool_call_id="call_1")]
    assert model.invoke([HumanMessage(content="Hi"), *answered]).content == "Sure."


def test_without_strict_history_any_history_is_answered() -> None:
    model = ScriptedChatModel(responses=["Sure."])
    call = ai_tool_calls(("send_email", {"to": "ann"}))
    assert model.invoke([call, HumanMessage(content="Never mind.")]).content == "Sure."


def test_a_fake_clock_moves_to_a_moment_and_never_back() -> None:
    start = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    clock = FakeClock(start)
    deadline = start + timedelta(hours=4, microseconds=7)
    assert clock.advance_to(deadline) == deadline
    assert clock() == deadline
    assert clock.advance_to(deadline) == deadline  # where it is: allowed
    with pytest.raises(ValueError, match=r"only moves forward; 2026-12-01T09:00:00\+00:00"):
        clock.advance_to(start)
    with pytest.raises(ValueError, match="timezone-aware datetime, got datetime"):
        clock.advance_to(datetime(2026, 12, 2, 9, 0))
    assert clock() == deadline  # a refused move moves nothing
