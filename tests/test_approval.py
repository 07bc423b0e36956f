"""`approval_tool`: its request and schema, each decision, each bad decision, and the audit."""

from __future__ import annotations

import json
from datetime import timezone
from typing import TYPE_CHECKING, Annotated, Any, cast

import pytest
from graphs.gated import paused, where
from langchain_core.messages import AnyMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool, tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import is_invalid_resume
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import InjectedState
from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from langgraph_hitl import (
    Approve,
    AuditRecord,
    CheckpointerRequiredError,
    Edit,
    EditedAction,
    HITLInput,
    InvalidResumeError,
    Reject,
    Respond,
    aaudit_trail,
    apending_interrupts,
    approval_tool,
    aresume,
    audit_trail,
    build_hitl_graph,
    pending_interrupts,
    resume,
)
from langgraph_hitl.answers._decisions import decision_model
from langgraph_hitl.answers._validation import dump_answer
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from langchain_core.messages import AIMessage
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

Graph = CompiledStateGraph[Any, Any, Any, Any]

USER: HITLInput = {"messages": [HumanMessage(content="Tell Ada the build is green.")]}
ARGS = {"to": "ada@example.com", "subject": "Build", "body": "It is green."}
EDITED = {"to": "ada@example.org", "subject": "Build", "body": "Green!"}
ALL = ["approve", "edit", "reject", "respond"]


