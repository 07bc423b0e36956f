"""The votes on one call, as a small state machine: `Ballot`.

Pure: it is fed the answers in the order they came (`apply`), and says after each whether
the call is decided (`Final`) and, while it is not, what the next request shows (who may
vote, the current arguments, the approvals so far, the deadline and what applies then).
The approval tool replays the same answers on every run of its node, so it reaches the same
state every time.

The rules:

- an approval binds to the exact arguments it saw; the call runs once `quorum` distinct
  reviewers approved the current arguments;
- an edit is its author's approval of the edited arguments, which become the current ones:
  approvals of other arguments stop counting;
- a rejection or a response decides at once;
- a reviewer who already approved the current arguments, or (with
  `allow_self_approval=False`) the person who asked, may not vote;
- at a deadline the system applies the stage's decision, or escalates to the next stage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..answers._audit import EscalationRecord, Vote
from ..answers._deadline import TIMEOUT_REVIEWER
from ..answers._decisions import Approve, Edit, Escalation, Reject, Respond

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from ..answers._audit import AuditSource
    from ..answers._decisions import DecisionType
    from ..core._shapes import AnswerShape
    from ._policy import Level

__all__ = ["Ballot", "Final", "same_json"]

ALREADY_APPROVED = "already approved these arguments"
SELF_APPROVAL = "asked for this call, and may not decide it (allow_self_approval=False)"


def same_json(a: object, b: object) -> bool:
    """Whether two JSON values are the same value (`True` is not `1`)."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


@dataclass(frozen=True, kw_only=True, slots=True)
class Final:
    """How a call was decided."""

    decision: DecisionType
    """The outcome: `"edit"` whenever the tool runs with arguments the model did not give."""
    answer: Approve | Edit | Reject | Respond
    """The deciding answer."""
    run_args: dict[str, Any] | None
    """The arguments the tool runs with; None when it does not run."""
    source: AuditSource
    """`"human"`, or `"timeout"` when the deadline decided."""
    shape: AnswerShape
    """The shape the deciding answer came in."""


class Ballot:
    """The votes on one call so far (see the module's rules)."""

    def __init__(
        self,
        *,
        original: dict[str, Any],
        quorum: int,
        requested_by: str | None,
        self_approval: bool,
        levels: Sequence[Level],
        expires_at: datetime | None,
    ) -> None:
        self.original = original
        self.args = original
        self.quorum = quorum
        self.requested_by = requested_by
        self.self_approval = self_approval
        self.levels = tuple(levels)
        self.level = 0
        self.expires_at = expires_at
        self.approvals: list[tuple[str, dict[str, Any]]] = []
        self.votes: list[Vote] = []
        self.escalations: list[EscalationRecord] = []

    @property
    def answers(self) -> int:
        """How many answers were applied (votes and escalations)."""
        return len(self.votes) + len(self.escalations)

    @property
    def reviewers(self) -> tuple[str, ...] | None:
        """Who may decide at the current stage (None: anyone)."""
        return self.levels[self.level].reviewers

    def approvers(self) -> list[str]:
        """Who approved the current arguments, in the order they did."""
        names: list[str] = []
        for reviewer, args in self.approvals:
            if reviewer not in names and same_json(args, self.args):
                names.append(reviewer)
        return names

    def refused(self) -> dict[str, str]:
        """The names that may not vote now, with the reason."""
        refused = {name: ALREADY_APPROVED for name in self.approvers()}
        if not self.self_approval and self.requested_by is not None:
            refused.setdefault(self.requested_by, SELF_APPROVAL)
        return refused

    def eligible(self) -> tuple[str, ...] | None:
        """Who may vote now (None: anyone not refused)."""
        if self.reviewers is None:
            return None
        refused = self.refused()
        return tuple(name for name in self.reviewers if name not in refused)

    def timeout_answer(self) -> dict[str, Any] | None:
        """The answer the system sends at the deadline (`on_timeout`), if there is one."""
        if self.expires_at is None:
            return None
        stage = self.levels[self.level]
        if stage.escalates:
            return {"type": "escalate", "reviewer": TIMEOUT_REVIEWER, "at": self.expires_at_text}
        return None if stage.on_timeout is None else dict(stage.on_timeout)

    @property
    def expires_at_text(self) -> str | None:
        return None if self.expires_at is None else self.expires_at.isoformat()

    def apply(self, answer: object, *, shape: AnswerShape, at: datetime) -> Final | None:
        """Apply the next answer; the outcome once the call is decided, else None."""
        if isinstance(answer, Escalation):
            self._escalate(at)
            return None
        assert isinstance(answer, (Approve, Edit, Reject, Respond))
        system = answer.reviewer == TIMEOUT_REVIEWER and self.expires_at is not None
        source: AuditSource = "timeout" if system else "human"
        voted = answer.edited_action.args if isinstance(answer, Edit) else self.args
        message = answer.message if isinstance(answer, (Reject, Respond)) else None
        self.votes.append(
            Vote(
                reviewer=answer.reviewer,
                decision=answer.type,
                args=dict(voted),
                decided_at=at,
                source=source,
                message=message,
            )
        )
        if isinstance(answer, (Reject, Respond)):
            return Final(
                decision=answer.type, answer=answer, run_args=None, source=source, shape=shape
            )
        self.args = dict(voted)
        if not system:
            self.approvals.append((answer.reviewer or "", self.args))
            if len(self.approvers()) < self.quorum:
                return None
        edited = isinstance(answer, Edit) or not same_json(self.args, self.original)
        return Final(
            decision="edit" if edited else "approve",
            answer=answer,
            run_args=self.args,
            source=source,
            shape=shape,
        )

    def _escalate(self, at: datetime) -> None:
        if self.expires_at is None or self.level + 1 >= len(self.levels):
            # The schema admits an escalation only where the stage escalates.
            raise ValueError("this request does not escalate")
        self.level += 1
        timeout = self.levels[self.level].timeout
        assert timeout is not None
        self.expires_at = self.expires_at + timeout
        self.escalations.append(
            EscalationRecord(
                escalated_at=at,
                reviewers=tuple(self.reviewers or ()),
                expires_at=self.expires_at,
            )
        )
