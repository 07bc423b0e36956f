"""What a reviewer answers to an approval request: `Approve`, `Edit`, `Reject`, `Respond`.

The wire shapes are LangChain's (`HumanInTheLoopMiddleware`), so a client written for it
works unchanged: `{"type": "approve"}`, `{"type": "edit", "edited_action": {"name": ...,
"args": {...}}}`, `{"type": "reject", "message": "..."}` (message optional) and
`{"type": "respond", "message": "..."}`. Each may also carry `"reviewer"`.

`decision_model` builds, once per tool, the type an approval interrupt validates its answer
with: only the allowed decisions, the edit pinned to the tool's name and its argument schema,
and `reviewer` restricted to the tool's reviewers when it has any.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union, cast, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    RootModel,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    create_model,
    model_validator,
)

from ..core._shapes import (
    AnswerShape,
    Reading,
    batch_schema,
    inbox_schema,
    read_answer,
    relocate,
    server_reviewer,
)
from ._deadline import TIMEOUT_REVIEWER, check_answer
from ._edits import edit_args

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from langchain_core.tools.base import ArgsSchema
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema, InitErrorDetails
    from typing_extensions import Self

    from ._edits import Pinned

__all__ = [
    "DECISION_TYPES",
    "Approve",
    "DecisionRoot",
    "Decision",
    "DecisionType",
    "Edit",
    "EditedAction",
    "Escalation",
    "Reject",
    "Respond",
    "Voters",
    "decision_model",
    "publishing",
]

DecisionType = Literal["approve", "edit", "reject", "respond"]
"""The kinds of decision a reviewer can make about a tool call.

- `"approve"`: run the tool with the model's arguments.
- `"edit"`: run the tool with the reviewer's arguments instead.
- `"reject"`: do not run the tool; the model is told it was rejected (and why, if given).
- `"respond"`: do not run the tool; the reviewer's message is the tool's result.
"""

DECISION_TYPES: tuple[DecisionType, ...] = get_args(DecisionType)


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: DecisionType
    """The decision's tag; each subclass fixes it."""
    reviewer: str | None = None
    """Who decided. Required, and one of the tool's `reviewers`, when the tool names them.

    A declared name, checked against the list; it is not authentication: the application
    must authenticate whoever sends the decision.
    """


class Approve(_Decision):
    """Run the tool call as the model asked."""

    type: Literal["approve"] = "approve"
    """Always `"approve"`."""


class EditedAction(BaseModel):
    """The tool call the reviewer wants run instead of the model's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """The tool's name: it must be the tool under review (an edit cannot switch tools)."""
    args: dict[str, Any]
    """The full arguments to run the tool with, checked against the tool's own schema."""


class Edit(_Decision):
    """Run the tool with the reviewer's arguments; the model is told they were changed."""

    type: Literal["edit"] = "edit"
    """Always `"edit"`."""
    edited_action: EditedAction
    """The call to run instead."""


class Reject(_Decision):
    """Do not run the tool; the model gets an error tool message."""

    type: Literal["reject"] = "reject"
    """Always `"reject"`."""
    message: str | None = None
    """Why, shown to the model. Without it the model is told not to retry the call."""


def _has_text(message: str) -> str:
    if not message.strip():
        raise ValueError(
            f"a response must contain text (non-whitespace characters), got {message!r}"
        )
    return message


class Respond(_Decision):
    """Do not run the tool; the reviewer's message is the tool's result."""

    type: Literal["respond"] = "respond"
    """Always `"respond"`."""
    # The pattern is published in the JSON schema, so clients can check it before sending.
    message: Annotated[str, AfterValidator(_has_text), Field(json_schema_extra={"pattern": r"\S"})]
    """The tool result the model gets, as if the tool had returned it (some non-whitespace
    text: an empty result would tell the model nothing)."""


class Escalation(BaseModel):
    """The system's answer at the deadline of a request that escalates (see `Escalate`).

    Only `Inbox.expire` sends it, as the request's published `on_timeout`; it hands the
    request to the next reviewers instead of deciding.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["escalate"] = "escalate"
    """Always `"escalate"`."""
    reviewer: str
    """Always the system's name, `TIMEOUT_REVIEWER`."""
    at: str
    """The deadline that escalates the request (ISO 8601): the next one counts from it."""


