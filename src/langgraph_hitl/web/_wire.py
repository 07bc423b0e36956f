"""The JSON API's shapes, as pydantic models: what it returns, and its OpenAPI schema.

The same models produce the responses and the schema's components, so the published
schema cannot drift from what the API sends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from ..core._display import has_hidden

if TYPE_CHECKING:
    from ..core._errors import FieldError
    from ..core._pending import PendingInterrupt

__all__ = [
    "API_ERRORS",
    "ErrorOut",
    "FieldErrorOut",
    "MessageOut",
    "PendingList",
    "PendingOut",
    "ResumeBody",
    "ResumeOut",
    "jsonable",
    "message_out",
    "openapi_schema",
    "pending_out",
]


class ResumeBody(BaseModel):
    """The body of `POST /api/threads/{thread_id}/resume`."""

    model_config = ConfigDict(extra="forbid")

    interrupt_id: str = Field(min_length=1)
    """The id of the pending request to answer (or its tool call id)."""
    answer: Any
    """The answer, as `resume()` takes it (e.g. `{"type": "approve"}` or `{"data": "..."}`)."""
    expect_checkpoint: str | None = None
    """The request's `checkpoint_id` as listed: refused with 409 if the thread moved on."""


class PendingOut(BaseModel):
    """One pending request."""

    thread_id: str | None
    interrupt_id: str
    type: str | None = Field(description='"tool_approval", "human_assistance", ... or null')
    tool: str | None = Field(description="The tool under review (approvals), if any.")
    tool_call_id: str | None
    description: str | None = Field(description="The text meant for the reviewer, if any.")
    args: dict[str, Any] | None = Field(description="The tool's arguments (approvals).")
    value: Any = Field(description="The interrupt's value, as the graph raised it.")
    response_schema: dict[str, Any] | None = Field(
        description="The JSON schema the answer must match."
    )
    checkpoint_id: str | None = Field(description="Send back as `expect_checkpoint`.")
    created_at: datetime | None
    expires_at: datetime | None
    node: str
    path: list[str]
    hidden_characters: bool = Field(
        description="The value or thread id contains hidden characters (bidi controls, "
        "zero-width or control characters): pages show them as <U+XXXX>; here the values "
        "are exact."
    )


class PendingList(BaseModel):
    """`GET /api/pending`: pending requests across threads, oldest first."""

    pending: list[PendingOut]
    total: int = Field(description="How many requests wait with these filters.")
    next_cursor: str | None = Field(
        default=None, description="Pass as `after=` for the next page; null on the last."
    )
    prev_cursor: str | None = Field(
        default=None, description="Pass as `before=` for the previous page; null on the first."
    )


class MessageOut(BaseModel):
    """One message of a thread."""

    id: str | None
    type: str = Field(description='"human", "ai", "tool", "system", ...')
    content: Any
    text: str
    name: str | None = None
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    tool_call_id: str | None = None
    status: str | None = None


class ResumeOut(BaseModel):
    """The result of an accepted answer: what the agent did next."""

    thread_id: str
    interrupt_id: str
    reviewer: str | None = Field(description="The reviewer recorded with the decision.")
    new_messages: list[MessageOut] = Field(description="Messages the agent added after the answer.")
    pending: list[PendingOut] = Field(description="What the thread waits for now.")


class FieldErrorOut(BaseModel):
    """Why an answer was refused, at one place in it."""

    loc: list[str | int]
    message: str


class ErrorOut(BaseModel):
    """An error: nothing was sent to the graph."""

    error: str = Field(description="A stable code, e.g. invalid_answer, conflict, expired.")
    message: str
    errors: list[FieldErrorOut] = Field(default_factory=list)
    pending: list[str] = Field(default_factory=list, description="Pending interrupt ids.")


def _default(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return repr(value)


def jsonable(value: object) -> Any:
    """`value` as plain JSON (objects that are not JSON become their `repr`)."""
    return json.loads(json.dumps(value, default=_default))


def field_errors(errors: Sequence[FieldError]) -> list[FieldErrorOut]:
    """The API form of `InvalidResumeError.errors`."""
    return [FieldErrorOut(loc=list(e.loc), message=e.message) for e in errors]


def pending_out(item: PendingInterrupt) -> PendingOut:
    """The API form of a pending request."""
    value = jsonable(item.value)
    fields: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    approval = fields.get("type") == "tool_approval"
    description = fields.get("description") if approval else fields.get("query")
    args = fields.get("args")
    return PendingOut(
        thread_id=item.thread_id,
        interrupt_id=item.id,
        type=item.type,
        tool=str(fields["name"]) if approval and "name" in fields else None,
        tool_call_id=item.tool_call_id,
        description=description if isinstance(description, str) else None,
        args=args if approval and isinstance(args, dict) else None,
        value=value,
        response_schema=item.response_schema,
        checkpoint_id=item.checkpoint_id,
        created_at=item.created_at,
        expires_at=item.expires_at,
        node=item.node,
        path=list(item.path),
        hidden_characters=has_hidden([item.value, item.thread_id]),
    )


def message_out(message: BaseMessage) -> MessageOut:
    """The API form of a message."""
    calls = (
        [
            {"name": c["name"], "args": jsonable(c["args"]), "id": c.get("id")}
            for c in message.tool_calls
        ]
        if isinstance(message, AIMessage)
        else []
    )
    return MessageOut(
        id=message.id,
        type=message.type,
        content=jsonable(message.content),
        text=message.text,
        name=message.name,
        tool_calls=calls,
        tool_call_id=message.tool_call_id if isinstance(message, ToolMessage) else None,
        status=message.status if isinstance(message, ToolMessage) else None,
    )


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }


