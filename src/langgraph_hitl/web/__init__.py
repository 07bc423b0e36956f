"""The web reviewer: approve, edit, reject or answer pending requests from a browser.

Needs the `web` extra (`pip install 'langgraph-hitl[web]'`). Run it with
`langgraph-hitl serve path/to/file.py:graph --db URL`, or mount `create_app(graph)` in an
existing ASGI service. See docs/web.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ._app import build_app

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from langgraph.pregel import Pregel
    from starlette.applications import Starlette

__all__ = ["LOOPBACK_HOSTS", "create_app"]

LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")
"""Host names a server bound to loopback answers to (others are refused: DNS rebinding)."""


def create_app(
    graph: Pregel[Any, Any, Any, Any],
    *,
    reviewers: Mapping[str, str] | None = None,
    secret_key: str | bytes | None = None,
    allowed_hosts: Sequence[str] | None = None,
    run_async: bool | None = None,
    lease: timedelta = timedelta(minutes=5),
    title: str = "langgraph-hitl reviewer",
) -> Starlette:
    """The web reviewer of `graph`, as an ASGI app (Starlette) to serve or mount.

    Args:
        graph: A compiled graph with a checkpointer: its pending requests across all
            threads are listed and answered.
        reviewers: Token -> reviewer name. When given, the page asks for a token once
            (then keeps a session cookie) and the API wants `Authorization: Bearer
            <token>`; the name is recorded as the `reviewer` of every approval decision,
            overriding what the client sent, so each tool's `reviewers` check applies to
            the authenticated person. Without it, anyone who reaches the app may answer.
        secret_key: Signs the session cookies; random per app when not given, so sessions
            end with the process.
        allowed_hosts: Host names the app answers to (others get 400), e.g.
            `LOOPBACK_HOSTS`; None accepts any (as when mounted behind a proxy).
        run_async: Use the graph's async API (`ainvoke`, `aget_state`). Default: when the
            checkpointer is `AsyncSqliteSaver` or `AsyncPostgresSaver`; otherwise the sync
            API runs in worker threads.
        lease: How long a reviewer's claim on a request lasts (see `Inbox`).
        title: Shown at the top of every page and in the OpenAPI schema.
    """
    return build_app(
        graph,
        reviewers=reviewers,
        secret_key=secret_key,
        allowed_hosts=allowed_hosts,
        run_async=run_async,
        lease=lease,
        title=title,
    )
