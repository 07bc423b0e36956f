"""How the remote inbox talks to the server: its SDK clients, and the loop that runs steps.

The inbox's logic is written once, as generators that yield `Call`s and get each call's
result back (sans-I/O); `Transport.drive` runs them on the sync client, `Transport.adrive`
on the async one (with `core._plan`'s drivers). A failed call is thrown back into the
generator as the library's error (`ServerError`, with the HTTP status, caused by the
client's error), so the logic handles a 404 or a 409 where it means something, and
everything else reaches the caller as one clear error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ..core._compat import sdk_http
from ..core._errors import ServerError
from ..core._plan import adrive, drive

if TYPE_CHECKING:
    from langgraph_sdk.client import LangGraphClient, SyncLangGraphClient

__all__ = ["SDK_RETRIES", "Call", "Steps", "Transport"]

T = TypeVar("T")

SDK_RETRIES = 5
"""What `langgraph_sdk`'s clients do: a refused connection is tried 5 more times (httpcore's
backoff, about 7.5 s in all), and a run's result stream that is cut off is reconnected 5
times (1, 2, 4, 5 and 5 s apart): long enough for a restart or a deploy."""


def _settings_of(made: object) -> dict[str, Any]:
    """What an SDK client's httpx client was made with: URL, headers (the API key lookup
    and user agent included) and timeouts. It is made, never opened, for these alone."""
    http = sdk_http(made).client
    return {"base_url": http.base_url, "headers": http.headers, "timeout": http.timeout}


@dataclass(frozen=True, slots=True)
class Call:
    """One call of the SDK client: `client.<group>.<method>(*args, **kwargs)`."""

    group: str
    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


Steps = Generator[Call, Any, T]


class Transport:
    """The sync and async SDK clients of one server, made when first needed.

    The clients are `langgraph_sdk`'s, with its URL, headers, API key lookup and timeouts;
    only their transport is this inbox's own, so that `retries` applies.
    """

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None,
        headers: Mapping[str, str] | None,
        retries: int = SDK_RETRIES,
    ) -> None:
        self.url = url
        self.retries = retries
        self._api_key = api_key
        self._headers = dict(headers or {})
        self._sync: SyncLangGraphClient | None = None
        self._async: tuple[asyncio.AbstractEventLoop, LangGraphClient] | None = None

    def _client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"url": self.url, "headers": self._headers or None}
        if self._api_key is not None:
            kwargs["api_key"] = self._api_key
        return kwargs

    def _sync_client(self) -> SyncLangGraphClient:
        if self._sync is None:
            from langgraph_sdk import get_sync_client
            from langgraph_sdk.client import SyncLangGraphClient

            made = get_sync_client(**self._client_kwargs())
            self._sync = SyncLangGraphClient(
                httpx.Client(
                    **_settings_of(made), transport=httpx.HTTPTransport(retries=self.retries)
                )
            )
        return self._sync

    def _async_client(self) -> LangGraphClient:
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            from langgraph_sdk import get_client
            from langgraph_sdk.client import LangGraphClient

            made = get_client(**self._client_kwargs())
            client = LangGraphClient(
                httpx.AsyncClient(
                    **_settings_of(made),
                    transport=httpx.AsyncHTTPTransport(retries=self.retries),
                )
            )
            # An httpx async client belongs to the loop it was made in.
            self._async = (loop, client)
        return self._async[1]

    def close(self) -> None:
        """Close the sync client's connections."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        """Close both clients' connections."""
        self.close()
        if self._async is not None:
            _, client = self._async
            self._async = None
            await client.aclose()

    def error(self, exc: Exception, call: Call) -> Exception:
        """The library error a failed SDK call stands for (others pass unchanged)."""
        where = f"The LangGraph Server at {self.url!r}"
        if isinstance(exc, httpx.HTTPStatusError):
            status = exc.response.status_code
            if status in (401, 403):
                return ServerError(
                    f"{where} refused the credentials (HTTP {status}): check the API key "
                    "(api_key=, or --api-key-env VAR on the command line) or the headers.",
                    url=self.url,
                    status_code=status,
                )
            try:
                detail = str(exc.response.json().get("detail") or exc.response.text)
            except (ValueError, AttributeError):
                detail = exc.response.text
            return ServerError(
                f"{where} answered HTTP {status} to {call.group}.{call.method}: {detail}",
                url=self.url,
                status_code=status,
            )
        if isinstance(exc, httpx.TransportError):
            return ServerError(
                f"Cannot reach the LangGraph Server at {self.url!r} ({exc or type(exc).__name__})"
                ": check the URL, and that the server is running.",
                url=self.url,
            )
        return exc

    def drive(self, steps: Steps[T]) -> T:
        """Run `steps` on the sync client; return what they return."""
        client = self._sync_client()

        def do(call: Call) -> Any:
            try:
                return getattr(getattr(client, call.group), call.method)(*call.args, **call.kwargs)
            except Exception as exc:
                error = self.error(exc, call)
                if error is exc:
                    raise
                raise error from exc

        return drive(steps, do)

    async def adrive(self, steps: Steps[T]) -> T:
        """Run `steps` on the async client; return what they return."""
        client = self._async_client()

        async def do(call: Call) -> Any:
            try:
                method = getattr(getattr(client, call.group), call.method)
                return await method(*call.args, **call.kwargs)
            except Exception as exc:
                error = self.error(exc, call)
                if error is exc:
                    raise
                raise error from exc

        return await adrive(steps, do)
