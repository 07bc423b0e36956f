"""Where a tool waits for a reviewer's decision: `approval_tool` and its `ToolApprovalRequest`.

The request and the decisions are wire-compatible with LangChain's
`HumanInTheLoopMiddleware(interrupt_mode="per_call")`, so a client written for it works
unchanged; the tool works in any graph, not only inside `create_agent`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from langchain_core.messages import ToolMessage
from langchain_core.runnables.config import set_config_context
from langchain_core.tools import BaseTool
from langchain_core.tools import tool as as_tool
from langgraph.errors import GraphInterrupt
from langgraph.types import Command, interrupt
from pydantic import BaseModel, PrivateAttr, TypeAdapter, ValidationError

from ..answers._audit import AUDIT_KEY, TOOL_ARTIFACT_KEY, AuditRecord, now
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
    Reject,
    Respond,
    decision_model,
    publishing,
    strict_args,
    strict_json_schema,
)
from ..answers._validation import dump_answer, register_schema
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
    """A reviewer's decision and the shape of the answer it was read from."""

    decision: Decided
    shape: AnswerShape


class _Gate:
    """Everything an approval tool needs per call, worked out once when it is made."""

    def __init__(
        self,
        tool: BaseTool,
        *,
        allowed: tuple[DecisionType, ...],
        when: ApprovalWhen | None,
        description: str | ApprovalDescription | None,
        reviewers: tuple[str, ...] | None,
        timeout: timedelta | None = None,
        on_timeout: dict[str, Any] | None = None,
    ) -> None:
        self.tool = tool
        self.timeout = timeout
        self.on_timeout = on_timeout
        self.name = tool.name
        self.allowed = allowed
        self.when = when
        self.description = description
        self.reviewers = reviewers
        call_schema = tool.tool_call_schema
        args_model = _model_of(call_schema)
        self.injected = _injected_keys(tool, args_model)
        full = _model_of(tool.get_input_schema())
        allow_extra = full is not None and full.model_config.get("extra") == "allow"
        # The model's arguments are checked as strictly as a reviewer's edit: a key the tool
        # does not take would be shown to the reviewer, then silently dropped when it runs.
        self.args_model = (
            None if args_model is None else strict_args(args_model, allow_extra=allow_extra)
        )
        self.root: type[DecisionRoot] = decision_model(
            tool.name,
            allowed=allowed,
            args_schema=call_schema,
            allow_extra=allow_extra,
            # The system applies the timeout decision, whoever the tool's reviewers are;
            # the deadline rules refuse that name before the deadline.
            reviewers=(*reviewers, TIMEOUT_REVIEWER)
            if reviewers is not None and timeout is not None
            else reviewers,
        )
        adapter: TypeAdapter[Any] = TypeAdapter(self.root)
        if on_timeout is not None:
            # Checked now, as the tool will check it at expiry (an edit's name and args too).
            try:
                adapter.validate_python(on_timeout)
            except ValidationError as exc:
                expected = f"a decision tool {tool.name!r} accepts"
                raise unfit_on_timeout(on_timeout, expected, exc) from exc
        schema = adapter.json_schema()
        register_schema(adapter, schema)
        # Kept as text for the same reason as the schema below.
        self.args_schema_text = json.dumps(_edit_schema(call_schema, allow_extra=allow_extra))
        # Kept as text: each interrupt publishes a fresh copy, which nobody can alter.
        self.schema_text = json.dumps(schema)

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

    def review(self, call: ToolCall) -> tuple[ToolCall, Answered | None] | ToolMessage:
        """Ask the reviewer if needed: the call to run (and the decision), or the answer."""
        args = self.visible(call)
        if self.args_model is not None:
            # Arguments the tool would refuse are not worth a reviewer's time: the error
            # goes back to the model (as the tool's own would), and nothing pauses.
            self.args_model.model_validate(args)
        if self.when is not None and not self.when(args):
            return call, None
        decision, shape = self._ask(call, args)
        answered = Answered(decision, shape)
        if isinstance(decision, Approve):
            return call, answered
        if isinstance(decision, Edit):
            injected = {k: v for k, v in call["args"].items() if k in self.injected}
            edited: ToolCall = {**call, "args": {**decision.edited_action.args, **injected}}
            return edited, answered
        return self._answer(call, args, answered)

    def _ask(self, call: ToolCall, args: dict[str, Any]) -> tuple[Decided, AnswerShape]:
        description = self._describe(args)
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
                    args_schema=json.loads(self.args_schema_text),
                )
            ],
        )
        if self.reviewers is not None:
            request["reviewers"] = list(self.reviewers)
        deadline = None
        if self.timeout is not None and self.on_timeout is not None:
            deadline = Deadline(expires_at=task_deadline(self.timeout), on_timeout=self.on_timeout)
            request["expires_at"] = deadline.expires_at.isoformat()
            request["on_timeout"] = dict(self.on_timeout)
        token = publishing.set(self.root)
        try:
            with active(deadline):
                answer = interrupt(request, response_schema=self.root)
        except GraphInterrupt as exc:
            # `interrupt()` published a placeholder (see `publishing`): put the schema
            # computed once for this tool in its place.
            for item in exc.args[0]:
                if item.value is request:
                    item.response_schema = json.loads(self.schema_text)
            raise
        finally:
            publishing.reset(token)
        return cast("Decided", answer.root), answer.shape

    def _describe(self, args: dict[str, Any]) -> str:
        if self.description is None:
            return f"{DESCRIPTION_PREFIX}\n\nTool: {self.name}\nArgs: {args}"
        if isinstance(self.description, str):
            return self.description
        return self.description(args)

    def _answer(self, call: ToolCall, args: dict[str, Any], answered: Answered) -> ToolMessage:
        """The tool message of a call that did not run, worded as LangChain's."""
        decision = answered.decision
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

    def superseded(self, call: ToolCall, content: str) -> ToolMessage:
        """The tool message of a waiting call closed by the user's new message."""
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
        decision = answered.decision
        return AuditRecord(
            tool=self.name,
            tool_call_id=str(call["id"]),
            decision=decision.type,
            reviewer=decision.reviewer,
            message=decision.message if isinstance(decision, (Reject, Respond)) else None,
            original_args=args,
            executed_args=executed,
            decided_at=now(),
            # Only a tool with a deadline lets that name through as the system's.
            source="timeout"
            if self.timeout is not None and decision.reviewer == TIMEOUT_REVIEWER
            else "human",
            answer_shape=answered.shape,
        ).to_json()

    def finish(self, result: Any, original: ToolCall, ran: ToolCall, answered: Answered) -> Any:
        """Attach the audit record (and, for an edit, the notice) to the tool's message."""
        audit = self._audit(original, self.visible(original), answered, executed=self.visible(ran))
        edited = isinstance(answered.decision, Edit)
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
        reviewed = gate.review(call)
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
        if config is not None and sys.version_info < (3, 11):
            # Before 3.11 asyncio tasks carry no context of LangGraph's, so `interrupt()`
            # (and the deadline) would not find the graph's config: make it the current one.
            with set_config_context(config) as context:
                reviewed = context.run(gate.review, call)
        else:
            reviewed = gate.review(call)
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


