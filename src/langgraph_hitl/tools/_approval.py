"""Where a tool waits for a reviewer's decision: `approval_tool` and its `ToolApprovalRequest`.

The request and the decisions are wire-compatible with LangChain's
`HumanInTheLoopMiddleware(interrupt_mode="per_call")`, so a client written for it works
unchanged; the tool works in any graph, not only inside `create_agent`.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from langchain_core.messages import ToolMessage
from langchain_core.runnables.config import set_config_context
from langchain_core.tools import BaseTool
from langchain_core.tools import tool as as_tool
from langgraph.config import get_config
from langgraph.errors import GraphInterrupt
from langgraph.types import Command, interrupt
from pydantic import BaseModel, PrivateAttr, TypeAdapter, ValidationError

from ..answers._audit import (
    AUDIT_KEY,
    TOOL_ARTIFACT_KEY,
    AuditRecord,
    EscalationRecord,
    Vote,
    now,
)
from ..answers._deadline import (
    TIMEOUT_REVIEWER,
    Deadline,
    active,
    positive_timeout,
    task_deadline,
    unfit_on_timeout,
)
from ..answers._decisions import (
    DECISION_TYPES,
    Approve,
    DecisionRoot,
    DecisionType,
    Edit,
    Escalation,
    Reject,
    Respond,
    Voters,
    decision_model,
    publishing,
)
from ..answers._edits import ABSENT, Pinned, strict_args, strict_json_schema
from ..answers._validation import dump_answer, register_schema
from ..core._errors import ApprovalPolicyError
from ._policy import (
    Escalate,
    Level,
    RequestedBy,
    astored_request,
    default_requester,
    stored_request,
)
from ._quorum import Ballot, Final
from ._requests import (
    ApprovalActionRequest,
    ApprovalDescription,
    ApprovalReviewConfig,
    ApprovalWhen,
    ToolApprovalRequest,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence
    from datetime import timedelta

    from langchain_core.messages.tool import ToolCall
    from langchain_core.runnables import RunnableConfig
    from langchain_core.tools.base import ArgsSchema
    from langchain_core.utils.pydantic import TypeBaseModel

    from ..core._shapes import AnswerShape

__all__ = [
    "ApprovalActionRequest",
    "ApprovalDescription",
    "ApprovalReviewConfig",
    "ApprovalWhen",
    "ToolApprovalRequest",
    "approval_tool",
]

DESCRIPTION_PREFIX = "Tool execution requires approval"

EDIT_NOTICE = (
    "Note: a human reviewer changed the arguments of this tool call before it ran. The "
    "arguments recorded in your message are the ones you produced, not the ones it ran with. "
    "This was intentional and authorized. Do not re-issue your original call."
)
"""Put before the result of an edited call, in the words of LangChain's own edit notice."""


Decided = Approve | Edit | Reject | Respond


class Answered(NamedTuple):
    """How a call was decided, and the votes that led there."""

    final: Final
    ballot: Ballot


_MODELS = 64
"""Decision types a tool with a policy keeps built (one per distinct request state)."""


