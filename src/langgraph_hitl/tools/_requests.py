"""What an approval tool publishes and takes as callbacks: its request and its `when`.

The request is LangChain's per-call `ToolApprovalRequest` with the same call as LangChain's
batched `HITLRequest` lists it, so per-call clients, Agent Chat UI and Agent Inbox all
recognize it.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from typing_extensions import NotRequired, TypedDict

from ..answers._decisions import DecisionType

__all__ = [
    "ApprovalActionRequest",
    "ApprovalDescription",
    "ApprovalReviewConfig",
    "ApprovalWhen",
    "ToolApprovalRequest",
]


class ApprovalActionRequest(TypedDict):
    """The call under review, as LangChain's batched `HITLRequest` lists it."""

    name: str
    """The tool's name."""
    args: dict[str, Any]
    """The tool's arguments, as the model gave them (what Agent Chat UI shows)."""
    arguments: dict[str, Any]
    """A copy of `args` under the key Agent Inbox reads."""
    description: str
    """Text shown to the reviewer."""


class ApprovalReviewConfig(TypedDict):
    """What the reviewer may do, as LangChain's batched `HITLRequest` says it."""

    action_name: str
    """The tool's name."""
    allowed_decisions: list[DecisionType]
    """The decisions allowed, in the order the tool lists them."""
    args_schema: dict[str, Any]
    """The JSON schema an edit's arguments must fit."""


class ToolApprovalRequest(TypedDict):
    """The interrupt value of an approval tool's call (JSON-serializable).

    LangChain's per-call `ToolApprovalRequest`, plus the decisions allowed and, when the
    tool restricts them, its reviewers. It also carries the call as LangChain's batched
    `HITLRequest` (`action_requests`, `review_configs`), which Agent Chat UI and Agent
    Inbox show with their approval controls. Answer it with one decision (keyed by the
    interrupt's id or the tool call id, or bare), `{"decisions": [decision]}`, or Agent
    Inbox's `[HumanResponse]`.
    """

    type: Literal["tool_approval"]
    """Always `"tool_approval"`: tells clients how to read this interrupt."""
    tool_call_id: str
    """Id of the model's tool call this approval is about."""
    name: str
    """The tool's name, as the model called it."""
    args: dict[str, Any]
    """The tool's arguments, as the model gave them."""
    description: str
    """Text shown to the reviewer."""
    allowed_decisions: list[DecisionType]
    """The decisions the reviewer may make (the interrupt's schema admits only these)."""
    action_requests: list[ApprovalActionRequest]
    """This call, alone, as the batched request lists it (for Agent Chat UI, Agent Inbox)."""
    review_configs: list[ApprovalReviewConfig]
    """The decisions allowed for it, as the batched request lists them."""
    reviewers: NotRequired[list[str]]
    """Who may decide, when the tool restricts it (the decision's `reviewer` must be one)."""
    expires_at: NotRequired[str]
    """When the request expires (ISO 8601, UTC), when the tool has a `timeout`."""
    on_timeout: NotRequired[dict[str, Any]]
    """The decision applied at expiry (by `Inbox.expire`), when the tool has a `timeout`."""


class ApprovalWhen(Protocol):
    """Whether a call needs a reviewer; False runs it without asking.

    Called with the model's arguments, before the pause and again on resume: it must give
    the same answer both times (decide from the arguments, not from the clock or a
    counter), or a reviewer's answer is skipped and the tool runs.
    """

    def __call__(self, args: dict[str, Any], /) -> bool: ...


class ApprovalDescription(Protocol):
    """The text shown to the reviewer for a call, made from the model's arguments."""

    def __call__(self, args: dict[str, Any], /) -> str: ...
