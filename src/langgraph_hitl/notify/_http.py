"""Posting JSON over HTTP with the standard library, reusing connections (keep-alive).

One `Poster` per channel keeps the idle connections of its host, so a sweep of ten
thousand deliveries opens about as many connections as it runs deliveries at once.
"""

from __future__ import annotations

import http.client
import threading
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..core._errors import DeliveryError, InvalidChannelError

if TYPE_CHECKING:
    import ssl
    from collections.abc import Mapping

__all__ = ["Poster", "check_http_url", "describe_url"]

# Statuses that say "not now" rather than "never": worth another attempt later.
_RETRY_STATUSES = frozenset({408, 425, 429})
_MAX_BODY = 64 * 1024
_Reused = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def check_http_url(url: object, what: str) -> str:
    """`url` itself, or an error when it is not an http(s) URL with a host."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidChannelError(
            f"{what}={url!r} is not an http:// or https:// URL with a host "
            "(e.g. 'https://hooks.example.com/hitl')."
        )
    return str(url)


def describe_url(url: str) -> str:
    """The URL's scheme, host and port only: what errors may show (paths hold secrets)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


class Poster:
    """POSTs to one URL, keeping idle connections for the next request."""

    def __init__(self, url: str, *, timeout: float, ssl_context: ssl.SSLContext | None) -> None:
        parts = urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._shown = describe_url(url)
        self._timeout = timeout
        self._ssl = ssl_context
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=self._ssl
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def _exchange(
        self, conn: http.client.HTTPConnection, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, bytes, bool]:
        conn.request("POST", self._target, body=body, headers=dict(headers))
        response = conn.getresponse()
        data = response.read(_MAX_BODY + 1)
        keep = not response.will_close and len(data) <= _MAX_BODY
        return response.status, data[:_MAX_BODY], keep

    def post(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
        """The response's status and body; `DeliveryError` when no response came."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        reused = conn is not None
        if conn is None:
            conn = self._connect()
        try:
            try:
                status, data, keep = self._exchange(conn, body, headers)
            except _Reused:
                if not reused:
                    raise
                # The server closed an idle connection before this request reached it.
                conn.close()
                conn = self._connect()
                status, data, keep = self._exchange(conn, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            reason = "timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}"
            detail = str(exc)
            raise DeliveryError(
                f"POST {self._shown}: {reason}{f' ({detail})' if detail else ''}", retryable=True
            ) from exc
        if keep:
            with self._lock:
                self._idle.append(conn)
        else:
            conn.close()
        return status, data

    def check(self, status: int, data: bytes) -> None:
        """Raise `DeliveryError` unless `status` is a success."""
        if 200 <= status < 300:
            return
        text = data.decode("utf-8", "replace").strip()[:200]
        raise DeliveryError(
            f"POST {self._shown}: HTTP {status}{f' {text!r}' if text else ''}",
            retryable=status >= 500 or status in _RETRY_STATUSES,
        )

    def close(self) -> None:
        """Close the idle connections."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
