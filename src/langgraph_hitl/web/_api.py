"""The JSON API: `GET /api/pending`, `POST /api/threads/{thread_id}/resume`, `/openapi.json`.

With reviewers configured, every `/api/` call needs `Authorization: Bearer <token>` (the
schema at `/openapi.json` is public: it holds no data). After `Throttle.limit` wrong
tokens from one address within its window, that address gets 429. Cookies are
never read here, so a cross-site page cannot borrow a reviewer's browser session; the
resume call also insists on `Content-Type: application/json`, which a cross-site form
cannot send.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from starlette.responses import JSONResponse, Response

from ..core._errors import HITLError, InvalidCursorError, InvalidResumeError, UnknownInterruptError
from ..core._jsontext import JSONValueError
from ..core._jsontext import loads as strict_json
from ._ops import Filters, messages_of, new_messages
from ._refusals import status_of
from ._wire import (
    ErrorOut,
    PendingList,
    ResumeBody,
    ResumeOut,
    field_errors,
    message_out,
    openapi_schema,
    pending_out,
)

if TYPE_CHECKING:
    from starlette.requests import Request

    from ._ops import ReviewOps
    from ._security import Keys, Throttle

__all__ = ["Api"]

PAGE_LIMIT = 50
"""Requests per page when a cursor comes without `limit`, as on the inbox page."""


def _error(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = ErrorOut(error=code, message=message, **extra)
    sent = {"WWW-Authenticate": "Bearer", **(headers or {})} if status == 401 else headers
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=sent)


def client_of(request: Request) -> str:
    """The address failed attempts are counted against."""
    return request.client.host if request.client is not None else "unknown"


def too_many(retry_after: int) -> JSONResponse:
    """The 429 answer to an address that failed too often."""
    return _error(
        429,
        "too_many_attempts",
        f"Too many wrong tokens from this address; try again in {retry_after} s.",
        headers={"Retry-After": str(retry_after)},
    )


class Api:
    """The JSON handlers of one reviewer app."""

    def __init__(
        self, ops: ReviewOps, keys: Keys, *, title: str, throttle: Throttle, max_depth: int
    ) -> None:
        self.ops = ops
        self.keys = keys
        self.title = title
        self.throttle = throttle
        self.max_depth = max_depth

    def _reviewer(self, request: Request) -> tuple[str | None, JSONResponse | None]:
        """The token's reviewer (None when the app has none), or the 401 to send."""
        if not self.keys.required:
            return None, None
        client = client_of(request)
        wait = self.throttle.retry_after(client)
        if wait is not None:
            return None, too_many(wait)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else None
        reviewer = self.keys.reviewer_of_token(bearer)
        if reviewer is None:
            if bearer:  # a wrong guess; a call without any token guesses nothing
                self.throttle.failed(client)
            return None, _error(
                401, "unauthorized", "Send a reviewer's token as 'Authorization: Bearer <token>'."
            )
        return reviewer, None

    async def pending(self, request: Request) -> Response:
        """`GET /api/pending?tool=&type=&thread_id=&limit=&after=&before=`.

        Without `limit` or a cursor, every request (as before cursors existed); with
        either, one page (of `PAGE_LIMIT` unless `limit` says so) and its neighbours' cursors.
        """
        _, refused = self._reviewer(request)
        if refused is not None:
            return refused
        query = request.query_params
        limit: int | None = None
        if query.get("limit"):
            try:
                limit = int(query["limit"])
            except ValueError:
                limit = 0
            if limit < 1:
                return _error(
                    422,
                    "invalid_query",
                    f"limit={query['limit']!r} is not a positive whole number.",
                )
        filters = Filters(
            tool=query.get("tool") or None,
            type=query.get("type") or None,
            thread_id=query.get("thread_id") or None,
        )
        after, before = query.get("after") or None, query.get("before") or None
        if limit is None and after is None and before is None:
            items = await self.ops.pending(**filters)
            out = PendingList(pending=[pending_out(i) for i in items], total=len(items))
            return JSONResponse(out.model_dump(mode="json"))
        try:
            page = await self.ops.page(
                after=after, before=before, limit=limit or PAGE_LIMIT, **filters
            )
        except InvalidCursorError as exc:
            return _error(422, "invalid_cursor", str(exc))
        except ValueError as exc:  # both cursors
            return _error(422, "invalid_query", str(exc))
        out = PendingList(
            pending=[pending_out(i) for i in page.items],
            total=await self.ops.count(**filters),
            next_cursor=page.next_cursor,
            prev_cursor=page.prev_cursor,
        )
        return JSONResponse(out.model_dump(mode="json"))

    async def resume(self, request: Request) -> Response:
        """`POST /api/threads/{thread_id}/resume` with a `ResumeBody`."""
        reviewer, refused = self._reviewer(request)
        if refused is not None:
            return refused
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(
                415,
                "unsupported_media_type",
                "Send the body as JSON with 'Content-Type: application/json'.",
            )
        thread_id: str = request.path_params["thread_id"]
        try:
            # outer=1: the limit is about the answer, not the body's own object around it.
            data = strict_json(await request.body(), max_depth=self.max_depth, outer=1)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return _error(400, "invalid_json", f"The body is not JSON: {exc}.")
        except JSONValueError as exc:
            return _error(422, "invalid_json_value", f"The body is refused: {exc}")
        try:
            body = ResumeBody.model_validate(data)
        except ValidationError as exc:
            problems = exc.errors(include_url=False)
            return _error(
                422,
                "invalid_body",
                f"The body is not a resume request ({exc.error_count()} problem(s)); expected "
                '{"interrupt_id": ..., "answer": ..., "expect_checkpoint": ...}.',
                errors=[{"loc": list(e["loc"]), "message": e["msg"]} for e in problems],
            )
        try:
            item = await self.ops.target(thread_id, body.interrupt_id)
            before = messages_of(await self.ops.values(thread_id)) or []
            sent = await self.ops.answer(
                item, body.answer, reviewer=reviewer, expect_checkpoint=body.expect_checkpoint
            )
        except HITLError as exc:
            status, code = status_of(exc)
            extra: dict[str, Any] = {}
            if isinstance(exc, InvalidResumeError):
                extra["errors"] = field_errors(exc.errors)
            if isinstance(exc, UnknownInterruptError):
                extra["pending"] = list(exc.pending)
            return _error(status, code, str(exc), **extra)
        after = messages_of(await self.ops.values(thread_id)) or []
        recorded = sent.get("reviewer") if isinstance(sent, dict) else None
        out = ResumeOut(
            thread_id=thread_id,
            interrupt_id=item.id,
            reviewer=recorded if isinstance(recorded, str) else None,
            new_messages=[message_out(m) for m in new_messages(before, after)],
            pending=[pending_out(p) for p in await self.ops.on_thread(thread_id)],
        )
        return JSONResponse(out.model_dump(mode="json"))

    async def openapi(self, request: Request) -> Response:
        """`GET /openapi.json`."""
        return JSONResponse(openapi_schema(title=self.title, secured=self.keys.required))
