"""Approval requests and answers in the shapes of Agent Chat UI and Agent Inbox.

Each shape is sent through `resume()` and as a raw `Command(resume=...)`, on every
checkpointer; every refusal leaves the thread at the same checkpoint with the same pending
request. The same through the real `langgraph dev` server is in test_ui_clients_server.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from graphs.gated import paused, where
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, tool
from langgraph.errors import is_invalid_resume
from langgraph.types import Command
from pydantic import ValidationError

from langgraph_hitl import (
    HITLInput,
    InvalidResumeError,
    RequestExpiredError,
    approval_tool,
    audit_trail,
    pending_interrupts,
    resume,
)
from langgraph_hitl.core._shapes import IGNORED
from langgraph_hitl.testing import FakeClock, use_clock

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.graph.state import CompiledStateGraph

    from langgraph_hitl import AnswerShape, DecisionType

    Graph = CompiledStateGraph[Any, Any, Any, Any]

USER: HITLInput = {"messages": [HumanMessage(content="Tell Ada the build is green.")]}
ARGS = {"to": "ada@example.com", "subject": "Build", "copies": 1}


class Outbox:
    """Every e-mail the tool body really sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def tool(self) -> BaseTool:
        @tool
        def send_email(to: str, subject: str, copies: int = 1) -> str:
            """Send an e-mail."""
            self.sent.append({"to": to, "subject": subject, "copies": copies})
            return f"Sent {copies} to {to}."

        return send_email


def _paused(
    checkpointer: BaseCheckpointSaver[Any],
    config: RunnableConfig,
    outbox: Outbox,
    *,
    allowed: Sequence[DecisionType] = ("approve", "edit", "reject"),
    **options: Any,
) -> Graph:
    guarded = approval_tool(outbox.tool(), allowed_decisions=allowed, **options)
    return paused(checkpointer, config, guarded, user=USER, call=("send_email", ARGS))


def _send(graph: Graph, config: RunnableConfig, answer: object, via: str) -> None:
    if via == "helper":
        resume(graph, config, answer)
    else:
        graph.invoke(Command(resume=answer), config)


def _tool_message(graph: Graph, config: RunnableConfig) -> ToolMessage:
    (message,) = [
        m for m in graph.get_state(config).values["messages"] if isinstance(m, ToolMessage)
    ]
    return message


VIAS = ["helper", "command"]

# --- The request -------------------------------------------------------------------------


def test_the_request_is_what_agent_chat_ui_and_agent_inbox_recognize(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _paused(checkpointer, config, Outbox(), allowed=["reject", "approve"])
    (pending,) = pending_interrupts(graph, config)
    value = pending.value
    # Agent Chat UI: a non-empty action_requests of {name, args} and review_configs of
    # {action_name, allowed_decisions}.
    (action,) = value["action_requests"]
    (review,) = value["review_configs"]
    assert (action["name"], action["args"], action["description"]) == (
        "send_email",
        ARGS,
        value["description"],
    )
    # Agent Inbox reads the pre-1.0 key.
    assert action["arguments"] == ARGS
    assert review["action_name"] == "send_email"
    assert review["allowed_decisions"] == ["reject", "approve"]  # as the tool lists them
    assert review["args_schema"]["additionalProperties"] is False
    assert set(review["args_schema"]["properties"]) == {"to", "subject", "copies"}
    # The per-call keys stay as they were.
    assert (value["type"], value["tool_call_id"], value["name"], value["args"]) == (
        "tool_approval",
        "call_0_0",
        "send_email",
        ARGS,
    )


# --- Agent Chat UI: {"decisions": [decision]} --------------------------------------------


@pytest.mark.parametrize("via", VIAS)
def test_agent_chat_ui_approves(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, via: str
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox)
    _send(graph, config, {"decisions": [{"type": "approve"}]}, via)
    assert outbox.sent == [ARGS]
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.answer_shape, record.executed_args) == (
        "approve",
        "decisions",
        ARGS,
    )


@pytest.mark.parametrize("via", VIAS)
def test_agent_chat_ui_edits(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, via: str
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox)
    edited = {"to": "bo@example.com", "subject": "Build", "copies": 2}
    answer = {
        "decisions": [{"type": "edit", "edited_action": {"name": "send_email", "args": edited}}]
    }
    _send(graph, config, answer, via)
    assert outbox.sent == [edited]
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.answer_shape, record.executed_args) == (
        "edit",
        "decisions",
        edited,
    )