SUPERSEDED = (
    "The user sent a new message before this tool call was decided, so it was not executed: "
    "the new message supersedes it. Do not retry it unless the user asks again."
)
"""The result of a waiting call that the user's new message closed (see `build_hitl_graph`)."""


def superseded_message(tool: BaseTool | None, call: ToolCall) -> ToolMessage:
    """The tool message closing `call`, with an audit record when `tool` is an approval tool."""
    if isinstance(tool, _ApprovalTool):
        return tool._gate.superseded(call, SUPERSEDED)
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
    timeout: timedelta | None,
    on_timeout: Approve | Edit | Reject | Respond | dict[str, Any] | None,
    allowed: tuple[DecisionType, ...],
) -> dict[str, Any] | None:
    if timeout is None:
        if on_timeout is not None:
            raise ValueError("on_timeout needs a timeout=timedelta(...) to know when to apply.")
        return None
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
            "e.g. Reject(message=...) or Approve()."
        )
    return {**sent, "reviewer": TIMEOUT_REVIEWER}


def approval_tool(
    tool: BaseTool | Callable[..., Any],
    *,
    allowed_decisions: Sequence[DecisionType] = DECISION_TYPES,
    when: ApprovalWhen | None = None,
    description: str | ApprovalDescription | None = None,
    reviewers: Collection[str] | None = None,
    timeout: timedelta | None = None,
    on_timeout: Approve | Edit | Reject | Respond | dict[str, Any] | None = None,
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
            Default: a rejection saying no reviewer answered in time.
    """
    if not isinstance(tool, BaseTool):
        if not callable(tool):
            raise TypeError(
                f"approval_tool wraps a BaseTool or a typed function, got {type(tool).__name__}."
            )
        tool = as_tool(tool)
    allowed = _allowed(allowed_decisions)
    gate = _Gate(
        tool,
        allowed=allowed,
        when=when,
        description=description,
        reviewers=_reviewers(reviewers),
        timeout=None if timeout is None else positive_timeout(timeout),
        on_timeout=_timeout_decision(timeout, on_timeout, allowed),
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