class _Gate:
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
        editable: Collection[str] | None = None,
    ) -> None:
        self.tool = tool
        self.levels = levels
        self.reviewers = levels[0].reviewers
        self.timeout = levels[0].timeout
        self.name = tool.name
        self.allowed = allowed
        self.when = when
        self.description = description
        self.quorum = quorum
        self.requested_by = requested_by
        self.self_approval = allow_self_approval
        call_schema = tool.tool_call_schema
        self.call_schema = call_schema
        args_model = _model_of(call_schema)
        self.injected = _injected_keys(tool, args_model)
        full = _model_of(tool.get_input_schema())
        allow_extra = full is not None and full.model_config.get("extra") == "allow"
        self.allow_extra = allow_extra
        self.editable = _editable(editable, tool.name, _argument_names(call_schema))
        # A policy asks in a loop, one interrupt per answer, and reads its stored request.
        self.policy = (
            quorum > 1
            or len(levels) > 1
            or not allow_self_approval
            or requested_by is not None
            or self.editable is not None
        )
        # The model's arguments are checked as strictly as a reviewer's edit: a key the tool
        # does not take would be shown to the reviewer, then silently dropped when it runs.
        self.args_model = (
            None if args_model is None else strict_args(args_model, allow_extra=allow_extra)
        )
        everyone = [name for level in levels for name in (level.reviewers or ())]
        self.root: type[DecisionRoot] = decision_model(
            tool.name,
            allowed=allowed,
            args_schema=call_schema,
            allow_extra=allow_extra,
            # The system applies the timeout decision, whoever the tool's reviewers are;
            # the deadline rules refuse that name before the deadline.
            reviewers=(*dict.fromkeys(everyone), TIMEOUT_REVIEWER)
            if self.reviewers is not None and self.timeout is not None
            else self.reviewers,
        )
        adapter: TypeAdapter[Any] = TypeAdapter(self.root)
        for level in levels:
            if level.on_timeout is None:
                continue
            # Checked now, as the tool will check it at expiry (an edit's name and args too).
            try:
                adapter.validate_python(level.on_timeout)
            except ValidationError as exc:
                expected = f"a decision tool {tool.name!r} accepts"
                raise unfit_on_timeout(level.on_timeout, expected, exc) from exc
            if self.editable is not None:
                _check_editable_timeout(level.on_timeout, self.editable)
        schema = adapter.json_schema()
        register_schema(adapter, schema)
        # Kept as text for the same reason as the schema below.
        self.args_schema_text = json.dumps(_edit_schema(call_schema, allow_extra=allow_extra))
        # Kept as text: each interrupt publishes a fresh copy, which nobody can alter.
        self.schema_text = json.dumps(schema)
        self._models: OrderedDict[tuple[object, ...], tuple[type[DecisionRoot], str, str]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def call_of(self, input: object) -> ToolCall:
        if not (isinstance(input, dict) and input.get("type") == "tool_call"):
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
        return cast("ToolCall", input)

    def visible(self, call: ToolCall) -> dict[str, Any]:
        """The arguments as the model gave them, without injected state, store or runtime."""
        args = call["args"]
        return {k: v for k, v in args.items() if k not in self.injected}

    def review(
        self, call: ToolCall, stored: Mapping[str, Any] | None = None
    ) -> tuple[ToolCall, Answered | None] | ToolMessage:
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
            return call, None
        final, ballot = self._vote(call, args, stored)
        answered = Answered(final, ballot)
        if final.run_args is None:
            return self._answer(call, args, answered)
        if final.decision == "approve":
            return call, answered
        injected = {k: v for k, v in call["args"].items() if k in self.injected}
        edited: ToolCall = {**call, "args": {**final.run_args, **injected}}
        return edited, answered

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
            answer, shape = self._ask(call, ballot, replay=replay)
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

    def _ask(self, call: ToolCall, ballot: Ballot, *, replay: bool) -> tuple[object, AnswerShape]:
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
                for name in _argument_names(self.call_schema)
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
        edit_schema = _edit_schema(self.call_schema, allow_extra=self.allow_extra)
        if pinned is not None:
            pinned.pin(edit_schema)
        built = (root, json.dumps(TypeAdapter(root).json_schema()), json.dumps(edit_schema))
        with self._lock:
            self._models[key] = built
            if len(self._models) > _MODELS:
                self._models.popitem(last=False)
        return built

    def _describe(self, args: dict[str, Any]) -> str:
        if self.description is None:
            return f"{DESCRIPTION_PREFIX}\n\nTool: {self.name}\nArgs: {args}"
        if isinstance(self.description, str):
            return self.description
        return self.description(args)

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

    def finish(self, result: Any, original: ToolCall, ran: ToolCall, answered: Answered) -> Any:
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


def _listed(stored: Mapping[str, Any] | None, key: str) -> list[Any]:
    found = stored.get(key) if stored is not None else None
    return list(found) if isinstance(found, list) else []


def _time_of(items: list[Any], index: int, key: str) -> datetime | None:
    item = items[index] if index < len(items) else None
    raw = item.get(key) if isinstance(item, Mapping) else None
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _argument_names(schema: ArgsSchema) -> list[str]:
    """The arguments a tool takes, as the model sees them."""
    model = _model_of(schema)
    if model is not None:
        return list(model.model_fields)
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        return list(schema["properties"])
    return []


def _editable(
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


def _check_editable_timeout(on_timeout: Mapping[str, Any], editable: tuple[str, ...]) -> None:
    if on_timeout.get("type") == "edit":
        raise ValueError(
            f"on_timeout={on_timeout!r} is an edit, but the tool limits edits to "
            f"editable={list(editable)}: the system's edit could not be checked against the "
            "model's arguments ahead of time. Use Approve(), Reject(...) or Respond(...)."
        )


def _edit_schema(schema: ArgsSchema, *, allow_extra: bool) -> dict[str, Any]:
    """The JSON schema an edit's arguments must fit (unknown keys refused unless allowed)."""
    model = _model_of(schema)
    if model is not None:
        # Not `model_json_schema()`: LangChain caches it per base model, so a subclass that
        # forbids extra keys would publish its base's schema.
        published: dict[str, Any] = TypeAdapter(
            strict_args(model, allow_extra=allow_extra)
        ).json_schema()
        return published
    if isinstance(schema, dict):
        return strict_json_schema(schema)
    return {"type": "object"}


def _model_of(schema: ArgsSchema) -> type[BaseModel] | None:
    """The schema as a pydantic (v2) model; None for a JSON schema or a pydantic.v1 model."""
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema
    return None


def _injected_keys(tool: BaseTool, call_model: type[BaseModel] | None) -> frozenset[str]:
    """Arguments the graph injects (state, store, runtime, ...), which the model never sees."""
    full = _model_of(tool.get_input_schema())
    if full is None or call_model is None:
        return frozenset()
    return frozenset(set(full.model_fields) - set(call_model.model_fields))


def _notice(name: str, args: dict[str, Any]) -> str:
    return f"{EDIT_NOTICE} Executed instead: {name} with arguments {json.dumps(args, default=str)}."


def _annotated(message: ToolMessage, audit: dict[str, Any], notice: str | None) -> ToolMessage:
    artifact: dict[str, Any] = {AUDIT_KEY: audit}
    if message.artifact is not None:
        artifact[TOOL_ARTIFACT_KEY] = message.artifact
    update: dict[str, Any] = {"artifact": artifact}
    if notice is not None:
        update["content"] = _with_notice(message.content, notice)
    return message.model_copy(update=update)


def _with_notice(content: str | list[str | dict[Any, Any]], notice: str) -> Any:
    if isinstance(content, str):
        return f"{notice}\n\nTool response:\n{content}" if content else notice
    if not content:
        return notice
    # Match the surrounding block shape; providers may reject mixed lists.
    block: str | dict[str, Any] = (
        notice if all(isinstance(b, str) for b in content) else {"type": "text", "text": notice}
    )
    return [block, *content]


class _ApprovalTool(BaseTool):
    """The wrapped tool, as the model sees it, behind a reviewer's decision."""

    _gate: _Gate = PrivateAttr()

    @property
    def tool_call_schema(self) -> ArgsSchema:
        return self._gate.tool.tool_call_schema

    def get_input_schema(self, config: RunnableConfig | None = None) -> TypeBaseModel:
        return self._gate.tool.get_input_schema(config)

    def invoke(
        self,
        input: str | dict[str, Any] | ToolCall,
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> Any:
        gate = self._gate
        call = gate.call_of(input)
        stored = None
        if gate.policy:
            stored = stored_request(_configurable(config), str(call["id"]))
        reviewed = gate.review(call, stored)
        if isinstance(reviewed, ToolMessage):
            return reviewed
        ran, decision = reviewed
        result = gate.tool.invoke(ran, config, **kwargs)
        return result if decision is None else gate.finish(result, call, ran, decision)

    async def ainvoke(
        self,
        input: str | dict[str, Any] | ToolCall,
        config: RunnableConfig | None = None,
        **kwargs: Any,
    ) -> Any:
        gate = self._gate
        call = gate.call_of(input)
        stored = None
        if gate.policy:
            stored = await astored_request(_configurable(config), str(call["id"]))
        if config is not None and sys.version_info < (3, 11):
            # Before 3.11 asyncio tasks carry no context of LangGraph's, so `interrupt()`
            # (and the deadline) would not find the graph's config: make it the current one.
            with set_config_context(config) as context:
                reviewed = context.run(gate.review, call, stored)
        else:
            reviewed = gate.review(call, stored)
        if isinstance(reviewed, ToolMessage):
            return reviewed
        ran, decision = reviewed
        result = await gate.tool.ainvoke(ran, config, **kwargs)
        return result if decision is None else gate.finish(result, call, ran, decision)

    def _run(self, *args: Any, **kwargs: Any) -> Any:
        # `run()` gets parsed arguments without the tool call a reviewer decides about.
        raise TypeError(
            f"Approval tool {self.name!r} runs from a tool call: use invoke() or ainvoke() "
            "with {'type': 'tool_call', 'name': ..., 'args': {...}, 'id': ...}."
        )


def _configurable(config: RunnableConfig | None) -> Mapping[str, Any]:
    """The configurable of the tool's run: the graph's task, when it runs in one."""
    if config is not None and config.get("configurable"):
        return config["configurable"]
    try:
        return get_config().get("configurable") or {}
    except RuntimeError:
        return {}


SUPERSEDED = (
    "The user sent a new message before this tool call was decided, so it was not executed: "
    "the new message supersedes it. Do not retry it unless the user asks again."
)
"""The result of a waiting call that the user's new message closed (see `build_hitl_graph`)."""


def superseded_message(
    tool: BaseTool | None, call: ToolCall, request: Mapping[str, Any] | None = None
) -> ToolMessage:
    """The tool message closing `call`, with an audit record when `tool` is an approval tool.

    `request`: what the call published last (its votes go into the audit record).
    """
    if isinstance(tool, _ApprovalTool):
        return tool._gate.superseded(call, SUPERSEDED, request)
    return ToolMessage(
        content=SUPERSEDED, name=call["name"], tool_call_id=str(call["id"]), status="error"
    )


def _allowed(decisions: Sequence[DecisionType]) -> tuple[DecisionType, ...]:
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


def _reviewers(reviewers: Collection[str] | None) -> tuple[str, ...] | None:
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


def _timeout_decision(
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


def _levels(
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
        stage_reviewers = _reviewers(current.reviewers)
        stage_timeout = current.timeout
        current = current.on_timeout
    levels.append(
        Level(
            reviewers=stage_reviewers,
            timeout=stage_timeout,
            on_timeout=_timeout_decision(current, allowed),
        )
    )
    return tuple(levels)


def _quorum(quorum: object, levels: tuple[Level, ...]) -> int:
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
    allowed = _allowed(allowed_decisions)
    if requested_by is not None and not callable(requested_by):
        raise TypeError(
            f"requested_by must be a callable(config) -> str | None, got {requested_by!r}."
        )
    if not isinstance(allow_self_approval, bool):
        raise TypeError(f"allow_self_approval must be True or False, got {allow_self_approval!r}.")
    levels = _levels(_reviewers(reviewers), timeout, on_timeout, allowed)
    gate = _Gate(
        tool,
        allowed=allowed,
        when=when,
        description=description,
        levels=levels,
        quorum=_quorum(quorum, levels),
        requested_by=requested_by,
        allow_self_approval=allow_self_approval,
        editable=editable,
    )
    guarded = _ApprovalTool(
        name=tool.name,
        description=tool.description,
        args_schema=tool.args_schema,
        return_direct=tool.return_direct,
        tags=tool.tags,
        metadata=tool.metadata,
    )
    guarded._gate = gate
    return guarded