def test_agent_chat_ui_edit_text_is_read_through_the_tools_schema(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox)
    typed = {"to": "bo@example.com", "subject": "Build", "copies": "2"}
    edit = {"type": "edit", "edited_action": {"name": "send_email", "args": typed}}
    resume(graph, config, {"decisions": [edit]})
    ran = {**typed, "copies": 2}
    assert outbox.sent == [ran]
    (record,) = audit_trail(graph, config)
    assert record.executed_args == ran
    # A per-call decision is LangChain's: sent as-is, the tool converts when it runs.
    other: RunnableConfig = {"configurable": {"thread_id": "per-call"}}
    graph = _paused(checkpointer, other, outbox)
    resume(graph, other, edit)
    (record,) = audit_trail(graph, other)
    assert record.executed_args == typed


@pytest.mark.parametrize("via", VIAS)
def test_agent_chat_ui_rejects(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, via: str
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox)
    _send(graph, config, {"decisions": [{"type": "reject", "message": "Ada is away."}]}, via)
    assert outbox.sent == []
    assert "Ada is away." in str(_tool_message(graph, config).content)
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.message, record.answer_shape) == (
        "reject",
        "Ada is away.",
        "decisions",
    )


BAD_BATCHES = {
    "no decision": {"decisions": []},
    "two decisions": {"decisions": [{"type": "approve"}, {"type": "approve"}]},
    "not a list": {"decisions": {"type": "approve"}},
    "another key": {"decisions": [{"type": "approve"}], "interrupt_id": "x"},
    "bad decision": {"decisions": [{"type": "maybe"}]},
    "disallowed decision": {"decisions": [{"type": "respond", "message": "Done."}]},
    "unknown argument": {
        "decisions": [
            {
                "type": "edit",
                "edited_action": {"name": "send_email", "args": {**ARGS, "bcc": "x@evil.com"}},
            }
        ]
    },
}


@pytest.mark.parametrize("answer", list(BAD_BATCHES.values()), ids=list(BAD_BATCHES))
def test_a_bad_batch_is_refused_and_changes_nothing(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, answer: object
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox)
    before = where(graph, config)
    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, answer)
    assert refused.value.errors
    with pytest.raises(ValidationError) as raw:
        graph.invoke(Command(resume=answer), config)
    assert is_invalid_resume(raw.value)
    assert where(graph, config) == before
    assert outbox.sent == []
    resume(graph, config, {"decisions": [{"type": "approve"}]})
    assert outbox.sent == [ARGS]


def test_a_batch_error_points_into_the_batch(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _paused(checkpointer, config, Outbox())
    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, BAD_BATCHES["unknown argument"])
    assert [e.loc for e in refused.value.errors] == [
        ("decisions", 0, "edit", "edited_action", "args")
    ]
    assert "'bcc' is not an argument" in str(refused.value)
    with pytest.raises(InvalidResumeError, match="exactly one decision, got 2"):
        resume(graph, config, BAD_BATCHES["two decisions"])


# --- Agent Inbox: [HumanResponse] --------------------------------------------------------


@pytest.mark.parametrize("via", VIAS)
def test_agent_inbox_accepts(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, via: str
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox)
    _send(graph, config, [{"type": "accept", "args": None}], via)
    assert outbox.sent == [ARGS]
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.answer_shape) == ("approve", "human_response")


@pytest.mark.parametrize("via", VIAS)
def test_agent_inbox_edits_with_text_read_through_the_tools_schema(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, via: str
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox)
    typed = {"to": "bo@example.com", "subject": "Build", "copies": "3"}
    _send(graph, config, [{"type": "edit", "args": {"action": "send_email", "args": typed}}], via)
    ran = {"to": "bo@example.com", "subject": "Build", "copies": 3}
    assert outbox.sent == [ran]
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.executed_args, record.answer_shape) == (
        "edit",
        ran,
        "human_response",
    )
    assert '"copies": 3}.' in str(_tool_message(graph, config).content)


@pytest.mark.parametrize("via", VIAS)
def test_agent_inbox_response_is_a_response_where_the_tool_takes_one(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, via: str
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox, allowed=["approve", "respond", "reject"])
    _send(graph, config, [{"type": "response", "args": "I told Ada myself."}], via)
    message = _tool_message(graph, config)
    assert (message.content, message.status) == ("I told Ada myself.", "success")
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.message) == ("respond", "I told Ada myself.")
    assert outbox.sent == []


