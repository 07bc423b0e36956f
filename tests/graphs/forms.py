"""More graphs for the terminal reviewer: restricted approvals, a form, a deadline.

- `restricted`: the mail agent whose `send_email` only `alice` may approve or reject;
- `profile`: a node asks for a JSON object (`{"name": str, "age": int}`) by its schema;
- `deadline`: a node asks a question that expires `timeout` seconds (state) after it was
  raised, with `{"data": "no answer in time"}` as its `on_timeout` answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from langgraph.config import get_config
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from typing_extensions import TypedDict

from langgraph_hitl import approval_tool, build_hitl_graph
from langgraph_hitl.inbox._inbox import checkpoint_time

from .mail import RuleModel, send_email

restricted = build_hitl_graph(
    RuleModel(),
    [approval_tool(send_email, allowed_decisions=["approve", "reject"], reviewers={"alice"})],
)

PROFILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


class Profile(TypedDict):
    profile: dict[str, Any]


def _ask_profile(state: Profile) -> dict[str, Any]:
    answer = interrupt(
        {"type": "profile", "question": "Who are you?"}, response_schema=PROFILE_SCHEMA
    )
    return {"profile": answer}


profile_builder = StateGraph(Profile)
profile_builder.add_node("ask", _ask_profile)
profile_builder.add_edge(START, "ask")
profile = profile_builder

REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"data": {"type": "string"}},
    "required": ["data"],
    "additionalProperties": False,
}


class Deadline(TypedDict):
    timeout: float
    answer: str


def _ask_in_time(state: Deadline) -> dict[str, Any]:
    started = checkpoint_time(get_config()["configurable"]["checkpoint_map"][""])
    assert started is not None
    value = {
        "type": "question",
        "query": "Deploy on Friday?",
        "expires_at": (started + timedelta(seconds=state["timeout"])).isoformat(),
        "on_timeout": {"data": "no answer in time"},
    }
    reply = interrupt(value, response_schema=REPLY_SCHEMA)
    return {"answer": reply["data"]}


deadline_builder = StateGraph(Deadline)
deadline_builder.add_node("ask", _ask_in_time)
deadline_builder.add_edge(START, "ask")
deadline = deadline_builder