API_ERRORS: tuple[tuple[int, str, str, tuple[str, ...]], ...] = (
    (400, "invalid_host", "The Host header is not a name the server answers to.", ("*",)),
    (400, "invalid_json", "The body is not JSON.", ("resume",)),
    (400, "refused", "The answer was refused for another reason (see `message`).", ("resume",)),
    (401, "unauthorized", "Reviewers are configured; the token is missing or unknown.", ("*",)),
    (403, "forbidden_origin", "The Origin (or Referer) is another site.", ("resume",)),
    (404, "unknown_interrupt", "No request with that id waits on that thread.", ("resume",)),
    (404, "no_pending_interrupt", "The thread waits for no answer.", ("resume",)),
    (409, "conflict", "Another reviewer answered first, or the thread moved on.", ("resume",)),
    (409, "ambiguous", "Several requests wait and the answer names none.", ("resume",)),
    (410, "expired", "The request's deadline passed; its on_timeout answer applies.", ("resume",)),
    (413, "body_too_large", "The body is larger than the server's limit.", ("resume",)),
    (415, "unsupported_media_type", "The body is not application/json.", ("resume",)),
    (422, "invalid_answer", "The answer does not fit the request's schema.", ("resume",)),
    (422, "invalid_body", "The body is not a resume request.", ("resume",)),
    (
        422,
        "invalid_json_value",
        "The JSON has NaN or Infinity, or nests too deeply.",
        ("resume",),
    ),
    (422, "invalid_query", "A bad query parameter.", ("pending",)),
    (422, "invalid_cursor", "A cursor that is malformed or made for other filters.", ("pending",)),
    (429, "too_many_attempts", "Too many wrong tokens from this address.", ("*",)),
    (500, "resume_failed", "The graph failed with the answer; it was taken back.", ("resume",)),
)
"""Every error the JSON API answers with: (status, `error` code, when, operations)."""


def _errors_of(operation: str) -> dict[str, Any]:
    by_status: dict[str, list[str]] = {}
    for status, code, when, where in API_ERRORS:
        if operation in where or "*" in where:
            by_status.setdefault(str(status), []).append(f"`{code}`: {when}")
    return {status: _error_response(" ".join(lines)) for status, lines in by_status.items()}


def openapi_schema(*, title: str, secured: bool) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the JSON API."""
    _, defs = models_json_schema(
        [(m, "serialization") for m in (PendingList, ResumeOut, ErrorOut)]
        + [(ResumeBody, "validation")],
        ref_template="#/components/schemas/{model}",
    )
    components: dict[str, Any] = {"schemas": defs.get("$defs", {})}
    security: list[dict[str, list[str]]] = []
    if secured:
        components["securitySchemes"] = {
            "reviewerToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "A reviewer's token from the server's configuration.",
            }
        }
        security = [{"reviewerToken": []}]
    ok = "application/json"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": "1",
            "description": "Pending human requests of a LangGraph graph, and their answers.",
        },
        "paths": {
            "/api/pending": {
                "get": {
                    "operationId": "listPending",
                    "summary": "Pending requests across threads, oldest first",
                    "parameters": [
                        {"name": n, "in": "query", "required": False, "schema": s, "description": d}
                        for n, s, d in (
                            ("tool", {"type": "string"}, "Only requests about this tool."),
                            ("type", {"type": "string"}, "Only requests of this type."),
                            ("thread_id", {"type": "string"}, "Only this thread."),
                            ("limit", {"type": "integer", "minimum": 1}, "At most this many."),
                            ("after", {"type": "string"}, "A `next_cursor`: the page after it."),
                            ("before", {"type": "string"}, "A `prev_cursor`: the page before."),
                        )
                    ],
                    "security": security,
                    "responses": {
                        "200": {
                            "description": "The pending requests.",
                            "content": {
                                ok: {"schema": {"$ref": "#/components/schemas/PendingList"}}
                            },
                        },
                        **_errors_of("pending"),
                    },
                }
            },
            "/api/threads/{thread_id}/resume": {
                "post": {
                    "operationId": "resume",
                    "summary": "Answer a pending request (validated as resume() does)",
                    "parameters": [
                        {
                            "name": "thread_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {ok: {"schema": {"$ref": "#/components/schemas/ResumeBody"}}},
                    },
                    "security": security,
                    "responses": {
                        "200": {
                            "description": "Accepted: what the agent did next.",
                            "content": {ok: {"schema": {"$ref": "#/components/schemas/ResumeOut"}}},
                        },
                        **_errors_of("resume"),
                    },
                }
            },
        },
        "components": components,
    }