@dataclass(frozen=True, slots=True)
class Voters:
    """Who may vote on a request now, for a tool with a policy."""

    eligible: tuple[str, ...] | None
    """The names accepted (None: any name not refused)."""
    refused: tuple[tuple[str, str], ...] = ()
    """Names refused now, each with the reason."""
    system: bool = False
    """Whether the system's name (`TIMEOUT_REVIEWER`) is accepted (the request has a deadline)."""

    def check(self, name: str) -> str:
        if name == TIMEOUT_REVIEWER and self.system:
            return name
        reasons = dict(self.refused)
        who = (
            f"who may vote now: {list(self.eligible)}"
            if self.eligible is not None
            else f"any reviewer but {sorted(reasons)}"
        )
        if name in reasons:
            raise ValueError(f"reviewer {name!r} {reasons[name]}; {who}")
        if not name or (self.eligible is not None and name not in self.eligible):
            raise ValueError(f"reviewer {name!r} may not vote on this request; {who}")
        return name

    def json_schema(self) -> dict[str, Any]:
        if self.eligible is not None:
            names = [*self.eligible, *([TIMEOUT_REVIEWER] if self.system else [])]
            return {"enum": names, "type": "string"}
        schema: dict[str, Any] = {"type": "string", "minLength": 1}
        if self.refused:
            schema["not"] = {"enum": [name for name, _ in self.refused]}
        return schema


Decision = Annotated[Approve | Edit | Reject | Respond, Discriminator("type")]
"""Any reviewer decision, read by its `type` tag (one precise error per bad answer)."""

_BY_TYPE: dict[DecisionType, type[_Decision]] = {
    "approve": Approve,
    "edit": Edit,
    "reject": Reject,
    "respond": Respond,
}

# Set by an approval tool around its `interrupt()`, which builds the JSON schema of the
# decision model at every pause (milliseconds for a per-tool union). The model then gives a
# placeholder, and the tool publishes its schema computed once (equal to pydantic's).
publishing: contextvars.ContextVar[type[BaseModel] | None] = contextvars.ContextVar(
    "langgraph_hitl_publishing", default=None
)


class DecisionRoot(RootModel[Any]):
    """Base of the per-tool decision types that `decision_model` builds.

    Besides one decision, it reads Agent Chat UI's and Agent Inbox's answers (see
    `langgraph_hitl.core._shapes`) as the decision they mean, and remembers which shape it was.
    """

    _reading: ClassVar[Reading]
    _shape: AnswerShape = PrivateAttr("decision")

    @model_validator(mode="wrap")
    @classmethod
    def _read(cls, value: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if isinstance(value, (_Decision, Escalation)):
            # A decision model sent as-is (e.g. `Command(resume=Approve())`) is read as its
            # wire dict, so the tool's own, stricter variant of that model validates it.
            decision: object = value.model_dump(mode="json", exclude_none=True)
            shape: AnswerShape = "decision"
        else:
            decision, shape = read_answer(value, cls._reading)
        reviewer = server_reviewer()
        if reviewer is not None and isinstance(decision, dict):
            # On LangGraph Server the authenticated user decides, whoever the payload names.
            decision = {**decision, "reviewer": reviewer}
        try:
            result = handler(decision)
        except ValidationError as exc:
            if shape == "decision":
                raise
            raise ValidationError.from_exception_data(
                exc.title,
                [
                    cast(
                        "InitErrorDetails",
                        {
                            "type": error["type"],
                            "loc": relocate(tuple(error["loc"]), shape),
                            "input": error["input"],
                            **({"ctx": error["ctx"]} if "ctx" in error else {}),
                        },
                    )
                    for error in exc.errors()
                ],
            ) from None
        result._shape = shape
        return result

    @model_validator(mode="after")
    def _in_time(self) -> Self:
        # A tool with a deadline refuses late human answers and early timeout answers
        # while LangGraph validates the resume value, so a refused one saves nothing.
        check_answer(self.root, reviewer=getattr(self.root, "reviewer", None))
        return self

    @property
    def shape(self) -> AnswerShape:
        """The shape the answer came in."""
        return self._shape

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        if publishing.get() is cls:
            return {"type": "object"}
        schema = handler(core_schema)
        # The decision union keeps its place (and its discriminator, which readers of
        # LangChain's per-call schema use); the other clients' shapes are further branches.
        if "$ref" in schema:  # a single allowed decision: no union
            decision: dict[str, Any] = {"$ref": schema.pop("$ref")}
            target = schema
            target["oneOf"] = [decision]
        else:
            target = handler.resolve_ref_schema(schema)
            decision = {k: target[k] for k in ("oneOf", "discriminator") if k in target}
        target["oneOf"] = [
            *target["oneOf"],
            batch_schema(decision),
            inbox_schema(cls._reading),
        ]
        return schema


def _reviewer_field(voters: Voters) -> object:
    return Annotated[str, AfterValidator(voters.check), WithJsonSchema(voters.json_schema())]


def _variant(
    kind: DecisionType,
    *,
    tool_name: str,
    args_schema: ArgsSchema | None,
    reviewers: tuple[str, ...] | None,
    allow_extra: bool,
    voters: Voters | None = None,
    pinned: Pinned | None = None,
) -> type[_Decision]:
    """One decision model for one tool: tag required, reviewer and edit pinned to the tool."""
    base = _BY_TYPE[kind]
    # Field types made at runtime: typed `Any` here, checked by pydantic.
    fields: dict[str, Any] = {
        # Required (no default) so the published schema says what LangChain's does.
        "type": (Literal[kind], ...),
    }
    if voters is not None:
        fields["reviewer"] = (_reviewer_field(voters), ...)
    elif reviewers is not None:
        fields["reviewer"] = (Literal[reviewers], ...)
    if kind == "edit":
        action: dict[str, Any] = {
            "name": (Literal[tool_name], ...),
            "args": (edit_args(args_schema, allow_extra=allow_extra, pinned=pinned), ...),
        }
        edited = create_model("EditedAction", __base__=EditedAction, __module__=__name__, **action)
        fields["edited_action"] = (edited, ...)
    model = create_model(
        base.__name__, __base__=base, __module__=__name__, __doc__=base.__doc__, **fields
    )
    return cast("type[_Decision]", model)


def _escalation(at: str) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "type": (Literal["escalate"], ...),
        "reviewer": (Literal[TIMEOUT_REVIEWER], ...),
        "at": (Literal[at], ...),
    }
    return create_model(
        "Escalation",
        __base__=Escalation,
        __module__=__name__,
        __doc__=Escalation.__doc__,
        **fields,
    )


