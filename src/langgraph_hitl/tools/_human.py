"""Where the `human_assistance` tool pauses: the tutorial's tool as a typed factory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, Protocol, TypeVar, overload

from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool
from langgraph.types import Command, interrupt
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from typing_extensions import NotRequired, TypedDict

from ..answers._deadline import (
    Deadline,
    active,
    check_answer,
    positive_timeout,
    task_deadline,
    unfit_on_timeout,
)
from ..answers._validation import dump_answer, register_schema

if TYPE_CHECKING:
    from datetime import timedelta

__all__ = [
    "HumanAssistanceRequest",
    "HumanReply",
    "InboxActionRequest",
    "InboxConfig",
    "OnReply",
    "human_assistance_tool",
]

ReplyT = TypeVar("ReplyT", bound=BaseModel)
ReplyT_contra = TypeVar("ReplyT_contra", bound=BaseModel, contravariant=True)

DEFAULT_DESCRIPTION = "Request assistance from a human."


class HumanReply(BaseModel):
    """The default answer to a `human_assistance` request: the tutorial's `{"data": "..."}`."""

    model_config = ConfigDict(extra="forbid")

    data: str
    """The human's answer, returned to the model as the tool's result."""


class InboxActionRequest(TypedDict):
    """What Agent Inbox shows of a request: the action and its arguments."""

    action: str
    """The tool's name."""
    args: dict[str, Any]
    """`{"query": ...}`: what the model asks."""


class InboxConfig(TypedDict):
    """Which of Agent Inbox's answers a request takes."""

    allow_accept: bool
    """Always False: there is nothing to accept."""
    allow_edit: bool
    """Always False: there is nothing to edit."""
    allow_respond: bool
    """Always True: the human answers with a text."""
    allow_ignore: bool
    """Always False: the model waits for an answer."""


class HumanAssistanceRequest(TypedDict):
    """The interrupt value of a `human_assistance` call (JSON-serializable).

    With the default `HumanReply` answer it also carries Agent Inbox's `HumanInterrupt`
    shape (`action_request`, `config`, `description`), so Agent Inbox can answer it with a
    response: `[{"type": "response", "args": "text"}]`.
    """

    type: Literal["human_assistance"]
    """Always `"human_assistance"`: tells clients how to read this interrupt."""
    query: str
    """What the model asks the human."""
    tool_call_id: str
    """Id of the model's tool call this request is about."""
    name: str
    """The tool's name (lets an inbox filter requests by tool)."""
    expires_at: NotRequired[str]
    """When the request expires (ISO 8601, UTC), when the tool has a `timeout`."""
    on_timeout: NotRequired[dict[str, Any]]
    """The answer applied at expiry (by `Inbox.expire`), when the tool has a `timeout`."""
    action_request: NotRequired[InboxActionRequest]
    """The request as Agent Inbox reads it (with the default `HumanReply` answer)."""
    config: NotRequired[InboxConfig]
    """The answers Agent Inbox may send: a response only."""
    description: NotRequired[str]
    """The text Agent Inbox shows: the query."""


def _from_inbox(value: object, handler: ValidatorFunctionWrapHandler) -> object:
    """Read Agent Inbox's `[{"type": "response", "args": text}]` as `{"data": text}`."""
    if isinstance(value, list):
        item = value[0] if len(value) == 1 else None
        if not (
            isinstance(item, dict)
            and item.get("type") == "response"
            and set(item) <= {"type", "args"}
        ):
            raise ValueError(
                "an Agent Inbox answer to this request is [{'type': 'response', 'args': "
                f"<text>}}] (it takes a response only), got {value!r:.200}"
            )
        if not isinstance(item.get("args"), str):
            raise ValueError(f"a 'response' has the human's text as args, got {item.get('args')!r}")
        value = {"data": item["args"]}
    return handler(value)


_REPLY: Any = Annotated[HumanReply, WrapValidator(_from_inbox)]
"""The default answer: `HumanReply`, or Agent Inbox's response (made once: the schema
registry knows it by identity). Its JSON schema is `HumanReply`'s, which forms read."""


class OnReply(Protocol, Generic[ReplyT_contra]):
    """Turns a validated reply into the tool's result.

    Return a `str` (the tool message's content) or a `Command` that updates state; a
    `Command` must carry a `ToolMessage` for `tool_call_id` in its `messages` update.
    """

    def __call__(self, reply: ReplyT_contra, tool_call_id: str, /) -> str | Command[Any]: ...


class _QueryArgs(BaseModel):
    query: str = Field(description="The question or request for the human.")
    tool_call_id: Annotated[str, InjectedToolCallId]


class _Schema(Generic[ReplyT]):
    """A reply type with its JSON schema, built once per tool rather than per call."""

    def __init__(self, model: type[ReplyT]) -> None:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"response_model must be a pydantic BaseModel subclass, got {model!r}.")
        self.model = model
        self.inbox = model is HumanReply
        self.checked: Any = _REPLY if self.inbox else model
        adapter: TypeAdapter[ReplyT] = TypeAdapter(self.checked)
        register_schema(adapter, adapter.json_schema())


