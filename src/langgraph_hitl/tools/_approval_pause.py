"""Where an approval tool pauses: its `ToolApprovalRequest`, and the `interrupt()` call.

`Pause` builds the request one call publishes for the votes so far (a `Ballot`), with the
decision type that admits exactly the answers allowed now, and waits for one with
`interrupt()`. The decision types are built once per tool, or (with a policy) once per
distinct state of the votes, and kept.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from langgraph.errors import GraphInterrupt
from langgraph.types import interrupt
from pydantic import TypeAdapter, ValidationError

from ..answers._deadline import TIMEOUT_REVIEWER, Deadline, active, unfit_on_timeout
from ..answers._decisions import (
    DecisionRoot,
    DecisionType,
    Voters,
    decision_model,
    publishing,
)
from ..answers._edits import ABSENT, Pinned
from ..answers._validation import register_schema
from ._approval_options import check_editable_timeout
from ._approval_schema import argument_names, edit_schema
from ._requests import (
    ApprovalActionRequest,
    ApprovalDescription,
    ApprovalReviewConfig,
    ToolApprovalRequest,
)

if TYPE_CHECKING:
    from langchain_core.messages.tool import ToolCall
    from langchain_core.tools.base import ArgsSchema

    from ..core._shapes import AnswerShape
    from ._policy import Level
    from ._quorum import Ballot

__all__ = ["DESCRIPTION_PREFIX", "MODELS", "Pause"]

DESCRIPTION_PREFIX = "Tool execution requires approval"

MODELS = 64
"""Decision types a tool with a policy keeps built (one per distinct request state)."""


class Pause:
    """How one approval tool asks for a decision, worked out once when the tool is made."""

    def __init__(
        self,
        name: str,
        *,
        allowed: tuple[DecisionType, ...],
        description: str | ApprovalDescription | None,
        levels: tuple[Level, ...],
        quorum: int,
        self_approval: bool,
        editable: tuple[str, ...] | None,
        call_schema: ArgsSchema,
        allow_extra: bool,
        policy: bool,
    ) -> None:
        self.name = name
        self.allowed = allowed
        self.description = description
        self.reviewers = levels[0].reviewers
        self.quorum = quorum
        self.self_approval = self_approval
        self.editable = editable
        self.call_schema = call_schema
        self.allow_extra = allow_extra
        self.policy = policy
        everyone = [who for level in levels for who in (level.reviewers or ())]
        self.root: type[DecisionRoot] = decision_model(
            name,
            allowed=allowed,
            args_schema=call_schema,
            allow_extra=allow_extra,
            # The system applies the timeout decision, whoever the tool's reviewers are;
            # the deadline rules refuse that name before the deadline.
            reviewers=(*dict.fromkeys(everyone), TIMEOUT_REVIEWER)
            if self.reviewers is not None and levels[0].timeout is not None
            else self.reviewers,
        )
        adapter: TypeAdapter[DecisionRoot] = TypeAdapter(self.root)
        for level in levels:
            if level.on_timeout is None:
                continue
            # Checked now, as the tool will check it at expiry (an edit's name and args too).
            try:
                adapter.validate_python(level.on_timeout)
            except ValidationError as exc:
                expected = f"a decision tool {name!r} accepts"
                raise unfit_on_timeout(level.on_timeout, expected, exc) from exc
            if editable is not None:
                check_editable_timeout(level.on_timeout, editable)
        schema = adapter.json_schema()
        register_schema(adapter, schema)
        # Kept as text for the same reason as the schema below.
        self.args_schema_text = json.dumps(edit_schema(call_schema, allow_extra=allow_extra))
        # Kept as text: each interrupt publishes a fresh copy, which nobody can alter.
        self.schema_text = json.dumps(schema)
        self._models: OrderedDict[tuple[object, ...], tuple[type[DecisionRoot], str, str]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def ask(self, call: ToolCall, ballot: Ballot, *, replay: bool) -> tuple[object, AnswerShape]:
        args = ballot.args
        description = self._describe(args)
        root, schema_text, args_schema_text = self._model(ballot)
        request = ToolApprovalRequest(
            type="tool_approval",
            tool_call_id=str(call["id"]),
            name=self.name,
            args=args,
            description=description,
            allowed_decisions=list(self.allowed),
            action_requests=[
                ApprovalActionRequest(
                    name=self.name, args=dict(args), arguments=dict(args), description=description
                )
            ],
            review_configs=[
                ApprovalReviewConfig(
                    action_name=self.name,
                    allowed_decisions=list(self.allowed),
                    args_schema=json.loads(args_schema_text),
                )
            ],
        )
        eligible = ballot.eligible() if self.policy else self.reviewers
        if eligible is not None:
            request["reviewers"] = list(eligible)
        if self.policy:
            request["quorum"] = self.quorum
            request["approvals"] = ballot.approvers()
            if ballot.requested_by is not None:
                request["requested_by"] = ballot.requested_by
            if not self.self_approval:
                request["allow_self_approval"] = False
            if self.editable is not None:
                request["editable"] = list(self.editable)
            request["votes"] = [vote.to_json() for vote in ballot.votes]
            request["escalations"] = [item.to_json() for item in ballot.escalations]
        deadline = None
        on_timeout = ballot.timeout_answer()
        if ballot.expires_at is not None and on_timeout is not None:
            request["expires_at"] = ballot.expires_at.isoformat()
            request["on_timeout"] = on_timeout
            if not replay:
                deadline = Deadline(expires_at=ballot.expires_at, on_timeout=on_timeout)
        token = publishing.set(root)
        try:
            with active(deadline):
                answer = interrupt(request, response_schema=root)
        except GraphInterrupt as exc:
            # `interrupt()` published a placeholder (see `publishing`): put the schema
            # computed once for this tool in its place.
            for item in exc.args[0]:
                if item.value is request:
                    item.response_schema = json.loads(schema_text)
            raise
        finally:
            publishing.reset(token)
        return answer.root, answer.shape

    def _model(self, ballot: Ballot) -> tuple[type[DecisionRoot], str, str]:
        """The decision type, its schema and the edit schema (as text) of the next request."""
        if not self.policy:
            return self.root, self.schema_text, self.args_schema_text
        eligible = ballot.eligible()
        refused = tuple(sorted(ballot.refused().items()))
        system = ballot.expires_at is not None
        voters = (
            Voters(eligible=eligible, refused=refused, system=system)
            if eligible is not None or refused
            else None
        )
        pins: tuple[tuple[str, Any], ...] | None = None
        if self.editable is not None:
            pins = tuple(
                (name, ballot.args.get(name, ABSENT))
                for name in argument_names(self.call_schema)
                if name not in self.editable
            )
        on_timeout = ballot.timeout_answer()
        escalates = on_timeout is not None and on_timeout["type"] == "escalate"
        escalate_at = on_timeout["at"] if on_timeout is not None and escalates else None
        key = (voters, json.dumps(pins, default=repr), escalate_at)
        with self._lock:
            built = self._models.get(key)
            if built is not None:
                self._models.move_to_end(key)
                return built
        pinned = None if pins is None else Pinned(values=pins, editable=tuple(self.editable or ()))
        root = decision_model(
            self.name,
            allowed=self.allowed,
            args_schema=self.call_schema,
            reviewers=None,
            allow_extra=self.allow_extra,
            voters=voters,
            pinned=pinned,
            escalate_at=escalate_at,
        )
        edits = edit_schema(self.call_schema, allow_extra=self.allow_extra)
        if pinned is not None:
            pinned.pin(edits)
        built = (root, json.dumps(TypeAdapter(root).json_schema()), json.dumps(edits))
        with self._lock:
            self._models[key] = built
            if len(self._models) > MODELS:
                self._models.popitem(last=False)
        return built

    def _describe(self, args: dict[str, Any]) -> str:
        if self.description is None:
            return f"{DESCRIPTION_PREFIX}\n\nTool: {self.name}\nArgs: {args}"
        if isinstance(self.description, str):
            return self.description
        return self.description(args)
