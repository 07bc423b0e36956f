"""Where `approval_tool`'s options are checked, before any call is made.

Each check names the offending value and says what would be accepted; the tool is not
made when one fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..answers._deadline import TIMEOUT_REVIEWER, positive_timeout
from ..answers._decisions import DECISION_TYPES, Approve, DecisionType, Edit, Reject, Respond
from ..answers._validation import dump_answer
from ._policy import Escalate, Level

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence
    from datetime import timedelta

__all__ = [
    "checked_decisions",
    "check_editable_timeout",
    "checked_quorum",
    "checked_editable",
    "levels_of",
    "checked_reviewers",
    "timeout_decision",
]


def checked_decisions(decisions: Sequence[DecisionType]) -> tuple[DecisionType, ...]:
    if isinstance(decisions, str):
        raise TypeError(
            f"allowed_decisions must be a sequence of decision types, got the string "
            f"{decisions!r}; write allowed_decisions=[{decisions!r}]."
        )
    allowed = tuple(dict.fromkeys(decisions))
    unknown = [d for d in allowed if d not in DECISION_TYPES]
    if unknown or not allowed:
        raise ValueError(
            f"allowed_decisions={list(decisions)!r} is not valid: "
            + (f"{unknown!r} are not decision types; " if unknown else "it is empty; ")
            + f"use one or more of {list(DECISION_TYPES)}."
        )
    return allowed


def checked_reviewers(reviewers: Collection[str] | None) -> tuple[str, ...] | None:
    if reviewers is None:
        return None
    if isinstance(reviewers, str):
        raise TypeError(
            f"reviewers must be a collection of names, got the string {reviewers!r}; "
            f"write reviewers={{{reviewers!r}}}."
        )
    names = tuple(sorted(set(reviewers)))
    bad = [name for name in names if not (isinstance(name, str) and name)]
    if bad or not names:
        raise ValueError(
            f"reviewers={sorted(map(repr, reviewers))} is not valid: give one or more "
            "non-empty names (or None to accept any reviewer)."
        )
    return names


def timeout_decision(
    on_timeout: Approve | Edit | Reject | Respond | dict[str, Any] | None,
    allowed: tuple[DecisionType, ...],
) -> dict[str, Any]:
    if on_timeout is None:
        if "reject" not in allowed:
            raise ValueError(
                f"A timeout rejects the call by default, but allowed_decisions={list(allowed)} "
                "has no 'reject': pass on_timeout= one of the allowed decisions."
            )
        on_timeout = Reject(message="No reviewer answered before the deadline.")
    sent = dump_answer(on_timeout)
    if not isinstance(sent, dict) or sent.get("type") not in allowed:
        raise ValueError(
            f"on_timeout={on_timeout!r} must be one of the allowed decisions {list(allowed)}, "
            "an Escalate(...), e.g. Reject(message=...) or Approve()."
        )
    return {**sent, "reviewer": TIMEOUT_REVIEWER}


def levels_of(
    reviewers: tuple[str, ...] | None,
    timeout: timedelta | None,
    on_timeout: Escalate | Approve | Edit | Reject | Respond | dict[str, Any] | None,
    allowed: tuple[DecisionType, ...],
) -> tuple[Level, ...]:
    """The stages of a request: the tool's own, then one per `Escalate`."""
    if timeout is None:
        if on_timeout is not None:
            raise ValueError("on_timeout needs a timeout=timedelta(...) to know when to apply.")
        return (Level(reviewers=reviewers, timeout=None),)
    levels: list[Level] = []
    current = on_timeout
    stage_reviewers, stage_timeout = reviewers, positive_timeout(timeout)
    while isinstance(current, Escalate):
        levels.append(Level(reviewers=stage_reviewers, timeout=stage_timeout, escalates=True))
        stage_reviewers = checked_reviewers(current.reviewers)
        stage_timeout = current.timeout
        current = current.on_timeout
    levels.append(
        Level(
            reviewers=stage_reviewers,
            timeout=stage_timeout,
            on_timeout=timeout_decision(current, allowed),
        )
    )
    return tuple(levels)


def checked_quorum(quorum: object, levels: tuple[Level, ...]) -> int:
    if isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 1:
        raise ValueError(f"quorum must be a whole number of approvals, 1 or more; got {quorum!r}.")
    if quorum == 1:
        return quorum
    for n, level in enumerate(levels):
        where = "reviewers" if n == 0 else f"the reviewers of escalation {n}"
        if level.reviewers is None:
            raise ValueError(
                f"quorum={quorum} counts approvals from distinct named reviewers: pass "
                "reviewers={...} with at least that many names."
            )
        if n == 0 and len(level.reviewers) < quorum:
            raise ValueError(
                f"quorum={quorum} needs at least {quorum} {where}, got "
                f"{list(level.reviewers)}: the call could never run."
            )
    return quorum


def checked_editable(
    editable: Collection[str] | None, tool_name: str, names: list[str]
) -> tuple[str, ...] | None:
    if editable is None:
        return None
    if isinstance(editable, str):
        raise TypeError(
            f"editable must be a collection of argument names, got the string {editable!r}; "
            f"write editable={{{editable!r}}}."
        )
    unknown = sorted(str(name) for name in editable if name not in names)
    if unknown:
        raise ValueError(
            f"editable={sorted(map(str, editable))} names {unknown}, which "
            f"{'is not an argument' if len(unknown) == 1 else 'are not arguments'} of "
            f"{tool_name!r}; it takes {sorted(names)}."
        )
    return tuple(sorted(set(editable)))


def check_editable_timeout(on_timeout: Mapping[str, Any], editable: tuple[str, ...]) -> None:
    if on_timeout.get("type") == "edit":
        raise ValueError(
            f"on_timeout={on_timeout!r} is an edit, but the tool limits edits to "
            f"editable={list(editable)}: the system's edit could not be checked against the "
            "model's arguments ahead of time. Use Approve(), Reject(...) or Respond(...)."
        )
