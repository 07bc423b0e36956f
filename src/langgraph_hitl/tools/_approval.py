"""Where an approval tool is made: `approval_tool` (its request is in `_requests`).

The request and the decisions are wire-compatible with LangChain's
`HumanInTheLoopMiddleware(interrupt_mode="per_call")`, so a client written for it works
unchanged; the tool works in any graph, not only inside `create_agent`.

What is where: `_approval_options` checks this factory's options, `_approval_gate` is what
one call does, `_approval_pause` is where it pauses (`interrupt()`), `_approval_tool` is
the `BaseTool` that runs it, `_approval_schema` reads the wrapped tool's argument schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.tools import BaseTool
from langchain_core.tools import tool as as_tool

from ..answers._decisions import DECISION_TYPES
from ._approval_gate import Gate
from ._approval_options import (
    checked_decisions,
    checked_editable,
    checked_quorum,
    checked_reviewers,
    levels_of,
)
from ._approval_schema import argument_names
from ._approval_tool import ApprovalTool

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence
    from datetime import timedelta

    from ..answers._decisions import Approve, DecisionType, Edit, Reject, Respond
    from ._policy import Escalate, RequestedBy
    from ._requests import ApprovalDescription, ApprovalWhen

__all__ = ["approval_tool"]


def approval_tool(
    tool: BaseTool | Callable[..., Any],
    *,
    allowed_decisions: Sequence[DecisionType] = DECISION_TYPES,
    when: ApprovalWhen | None = None,
    description: str | ApprovalDescription | None = None,
    reviewers: Collection[str] | None = None,
    timeout: timedelta | None = None,
    on_timeout: Escalate | Approve | Edit | Reject | Respond | dict[str, Any] | None = None,
    quorum: int = 1,
    allow_self_approval: bool = True,
    requested_by: RequestedBy | None = None,
    editable: Collection[str] | None = None,
) -> BaseTool:
    """Put `tool` behind a reviewer's decision: approve, edit, reject or respond.

    The returned tool has the wrapped tool's name, description and argument schema, so the
    model sees no difference. Each call pauses with `interrupt()`: the interrupt's value is
    a `ToolApprovalRequest` and its `response_schema` admits exactly the allowed decisions
    (an edit only with this tool's name and valid arguments, and, with `reviewers`, only
    from one of them). A bad answer is refused before anything is saved; the call stays
    pending. Each decided call is recorded in the thread; see `audit_trail`.

    Args:
        tool: The tool to guard, as a `BaseTool` or a plain typed function.
        allowed_decisions: The decisions a reviewer may make, among `"approve"`, `"edit"`,
            `"reject"` and `"respond"`.
        when: Whether a call needs review, from its arguments; False runs it without
            asking. It runs again on resume and must give the same answer
            (see `ApprovalWhen`). Default: every call is reviewed.
        description: Text shown to the reviewer, or a function of the call's arguments
            that makes it. Default: the tool's name and arguments.
        reviewers: The names allowed to decide. A decision must then name one in its
            `reviewer` field, or the interrupt's schema refuses it. This checks a declared
            name, it does not authenticate anyone: the application must make sure the
            sender of a decision is who its `reviewer` says.
        timeout: How long a reviewer has. The request then shows `expires_at`; from that
            moment a human answer is refused and `Inbox.expire()` applies `on_timeout`
            (recorded in the audit trail with `source="timeout"`, even where `reviewers`
            restricts who may decide).
        on_timeout: The decision applied at expiry; it must be an allowed decision.
            Default: a rejection saying no reviewer answered in time. Or `Escalate(...)`:
            the request goes to other reviewers with a new deadline instead.
        quorum: How many distinct reviewers must approve the same arguments before the
            call runs (each vote is one answer). Above 1 it needs `reviewers`. A rejection
            or a response decides at once; an edit is its author's approval of the edited
            arguments, and approvals of other arguments stop counting.
        allow_self_approval: False refuses a vote from the person who asked for the call
            (`requested_by`).
        requested_by: Who asked for the call, from the config of the run that made it.
            Default: LangGraph Server's authenticated user, else
            `config["configurable"]["user_id"]`.
        editable: The arguments an edit may change (default: all); the published edit
            schema pins the others to the model's values, and the tool refuses any other
            change.
    """
    if not isinstance(tool, BaseTool):
        if not callable(tool):
            raise TypeError(
                f"approval_tool wraps a BaseTool or a typed function, got {type(tool).__name__}."
            )
        tool = as_tool(tool)
    allowed = checked_decisions(allowed_decisions)
    if requested_by is not None and not callable(requested_by):
        raise TypeError(
            f"requested_by must be a callable(config) -> str | None, got {requested_by!r}."
        )
    if not isinstance(allow_self_approval, bool):
        raise TypeError(f"allow_self_approval must be True or False, got {allow_self_approval!r}.")
    levels = levels_of(checked_reviewers(reviewers), timeout, on_timeout, allowed)
    quorum = checked_quorum(quorum, levels)
    gate = Gate(
        tool,
        allowed=allowed,
        when=when,
        description=description,
        levels=levels,
        quorum=quorum,
        requested_by=requested_by,
        allow_self_approval=allow_self_approval,
        editable=checked_editable(editable, tool.name, argument_names(tool.tool_call_schema)),
    )
    return ApprovalTool.guarding(gate)
