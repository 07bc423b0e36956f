"""The web reviewer: approve, edit, reject or answer pending requests from a browser.

Needs the `web` extra (`pip install 'langgraph-hitl[web]'`). Run it with
`langgraph-hitl serve path/to/file.py:graph --db URL` (or `serve --url URL` for a LangGraph
Server deployment), or mount `create_app(graph)` (or `create_app(Inbox.from_server(url))`)
in an existing ASGI service. See docs/web.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ._app import build_app

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence

    from langgraph.pregel import Pregel
    from starlette.applications import Starlette

    from ..inbox._remote import RemoteInbox

__all__ = ["LOOPBACK_HOSTS", "create_app"]

LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")
"""Host names a server bound to loopback answers to (others are refused: DNS rebinding)."""


def create_app(
    graph: Pregel[Any, Any, Any, Any] | RemoteInbox,
    *,
    reviewers: Mapping[str, str] | None = None,
    reviewers_file: str | os.PathLike[str] | None = None,
    secret_key: str | bytes | None = None,
    allowed_hosts: Sequence[str] | None = None,
    run_async: bool | None = None,
    lease: timedelta = timedelta(minutes=5),
    title: str = "langgraph-hitl reviewer",
    session_lifetime: timedelta = timedelta(hours=12),
    max_body: int = 1024 * 1024,
    max_json_depth: int = 64,
) -> Starlette:
    """The web reviewer of `graph`, as an ASGI app (Starlette) to serve or mount.

    Args:
        graph: A compiled graph with a checkpointer: its pending requests across all
            threads are listed and answered. Or the inbox of a LangGraph Server deployment
            (`Inbox.from_server(url, ...)`): its requests are listed and answered through
            the server's API, with the inbox's API key and headers; the app closes the
            inbox's connections when it shuts down (the inbox stays usable). Mounted in
            another app, whose lifespan is the one that runs, close it there
            (`await inbox.aclose()`).
        reviewers: Token -> reviewer name. When given, the page asks for a token once
            (then keeps a session cookie) and the API wants `Authorization: Bearer
            <token>`; the name is recorded as the `reviewer` of every approval decision,
            overriding what the client sent, so each tool's `reviewers` check applies to
            the authenticated person. Without it, anyone who reaches the app may answer.
            Every token needs at least 16 characters (`langgraph-hitl token NAME`).
        reviewers_file: A JSON file `{token: name}` instead of `reviewers`, re-read when it
            changes: removing a token ends its sessions.
        secret_key: Signs the session cookies; random per app when not given, so sessions
            end with the process.
        allowed_hosts: Host names the app answers to (others get 400), e.g.
            `LOOPBACK_HOSTS`; None accepts any (as when mounted behind a proxy).
        run_async: Use the graph's async API (`ainvoke`, `aget_state`). Default: when the
            checkpointer is `AsyncSqliteSaver` or `AsyncPostgresSaver`; otherwise the sync
            API runs in worker threads. Not for a deployment (always async).
        lease: How long a reviewer's claim on a request lasts (see `Inbox`); a
            deployment has no claims (see docs/deployment.md).
        title: Shown at the top of every page and in the OpenAPI schema.
        session_lifetime: A sign-in lasts this long (signing out ends it sooner).
        max_body: Request bodies larger than this many bytes are refused with 413.
        max_json_depth: JSON (a form's JSON box, the API's body) nested deeper than this is
            refused with 422, as are `NaN` and `Infinity`.

    Raises:
        ReviewersConfigError: A malformed reviewers mapping or file, or a short token.
        TypeError: `run_async` given with a deployment's inbox.
    """
    return build_app(
        graph,
        reviewers=reviewers,
        reviewers_file=reviewers_file,
        secret_key=secret_key,
        allowed_hosts=allowed_hosts,
        run_async=run_async,
        lease=lease,
        title=title,
        session_lifetime=session_lifetime,
        max_body=max_body,
        max_json_depth=max_json_depth,
    )
