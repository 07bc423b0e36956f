"""What one approval call does: check, ask until decided, answer or run, and audit.

`Gate` holds what an approval tool worked out when it was made. `calling` is one call,
written once as a plan (see `_effects`): read the request stored for it (a tool with a
policy), review it (`Pause` asks, one `interrupt()` per answer, and the `Ballot` counts
the votes), then either answer the model (a rejection or a response) or run the wrapped
tool and attach the audit record to its result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, TypeGuard

from langchain_core.messages import ToolMessage
from langgraph.config import get_config
from langgraph.types import Command

from ..answers._audit import (
    AUDIT_KEY,
    TOOL_ARTIFACT_KEY,
    AuditRecord,
    EscalationRecord,
    Vote,
    now,
)
from ..answers._deadline import task_deadline
from ..answers._decisions import DecisionType, Escalation, Reject, Respond
from ..answers._edits import strict_args
from ..core._errors import ApprovalPolicyError
from ._approval_pause import Pause
from ._approval_schema import injected_keys, model_of
from ._effects import Effect, InTask, Invoke
from ._policy import Level, RequestedBy, default_requester, stored_request_plan, task_configurable
from ._quorum import Ballot, Final

if TYPE_CHECKING:
    from langchain_core.messages.tool import ToolCall
    from langchain_core.runnables import RunnableConfig
    from langchain_core.tools import BaseTool

    from ..core._plan import Plan
    from ._requests import ApprovalDescription, ApprovalWhen

__all__ = ["EDIT_NOTICE", "Answered", "Cleared", "Gate"]

EDIT_NOTICE = (
    "Note: a human reviewer changed the arguments of this tool call before it ran. The "
    "arguments recorded in your message are the ones you produced, not the ones it ran with. "
    "This was intentional and authorized. Do not re-issue your original call."
)
"""Put before the result of an edited call, in the words of LangChain's own edit notice."""


class Answered(NamedTuple):
    """How a call was decided, and the votes that led there."""

    final: Final
    ballot: Ballot


class Cleared(NamedTuple):
    """A call cleared to run: as it runs (an edit's arguments), and how it was decided."""

    call: ToolCall
    answered: Answered | None
    """None when the call needed no review (`when` said so)."""


