"""Deadlines of human requests: when a request expires, and who may answer it then.

A tool with `timeout=` publishes `expires_at` and its `on_timeout` answer in the interrupt
value. The deadline is computed from the time of the checkpoint the paused step started
from, so it is the same on every re-run of the tool (a resumed node runs from its start).

The rules, checked while LangGraph validates the resume value (so a refused answer saves
nothing), and again by `resume()` before anything is sent:

- before the deadline, anyone allowed by the schema may answer, but not as the system
  (`reviewer == TIMEOUT_REVIEWER`): a `TimeoutTooEarlyError`;
- from the deadline on, only the published `on_timeout` answer is accepted (sent by
  `Inbox.expire`), so a late human answer is refused with a `RequestExpiredError`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from langgraph.config import get_config
from pydantic import ValidationError

from ..core import _clock as clock
from ..core._compat import CHECKPOINT_MAP_KEY
from ..core._errors import RequestExpiredError, TimeoutTooEarlyError
from ._validation import dump_answer

__all__ = [
    "TIMEOUT_REVIEWER",
    "Deadline",
    "TimeoutTooEarlyError",
    "active",
    "check_answer",
    "expired_refusal",
    "is_timeout_answer",
    "positive_timeout",
    "task_deadline",
    "unfit_on_timeout",
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


def positive_timeout(timeout: object) -> timedelta:
    """`timeout` itself, or a ValueError when it is not a positive `timedelta`."""
    if not isinstance(timeout, timedelta) or timeout <= timedelta(0):
        raise ValueError(f"timeout must be a positive datetime.timedelta, got {timeout!r}.")
    return timeout


def unfit_on_timeout(on_timeout: object, expected: str, exc: ValidationError) -> ValueError:
    """The factory-time error for an `on_timeout` answer its tool would refuse."""
    return ValueError(
        f"on_timeout={on_timeout!r} is not {expected}: "
        + "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(answer)'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
    )


def task_deadline(timeout: timedelta) -> datetime:
    """The deadline of the running task: its step's checkpoint time plus `timeout`."""
    # Lazily: the index module brings the inbox's database code, which a tool does not need.
    from ..store._backends import checkpoint_time

    configurable: Mapping[str, Any] = get_config().get("configurable", {})
    checkpoint_map = configurable.get(CHECKPOINT_MAP_KEY) or {}
    started = None
    root = checkpoint_map.get("") if isinstance(checkpoint_map, Mapping) else None
    if isinstance(root, str):
        started = checkpoint_time(root)
    return (started or clock.now()) + timeout


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
    sent = dump_answer(answer)
    if isinstance(sent, Mapping) and isinstance(expected, Mapping):
        return {k: v for k, v in sent.items() if v is not None} == {
            k: v for k, v in expected.items() if v is not None
        }
    return sent == expected


def early_message(expires_at: datetime) -> str:
    """Why a decision as the system is refused before the deadline."""
    return (
        f"reviewer {TIMEOUT_REVIEWER!r} applies the timeout answer, which is only accepted "
        f"from {expires_at.isoformat()} on; answer as a reviewer."
    )


def late_message(expires_at: datetime, on_timeout: object) -> str:
    """Why a human answer is refused from the deadline on."""
    return (
        f"the request expired at {expires_at.isoformat()}: a human answer is no longer "
        f"accepted; only its on_timeout answer {on_timeout!r} applies (Inbox.expire sends it)."
    )


def check_answer(answer: object, *, reviewer: str | None, now: datetime | None = None) -> None:
    """Refuse an answer that breaks the deadline rules of the tool that validates it.

    Raises:
        ValueError: A decision as the system before the deadline.
        RequestExpiredError: Any other answer from the deadline on (a `ValueError` too, so
            pydantic reports both as a validation error of the resume value).
    """
    deadline = _current.get()
    if deadline is None:
        # Not inside a tool that has a deadline (e.g. a client checking an answer before
        # sending it): the tool enforces the rules itself when the answer arrives.
        return
    moment = now or clock.now()
    expired = moment >= deadline.expires_at
    if reviewer == TIMEOUT_REVIEWER and not expired:
        raise ValueError(early_message(deadline.expires_at))
    if expired and not is_timeout_answer(answer, deadline.on_timeout):
        raise RequestExpiredError(late_message(deadline.expires_at, deadline.on_timeout))


def expired_refusal(exc: BaseException) -> RequestExpiredError | None:
    """The deadline refusal inside a graph's validation error of a resume value, if any."""
    if not isinstance(exc, ValidationError):
        return None
    for error in exc.errors(include_url=False):
        found = (error.get("ctx") or {}).get("error")
        if isinstance(found, RequestExpiredError):
            return found
    return None
