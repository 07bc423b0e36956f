"""The web reviewer's reads and answers over a deployment: `RemoteOps`, shaped as `GraphOps`.

`web._ops.ReviewOps` is what the pages and the API call (`pending`, `page`, `count`,
`on_thread`, `values`, `target`, `answer`, `failed_notifications`); this is it over a
`RemoteInbox`, which `create_app(Inbox.from_server(url))` serves. The server returns
messages as JSON; they are turned back into LangChain messages, which the pages show.
A deployment has no notification outbox of this library (`notify` runs next to a
checkpointer), so no request is ever shown as "notification failed".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.messages import convert_to_messages

from ._ops import ReviewOps

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..core._pending import PendingInterrupt
    from ..inbox._remote import RemoteInbox
    from ..store._cursor import Page
    from ._ops import Filters

__all__ = ["RemoteOps"]


def _with_messages(values: object) -> object:
    if not isinstance(values, Mapping) or not isinstance(values.get("messages"), list):
        return values
    raw = values["messages"]
    return {**values, "messages": convert_to_messages(raw)}


class RemoteOps(ReviewOps):
    """A deployment's requests, as the web reviewer reads and answers them."""

    def __init__(self, inbox: RemoteInbox) -> None:
        self.inbox = inbox

    async def pending(
        self, *, limit: int | None = None, **filters: Unpack[Filters]
    ) -> list[PendingInterrupt]:
        return await self.inbox.apending(limit=limit, **filters)

    async def page(
        self, *, after: str | None, before: str | None, limit: int, **filters: Unpack[Filters]
    ) -> Page:
        return await self.inbox.apage(after=after, before=before, limit=limit, **filters)

    async def count(self, **filters: Unpack[Filters]) -> int:
        return await self.inbox.acount(**filters)

    async def failed_notifications(self) -> dict[str, str]:
        """Always empty: a deployment keeps no notification outbox of this library."""
        return {}

    async def on_thread(self, thread_id: str) -> list[PendingInterrupt]:
        """What waits on one thread (read from its state: with checkpoint and path)."""
        return await self.inbox.apending(thread_id=thread_id)

    async def values(self, thread_id: str, checkpoint_id: str | None = None) -> Any:
        """The thread's state, at its latest checkpoint or at `checkpoint_id`."""
        return _with_messages(await self.inbox.avalues(thread_id, checkpoint_id=checkpoint_id))

    async def resume(
        self, thread_id: str, answers: dict[str, object], *, expect_checkpoint: str | None
    ) -> None:
        await self.inbox.aresume(thread_id, answers, expect_checkpoint=expect_checkpoint)
