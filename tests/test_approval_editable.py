"""`approval_tool(editable={...})`: an edit may change only those arguments.

The published edit schema pins the others to the model's values (`const`; `false` for one
the model did not give); the helpers refuse any other change before sending, and the tool
refuses a raw `Command` that makes one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from graphs.gated import paused
from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool, StructuredTool, tool
from langgraph.errors import is_invalid_resume
from langgraph.types import Command
from pydantic import ValidationError

from langgraph_hitl import (
    Edit,
    EditedAction,
    HITLInput,
    InvalidResumeError,
    approval_tool,
    audit_trail,
    pending_interrupts,
    resume,
)

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

USER: HITLInput = {"messages": [HumanMessage(content="Mail Ada.")]}
ARGS = {"to": "ada@example.com", "subject": "Hi", "body": "Hello."}


def _mail(sent: list[dict[str, Any]]) -> BaseTool:
    @tool
    def send_email(to: str, subject: str, body: str, cc: str | None = None) -> str:
        """Send an e-mail."""
        sent.append({"to": to, "subject": subject, "body": body, "cc": cc})
        return "Sent."

    return send_email


def _start(checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, gated: BaseTool) -> Any:
    return paused(checkpointer, config, gated, user=USER, call=("send_email", ARGS))


def _edit(**args: Any) -> Edit:
    return Edit(edited_action=EditedAction(name="send_email", args=args))


def _args_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of the edit branch's arguments, resolved."""
    defs = schema["$defs"]
    edit = next(
        d for d in defs.values() if d.get("properties", {}).get("type", {}).get("const") == "edit"
    )
    action = defs[edit["properties"]["edited_action"]["$ref"].rsplit("/", 1)[-1]]
    args = action["properties"]["args"]
    resolved: dict[str, Any] = defs[args["$ref"].rsplit("/", 1)[-1]] if "$ref" in args else args
    return resolved


def test_the_published_schema_pins_what_may_not_be_edited(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _start(checkpointer, config, approval_tool(_mail([]), editable={"subject", "body"}))
    (pending,) = pending_interrupts(graph, config)
    assert pending.value["editable"] == ["body", "subject"]
    assert pending.response_schema is not None
    args = _args_schema(pending.response_schema)
    assert args["properties"]["to"]["const"] == "ada@example.com"
    assert args["properties"]["cc"] is False  # the model gave none: an edit may not add one
    assert "const" not in args["properties"]["subject"]
    assert "to" in args["required"]
    # Agent Chat UI's edit form reads the same pins.
    form = pending.value["review_configs"][0]["args_schema"]
    assert form["properties"]["to"]["const"] == "ada@example.com"


def test_an_edit_of_the_editable_fields_runs(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    sent: list[dict[str, Any]] = []
    graph = _start(checkpointer, config, approval_tool(_mail(sent), editable={"subject", "body"}))
    resume(graph, config, _edit(**{**ARGS, "subject": "Hello", "body": "Hi there."}))
    assert sent == [{"to": "ada@example.com", "subject": "Hello", "body": "Hi there.", "cc": None}]
    (record,) = audit_trail(graph, config)
    assert record.decision == "edit"


@pytest.mark.parametrize(
    ("args", "where", "says"),
    [
        ({**ARGS, "to": "eve@example.com"}, ("to",), "'ada@example.com' was expected"),
        ({"subject": "Hi", "body": "Hello."}, (), "'to' is a required property"),
        ({**ARGS, "cc": "eve@example.com"}, (), "False schema does not allow"),
    ],
)
def test_an_edit_of_anything_else_is_refused_before_sending(
    checkpointer: BaseCheckpointSaver[Any],
    config: RunnableConfig,
    args: dict[str, Any],
    where: tuple[str, ...],
    says: str,
) -> None:
    sent: list[dict[str, Any]] = []
    graph = _start(checkpointer, config, approval_tool(_mail(sent), editable={"subject", "body"}))
    (pending,) = pending_interrupts(graph, config)
    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, _edit(**args))
    error = refused.value.errors[0]
    assert error.loc == ("edited_action", "args", *where)
    assert says in error.message
    assert [p.id for p in pending_interrupts(graph, config)] == [pending.id]
    assert sent == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            {**ARGS, "to": "eve@example.com"},
            "'to' may not be edited (editable: ['body', 'subject'])",
        ),
        ({**ARGS, "cc": "eve@example.com"}, "'cc' may not be edited"),
    ],
)
def test_a_raw_command_that_edits_anything_else_is_refused_by_the_tool(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, args: dict[str, Any], says: str
) -> None:
    sent: list[dict[str, Any]] = []
    graph = _start(checkpointer, config, approval_tool(_mail(sent), editable={"subject", "body"}))
    (pending,) = pending_interrupts(graph, config)
    before = graph.get_state(config).config["configurable"]["checkpoint_id"]
    answer = {"type": "edit", "edited_action": {"name": "send_email", "args": args}}
    with pytest.raises(ValidationError) as raw:
        graph.invoke(Command(resume={pending.id: answer}), config)
    assert is_invalid_resume(raw.value)
    assert says in str(raw.value)
    assert graph.get_state(config).config["configurable"]["checkpoint_id"] == before
    assert [p.id for p in pending_interrupts(graph, config)] == [pending.id]
    assert sent == []


def test_a_json_schema_tool_is_pinned_too(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    sent: list[dict[str, Any]] = []

    def send(**kwargs: Any) -> str:
        sent.append(kwargs)
        return "Sent."

    send_email = StructuredTool(
        name="send_email",
        description="Send an e-mail.",
        args_schema={
            "type": "object",
            "properties": {
                "to": {"type": "string"},
                "subject": {"type": "string"},
                "body": {"type": "string"},
            },
            "required": ["to", "subject", "body"],
        },
        func=send,
    )
    graph = _start(checkpointer, config, approval_tool(send_email, editable={"body"}))
    with pytest.raises(InvalidResumeError):
        resume(graph, config, _edit(**{**ARGS, "subject": "Changed"}))
    resume(graph, config, _edit(**{**ARGS, "body": "Changed."}))
    assert sent == [{**ARGS, "body": "Changed."}]


def test_editable_names_must_be_arguments_of_the_tool() -> None:
    with pytest.raises(ValueError, match=r"names \['bcc'\], which is not an argument"):
        approval_tool(_mail([]), editable={"subject", "bcc"})
    with pytest.raises(TypeError, match="write editable=\\{'subject'\\}"):
        approval_tool(_mail([]), editable="subject")
    with pytest.raises(ValueError, match="is an edit, but the tool limits edits"):
        approval_tool(
            _mail([]),
            editable={"subject"},
            timeout=timedelta(hours=1),
            on_timeout=_edit(**ARGS),
        )