def _in_time(reply: BaseModel) -> BaseModel:
    # Runs while LangGraph validates the resume value: a late answer saves nothing.
    check_answer(reply, reviewer=None)
    return reply


def _timeout_answer(
    model: type[BaseModel], timeout: timedelta | None, on_timeout: object
) -> dict[str, Any] | None:
    if timeout is None:
        if on_timeout is not None:
            raise ValueError("on_timeout needs a timeout=timedelta(...) to know when to apply.")
        return None
    positive_timeout(timeout)
    if on_timeout is None:
        if model is not HumanReply:
            raise ValueError(
                f"A timeout with response_model={model.__name__} needs on_timeout=: the "
                f"{model.__name__} answer to apply when nobody answers in time."
            )
        on_timeout = HumanReply(data="No human answered before the deadline.")
    try:
        sent = dump_answer(model.model_validate(dump_answer(on_timeout)))
    except ValidationError as exc:
        raise unfit_on_timeout(on_timeout, f"a valid {model.__name__} answer", exc) from exc
    if not isinstance(sent, dict):
        raise TypeError(f"on_timeout must be a {model.__name__}, got {on_timeout!r}.")
    return sent


def _reply_text(reply: BaseModel) -> str:
    if isinstance(reply, HumanReply):
        return reply.data
    return reply.model_dump_json()


@overload
def human_assistance_tool(
    *,
    name: str = ...,
    description: str = ...,
    on_reply: OnReply[HumanReply] | None = ...,
    timeout: timedelta | None = ...,
    on_timeout: HumanReply | None = ...,
) -> BaseTool: ...


@overload
def human_assistance_tool(
    *,
    name: str = ...,
    description: str = ...,
    response_model: type[ReplyT],
    on_reply: OnReply[ReplyT] | None = ...,
    timeout: timedelta | None = ...,
    on_timeout: ReplyT | None = ...,
) -> BaseTool: ...


def human_assistance_tool(
    *,
    name: str = "human_assistance",
    description: str = DEFAULT_DESCRIPTION,
    response_model: type[BaseModel] = HumanReply,
    on_reply: OnReply[Any] | None = None,
    timeout: timedelta | None = None,
    on_timeout: BaseModel | None = None,
) -> BaseTool:
    """Make the tutorial's `human_assistance` tool: it asks a human and returns the answer.

    The tool takes `query: str` and pauses with `interrupt()`. The interrupt value is a
    `HumanAssistanceRequest`, and the interrupt carries `response_schema=response_model`,
    so LangGraph publishes the answer's JSON schema and refuses a wrong answer before
    anything is saved.

    Args:
        name: The tool's name, as the model sees it.
        description: The tool's description, as the model sees it.
        response_model: The pydantic model of the human's answer. The default,
            `HumanReply`, takes the tutorial's `{"data": "..."}`.
        on_reply: Turns the validated answer into the tool's result (`str`), or into a
            `Command` that updates custom state keys. Without it, the result is the
            answer's `data` for `HumanReply`, or the answer's JSON for other models.
        timeout: How long the human has. The request then shows `expires_at`; from that
            moment a human answer is refused and `Inbox.expire()` applies `on_timeout`.
        on_timeout: The answer applied at expiry. Default for `HumanReply`: a reply saying
            nobody answered in time; required with another `response_model`.
    """
    schema = _Schema(response_model)
    timeout_answer = _timeout_answer(response_model, timeout, on_timeout)
    # With a deadline, the answer is also checked against it (same JSON schema).
    checked: Any = Annotated[schema.checked, AfterValidator(_in_time)]

    def _ask(query: str, tool_call_id: str) -> str | Command[Any]:
        request = HumanAssistanceRequest(
            type="human_assistance", query=query, tool_call_id=tool_call_id, name=name
        )
        if schema.inbox:
            request["action_request"] = InboxActionRequest(action=name, args={"query": query})
            request["config"] = InboxConfig(
                allow_accept=False, allow_edit=False, allow_respond=True, allow_ignore=False
            )
            request["description"] = query
        if timeout is None or timeout_answer is None:
            reply = interrupt(request, response_schema=schema.checked)
        else:
            deadline = Deadline(expires_at=task_deadline(timeout), on_timeout=timeout_answer)
            request["expires_at"] = deadline.expires_at.isoformat()
            request["on_timeout"] = dict(timeout_answer)
            with active(deadline):
                reply = interrupt(request, response_schema=checked)
        if on_reply is not None:
            return on_reply(reply, tool_call_id)
        return _reply_text(reply)

    def run(query: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        return _ask(query, tool_call_id)

    async def arun(query: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        return _ask(query, tool_call_id)

    return StructuredTool.from_function(
        func=run,
        coroutine=arun,
        name=name,
        description=description,
        args_schema=_QueryArgs,
    )
