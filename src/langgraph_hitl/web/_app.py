"""The web reviewer's app: its routes, its guards, and the ops it reads and answers with.

Routes (relative to where the app is mounted), handled by `_reviewer.Reviewer` and
`_api.Api`:

- `GET /`: pending requests across threads, each with a form made from its schema.
- `POST /answer`: a form's answer; refused input comes back next to its field, and an
  accepted one leads to the thread's page, which shows what the agent did next.
- `GET /thread?id=...`: one thread's conversation and what it waits for.
- `GET|POST /login`, `POST /logout`: when reviewers are configured. Sign-out ends the
  session on the server; after `Throttle.limit` failed sign-ins from one address within
  its window, that address gets 429 with `Retry-After`.
- `GET /api/pending`, `POST /api/threads/{thread_id}/resume`, `GET /openapi.json`.

Request input only selects among pending requests (a thread id and an interrupt id that
must be pending there); every answer goes through `Inbox.resume`, so it is validated as
`resume()` validates it and claimed so that two reviewers cannot both act. Over a
deployment (`create_app(Inbox.from_server(url))`) the same handlers run on `RemoteOps`,
and `RemoteInbox.resume` validates the answer and lets exactly one of two answers apply.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from ..notify._store import is_async_saver
from ._guards import BodyLimit, HostCheck, OriginCheck
from ._ops import GraphOps, ReviewOps
from ._reviewer import Reviewer
from ._security import Keys, Reviewers

if TYPE_CHECKING:
    import os
    from collections.abc import AsyncIterator, Mapping, Sequence
    from datetime import timedelta

    from langgraph.pregel import Pregel

    from ..inbox._remote import RemoteInbox

__all__ = ["build_app"]


def _ops_of(
    source: Pregel[Any, Any, Any, Any] | RemoteInbox, *, run_async: bool | None, lease: timedelta
) -> tuple[ReviewOps, RemoteInbox | None]:
    """The ops of a graph, or of a deployment's inbox (then also the inbox, to close)."""
    from ..inbox._remote import RemoteInbox
    from ._remote import RemoteOps

    if isinstance(source, RemoteInbox):
        if run_async is not None:
            raise TypeError(
                f"run_async={run_async!r} is for a graph: a deployment's inbox is always read "
                "with its async client; leave run_async out."
            )
        return RemoteOps(source), source
    use_async = is_async_saver(source.checkpointer) if run_async is None else run_async
    return GraphOps(source, run_async=use_async, lease=lease), None


def build_app(
    graph: Pregel[Any, Any, Any, Any] | RemoteInbox,
    *,
    reviewers: Mapping[str, str] | None,
    reviewers_file: str | os.PathLike[str] | None,
    secret_key: str | bytes | None,
    allowed_hosts: Sequence[str] | None,
    run_async: bool | None,
    lease: timedelta,
    title: str,
    session_lifetime: timedelta,
    max_body: int,
    max_json_depth: int,
) -> Starlette:
    """The Starlette app behind `create_app` (see there)."""
    if reviewers is not None and reviewers_file is not None:
        raise TypeError("Pass reviewers or reviewers_file, not both.")
    book = (
        Reviewers(path=reviewers_file)
        if reviewers_file is not None
        else Reviewers(reviewers)
        if reviewers is not None
        else None
    )
    if session_lifetime.total_seconds() <= 0:
        raise ValueError(f"session_lifetime must be positive; got {session_lifetime!r}.")
    if max_body < 1 or max_json_depth < 1:
        raise ValueError(
            f"max_body and max_json_depth must be positive; got {max_body!r}, {max_json_depth!r}."
        )
    keys = Keys(book, secret_key, lifetime=session_lifetime)
    ops, remote = _ops_of(graph, run_async=run_async, lease=lease)
    app = Reviewer(ops, keys=keys, title=title, max_depth=max_json_depth)
    routes = [
        Route("/", app.index, methods=["GET"], name="inbox"),
        Route("/thread", app.thread, methods=["GET"], name="thread"),
        Route("/answer", app.answer, methods=["POST"], name="answer"),
        Route("/login", app.login, methods=["GET", "POST"], name="login"),
        Route("/logout", app.logout, methods=["POST"], name="logout"),
        Route("/api/pending", app.api.pending, methods=["GET"], name="api_pending"),
        Route(
            "/api/threads/{thread_id:path}/resume",
            app.api.resume,
            methods=["POST"],
            name="api_resume",
        ),
        Route("/openapi.json", app.api.openapi, methods=["GET"], name="openapi"),
    ]
    hosts = list(allowed_hosts) if allowed_hosts is not None else None
    middleware = [Middleware(HostCheck, allowed_hosts=hosts)] if hosts is not None else []
    middleware += [
        Middleware(OriginCheck, allowed_hosts=hosts),
        Middleware(BodyLimit, max_body=max_body),
    ]
    lifespan = None
    if remote is not None:
        inbox = remote

        @asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            yield
            # Its async client belongs to this server's event loop; the inbox stays usable.
            await inbox.aclose()

    starlette = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    starlette.state.reviewer = app
    return starlette
