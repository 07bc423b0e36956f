"""The approval policies of `approval_tool`: who asked, escalation levels, the stored request.

A tool with a policy (`quorum` above 1, an `Escalate`, `allow_self_approval=False`, a
`requested_by` callable or `editable` fields) asks with a loop of `interrupt()` calls, one
per answer: LangGraph runs the node again from its start at every answer and hands the
earlier answers back in order, so the loop replays them and reaches the same state each
time. What a replay cannot recompute (the time each vote was given, who asked for the call)
is read back from the request the tool published last, which the checkpointer keeps as the
task's interrupt write (`stored_request`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from langgraph.checkpoint.base import CheckpointTuple
from langgraph.config import get_config

from ..answers._deadline import positive_timeout
from ..core._compat import (
    CHECKPOINT_MAP_KEY,
    CHECKPOINT_NS_KEY,
    CHECKPOINTER_KEY,
    INTERRUPT,
    NS_SEP,
    TASK_ID_KEY,
)
from ..core._plan import Plan, adrive, drive
from ..core._shapes import authenticated_user
from ._effects import ListCheckpoints, ReadCheckpoint, arun_effect, run_effect

if TYPE_CHECKING:
    from datetime import timedelta

    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from ..answers._decisions import Approve, Edit, Reject, Respond

__all__ = [
    "Escalate",
    "Level",
    "RequestedBy",
    "alast_requests",
    "astored_request",
    "default_requester",
    "last_requests",
    "last_requests_plan",
    "stored_request",
    "stored_request_plan",
    "task_configurable",
]


class RequestedBy(Protocol):
    """Who asked for a call, from the config of the run that made it (None: unknown).

    Called once, when the call first pauses; the answer is kept in the request, so runs
    that resume it (with a reviewer's config) do not change it.
    """

    def __call__(self, config: RunnableConfig, /) -> str | None: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class Escalate:
    """Hand an unanswered request to other reviewers at its deadline, instead of deciding.

    Used as `approval_tool(..., on_timeout=Escalate(...))`. When the deadline passes,
    `Inbox.expire()` gives the request to `reviewers` with a new deadline, `timeout` after
    the old one; their own `on_timeout` (a decision, or another `Escalate`) applies when that
    passes too. Approvals given before the escalation still count towards the quorum.
    """

    reviewers: Collection[str]
    """Who may decide once the request is escalated (they replace the earlier reviewers)."""
    timeout: timedelta
    """How long they have, counted from the deadline that escalated the request."""
    on_timeout: Escalate | Approve | Edit | Reject | Respond | dict[str, Any] | None = None
    """What applies at their deadline: a decision (default: a rejection), or `Escalate`."""

    def __post_init__(self) -> None:
        positive_timeout(self.timeout)
        if isinstance(self.reviewers, str) or not self.reviewers:
            raise ValueError(
                f"Escalate(reviewers={self.reviewers!r}) must name one or more reviewers, "
                f"e.g. reviewers={{'manager'}}."
            )
        bad = [name for name in self.reviewers if not (isinstance(name, str) and name)]
        if bad:
            raise ValueError(f"Escalate(reviewers=...) holds names that are not text: {bad!r}.")


@dataclass(frozen=True, kw_only=True, slots=True)
class Level:
    """One stage of a request: who may decide, until when, and what happens then."""

    reviewers: tuple[str, ...] | None
    """Who may vote at this stage (None: anyone)."""
    timeout: timedelta | None
    """How long the stage lasts (None: no deadline)."""
    on_timeout: dict[str, Any] | None = None
    """The system's decision at the deadline, when the stage does not escalate."""
    escalates: bool = False
    """Whether the deadline hands the request to the next stage."""
    names: frozenset[str] = field(default=frozenset())
    """Every name of `reviewers`, for lookups."""


def default_requester(config: RunnableConfig) -> str | None:
    """Who asked, by default: LangGraph Server's authenticated user, else `user_id`."""
    configurable = config.get("configurable") or {}
    user = authenticated_user(configurable)
    if user is not None:
        return user
    named = configurable.get("user_id")
    return str(named) if named is not None and str(named) else None


def task_configurable(config: RunnableConfig | None) -> Mapping[str, Any]:
    """The configurable of a tool's run: the graph's task, when it runs in one."""
    if config is not None and config.get("configurable"):
        return config["configurable"]
    try:
        return get_config().get("configurable") or {}
    except RuntimeError:
        return {}


def _graph_of(
    configurable: Mapping[str, Any],
) -> tuple[BaseCheckpointSaver[Any], RunnableConfig] | None:
    """The saver and the running node's graph (thread and namespace, newest checkpoint)."""
    saver: BaseCheckpointSaver[Any] | None = configurable.get(CHECKPOINTER_KEY)
    namespace = configurable.get(CHECKPOINT_NS_KEY)
    if saver is None or not isinstance(namespace, str):
        return None
    # The task's writes are saved in its parent graph's checkpoint.
    parent = namespace.rpartition(NS_SEP)[0] if NS_SEP in namespace else ""
    where: RunnableConfig = {
        "configurable": {"thread_id": configurable.get("thread_id"), "checkpoint_ns": parent}
    }
    return saver, where


def _location(configurable: Mapping[str, Any]) -> tuple[ReadCheckpoint, str] | None:
    """How to read the checkpoint holding the running task's writes, and the task's id."""
    task_id = configurable.get(TASK_ID_KEY)
    graph = _graph_of(configurable)
    if graph is None or not isinstance(task_id, str):
        return None
    saver, where = graph
    checkpoints = configurable.get(CHECKPOINT_MAP_KEY)
    parent = where["configurable"]["checkpoint_ns"]
    checkpoint_id = checkpoints.get(parent) if isinstance(checkpoints, Mapping) else None
    if not isinstance(checkpoint_id, str):
        return None
    at: RunnableConfig = {"configurable": {**where["configurable"], "checkpoint_id": checkpoint_id}}
    return ReadCheckpoint(saver, at), task_id


def _request_in(
    found: CheckpointTuple | None, task_id: str, tool_call_id: str
) -> dict[str, Any] | None:
    if found is None:
        return None
    for task, channel, value in found.pending_writes or ():
        if task != task_id or channel != INTERRUPT:
            continue
        for item in value if isinstance(value, (list, tuple)) else (value,):
            request = getattr(item, "value", None)
            if (
                isinstance(request, dict)
                and request.get("type") == "tool_approval"
                and request.get("tool_call_id") == tool_call_id
            ):
                return request
    return None


def stored_request_plan(
    configurable: Mapping[str, Any], tool_call_id: str
) -> Plan[ReadCheckpoint, object, dict[str, Any] | None]:
    """The request this task published last for `tool_call_id`, as the saver keeps it.

    A plan (see `_effects`): `stored_request` and `astored_request` drive it.
    """
    located = _location(configurable)
    if located is None:
        return None
    read, task_id = located
    found = yield read
    return _request_in(found if isinstance(found, CheckpointTuple) else None, task_id, tool_call_id)


def stored_request(configurable: Mapping[str, Any], tool_call_id: str) -> dict[str, Any] | None:
    """The request this task published last for `tool_call_id`, as the saver keeps it."""
    return drive(stored_request_plan(configurable, tool_call_id), run_effect)


async def astored_request(
    configurable: Mapping[str, Any], tool_call_id: str
) -> dict[str, Any] | None:
    """Async twin of `stored_request`, for the async savers."""
    return await adrive(stored_request_plan(configurable, tool_call_id), arun_effect)


_LOOK_BACK = 8
"""Checkpoints read back, newest first, for the requests of calls that new input closes."""


def _requests_in(
    tuples: list[CheckpointTuple], tool_call_ids: Collection[str]
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for checkpoint in tuples:  # newest first: a call's latest request wins
        for call_id in tool_call_ids:
            if call_id in found:
                continue
            for task, channel, _ in checkpoint.pending_writes or ():
                if channel == INTERRUPT:
                    request = _request_in(checkpoint, task, call_id)
                    if request is not None:
                        found[call_id] = request
                        break
    return found


def last_requests_plan(
    configurable: Mapping[str, Any], tool_call_ids: Collection[str]
) -> Plan[ListCheckpoints, object, dict[str, dict[str, Any]]]:
    """The approval request each call published last in the thread's recent checkpoints.

    For calls that new user input closes: their votes are in the request the paused
    checkpoint holds, which the closing node's own task cannot see. A plan (see
    `_effects`): `last_requests` and `alast_requests` drive it.
    """
    located = _graph_of(configurable) if tool_call_ids else None
    if located is None:
        return {}
    saver, where = located
    tuples = yield ListCheckpoints(saver, where, _LOOK_BACK)
    return _requests_in(tuples if isinstance(tuples, list) else [], tool_call_ids)


def last_requests(
    configurable: Mapping[str, Any], tool_call_ids: Collection[str]
) -> dict[str, dict[str, Any]]:
    """The approval request each call published last (see `last_requests_plan`)."""
    return drive(last_requests_plan(configurable, tool_call_ids), run_effect)


async def alast_requests(
    configurable: Mapping[str, Any], tool_call_ids: Collection[str]
) -> dict[str, dict[str, Any]]:
    """Async twin of `last_requests`, for the async savers."""
    return await adrive(last_requests_plan(configurable, tool_call_ids), arun_effect)