@pytest.mark.parametrize("via", VIAS)
def test_agent_inbox_response_is_a_rejection_where_the_tool_takes_no_response(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, via: str
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox)
    _send(graph, config, [{"type": "response", "args": "Not today."}], via)
    message = _tool_message(graph, config)
    assert message.status == "error"
    assert "with reason: Not today." in str(message.content)
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.message, record.answer_shape) == (
        "reject",
        "Not today.",
        "human_response",
    )


@pytest.mark.parametrize("via", VIAS)
def test_agent_inbox_ignore_rejects_with_a_fixed_message(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, via: str
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox)
    _send(graph, config, [{"type": "ignore", "args": None}], via)
    assert outbox.sent == []
    assert IGNORED in str(_tool_message(graph, config).content)
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.message) == ("reject", IGNORED)


def _edit(args: object, action: str = "send_email") -> list[dict[str, Any]]:
    return [{"type": "edit", "args": {"action": action, "args": args}}]


BAD_INBOX = {
    "no response": [],
    "two responses": [{"type": "accept", "args": None}, {"type": "accept", "args": None}],
    "unknown type": [{"type": "approve", "args": None}],
    "accept with args": [{"type": "accept", "args": {"x": 1}}],
    "text that is no number": _edit({**ARGS, "copies": "lots"}),
    "edit of another tool": _edit(ARGS, action="delete_account"),
    "edit with an unknown argument": _edit({**ARGS, "bcc": "x@evil.com"}),
    "edit without the action": [{"type": "edit", "args": ARGS}],
    "response that is not text": [{"type": "response", "args": {"text": "no"}}],
    "another key": [{"type": "accept", "args": None, "note": "x"}],
    "not a response": ["accept"],
}


@pytest.mark.parametrize("answer", list(BAD_INBOX.values()), ids=list(BAD_INBOX))
def test_a_bad_agent_inbox_answer_is_refused_and_changes_nothing(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, answer: object
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox)
    before = where(graph, config)
    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, answer)
    assert refused.value.errors
    with pytest.raises(ValidationError) as raw:
        graph.invoke(Command(resume=answer), config)
    assert is_invalid_resume(raw.value)
    assert where(graph, config) == before
    assert outbox.sent == []
    resume(graph, config, [{"type": "accept", "args": None}])
    assert outbox.sent == [ARGS]


def test_an_agent_inbox_error_points_into_its_answer(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _paused(checkpointer, config, Outbox())
    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, BAD_INBOX["text that is no number"])
    (error,) = refused.value.errors
    assert error.loc == (0, "args", "args", "copies")
    assert "valid integer" in error.message
    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, BAD_INBOX["edit of another tool"])
    assert [e.loc for e in refused.value.errors] == [(0, "args", "action")]


@pytest.mark.parametrize(
    ("answer", "allowed"),
    [
        ([{"type": "accept", "args": None}], ["reject"]),
        ([{"type": "ignore", "args": None}], ["approve"]),
        ([{"type": "response", "args": "no"}], ["approve", "edit"]),
        ([{"type": "response", "args": "  "}], ["respond"]),
        (_edit(ARGS), ["approve", "reject"]),
    ],
    ids=["accept", "ignore", "response", "blank response", "edit"],
)
def test_an_agent_inbox_answer_the_tool_does_not_allow_is_refused(
    checkpointer: BaseCheckpointSaver[Any],
    config: RunnableConfig,
    answer: object,
    allowed: list[DecisionType],
) -> None:
    graph = _paused(checkpointer, config, Outbox(), allowed=allowed)
    before = where(graph, config)
    with pytest.raises(InvalidResumeError):
        resume(graph, config, answer)
    with pytest.raises(ValidationError):
        graph.invoke(Command(resume=answer), config)
    assert where(graph, config) == before


# --- The same rules for every shape ------------------------------------------------------

