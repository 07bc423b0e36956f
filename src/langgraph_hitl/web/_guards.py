"""ASGI guards in front of every route: the Host check, a body size limit, an Origin check.

- `HostCheck` answers 400 to a request whose `Host` is none of the allowed names (a page
  on another site that points a DNS name at this server: DNS rebinding).

- `BodyLimit` refuses a request body larger than the limit with 413 before any handler
  reads (or parses) it: at once when `Content-Length` says so, else as soon as the
  streamed body passes the limit. Accepted bodies are buffered and handed on.
- `OriginCheck` refuses a POST whose `Origin` (or, without one, `Referer`) names a host
  other than the allowed ones (or, with no list, other than the request's own `Host`)
  with 403. Browsers send `Origin` with every POST, so a page of another site cannot post
  even a form it copied; clients that send neither (curl, scripts) are not affected. The
  forms' CSRF tokens are checked as well.

Refusals are JSON for the API (or a JSON request), a short HTML page otherwise.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "HostCheck", "OriginCheck", "host_allowed"]


async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str) -> None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    wants_json = "json" in headers.get("content-type", "") or "json" in headers.get("accept", "")
    if wants_json or "/api/" in scope.get("path", ""):
        body = json.dumps({"error": code, "message": message, "errors": [], "pending": []})
        kind = "application/json"
    else:
        body = (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Refused</title>'
            f'</head><body><h1>Refused</h1><p id="refused">{escape(message)}</p></body></html>'
        )
        kind = "text/html; charset=utf-8"
    data = body.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind.encode()),
                (b"content-length", str(len(data)).encode()),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


class BodyLimit:
    """Refuse request bodies over `max_body` bytes with 413, before they are parsed."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    def _too_large(self, size: str) -> str:
        return (
            f"The request body is too large ({size}); this server accepts at most "
            f"{self.max_body} bytes. Nothing was sent."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for key, value in scope["headers"]:
            if key.lower() == b"content-length":
                declared = value.decode("latin-1").strip()
                if not declared.isdigit() or int(declared) > self.max_body:
                    await _refuse(
                        scope, send, 413, "body_too_large", self._too_large(f"{declared} bytes")
                    )
                    return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _refuse(
                    scope, send, 413, "body_too_large", self._too_large(f"over {self.max_body}")
                )
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _bare(host: str) -> str:
    return host.strip().lower().strip("[]")


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    """Whether `host` matches one of `allowed` (exact names, `*.example.com`, or `*`)."""
    name = _bare(host)
    for pattern in allowed:
        wanted = _bare(pattern)
        if wanted == "*" or wanted == name:
            return True
        if wanted.startswith("*.") and name.endswith(wanted[1:]):
            return True
    return False


class OriginCheck:
    """Refuse a POST from another origin (its `Origin` or `Referer` host) with 403."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Sequence[str] | None) -> None:
        self.app = app
        self.allowed = list(allowed_hosts) if allowed_hosts is not None else None

    def _ok(self, source: str, own_host: str) -> bool:
        if source == "null":  # sandboxed frames and some redirects: no origin to trust
            return False
        host = urlsplit(source).hostname
        if not host:
            return False
        own = urlsplit(f"//{own_host}").hostname or ""
        if self.allowed is None or "*" in self.allowed:
            return _bare(host) == _bare(own)
        return host_allowed(host, self.allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        source = headers.get("origin") or headers.get("referer")
        if source is not None and not self._ok(source, headers.get("host", "")):
            await _refuse(
                scope,
                send,
                403,
                "forbidden_origin",
                f"A post from {source!r} is refused: it does not come from this server's own "
                "pages. Nothing was sent.",
            )
            return
        await self.app(scope, receive, send)


def _host_of(header: str) -> str:
    return urlsplit(f"//{header}").hostname or "" if header else ""


class HostCheck:
    """Refuse requests whose `Host` header is not one of `allowed_hosts` with 400."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allowed = list(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"host"), ""
        )
        try:
            host = _host_of(header)
        except ValueError:  # a malformed Host (e.g. a bad port)
            host = ""
        if not host or not host_allowed(host, self.allowed):
            await _refuse(
                scope,
                send,
                400,
                "invalid_host",
                f"This server does not answer to the host {header!r}; it answers to "
                f"{', '.join(self.allowed)}.",
            )
            return
        await self.app(scope, receive, send)