class Gate:
    """Everything an approval tool needs per call, worked out once when it is made."""

    def __init__(
        self,
        tool: BaseTool,
        *,
        allowed: tuple[DecisionType, ...],
        when: ApprovalWhen | None,
        description: str | ApprovalDescription | None,
        levels: tuple[Level, ...],
        quorum: int = 1,
        requested_by: RequestedBy | None = None,
        allow_self_approval: bool = True,
        editable: tuple[str, ...] | None = None,
    ) -> None:
        self.tool = tool
        self.levels = levels
        self.name = tool.name
        self.when = when
        self.quorum = quorum
        self.requested_by = requested_by
        self.self_approval = allow_self_approval
        call_schema = tool.tool_call_schema
        args_model = model_of(call_schema)
        self.injected = injected_keys(tool, args_model)
        full = model_of(tool.get_input_schema())
        allow_extra = full is not None and full.model_config.get("extra") == "allow"
        # A policy asks in a loop, one interrupt per answer, and reads its stored request.
        self.policy = (
            quorum > 1
            or len(levels) > 1
            or not allow_self_approval
            or requested_by is not None
            or editable is not None
        )
        # The model's arguments are checked as strictly as a reviewer's edit: a key the tool
        # does not take would be shown to the reviewer, then silently dropped when it runs.
        self.args_model = (
            None if args_model is None else strict_args(args_model, allow_extra=allow_extra)
        )
        self.pause = Pause(
            tool.name,
            allowed=allowed,
            description=description,
            levels=levels,
            quorum=quorum,
            self_approval=allow_self_approval,
            editable=editable,
            call_schema=call_schema,
            allow_extra=allow_extra,
            policy=self.policy,
        )

    def calling(
        self, input: object, config: RunnableConfig | None, kwargs: Mapping[str, Any]
    ) -> Plan[Effect, object, object]:
        """One call of the tool, as a plan: what `invoke` and `ainvoke` drive."""
        call = self.call_of(input)
        stored = None
        if self.policy:
            stored = yield from stored_request_plan(task_configurable(config), str(call["id"]))
        reviewed = yield InTask(partial(self.review, call, stored), config)
        if not isinstance(reviewed, Cleared):
            return reviewed  # the answer to the model: the call does not run
        ran, answered = reviewed
        result = yield Invoke(self.tool, ran, config, kwargs)
        return result if answered is None else self.finish(result, call, ran, answered)

    def call_of(self, input: object) -> ToolCall:
        if not _is_tool_call(input):
            raise ValueError(
                f"Approval tool {self.name!r} reviews a model's tool call, so it must be "
                "invoked with one: {'type': 'tool_call', 'name': ..., 'args': {...}, "
                "'id': ...} (as ToolNode, create_agent and build_hitl_graph do). Got "
                f"{type(input).__name__}: {input!r:.200}."
            )
        if input.get("id") is None:
            raise ValueError(
                f"The tool call of {self.name!r} has no id, so its result could not be "
                "matched to it and the reviewer could not answer it by id. Make sure the "
                "chat model returns tool call ids."
            )
        return input

    def visible(self, call: ToolCall) -> dict[str, Any]:
        """The arguments as the model gave them, without injected state, store or runtime."""
        args = call["args"]
        return {k: v for k, v in args.items() if k not in self.injected}

    def review(
        self, call: ToolCall, stored: Mapping[str, Any] | None = None
    ) -> Cleared | ToolMessage:
        """Ask the reviewer if needed: the call to run (and the decision), or the answer.

        `stored` is the request this call's task published last (a tool with a policy
        reads it before it asks, see `_policy`).
        """
        args = self.visible(call)
        if self.args_model is not None:
            # Arguments the tool would refuse are not worth a reviewer's time: the error
            # goes back to the model (as the tool's own would), and nothing pauses.
            self.args_model.model_validate(args)
        if self.when is not None and not self.when(args):
            return Cleared(call, None)
        final, ballot = self._vote(call, args, stored)
        answered = Answered(final, ballot)
        if final.run_args is None:
            return self._answer(call, args, answered)
        if final.decision == "approve":
            return Cleared(call, answered)
        injected = {k: v for k, v in call["args"].items() if k in self.injected}
        edited: ToolCall = {**call, "args": {**final.run_args, **injected}}
        return Cleared(edited, answered)

    def _vote(
        self, call: ToolCall, args: dict[str, Any], stored: Mapping[str, Any] | None
    ) -> tuple[Final, Ballot]:
        """Ask until the call is decided: one interrupt per answer, earlier ones replayed."""
        first = self.levels[0]
        ballot = Ballot(
            original=args,
            quorum=self.quorum,
            requested_by=self._requester(stored),
            self_approval=self.self_approval,
            levels=self.levels,
            expires_at=None if first.timeout is None else task_deadline(first.timeout),
        )
        if self.policy and stored is None:
            self._reachable(ballot)
        votes = _listed(stored, "votes")
        escalations = _listed(stored, "escalations")
        while True:
            # An answer the stored request already lists was accepted in an earlier run:
            # LangGraph hands it back, and it is not held to the clock again.
            replay = ballot.answers < len(votes) + len(escalations)
            answer, shape = self.pause.ask(call, ballot, replay=replay)
            at = None
            if replay and isinstance(answer, Escalation):
                at = _time_of(escalations, len(ballot.escalations), "escalated_at")
            elif replay:
                at = _time_of(votes, len(ballot.votes), "decided_at")
            final = ballot.apply(answer, shape=shape, at=at or now())
            if final is not None:
                return final, ballot

    def _requester(self, stored: Mapping[str, Any] | None) -> str | None:
        if not self.policy:
            return None
        if stored is not None:
            # Who asked is the first run's: a resuming run carries the reviewer's config.
            kept = stored.get("requested_by")
            return kept if isinstance(kept, str) else None
        config = get_config()
        found = (self.requested_by or default_requester)(config)
        if found is not None and not isinstance(found, str):
            raise TypeError(
                f"requested_by of {self.name!r} must return a name (str) or None, got "
                f"{type(found).__name__}: {found!r}."
            )
        return found or None

    def _reachable(self, ballot: Ballot) -> None:
        """Refuse to pause a call its reviewers can never approve (a setup mistake)."""
        if not self.self_approval and ballot.requested_by is None:
            raise ApprovalPolicyError(
                f"Approval tool {self.name!r} has allow_self_approval=False but cannot tell "
                "who asked for this call: run the graph with config['configurable']"
                "['user_id'] (or on LangGraph Server with custom auth), or pass "
                "requested_by=<callable(config) -> str>. Nothing was asked."
            )
        eligible = ballot.eligible()
        if eligible is not None and len(eligible) < self.quorum and len(self.levels) == 1:
            raise ApprovalPolicyError(
                f"Approval tool {self.name!r} needs quorum={self.quorum} approvals, but only "
                f"{list(eligible)} may approve this call (requested by "
                f"{ballot.requested_by!r}, allow_self_approval=False): it could never run. "
                "Name more reviewers. Nothing was asked."
            )

    def _answer(self, call: ToolCall, args: dict[str, Any], answered: Answered) -> ToolMessage:
        """The tool message of a call that did not run, worded as LangChain's."""
        decision = answered.final.answer
        reason = decision.message if isinstance(decision, (Reject, Respond)) else None
        if isinstance(decision, Respond):
            content = decision.message
        elif reason:
            content = f"User rejected the tool call for `{self.name}` with reason: {reason}"
        else:
            content = (
                f"User rejected the tool call for `{self.name}` with id {call['id']}. The tool "
                "was not executed. Do not retry this tool call unless the user explicitly "
                "requests it."
            )
        return ToolMessage(
            content=content,
            name=self.name,
            tool_call_id=str(call["id"]),
            status="success" if isinstance(decision, Respond) else "error",
            artifact={AUDIT_KEY: self._audit(call, args, answered, executed=None)},
        )

    def superseded(
        self, call: ToolCall, content: str, request: Mapping[str, Any] | None = None
    ) -> ToolMessage:
        """The tool message of a waiting call closed by the user's new message.

        `request` is what the call published last; its votes and escalations so far are
        kept in the audit record.
        """
        votes = tuple(Vote.from_json(v) for v in _listed(request, "votes") if isinstance(v, dict))
        escalations = tuple(
            EscalationRecord.from_json(e)
            for e in _listed(request, "escalations")
            if isinstance(e, dict)
        )
        requested_by = request.get("requested_by") if request is not None else None
        record = AuditRecord(
            tool=self.name,
            tool_call_id=str(call["id"]),
            decision="reject",
            reviewer=None,
            message=content,
            original_args=self.visible(call),
            executed_args=None,
            decided_at=now(),
            source="superseded",
            votes=votes,
            escalations=escalations,
            requested_by=requested_by if isinstance(requested_by, str) else None,
        ).to_json()
        return ToolMessage(
            content=content,
            name=self.name,
            tool_call_id=str(call["id"]),
            status="error",
            artifact={AUDIT_KEY: record},
        )

    def _audit(
        self,
        call: ToolCall,
        args: dict[str, Any],
        answered: Answered,
        *,
        executed: dict[str, Any] | None,
    ) -> dict[str, Any]:
        final, ballot = answered
        decision = final.answer
        return AuditRecord(
            tool=self.name,
            tool_call_id=str(call["id"]),
            decision=final.decision,
            reviewer=decision.reviewer,
            message=decision.message if isinstance(decision, (Reject, Respond)) else None,
            original_args=args,
            executed_args=executed,
            decided_at=ballot.votes[-1].decided_at if ballot.votes else now(),
            source=final.source,
            answer_shape=final.shape,
            votes=tuple(ballot.votes),
            escalations=tuple(ballot.escalations),
            requested_by=ballot.requested_by,
        ).to_json()

    def finish(
        self, result: object, original: ToolCall, ran: ToolCall, answered: Answered
    ) -> object:
        """Attach the audit record (and, for an edit, the notice) to the tool's message."""
        audit = self._audit(original, self.visible(original), answered, executed=self.visible(ran))
        edited = answered.final.decision == "edit"
        notice = _notice(self.name, self.visible(ran)) if edited else None
        if isinstance(result, ToolMessage):
            return _annotated(result, audit, notice)
        if isinstance(result, Command) and isinstance(result.update, dict):
            messages = result.update.get("messages")
            if isinstance(messages, list):
                return replace(
                    result,
                    update={
                        **result.update,
                        "messages": [
                            _annotated(m, audit, notice)
                            if isinstance(m, ToolMessage) and m.tool_call_id == original["id"]
                            else m
                            for m in messages
                        ],
                    },
                )
        return result