SHAPES: dict[AnswerShape, object] = {
    "decision": {"type": "approve", "reviewer": "ann"},
    "decisions": {"decisions": [{"type": "approve", "reviewer": "ann"}]},
    "human_response": [{"type": "accept", "args": None, "reviewer": "ann"}],
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_reviewers_are_enforced_in_every_shape(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, shape: AnswerShape
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox, reviewers={"ann"})
    before = where(graph, config)
    anonymous = {
        "decision": {"type": "approve"},
        "decisions": {"decisions": [{"type": "approve"}]},
        "human_response": [{"type": "accept", "args": None}],
    }[shape]
    with pytest.raises(InvalidResumeError, match="reviewer"):
        resume(graph, config, anonymous)
    with pytest.raises(ValidationError):
        graph.invoke(Command(resume=anonymous), config)
    assert where(graph, config) == before
    resume(graph, config, SHAPES[shape])
    (record,) = audit_trail(graph, config)
    assert (record.reviewer, record.answer_shape) == ("ann", shape)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_server_user_is_the_reviewer_whatever_the_payload_names(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, shape: AnswerShape
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox, reviewers={"alice"})
    # What LangGraph Server puts in a run's configurable under custom auth.
    as_mallory: RunnableConfig = {
        "configurable": {
            **config["configurable"],
            "langgraph_auth_user": {"identity": "mallory", "is_authenticated": True},
            "langgraph_auth_user_id": "mallory",
        }
    }
    before = where(graph, config)
    with pytest.raises(ValidationError, match="reviewer"):
        graph.invoke(Command(resume=SHAPES[shape]), as_mallory)  # names "ann": overridden
    assert where(graph, config) == before
    as_alice: RunnableConfig = {
        "configurable": {
            **config["configurable"],
            "langgraph_auth_user": {"identity": "alice", "is_authenticated": True},
            "langgraph_auth_user_id": "alice",
        }
    }
    graph.invoke(Command(resume=SHAPES[shape]), as_alice)
    assert outbox.sent == [ARGS]
    (record,) = audit_trail(graph, config)
    assert (record.reviewer, record.answer_shape) == ("alice", shape)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_late_answer_is_refused_in_every_shape(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, shape: AnswerShape
) -> None:
    clock = FakeClock()
    with use_clock(clock):
        outbox = Outbox()
        graph = _paused(checkpointer, config, outbox, timeout=timedelta(minutes=5))
        before = where(graph, config)
        clock.advance(timedelta(minutes=6))
        answer = {
            "decision": {"type": "approve"},
            "decisions": {"decisions": [{"type": "approve"}]},
            "human_response": [{"type": "accept", "args": None}],
        }[shape]
        with pytest.raises(RequestExpiredError):
            resume(graph, config, answer)
        with pytest.raises(ValidationError):
            graph.invoke(Command(resume=answer), config)
        assert where(graph, config) == before
        assert outbox.sent == []


@pytest.mark.parametrize(
    "user",
    [None, {"identity": "", "is_authenticated": False}],
    ids=["no custom auth", "unauthenticated"],
)
def test_without_an_authenticated_user_the_payloads_reviewer_stands(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, user: object
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, outbox, reviewers={"ann"})
    anonymous: RunnableConfig = {
        "configurable": {
            **config["configurable"],
            "langgraph_auth_user": user,
            "langgraph_auth_user_id": "",
        }
    }
    graph.invoke(Command(resume=SHAPES["decisions"]), anonymous)
    assert outbox.sent == [ARGS]
    (record,) = audit_trail(graph, config)
    assert record.reviewer == "ann"


def test_the_published_schema_admits_every_shape_and_refuses_bad_ones(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    import jsonschema

    graph = _paused(checkpointer, config, Outbox())
    (pending,) = pending_interrupts(graph, config)
    assert pending.response_schema is not None
    # The per-call union keeps its discriminator for LangChain clients' readers.
    assert sorted(pending.response_schema["discriminator"]["mapping"]) == [
        "approve",
        "edit",
        "reject",
    ]
    judge = jsonschema.Draft202012Validator(pending.response_schema)
    for good in (
        {"type": "approve"},
        {"decisions": [{"type": "reject", "message": "No."}]},
        [{"type": "accept", "args": None}],
        [{"type": "ignore", "args": None}],
        [{"type": "response", "args": "No."}],
        _edit({**ARGS, "copies": "3"}),
    ):
        assert judge.is_valid(good), good
    for bad in (
        BAD_BATCHES["no decision"],
        BAD_BATCHES["two decisions"],
        BAD_BATCHES["unknown argument"],
        BAD_INBOX["two responses"],
        BAD_INBOX["unknown type"],
        BAD_INBOX["edit of another tool"],
    ):
        assert not judge.is_valid(bad), bad
