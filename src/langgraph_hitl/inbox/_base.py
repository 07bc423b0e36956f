"""What `Inbox` and `RemoteInbox` share: `page` and `count`, written once over plans.

Each inbox writes its operations as plans (generators of effects: `core._plan`) and says
how its plans are driven, with plain calls (`_drive`) and with awaits (`_adrive`); the
public methods here check their arguments and drive the inbox's plan, so the two inboxes
and the sync and async twins take the same arguments and check them the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Generic, TypeVar

from ..store._cursor import Filters
from ._bounds import Bounds, bounds

if TYPE_CHECKING:
    from collections.abc import Generator

    from ..store._cursor import Page

__all__ = ["BaseInbox"]

E = TypeVar("E")
"""What the inbox's plans yield: its effects."""
R = TypeVar("R")
"""What its plans receive for each effect."""
T = TypeVar("T")


class BaseInbox(ABC, Generic[E, R]):
    """The listing methods both inboxes have, over their own plans and drivers."""

    @abstractmethod
    def _drive(self, plan: Generator[E, R, T]) -> T:
        """Carry `plan` out with plain calls."""

    @abstractmethod
    async def _adrive(self, plan: Generator[E, R, T]) -> T:
        """Carry `plan` out with awaits."""

    @abstractmethod
    def _page_plan(self, at: Bounds) -> Generator[E, R, Page]:
        """The plan of one `page` call."""

    @abstractmethod
    def _count_plan(self, filters: Filters) -> Generator[E, R, int]:
        """The plan of one `count` call."""

    def _page_bounds(
        self, limit: int, after: str | None, before: str | None, filters: Filters
    ) -> Bounds:
        """The checked arguments of a `page` call (an inbox may refuse other cursors)."""
        return bounds(limit, after, before, filters)

    def page(
        self,
        *,
        limit: int = 50,
        after: str | None = None,
        before: str | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
    ) -> Page:
        """One page of pending requests, oldest first, with the cursors of its neighbours.

        Cursors stay valid while requests are added and answered: a page never repeats or
        skips a request that stays pending. What a page costs:

        - `Inbox`: on SQLite and PostgreSQL the filters and the page are applied in SQL
          through indexes, so a page costs the same at 100 requests and at a million.
        - `RemoteInbox`: the server's listing is read from its start until the page is
          known (the server has no keyset filter), so a later page costs more than the
          first. A cursor of `Inbox(graph)` is refused.

        Args:
            limit: At most this many requests (at least 1).
            after: A cursor (`Page.next_cursor`): the page that follows it.
            before: A cursor (`Page.prev_cursor`): the page that precedes it.
            tool: Only requests about this tool (`value["name"]`).
            type: Only requests of this kind (`"tool_approval"`, `"human_assistance"`, ...).
            thread_id: Only this thread.

        Raises:
            InvalidCursorError: A cursor that is malformed, or made for other filters (or,
                for `RemoteInbox`, for another listing).
            ServerError: `RemoteInbox` only: the server is unreachable, refused the
                credentials, or has no such assistant.
        """
        at = self._page_bounds(limit, after, before, Filters(tool, type, thread_id))
        return self._drive(self._page_plan(at))

    async def apage(
        self,
        *,
        limit: int = 50,
        after: str | None = None,
        before: str | None = None,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
    ) -> Page:
        """Async twin of `page`."""
        at = self._page_bounds(limit, after, before, Filters(tool, type, thread_id))
        return await self._adrive(self._page_plan(at))

    def count(
        self, *, tool: str | None = None, type: str | None = None, thread_id: str | None = None
    ) -> int:
        """How many requests are pending, with the same filters as `page` and `pending`.

        `RemoteInbox` reads them all.
        """
        return self._drive(self._count_plan(Filters(tool, type, thread_id)))

    async def acount(
        self, *, tool: str | None = None, type: str | None = None, thread_id: str | None = None
    ) -> int:
        """Async twin of `count`."""
        return await self._adrive(self._count_plan(Filters(tool, type, thread_id)))
