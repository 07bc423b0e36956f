"""Property tests: whatever a client sends as a decision, it is applied or refused cleanly.

Any JSON-like value answered to an approval request is either a valid decision, applied as
such, or refused with `InvalidResumeError` before anything is saved. The published JSON schema
agrees with the tool on which is which, and decisions keep LangChain's wire shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jsonschema
from graphs.gated import paused
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from langchain.agents.middleware.human_in_the_loop import _decision_schema
from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool, tool
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import TypeAdapter
from strategies import json_values, near_misses

from langgraph_hitl import (
    Approve,
    DecisionType,
    Edit,
    EditedAction,
    HITLInput,
    HITLState,
    InvalidResumeError,
    Reject,
    Respond,
    approval_tool,
    audit_trail,
    pending_interrupts,
    resume,
)
from langgraph_hitl.answers._decisions import decision_model
from langgraph_hitl.answers._validation import dump_answer

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.graph.state import CompiledStateGraph

USER: HITLInput = {"messages": [HumanMessage(content="Tell Ada.")]}
ARGS = {"to": "ada@example.com", "subject": "Build"}
REVIEWERS = ("ann", "bob")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SENT: list[dict[str, Any]] = []


@tool
def send_email(to: str, subject: str, body: str = "") -> str:
    """Send an e-mail."""
    SENT.append({"to": to, "subject": subject, "body": body})
    return "Sent."


# Made once: the schema work is per tool, not per example.
GUARDED: BaseTool = approval_tool(
    send_email, allowed_decisions=["approve", "edit", "reject"], reviewers=set(REVIEWERS)
)


def _storable(value: Any) -> bool:
    """Whether every checkpointer can keep `value` (else `resume()` refuses it, whatever
    the schema): no NUL, no lone surrogate (PostgreSQL's JSONB), 64-bit integers (msgpack)."""
    if isinstance(value, str):
        return "\x00" not in value and not any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, bool) or not isinstance(value, (int, dict, list)):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**64
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    return all(_storable(item) for item in value)


texts = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=12)
storable_json = json_values.filter(_storable)
edited_args = st.fixed_dictionaries({"to": texts, "subject": texts}, optional={"body": texts})
with_unknown_args = st.fixed_dictionaries(
    {"to": texts, "subject": texts, "cc": storable_json}, optional={"body": texts}
)
"""Edits naming an argument the tool does not take: refused (LangChain's middleware takes
them, and the tool then runs without it)."""
valid_decisions: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.fixed_dictionaries({"type": st.just("approve"), "reviewer": st.sampled_from(REVIEWERS)}),
    st.fixed_dictionaries(
        {
            "type": st.just("edit"),
            "reviewer": st.sampled_from(REVIEWERS),
            "edited_action": st.fixed_dictionaries(
                {"name": st.just("send_email"), "args": edited_args}
            ),
        }
    ),
    st.fixed_dictionaries(
        {"type": st.just("reject"), "reviewer": st.sampled_from(REVIEWERS)},
        optional={"message": st.none() | texts},
    ),
)
"""Decisions this tool accepts: only the allowed types, always from a named reviewer."""

answers = st.one_of(
    valid_decisions,
    near_misses(valid_decisions),
    json_values,
    # Fit the schema, but no checkpointer can store them: refused too, before anything is sent.
    st.fixed_dictionaries(
        {"type": st.just("reject"), "reviewer": st.sampled_from(REVIEWERS)},
        optional={"message": st.sampled_from(["no\x00", "\ud800"])},
    ),
    st.builds(
        lambda big: {
            "type": "edit",
            "reviewer": "ann",
            "edited_action": {"name": "send_email", "args": {**ARGS, "cc": big}},
        },
        st.integers(min_value=2**64) | st.integers(max_value=-(2**63) - 1),
    ),
    st.fixed_dictionaries({"type": st.just("respond"), "message": texts}),
    st.fixed_dictionaries(
        {
            "type": st.just("edit"),
            "reviewer": st.sampled_from(REVIEWERS),
            "edited_action": st.fixed_dictionaries(
                {"name": st.just("send_email"), "args": with_unknown_args}
            ),
        }
    ),
)


