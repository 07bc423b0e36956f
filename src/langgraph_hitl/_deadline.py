"""Deadlines of human requests: when a request expires, and who may answer it then.

A tool with `timeout=` publishes `expires_at` and its `on_timeout` answer in the interrupt
value. The deadline is computed from the time of the checkpoint the paused step started
from, so it is the same on every re-run of the tool (a resumed node runs from its start).

The rules, checked while LangGraph validates the resume value (so a refused answer saves
nothing):

- before the deadline, anyone allowed by the schema may answer, but not as the system
  (`reviewer == TIMEOUT_REVIEWER`);
- from the deadline on, only the published `on_timeout` answer is accepted (sent by
  `Inbox.expire`), so a late human answer is refused with a clear error.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from langgraph.config import get_config

from ._validation import dump_answer

__all__ = [
    "TIMEOUT_REVIEWER",
    "Deadline",
    "active",
    "check_answer",
    "is_timeout_answer",
    "task_deadline",
]

TIMEOUT_REVIEWER = "langgraph-hitl:timeout"
"""The `reviewer` of a decision applied by `Inbox.expire` when a request's deadline passed."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Deadline:
    """The deadline of one paused call."""

    expires_at: datetime
    """When the request expires (UTC)."""
    on_timeout: object
    """The JSON answer applied at expiry."""


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "langgraph_hitl_deadline", default=None
)


def task_deadline(timeout: timedelta) -> datetime:
    """The deadline of the running task: its step's checkpoint time plus `timeout`."""
    from ._inbox import checkpoint_time  # the inbox imports the resume path, which imports us

    configurable: Mapping[str, Any] = get_config().get("configurable", {})
    checkpoint_map = configurable.get("checkpoint_map") or {}
    started = None
    root = checkpoint_map.get("") if isinstance(checkpoint_map, Mapping) else None
    if isinstance(root, str):
        started = checkpoint_time(root)
    return (started or datetime.now(timezone.utc)) + timeout


@contextmanager
def active(deadline: Deadline | None) -> Iterator[None]:
    """Make `deadline` the one `check_answer` enforces while the tool validates its answer."""
    token = _current.set(deadline)
    try:
        yield
    finally:
        _current.reset(token)


def is_timeout_answer(answer: object, expected: object) -> bool:
    """Whether `answer` is the request's published `on_timeout` answer."""
    return _same(answer, expected)


def _same(answer: object, expected: object) -> bool:
    sent = dump_answer(answer)
    if isinstance(sent, Mapping) and isinstance(expected, Mapping):
        return {k: v for k, v in sent.items() if v is not None} == {
            k: v for k, v in expected.items() if v is not None
        }
    return sent == expected


def check_answer(answer: object, *, reviewer: str | None, now: datetime | None = None) -> None:
    """Refuse an answer that breaks the deadline rules (raises ValueError)."""
    deadline = _current.get()
    if deadline is None:
        # Not inside a tool that has a deadline (e.g. a client checking an answer before
        # sending it): the tool enforces the rules itself when the answer arrives.
        return
    moment = now or datetime.now(timezone.utc)
    expired = moment >= deadline.expires_at
    if reviewer == TIMEOUT_REVIEWER and not expired:
        raise ValueError(
            f"reviewer {TIMEOUT_REVIEWER!r} applies the timeout answer, which is only "
            f"accepted from {deadline.expires_at.isoformat()} on; answer as a reviewer."
        )
    if expired and not _same(answer, deadline.on_timeout):
        raise ValueError(
            f"the request expired at {deadline.expires_at.isoformat()}: a human answer is "
            f"no longer accepted; only its on_timeout answer {deadline.on_timeout!r} applies "
            "(Inbox.expire sends it)."
        )
