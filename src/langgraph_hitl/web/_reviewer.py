"""The web reviewer's handlers: the inbox page, a thread's page, answering, signing in.

`_app.py` routes to them (its docstring lists the routes) and the JSON API's to `_api.Api`.
Request input only selects among pending requests; every answer goes through
`ReviewOps.answer` (`_ops.py`), so the page and the API hold it to the same rules.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..core import _clock as clock
from ..core._errors import HITLError, InvalidCursorError, InvalidResumeError
from ._api import Api, client_of
from ._forms import form_for
from ._ops import messages_of, new_messages
from ._pages import Card, Chrome, cards_html, layout, login_body, messages_html
from ._posted import FormInputError, answer_from_form, place_errors
from ._refusals import friendly, status_of
from ._security import COOKIE, Throttle

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from starlette.requests import Request

    from ..core._pending import PendingInterrupt
    from ..inbox._inbox import Page
    from ._ops import ReviewOps
    from ._security import Keys, Session

__all__ = ["PAGE_LIMIT", "Reviewer"]

PAGE_LIMIT = 50
"""The inbox page lists this many requests at a time ("Next" and "Previous" for more)."""


def _pager(request: Request, page: Page, *, tool: str | None, kind: str | None) -> str:
    """The "Previous" and "Next" links of an inbox page, keeping its filters."""
    base = request.url_for("inbox").path
    filters = {k: v for k, v in (("tool", tool), ("type", kind)) if v is not None}
    links = [
        f'<a rel="{rel}" href="{escape(base + "?" + urlencode({**filters, key: cursor}))}">'
        f"{label}</a>"
        for rel, key, cursor, label in (
            ("prev", "before", page.prev_cursor, "Previous"),
            ("next", "after", page.next_cursor, "Next"),
        )
        if cursor is not None
    ]
    return f'<nav class="pager">{" ".join(links)}</nav>' if links else ""


_HEADERS = {
    # No script runs on these pages, and no other site may frame them.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Reviewer:
    """The state and the handlers of one reviewer app."""

    def __init__(self, ops: ReviewOps, *, keys: Keys, title: str, max_depth: int) -> None:
        self.ops = ops
        self.keys = keys
        self.title = title
        self.max_depth = max_depth
        self.throttle = Throttle()
        self.api = Api(self.ops, keys, title=title, throttle=self.throttle, max_depth=max_depth)

    # -- sessions ------------------------------------------------------------------------

    def _session(self, request: Request) -> Session:
        return self.keys.load(request.cookies.get(COOKIE)) or self.keys.new_session()

    def _respond(self, request: Request, response: Response, session: Session) -> Response:
        response.set_cookie(
            COOKIE,
            self.keys.dump(session),
            path=request.scope.get("root_path") or "/",
            # The browser drops it when the server would refuse it anyway.
            max_age=int(self.keys.lifetime.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        for key, value in _HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    def _chrome(self, request: Request, session: Session) -> Chrome:
        reviewer = self.keys.reviewer_of(session)
        return Chrome(
            title=self.title,
            inbox_url=request.url_for("inbox").path,
            csrf=self.keys.csrf(session),
            reviewer=reviewer,
            logout_url=request.url_for("logout").path if reviewer is not None else None,
        )

    def _page(
        self,
        request: Request,
        session: Session,
        heading: str,
        body: str,
        *,
        status: int = 200,
        banner: str = "",
        banner_kind: str = "error",
    ) -> Response:
        html = layout(
            self._chrome(request, session), heading, body, banner=banner, banner_kind=banner_kind
        )
        return self._respond(request, HTMLResponse(html, status_code=status), session)

    def _redirect(self, request: Request, session: Session, url: str) -> Response:
        return self._respond(request, RedirectResponse(url, status_code=303), session)

    def _login_needed(self, session: Session) -> bool:
        return self.keys.required and self.keys.reviewer_of(session) is None

    # -- pages ---------------------------------------------------------------------------

    def _cards(
        self,
        items: Sequence[PendingInterrupt],
        focus: Card | None,
        failed: Mapping[str, str] | None = None,
    ) -> list[Card]:
        ask = not self.keys.required
        failed = failed or {}
        return [
            focus
            if focus is not None and focus.item.id == item.id
            else Card(
                item=item,
                form=form_for(item, ask_reviewer=ask),
                notify_failed=failed.get(item.id),
            )
            for item in items
        ]

    async def _inbox_page(
        self,
        request: Request,
        session: Session,
        *,
        status: int = 200,
        banner: str = "",
        focus: Card | None = None,
    ) -> Response:
        query = request.query_params
        tool = query.get("tool") or None
        kind = query.get("type") or None
        try:
            page = await self.ops.page(
                tool=tool,
                type=kind,
                after=query.get("after") or None,
                before=query.get("before") or None,
                limit=PAGE_LIMIT,
            )
        except (InvalidCursorError, ValueError):
            # A stale or edited link: the first page, and say so.
            banner = banner or "That page link is not valid any more: showing the first page."
            page = await self.ops.page(
                tool=tool, type=kind, after=None, before=None, limit=PAGE_LIMIT
            )
        total = await self.ops.count(tool=tool, type=kind)
        items = page.items
        failed = await self.ops.failed_notifications()
        count = (
            f"{total} request{'' if total == 1 else 's'} waiting, oldest first"
            + (f"; showing {len(items)}." if len(items) < total else ".")
            if items
            else ""
        )
        body = (
            f'<p class="count">{count}</p>'
            + cards_html(
                self._cards(items, focus, failed),
                action_url=request.url_for("answer").path,
                thread_url=request.url_for("thread").path,
                csrf=self.keys.csrf(session),
                now=clock.now(),
                origin="inbox",
                empty="Nothing waits for a human right now.",
            )
            + _pager(request, page, tool=tool, kind=kind)
        )
        return self._page(request, session, "Pending requests", body, status=status, banner=banner)

    async def index(self, request: Request) -> Response:
        session = self._session(request)
        if self._login_needed(session):
            return self._redirect(request, session, request.url_for("login").path)
        return await self._inbox_page(request, session)

    async def _thread_page(
        self,
        request: Request,
        session: Session,
        thread_id: str,
        *,
        since: str | None = None,
        answered: bool = False,
        status: int = 200,
        banner: str = "",
        focus: Card | None = None,
    ) -> Response:
        values = await self.ops.values(thread_id)
        messages = messages_of(values)
        pending = await self.ops.on_thread(thread_id)
        now = clock.now()
        parts: list[str] = []
        if since is not None and messages is not None:
            before = messages_of(await self.ops.values(thread_id, since)) or []
            new = new_messages(before, messages)
            parts.append(
                '<section id="next"><h2>What the agent did next</h2>'
                + messages_html(new, empty="Nothing new yet.")
                + "</section>"
            )
        parts.append(
            '<section id="waiting"><h2>Waiting for a human on this thread</h2>'
            + cards_html(
                self._cards(pending, focus),
                action_url=request.url_for("answer").path,
                thread_url=request.url_for("thread").path,
                csrf=self.keys.csrf(session),
                now=now,
                origin="thread",
                empty="Nothing: the agent finished, or waits for no human.",
            )
            + "</section>"
        )
        if messages is not None:
            parts.append(
                f'<details id="conversation"{"" if since else " open"}><summary>'
                f"The whole conversation ({len(messages)} messages)</summary>"
                + messages_html(messages, empty="No messages.")
                + "</details>"
            )
        parts.append(
            f'<p><a href="{request.url_for("inbox").path}">Back to all pending requests</a></p>'
        )
        return self._page(
            request,
            session,
            f"Thread {thread_id}",
            "".join(parts),
            status=status,
            banner=banner or ("Your answer was sent." if answered else ""),
            banner_kind="error" if banner else "ok",
        )

    async def thread(self, request: Request) -> Response:
        session = self._session(request)
        if self._login_needed(session):
            return self._redirect(request, session, request.url_for("login").path)
        thread_id = request.query_params.get("id")
        if not thread_id:
            return self._page(
                request,
                session,
                "No thread",
                "<p>Which thread? Open one from the list of pending requests.</p>",
                status=400,
            )
        since = request.query_params.get("since") or None
        answered = request.query_params.get("answered") == "1"
        return await self._thread_page(request, session, thread_id, since=since, answered=answered)

    # -- answering -----------------------------------------------------------------------

    async def answer(self, request: Request) -> Response:
        session = self.keys.load(request.cookies.get(COOKIE))
        async with request.form() as posted:
            data = {k: v for k, v in posted.multi_items() if isinstance(v, str)}
        if session is None or not self.keys.csrf_ok(session, data.get("csrf")):
            fresh = session or self.keys.new_session()
            return self._page(
                request,
                fresh,
                "Form refused",
                "<p>This form did not come from this page, or it is too old (your "
                "session ended, the server restarted, or you signed in again). Nothing was "
                "sent. "
                f'<a href="{request.url_for("inbox").path}">Reload the list</a> '
                "and answer again.</p>",
                status=403,
            )
        if self._login_needed(session):
            return self._redirect(request, session, request.url_for("login").path)
        thread_id = data.get("thread_id", "")
        interrupt_id = data.get("interrupt_id", "")
        expect = data.get("checkpoint") or None
        action = data.get("action", "")
        origin = data.get("origin")

        async def again(status: int, banner: str, focus: Card | None = None) -> Response:
            if origin == "thread" and thread_id:
                return await self._thread_page(
                    request, session, thread_id, status=status, banner=banner, focus=focus
                )
            return await self._inbox_page(
                request, session, status=status, banner=banner, focus=focus
            )

        try:
            item = await self.ops.target(thread_id, interrupt_id)
        except HITLError as exc:
            return await again(status_of(exc)[0], friendly(exc))
        form = form_for(item, ask_reviewer=not self.keys.required)
        fix = "Your answer needs a fix (see below); nothing was sent."
        try:
            answer = answer_from_form(form, action, data, max_depth=self.max_depth)
            await self.ops.answer(
                item, answer, reviewer=self.keys.reviewer_of(session), expect_checkpoint=expect
            )
        except FormInputError as exc:
            return await again(422, fix, Card(item=item, form=form, values=data, problems=exc))
        except InvalidResumeError as exc:
            problems = place_errors(form, action, exc.errors, message=str(exc))
            return await again(422, fix, Card(item=item, form=form, values=data, problems=problems))
        except HITLError as exc:
            return await again(status_of(exc)[0], friendly(exc))
        query = urlencode({"id": thread_id, "since": item.checkpoint_id or "", "answered": "1"})
        return self._redirect(request, session, f"{request.url_for('thread').path}?{query}")

    # -- login ---------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        session = self._session(request)
        if not self.keys.required:
            return self._redirect(request, session, request.url_for("inbox").path)
        error: str | None = None
        status = 200
        if request.method == "POST":
            async with request.form() as posted:
                csrf = posted.get("csrf")
                token = posted.get("token")
            known = self.keys.load(request.cookies.get(COOKIE))
            client = client_of(request)
            wait = self.throttle.retry_after(client)
            if wait is not None:
                error = f"Too many failed sign-ins from your address; try again in {wait} s."
                body = login_body(
                    action_url=request.url_for("login").path,
                    csrf=self.keys.csrf(session),
                    error=error,
                )
                response = self._page(request, session, "Sign in", body, status=429)
                response.headers["Retry-After"] = str(wait)
                return response
            if not self.keys.csrf_ok(known, csrf if isinstance(csrf, str) else None):
                error, status = "The form was too old; please sign in again.", 403
            else:
                token_text = token.strip() if isinstance(token, str) else ""
                if self.keys.reviewer_of_token(token_text) is not None:
                    # A new nonce on sign-in: a session fixed before it is worth nothing.
                    self.keys.end(known)
                    signed_in = self.keys.new_session(token_text)
                    return self._redirect(request, signed_in, request.url_for("inbox").path)
                self.throttle.failed(client)
                error, status = "Unknown token.", 401
        body = login_body(
            action_url=request.url_for("login").path, csrf=self.keys.csrf(session), error=error
        )
        return self._page(request, session, "Sign in", body, status=status)

    async def logout(self, request: Request) -> Response:
        session = self.keys.load(request.cookies.get(COOKIE))
        async with request.form() as posted:
            csrf = posted.get("csrf")
        if session is None or self.keys.reviewer_of(session) is None:  # ended: nothing to end
            self.keys.end(session)
            return self._redirect(request, self.keys.new_session(), request.url_for("login").path)
        if not self.keys.csrf_ok(session, csrf if isinstance(csrf, str) else None):
            return self._page(
                request,
                session,
                "Form refused",
                "<p>Sign-out refused: the form did not come from this page.</p>",
                status=403,
            )
        # Ended on the server too: the old cookie, replayed, is signed out.
        self.keys.end(session)
        return self._redirect(request, self.keys.new_session(), request.url_for("login").path)