def _paused(config: RunnableConfig) -> CompiledStateGraph[HITLState, None, HITLInput, HITLState]:
    return paused(InMemorySaver(), config, GUARDED, user=USER, call=("send_email", ARGS))


@SETTINGS
@given(answer=answers)
def test_any_answer_is_applied_as_a_decision_or_refused_with_nothing_saved(answer: Any) -> None:
    config: RunnableConfig = {"configurable": {"thread_id": "t"}}
    graph = _paused(config)
    (pending,) = pending_interrupts(graph, config)
    before = (graph.get_state(config).config["configurable"]["checkpoint_id"], [pending.id])
    SENT.clear()
    # An independent judge: the JSON schema the interrupt published.
    assert pending.response_schema is not None
    valid = jsonschema.Draft202012Validator(pending.response_schema).is_valid(answer)
    try:
        out = resume(graph, config, answer)
    except InvalidResumeError:
        event("refused")
        assert not valid or not _storable(answer), f"{answer!r} fits the schema but was refused"
        after = graph.get_state(config).config["configurable"]["checkpoint_id"]
        assert (after, [p.id for p in pending_interrupts(graph, config)]) == before
        assert SENT == []
        return
    event(f"applied: {answer['type']}")
    assert valid, f"the published schema refuses {answer!r}, but the tool applied it"
    assert out.interrupts == ()
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.reviewer) == (answer["type"], answer["reviewer"])
    if answer["type"] == "reject":
        assert SENT == []
        assert record.executed_args is None
        return
    executed: dict[str, Any] = answer["edited_action"]["args"] if answer["type"] == "edit" else ARGS
    assert record.executed_args == executed
    sent = {"to": executed["to"], "subject": executed["subject"]}
    assert [{**sent, "body": executed.get("body", "")}] == SENT


said = texts.filter(lambda text: bool(text.strip()))
"""Texts with something in them, as a response must have."""

langchain_decisions: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.just({"type": "approve"}),
    st.fixed_dictionaries(
        {
            "type": st.just("edit"),
            "edited_action": st.fixed_dictionaries(
                {"name": st.just("send_email"), "args": edited_args}
            ),
        }
    ),
    st.fixed_dictionaries({"type": st.just("reject")}, optional={"message": texts}),
    st.fixed_dictionaries({"type": st.just("respond"), "message": said}),
)
"""Decisions LangChain's per-call middleware accepts for the same tool (but a blank
response, which it takes and this library refuses: it tells the model nothing)."""

ALL: list[DecisionType] = ["approve", "edit", "reject", "respond"]
OURS = TypeAdapter(
    decision_model(
        "send_email",
        allowed=ALL,
        args_schema=send_email.tool_call_schema,
        reviewers=None,
    )
)
THEIRS: TypeAdapter[Any] = TypeAdapter(_decision_schema(ALL, "send_email", send_email))


@SETTINGS
@given(decision=langchain_decisions)
def test_what_langchains_middleware_accepts_an_approval_tool_accepts(
    decision: dict[str, Any],
) -> None:
    THEIRS.validate_python(decision)
    assert dump_answer(OURS.validate_python(decision).root) == decision


decision_models = st.one_of(
    st.builds(Approve, reviewer=st.none() | texts),
    st.builds(
        Edit,
        edited_action=st.builds(EditedAction, name=st.just("send_email"), args=edited_args),
        reviewer=st.none() | texts,
    ),
    st.builds(Reject, message=st.none() | texts, reviewer=st.none() | texts),
    st.builds(Respond, message=said, reviewer=st.none() | texts),
)


@SETTINGS
@given(decision=decision_models)
def test_decision_models_travel_in_langchains_wire_shape(
    decision: Approve | Edit | Reject | Respond,
) -> None:
    wire = dump_answer(decision)
    assert isinstance(wire, dict)
    THEIRS.validate_python({k: v for k, v in wire.items() if k != "reviewer"})
    assert dump_answer(OURS.validate_python(wire).root) == wire