def decision_model(
    tool_name: str,
    *,
    allowed: Sequence[DecisionType],
    args_schema: ArgsSchema | None,
    reviewers: Collection[str] | None,
    allow_extra: bool = False,
    voters: Voters | None = None,
    pinned: Pinned | None = None,
    escalate_at: str | None = None,
) -> type[DecisionRoot]:
    """The type an approval interrupt validates its answer with, built once per tool.

    A `RootModel` rather than the bare union: LangGraph makes a `TypeAdapter` of the type
    at every `interrupt()`, which for a model reuses its validator (microseconds) and for a
    union rebuilds it (a tenth of a millisecond or more). An edit's arguments may hold
    keys `args_schema` does not declare only with `allow_extra` (the tool takes them).

    A tool with a policy builds one per request instead: `voters` says who may vote now
    (instead of `reviewers`), `pinned` which arguments an edit may not change, and
    `escalate_at` admits the system's escalation at that deadline.
    """
    names = tuple(sorted(reviewers)) if reviewers is not None else None
    members: tuple[type[BaseModel], ...] = tuple(
        _variant(
            kind,
            tool_name=tool_name,
            args_schema=args_schema,
            reviewers=names,
            allow_extra=allow_extra,
            voters=voters,
            pinned=pinned,
        )
        for kind in dict.fromkeys(allowed)
    )
    if escalate_at is not None:
        members = (*members, _escalation(escalate_at))
    # A union of one member cannot take a discriminator.
    root: object = (
        members[0] if len(members) == 1 else Annotated[Union[members], Discriminator("type")]  # noqa: UP007
    )
    field: dict[str, Any] = {"root": (root, ...)}
    model = create_model(
        f"Decision_{tool_name}", __base__=DecisionRoot, __module__=__name__, **field
    )
    model._reading = Reading(
        tool_name=tool_name, allowed=tuple(allowed), properties=_properties(args_schema)
    )
    return model


def _properties(args_schema: ArgsSchema | None) -> dict[str, Any]:
    """The JSON schema of each argument of the tool, to read values typed as text."""
    if isinstance(args_schema, type) and issubclass(args_schema, BaseModel):
        schema: Any = TypeAdapter(args_schema).json_schema()
    elif isinstance(args_schema, dict):
        schema = args_schema
    else:
        return {}
    properties = schema.get("properties")
    return dict(properties) if isinstance(properties, dict) else {}