class Outbox:
    """A real side effect to count: every e-mail the tool body really sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def tool(self) -> BaseTool:
        @tool
        def send_email(to: str, subject: str, body: str = "") -> str:
            """Send an e-mail."""
            self.sent.append({"to": to, "subject": subject, "body": body})
            return f"Sent {subject!r} to {to}."

        return send_email


def _paused(
    checkpointer: BaseCheckpointSaver[Any],
    config: RunnableConfig,
    guarded: BaseTool,
    *,
    turns: list[AIMessage | str] | None = None,
) -> Graph:
    call = ("send_email", ARGS)
    return paused(checkpointer, config, guarded, user=USER, call=call, turns=turns)


def _tool_message(graph: Graph, config: RunnableConfig) -> ToolMessage:
    messages = graph.get_state(config).values["messages"]
    found = [m for m in messages if isinstance(m, ToolMessage)]
    assert found, messages
    return found[-1]


# --- What the model and the reviewer see ---------------------------------------------------


def test_the_model_sees_the_wrapped_tool_unchanged() -> None:
    wrapped = Outbox().tool()
    guarded = approval_tool(wrapped)
    assert isinstance(guarded, BaseTool)
    assert (guarded.name, guarded.description) == (wrapped.name, wrapped.description)
    assert guarded.args == wrapped.args
    assert convert_to_openai_tool(guarded) == convert_to_openai_tool(wrapped)


def test_a_plain_typed_function_is_wrapped_like_its_tool() -> None:
    def pay_invoice(invoice_id: str, amount: float) -> str:
        """Pay an invoice."""
        return "paid"

    assert convert_to_openai_tool(approval_tool(pay_invoice)) == convert_to_openai_tool(
        tool(pay_invoice)
    )


def test_the_request_is_langchains_tool_approval_request(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    wrapped = Outbox().tool()
    schema = cast("type[BaseModel]", wrapped.tool_call_schema).model_json_schema()
    graph = _paused(checkpointer, config, approval_tool(wrapped))
    description = f"Tool execution requires approval\n\nTool: send_email\nArgs: {ARGS}"
    (pending,) = pending_interrupts(graph, config)
    assert pending.type == "tool_approval"
    assert pending.tool_call_id == "call_0_0"
    assert pending.value == {
        "type": "tool_approval",
        "tool_call_id": "call_0_0",
        "name": "send_email",
        "args": ARGS,
        "description": f"Tool execution requires approval\n\nTool: send_email\nArgs: {ARGS}",
        "allowed_decisions": ALL,
        # LangChain's batched request, for Agent Chat UI and Agent Inbox.
        "action_requests": [
            {
                "name": "send_email",
                "args": ARGS,
                "arguments": ARGS,
                "description": description,
            }
        ],
        "review_configs": [
            {
                "action_name": "send_email",
                "allowed_decisions": ALL,
                # The schema an edit must fit: the tool's, unknown keys refused.
                "args_schema": {**schema, "additionalProperties": False},
            }
        ],
    }
    assert json.loads(json.dumps(pending.value)) == pending.value
    assert graph.get_state(config).next == ("tools",)


def test_the_published_schema_is_pydantics_and_admits_the_allowed_decisions(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    wrapped = Outbox().tool()
    graph = _paused(checkpointer, config, approval_tool(wrapped, allowed_decisions=["approve"]))
    (pending,) = pending_interrupts(graph, config)
    # The schema is computed once per tool; it must be the one pydantic generates.
    fresh = decision_model(
        "send_email", allowed=["approve"], args_schema=wrapped.tool_call_schema, reviewers=None
    )
    assert pending.response_schema == TypeAdapter(fresh).json_schema()
    assert pending.response_schema is not None
    assert pending.response_schema["$defs"]["Approve"]["required"] == ["type"]


def test_every_pause_publishes_its_own_copy_of_the_schema() -> None:
    model = ScriptedChatModel(responses=[ai_tool_calls(("send_email", ARGS))] * 2)
    graph = build_hitl_graph(model, [approval_tool(Outbox().tool())]).compile(
        checkpointer=InMemorySaver()
    )
    first: RunnableConfig = {"configurable": {"thread_id": "1"}}
    second: RunnableConfig = {"configurable": {"thread_id": "2"}}
    out = graph.invoke(USER, first)
    published = out["__interrupt__"][0].response_schema
    published["oneOf"].clear()  # a client scribbling on what it got
    again = graph.invoke(USER, second)
    # The four decisions, Agent Chat UI's {"decisions": [...]}, Agent Inbox's [response].
    assert len(again["__interrupt__"][0].response_schema["oneOf"]) == 6


def test_the_schema_lists_only_the_allowed_decisions(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    guarded = approval_tool(Outbox().tool(), allowed_decisions=["approve", "reject"])
    graph = _paused(checkpointer, config, guarded)
    (pending,) = pending_interrupts(graph, config)
    assert pending.value["allowed_decisions"] == ["approve", "reject"]
    assert pending.response_schema is not None
    assert sorted(pending.response_schema["discriminator"]["mapping"]) == ["approve", "reject"]


def test_description_may_be_a_string_or_made_from_the_arguments(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    fixed = approval_tool(Outbox().tool(), description="Check the recipient.")
    graph = _paused(checkpointer, config, fixed)
    assert pending_interrupts(graph, config)[0].value["description"] == "Check the recipient."

    made = approval_tool(Outbox().tool(), description=lambda args: f"Mail to {args['to']}?")
    other: RunnableConfig = {"configurable": {"thread_id": "described"}}
    graph = _paused(checkpointer, other, made)
    assert pending_interrupts(graph, other)[0].value["description"] == "Mail to ada@example.com?"


# --- Each decision -------------------------------------------------------------------------


def test_approve_runs_the_tool_once_with_the_models_arguments(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool()))
    assert outbox.sent == []  # nothing runs before the decision
    out = resume(graph, config, Approve())
    assert outbox.sent == [ARGS]
    message = _tool_message(graph, config)
    assert (message.content, message.status) == ("Sent 'Build' to ada@example.com.", "success")
    assert out.value["messages"][-1].content == "Done."
    assert out.interrupts == ()


def test_edit_runs_the_tool_with_the_reviewers_arguments_and_tells_the_model(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool()))
    edit = Edit(edited_action=EditedAction(name="send_email", args=EDITED))
    resume(graph, config, edit)
    assert outbox.sent == [EDITED]
    content = _tool_message(graph, config).content
    assert isinstance(content, str)
    notice, result = content.split("\n\nTool response:\n")
    assert notice.startswith("Note: a human reviewer changed the arguments of this tool call")
    assert "Do not re-issue your original call." in notice
    assert notice.endswith(f"Executed instead: send_email with arguments {json.dumps(EDITED)}.")
    assert result == "Sent 'Build' to ada@example.org."


def test_an_edit_with_the_wire_dict_works_the_same(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool()))
    resume(graph, config, {"type": "edit", "edited_action": {"name": "send_email", "args": EDITED}})
    assert outbox.sent == [EDITED]


@pytest.mark.parametrize(
    ("decision", "content"),
    [
        (
            Reject(),
            "User rejected the tool call for `send_email` with id call_0_0. The tool was not "
            "executed. Do not retry this tool call unless the user explicitly requests it.",
        ),
        (
            Reject(message="Ada is on leave."),
            "User rejected the tool call for `send_email` with reason: Ada is on leave.",
        ),
    ],
)
def test_reject_does_not_run_the_tool_and_answers_with_an_error(
    checkpointer: BaseCheckpointSaver[Any],
    config: RunnableConfig,
    decision: Reject,
    content: str,
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool()))
    out = resume(graph, config, decision)
    assert outbox.sent == []
    message = _tool_message(graph, config)
    assert (message.content, message.status, message.name) == (content, "error", "send_email")
    assert out.value["messages"][-1].content == "Done."


def test_respond_does_not_run_the_tool_and_its_message_is_the_result(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool()))
    resume(graph, config, {"type": "respond", "message": "I told Ada myself."})
    assert outbox.sent == []
    message = _tool_message(graph, config)
    assert (message.content, message.status) == ("I told Ada myself.", "success")


def test_decision_models_travel_as_langchains_wire_dicts() -> None:
    assert dump_answer(Approve()) == {"type": "approve"}
    assert dump_answer(Reject()) == {"type": "reject"}
    assert dump_answer(Respond(message="ok", reviewer="ann")) == {
        "type": "respond",
        "message": "ok",
        "reviewer": "ann",
    }
    # `None` inside the edited arguments is an argument value, not an unset field.
    edit = Edit(edited_action=EditedAction(name="t", args={"cc": None, "n": {"x": None}}))
    assert dump_answer(edit) == {
        "type": "edit",
        "edited_action": {"name": "t", "args": {"cc": None, "n": {"x": None}}},
    }


def test_a_raw_command_may_carry_a_decision_model(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool()))
    graph.invoke(Command(resume=Approve()), config)
    assert outbox.sent == [ARGS]


# --- Bad decisions -------------------------------------------------------------------------

BAD = {
    "unknown type": {"type": "maybe"},
    "no type": {"message": "fine"},
    "not an object": "approve",
    "typo in a field": {"type": "reject", "mesage": "no"},
    "respond without message": {"type": "respond"},
    "disallowed type": {"type": "respond", "message": "done"},
    "edit with bad args": {
        "type": "edit",
        "edited_action": {"name": "send_email", "args": {"to": "ada@example.com"}},
    },
    "edit with wrong arg type": {
        "type": "edit",
        "edited_action": {"name": "send_email", "args": {**EDITED, "subject": ["x"]}},
    },
    "edit switching tools": {
        "type": "edit",
        "edited_action": {"name": "delete_account", "args": EDITED},
    },
    "edit with an argument the tool does not take": {
        "type": "edit",
        "edited_action": {"name": "send_email", "args": {**EDITED, "bcc": "attacker@evil.com"}},
    },
}


@pytest.mark.parametrize("answer", list(BAD.values()), ids=list(BAD))
def test_a_bad_decision_is_refused_and_changes_nothing(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, answer: object
) -> None:
    outbox = Outbox()
    guarded = approval_tool(outbox.tool(), allowed_decisions=["approve", "edit", "reject"])
    graph = _paused(checkpointer, config, guarded)
    before = where(graph, config)
    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, answer)
    assert refused.value.errors, "the error says what was wrong"
    assert where(graph, config) == before
    assert outbox.sent == []
    resume(graph, config, Approve())  # a good answer still works
    assert outbox.sent == [ARGS]


def test_the_error_names_the_field_of_the_branch_the_tag_names(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _paused(checkpointer, config, approval_tool(Outbox().tool()))
    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, BAD["edit with bad args"])
    assert [e.loc for e in refused.value.errors] == [("edit", "edited_action", "args", "subject")]
    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, BAD["edit switching tools"])
    assert [e.loc for e in refused.value.errors] == [("edit", "edited_action", "name")]
    assert "send_email" in refused.value.errors[0].message


@pytest.mark.parametrize(
    "answer",
    [
        BAD["edit with bad args"],
        BAD["edit switching tools"],
        BAD["edit with an argument the tool does not take"],
        {"type": "respond", "message": " \n\t"},
        {"type": "maybe"},
        {"type": "approve", "x": 1},
    ],
)
def test_a_raw_command_with_a_bad_decision_is_refused_by_langgraph_and_saves_nothing(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, answer: object
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool()))
    before = where(graph, config)
    with pytest.raises(ValidationError) as refused:
        graph.invoke(Command(resume=answer), config)
    assert is_invalid_resume(refused.value)
    assert where(graph, config) == before
    assert outbox.sent == []
    graph.invoke(Command(resume={"type": "approve"}), config)
    assert outbox.sent == [ARGS]


def test_an_unknown_edit_argument_is_named_with_the_arguments_the_tool_takes(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool()))
    before = where(graph, config)
    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, BAD["edit with an argument the tool does not take"])
    (error,) = refused.value.errors
    assert error.loc == ("edit", "edited_action", "args")
    assert "'bcc' is not an argument of this tool; it takes ['body', 'subject', 'to']" in str(
        error.message
    )
    assert where(graph, config) == before
    assert outbox.sent == []
    assert audit_trail(graph, config) == []


def test_the_published_edit_schema_refuses_unknown_keys(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _paused(checkpointer, config, approval_tool(Outbox().tool()))
    (pending,) = pending_interrupts(graph, config)
    assert pending.response_schema is not None
    assert pending.response_schema["$defs"]["send_email"]["additionalProperties"] is False
    # A client checking with jsonschema alone refuses it too.
    import jsonschema

    bad = BAD["edit with an argument the tool does not take"]
    assert not jsonschema.Draft202012Validator(pending.response_schema).is_valid(bad)


def test_a_tool_that_takes_extra_keys_keeps_them_in_edits(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ran: list[dict[str, Any]] = []

    class Headers(BaseModel):
        model_config = ConfigDict(extra="allow")
        to: str

    def send(**args: Any) -> str:
        ran.append(args)
        return "Sent."

    wrapped = StructuredTool.from_function(
        func=send, name="send_email", description="Send an e-mail.", args_schema=Headers
    )
    turns: list[AIMessage | str] = [ai_tool_calls(("send_email", {"to": "ada"})), "Done."]
    graph = _paused(checkpointer, config, approval_tool(wrapped), turns=turns)
    (pending,) = pending_interrupts(graph, config)
    assert pending.response_schema is not None
    assert pending.response_schema["$defs"]["send_email"]["additionalProperties"] is True
    edit = {"to": "bo", "x_priority": "1"}
    resume(graph, config, {"type": "edit", "edited_action": {"name": "send_email", "args": edit}})
    assert ran == [edit]
    (record,) = audit_trail(graph, config)
    assert record.executed_args == edit


def test_the_audit_and_the_notice_hold_exactly_what_ran(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool()))
    resume(graph, config, {"type": "edit", "edited_action": {"name": "send_email", "args": EDITED}})
    (ran,) = outbox.sent
    (record,) = audit_trail(graph, config)
    assert record.executed_args == ran == EDITED
    assert f"with arguments {json.dumps(ran)}." in str(_tool_message(graph, config).content)


def test_a_model_call_with_an_argument_the_tool_does_not_take_goes_back_to_the_model(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    call = {**ARGS, "bcc": "attacker@evil.com"}
    graph = _paused(
        checkpointer,
        config,
        approval_tool(outbox.tool()),
        turns=[ai_tool_calls(("send_email", call)), "Sorry."],
    )
    # The reviewer would be shown a bcc the tool then drops: nobody is asked.
    assert pending_interrupts(graph, config) == []
    message = _tool_message(graph, config)
    assert message.status == "error"
    assert "bcc" in str(message.content)
    assert outbox.sent == []


@pytest.mark.parametrize("blank", ["", " ", "\n\t "])
def test_a_response_must_hold_text(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, blank: str
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool()))
    before = where(graph, config)
    with pytest.raises(ValidationError, match="must contain text"):
        Respond(message=blank)
    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, {"type": "respond", "message": blank})
    assert [e.loc for e in refused.value.errors] == [("respond", "message")]
    assert f"must contain text (non-whitespace characters), got {blank!r}" in str(refused.value)
    with pytest.raises(ValidationError):
        graph.invoke(Command(resume={"type": "respond", "message": blank}), config)
    assert where(graph, config) == before
    resume(graph, config, Respond(message=" Ada knows. "))
    assert _tool_message(graph, config).content == " Ada knows. "


def test_a_json_schema_tool_gets_its_edits_checked_against_that_schema(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    sent: list[dict[str, Any]] = []

    def send(**args: Any) -> str:
        sent.append(args)
        return "Sent."

    schema = {"type": "object", "properties": {"to": {"type": "string"}}, "required": ["to"]}
    wrapped = StructuredTool.from_function(
        func=send, name="send_email", description="Send an e-mail.", args_schema=schema
    )
    turns: list[AIMessage | str] = [ai_tool_calls(("send_email", {"to": "ada"})), "Done."]
    graph = _paused(checkpointer, config, approval_tool(wrapped), turns=turns)
    before = where(graph, config)
    bad = {"type": "edit", "edited_action": {"name": "send_email", "args": {"to": 5}}}
    with pytest.raises(InvalidResumeError, match="5 is not of type 'string'"):
        resume(graph, config, bad)
    with pytest.raises(ValidationError):
        graph.invoke(Command(resume=bad), config)
    assert where(graph, config) == before
    extra = {**bad, "edited_action": {"name": "send_email", "args": {"to": "bo", "cc": "x"}}}
    with pytest.raises(InvalidResumeError, match="'cc' was unexpected"):
        resume(graph, config, extra)
    with pytest.raises(ValidationError):
        graph.invoke(Command(resume=extra), config)
    assert where(graph, config) == before
    resume(graph, config, {**bad, "edited_action": {"name": "send_email", "args": {"to": "bo"}}})
    assert sent == [{"to": "bo"}]


# --- Reviewers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [{"type": "approve"}, {"type": "approve", "reviewer": "mallory"}, Approve(reviewer="ANN")],
    ids=["no reviewer", "unknown reviewer", "wrong case"],
)
def test_only_a_named_reviewer_may_decide(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, answer: object
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool(), reviewers={"ann", "bob"}))
    before = where(graph, config)
    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, answer)
    assert [e.loc for e in refused.value.errors] == [("approve", "reviewer")]
    assert where(graph, config) == before
    # A raw Command from a client that skips `resume()` is refused by the schema too.
    with pytest.raises(ValidationError):
        graph.invoke(Command(resume=dump_answer(answer)), config)
    assert where(graph, config) == before
    assert outbox.sent == []

    resume(graph, config, Approve(reviewer="bob"))
    assert outbox.sent == [ARGS]
    (record,) = audit_trail(graph, config)
    assert record.reviewer == "bob"


def test_the_request_lists_the_reviewers(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _paused(checkpointer, config, approval_tool(Outbox().tool(), reviewers=["bob", "ann"]))
    (pending,) = pending_interrupts(graph, config)
    assert pending.value["reviewers"] == ["ann", "bob"]
    assert pending.response_schema is not None
    reviewer = pending.response_schema["$defs"]["Reject"]["properties"]["reviewer"]
    assert reviewer["enum"] == ["ann", "bob"]


# --- when ----------------------------------------------------------------------------------


def test_when_false_runs_the_call_without_asking(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    internal = {**ARGS, "to": "team@example.com"}
    guarded = approval_tool(outbox.tool(), when=lambda args: args["to"] != "team@example.com")
    graph = _paused(
        checkpointer, config, guarded, turns=[ai_tool_calls(("send_email", internal)), "Done."]
    )
    assert pending_interrupts(graph, config) == []
    assert outbox.sent == [internal]
    assert audit_trail(graph, config) == []  # nobody reviewed it


def test_when_true_asks_and_sees_the_same_arguments_on_resume(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    seen: list[dict[str, Any]] = []

    def external(args: dict[str, Any]) -> bool:
        seen.append(dict(args))
        return not str(args["to"]).endswith("@example.net")

    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool(), when=external))
    assert len(pending_interrupts(graph, config)) == 1
    resume(graph, config, Approve())
    assert seen == [ARGS, ARGS]  # asked again on resume, with the same arguments
    assert outbox.sent == [ARGS]


# --- Calls that never reach a reviewer -----------------------------------------------------


def test_arguments_the_tool_would_refuse_go_back_to_the_model_without_a_pause(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    graph = _paused(
        checkpointer,
        config,
        approval_tool(outbox.tool()),
        turns=[ai_tool_calls(("send_email", {"to": "ada@example.com"})), "Sorry."],
    )
    assert pending_interrupts(graph, config) == []
    message = _tool_message(graph, config)
    assert message.status == "error"
    assert "subject" in str(message.content)
    assert outbox.sent == []


def test_it_must_be_invoked_with_a_tool_call_that_has_an_id() -> None:
    guarded = approval_tool(Outbox().tool())
    with pytest.raises(ValueError, match="must be invoked with one"):
        guarded.invoke(ARGS)
    with pytest.raises(ValueError, match="has no id"):
        guarded.invoke({"type": "tool_call", "name": "send_email", "args": ARGS, "id": None})
    with pytest.raises(TypeError, match="runs from a tool call"):
        guarded.run(ARGS)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"allowed_decisions": []}, ValueError, "it is empty"),
        ({"allowed_decisions": ["approve", "veto"]}, ValueError, r"\['veto'\]"),
        ({"allowed_decisions": "approve"}, TypeError, r"allowed_decisions=\['approve'\]"),
        ({"reviewers": "ann"}, TypeError, r"reviewers=\{'ann'\}"),
        ({"reviewers": []}, ValueError, "one or more"),
        ({"reviewers": ["ann", ""]}, ValueError, "non-empty"),
    ],
)
def test_bad_options_are_refused_with_what_would_do(
    options: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        approval_tool(Outbox().tool(), **options)


def test_only_tools_and_functions_can_be_wrapped() -> None:
    with pytest.raises(TypeError, match="got int"):
        approval_tool(42)  # type: ignore[arg-type]


# --- Async ---------------------------------------------------------------------------------


async def test_the_async_path_pauses_resumes_and_audits(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    sent: list[str] = []

    async def send_email(to: str, subject: str, body: str = "") -> str:
        """Send an e-mail."""
        sent.append(to)
        return f"Sent {subject!r} to {to}."

    model = ScriptedChatModel(
        responses=[
            ai_tool_calls(("send_email", ARGS)),
            ai_tool_calls(("send_email", ARGS)),
            "Done.",
        ]
    )
    graph = build_hitl_graph(model, [approval_tool(send_email)]).compile(
        checkpointer=async_checkpointer
    )
    await graph.ainvoke(USER, config)
    (pending,) = await apending_interrupts(graph, config)
    out = await aresume(
        graph,
        config,
        {pending.tool_call_id: Edit(edited_action=EditedAction(name="send_email", args=EDITED))},
    )
    assert sent == [EDITED["to"]]
    assert len(out.interrupts) == 1
    out = await aresume(graph, config, Reject(message="Enough."))
    assert sent == [EDITED["to"]]
    assert out.value["messages"][-1].content == "Done."
    records = await aaudit_trail(graph, config)
    assert [(r.decision, r.executed_args) for r in records] == [("edit", EDITED), ("reject", None)]


# --- Audit ---------------------------------------------------------------------------------


def test_every_decision_is_recorded_in_the_thread(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    calls = [ai_tool_calls(("send_email", {**ARGS, "subject": f"#{n}"})) for n in range(4)]
    graph = _paused(checkpointer, config, approval_tool(outbox.tool()), turns=[*calls, "All done."])
    decisions: list[object] = [
        Approve(reviewer="ann"),
        Edit(edited_action=EditedAction(name="send_email", args=EDITED), reviewer="bob"),
        Reject(message="Too many mails."),
        Respond(message="Ada knows.", reviewer="ann"),
    ]
    for decision in decisions:
        resume(graph, config, decision)

    records = audit_trail(graph, config)
    assert [(r.decision, r.reviewer, r.message) for r in records] == [
        ("approve", "ann", None),
        ("edit", "bob", None),
        ("reject", None, "Too many mails."),
        ("respond", "ann", "Ada knows."),
    ]
    assert [r.tool_call_id for r in records] == [f"call_{n}_0" for n in range(4)]
    assert [r.original_args["subject"] for r in records] == ["#0", "#1", "#2", "#3"]
    assert [r.executed_args for r in records] == [{**ARGS, "subject": "#0"}, EDITED, None, None]
    assert {(r.tool, r.source) for r in records} == {("send_email", "human")}
    assert all(r.decided_at.tzinfo == timezone.utc for r in records)
    assert [r.decided_at for r in records] == sorted(r.decided_at for r in records)
    # Kept as plain JSON in the tool messages' artifacts, so every checkpointer stores it.
    messages = graph.get_state(config).values["messages"]
    artifacts = [m.artifact for m in messages if isinstance(m, ToolMessage)]
    assert json.loads(json.dumps(artifacts)) == artifacts
    assert [AuditRecord.from_json(a["hitl_audit"]) for a in artifacts] == records


def test_a_tools_own_artifact_stays_reachable(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    @tool(response_format="content_and_artifact")
    def send_email(to: str, subject: str, body: str = "") -> tuple[str, dict[str, str]]:
        """Send an e-mail."""
        return "Sent.", {"message_id": "<42@example.com>"}

    graph = _paused(checkpointer, config, approval_tool(send_email))
    resume(graph, config, Approve())
    artifact = _tool_message(graph, config).artifact
    assert artifact["tool_artifact"] == {"message_id": "<42@example.com>"}
    assert artifact["hitl_audit"]["decision"] == "approve"


class LedgerState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    ledger: list[str]


def test_a_tool_returning_a_command_gets_the_audit_on_its_tool_message(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    @tool
    def pay(invoice: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
        """Pay an invoice."""
        return Command(
            update={
                "ledger": [invoice],
                "messages": [ToolMessage(f"Paid {invoice}.", tool_call_id=tool_call_id)],
            }
        )

    model = ScriptedChatModel(responses=[ai_tool_calls(("pay", {"invoice": "A-1"})), "Paid."])
    graph = build_hitl_graph(model, [approval_tool(pay)], state_schema=LedgerState).compile(
        checkpointer=checkpointer
    )
    graph.invoke({"messages": [HumanMessage(content="Pay A-1.")], "ledger": []}, config)
    resume(
        graph,
        config,
        {"type": "edit", "edited_action": {"name": "pay", "args": {"invoice": "A-2"}}},
    )
    state = graph.get_state(config).values
    assert state["ledger"] == ["A-2"]
    message = _tool_message(graph, config)
    assert str(message.content).endswith("Tool response:\nPaid A-2.")
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.executed_args) == ("edit", {"invoice": "A-2"})


def test_injected_state_is_hidden_from_the_reviewer_and_given_to_the_tool(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    seen: list[int] = []

    @tool
    def send_email(
        to: str, subject: str, messages: Annotated[list[AnyMessage], InjectedState("messages")]
    ) -> str:
        """Send an e-mail with the conversation so far."""
        seen.append(len(messages))
        return "Sent."

    guarded = approval_tool(send_email)
    assert convert_to_openai_tool(guarded) == convert_to_openai_tool(send_email)
    args = {"to": "ada@example.com", "subject": "Build"}
    graph = _paused(
        checkpointer, config, guarded, turns=[ai_tool_calls(("send_email", args)), "Done."]
    )
    assert pending_interrupts(graph, config)[0].value["args"] == args
    resume(
        graph,
        config,
        Edit(edited_action=EditedAction(name="send_email", args={**args, "to": "x@y"})),
    )
    assert seen == [2]  # the user's message and the model's call
    (record,) = audit_trail(graph, config)
    assert record.original_args == args


def test_audit_trail_of_a_new_thread_is_empty(checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = build_hitl_graph(ScriptedChatModel(responses=[]), [approval_tool(Outbox().tool())])
    compiled = graph.compile(checkpointer=checkpointer)
    assert audit_trail(compiled, {"configurable": {"thread_id": "never-ran"}}) == []


def test_audit_trail_needs_a_checkpointer_and_a_messages_list() -> None:
    graph = build_hitl_graph(ScriptedChatModel(responses=[]), [approval_tool(Outbox().tool())])
    with pytest.raises(CheckpointerRequiredError):
        audit_trail(graph.compile(), {"configurable": {"thread_id": "1"}})

    class Counter(TypedDict):
        count: int

    builder = StateGraph(Counter)
    builder.add_node("inc", lambda state: {"count": state["count"] + 1})
    builder.add_edge(START, "inc")
    counter = builder.compile(checkpointer=InMemorySaver())
    config: RunnableConfig = {"configurable": {"thread_id": "1"}}
    counter.invoke({"count": 0}, config)
    with pytest.raises(TypeError, match="'messages' list"):
        audit_trail(counter, config)
