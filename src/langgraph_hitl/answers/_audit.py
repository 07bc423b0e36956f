"""Where reviewed calls are recorded: `AuditRecord`, `audit_trail`, `aaudit_trail`.

Every call an approval tool put before a reviewer leaves one record, kept in the checkpointed
thread itself: in the `artifact` of the call's tool message, as a plain JSON dict under
`"hitl_audit"`, so every checkpointer stores it and no extra table is needed. The artifact is
never sent to the model. When the wrapped tool returns an artifact of its own, it stays
reachable under `"tool_artifact"` in the same dict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, get_args

from langchain_core.messages import ToolMessage

from ..core import _clock as clock
from ..core._pending import latest, require_checkpointer
from ..core._shapes import AnswerShape
from ._decisions import DECISION_TYPES, DecisionType

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel
    from langgraph.types import StateSnapshot

__all__ = ["AUDIT_KEY", "AuditRecord", "AuditSource", "aaudit_trail", "audit_trail"]

AUDIT_KEY = "hitl_audit"
"""The key of the audit record in an approval tool message's `artifact` dict."""

TOOL_ARTIFACT_KEY = "tool_artifact"
"""The key of the wrapped tool's own artifact, when it returned one."""

AuditSource = Literal["human", "timeout", "superseded"]
"""Who made a recorded decision.

- `"human"`: a reviewer's answer.
- `"timeout"`: nobody answered before the request's deadline, and its default decision
  was applied by the system.
- `"superseded"`: the user sent a new message while the request waited, and
  `build_hitl_graph` closed the call as rejected (it never ran).
"""

_SOURCES: tuple[str, ...] = get_args(AuditSource)
_SHAPES: tuple[str, ...] = get_args(AnswerShape)


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditRecord:
    """What was decided about one reviewed tool call, and what ran."""

    tool: str
    """The tool's name."""
    tool_call_id: str
    """The id of the model's tool call."""
    decision: DecisionType
    """The kind of decision: `"approve"`, `"edit"`, `"reject"` or `"respond"`."""
    reviewer: str | None
    """The reviewer the decision names (a declared name, not an authenticated identity)."""
    message: str | None
    """The reviewer's message: the reason of a rejection, or the text of a response."""
    original_args: dict[str, Any]
    """The arguments the model asked for."""
    executed_args: dict[str, Any] | None
    """The arguments the tool ran with, or None when it did not run (reject, respond)."""
    decided_at: datetime
    """When the decision was applied (UTC)."""
    source: AuditSource
    """Who decided: a human, the request's timeout, or the user's new message."""
    answer_shape: AnswerShape | None = None
    """The shape the answer came in, which tells the client that sent it: `"decision"`
    (this library, LangChain per-call clients), `"decisions"` (Agent Chat UI),
    `"human_response"` (Agent Inbox); None when nobody answered (`"superseded"`)."""

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON-serializable dict (the form kept in the thread)."""
        return {
            "tool": self.tool,
            "tool_call_id": self.tool_call_id,
            "decision": self.decision,
            "reviewer": self.reviewer,
            "message": self.message,
            "original_args": self.original_args,
            "executed_args": self.executed_args,
            "decided_at": self.decided_at.isoformat(),
            "source": self.source,
            "answer_shape": self.answer_shape,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuditRecord:
        """Read a record back from `to_json`'s dict.

        Raises:
            ValueError: The dict is not an audit record.
        """
        decision = data.get("decision")
        source = data.get("source")
        raw_time = data.get("decided_at")
        if decision not in DECISION_TYPES or source not in _SOURCES:
            raise ValueError(
                f"Not an audit record: decision={decision!r} (expected one of "
                f"{list(DECISION_TYPES)}), source={source!r} (expected one of {list(_SOURCES)})."
            )
        if not isinstance(raw_time, str):
            raise ValueError(f"Not an audit record: decided_at={raw_time!r} is not a string.")
        executed = data.get("executed_args")
        shape = data.get("answer_shape")
        return cls(
            tool=str(data["tool"]),
            tool_call_id=str(data["tool_call_id"]),
            decision=decision,
            reviewer=data.get("reviewer"),
            message=data.get("message"),
            original_args=dict(data.get("original_args") or {}),
            executed_args=dict(executed) if isinstance(executed, Mapping) else None,
            decided_at=datetime.fromisoformat(raw_time),
            source=source,
            answer_shape=shape if shape in _SHAPES else None,
        )


def now() -> datetime:
    """The current time in UTC, as records keep it."""
    return clock.now()


def record_of(message: object) -> AuditRecord | None:
    """The audit record a tool message carries, if it is one of an approval tool's."""
    if not isinstance(message, ToolMessage) or not isinstance(message.artifact, Mapping):
        return None
    data = message.artifact.get(AUDIT_KEY)
    if not isinstance(data, Mapping):
        return None
    try:
        return AuditRecord.from_json(data)
    except (KeyError, ValueError, TypeError):
        return None


def _records(snapshot: StateSnapshot) -> list[AuditRecord]:
    values = snapshot.values
    if not values:
        return []  # a thread that never ran
    messages = values.get("messages") if isinstance(values, Mapping) else None
    if not isinstance(messages, Sequence):
        keys = sorted(values) if isinstance(values, Mapping) else type(values).__name__
        raise TypeError(
            "audit_trail reads the records from the thread's 'messages' list, but this "
            f"graph's state has none (it has {keys}). Approval tools record their decisions "
            "in the tool messages of that list."
        )
    return [record for message in messages if (record := record_of(message)) is not None]


def audit_trail(graph: Pregel[Any, Any, Any, Any], config: RunnableConfig) -> list[AuditRecord]:
    """Every decision about an approval tool's calls on a thread, oldest first.

    Read from the latest checkpoint's messages: a message removed from the state (e.g. by
    trimming the conversation) takes its record with it, so copy the trail first.

    Raises:
        CheckpointerRequiredError: The graph has no checkpointer.
        TypeError: The graph's state has no `messages` list.
    """
    require_checkpointer(graph)
    return _records(graph.get_state(latest(config)))


async def aaudit_trail(
    graph: Pregel[Any, Any, Any, Any], config: RunnableConfig
) -> list[AuditRecord]:
    """Async twin of `audit_trail`."""
    require_checkpointer(graph)
    return _records(await graph.aget_state(latest(config)))