def _is_tool_call(value: object) -> TypeGuard[ToolCall]:
    return isinstance(value, dict) and value.get("type") == "tool_call"


def _listed(stored: Mapping[str, Any] | None, key: str) -> list[object]:
    found = stored.get(key) if stored is not None else None
    return list(found) if isinstance(found, list) else []


def _time_of(items: list[object], index: int, key: str) -> datetime | None:
    item = items[index] if index < len(items) else None
    raw = item.get(key) if isinstance(item, Mapping) else None
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _notice(name: str, args: dict[str, Any]) -> str:
    return f"{EDIT_NOTICE} Executed instead: {name} with arguments {json.dumps(args, default=str)}."


def _annotated(message: ToolMessage, audit: dict[str, Any], notice: str | None) -> ToolMessage:
    artifact: dict[str, object] = {AUDIT_KEY: audit}
    if message.artifact is not None:
        artifact[TOOL_ARTIFACT_KEY] = message.artifact
    update: dict[str, object] = {"artifact": artifact}
    if notice is not None:
        update["content"] = _with_notice(message.content, notice)
    return message.model_copy(update=update)


def _with_notice(
    content: str | list[str | dict[Any, Any]], notice: str
) -> str | list[str | dict[Any, Any]]:
    if isinstance(content, str):
        return f"{notice}\n\nTool response:\n{content}" if content else notice
    if not content:
        return notice
    # Match the surrounding block shape; providers may reject mixed lists.
    block: str | dict[str, Any] = (
        notice if all(isinstance(b, str) for b in content) else {"type": "text", "text": notice}
    )
    return [block, *content]
