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

from ._ops import as_reviewer, pending_on_thread

if TYPE_CHECKING:
    from ..core._pending import PendingInterrupt
    from ..inbox._remote import RemoteInbox
    from ..store._cursor import Page

__all__ = ["RemoteOps"]


def _with_messages(values: Any) -> Any:
    if not isinstance(values, Mapping) or not isinstance(values.get("messages"), list):
        return values
    raw = values["messages"]
    return {**values, "messages": convert_to_messages(raw)}


class RemoteOps:
    """A deployment's requests, as the web reviewer reads and answers them."""

    def __init__(self, inbox: RemoteInbox) -> None:
        self.inbox = inbox

    async def pending(
        self,
        *,
        tool: str | None = None,
        type: str | None = None,
        thread_id: str | None = None,
        limit: int | None = None,
    ) -> list[PendingInterrupt]:
        """Pending requests across threads, oldest first."""
        return await self.inbox.apending(tool=tool, type=type, thread_id=thread_id, limit=limit)

    async def page(
        self,
        *,
        tool: str | None,
        type: str | None,
        after: str | None,
        before: str | None,
        limit: int,
        thread_id: str | None = None,
    ) -> Page:
        """One page of pending requests, with the cursors of its neighbours."""
        return await self.inbox.apage(
            tool=tool, type=type, after=after, before=before, limit=limit, thread_id=thread_id
        )

    async def count(
        self, *, tool: str | None, type: str | None, thread_id: str | None = None
    ) -> int:
        """How many requests are pending, with the same filters."""
        return await self.inbox.acount(tool=tool, type=type, thread_id=thread_id)

    async def failed_notifications(self) -> dict[str, str]:
        """Always empty: a deployment keeps no notification outbox of this library."""
        return {}

    async def on_thread(self, thread_id: str) -> list[PendingInterrupt]:
        """What waits on one thread (read from its state: with checkpoint and path)."""
        return await self.inbox.apending(thread_id=thread_id)

    async def values(self, thread_id: str, checkpoint_id: str | None = None) -> Any:
        """The thread's state, at its latest checkpoint or at `checkpoint_id`."""
        return _with_messages(await self.inbox.avalues(thread_id, checkpoint_id=checkpoint_id))

    async def target(self, thread_id: str, interrupt_id: str) -> PendingInterrupt:
        """The request an answer names: it must be pending on its thread right now.

        Raises:
            NoPendingInterruptError: The thread waits for nothing (or does not exist).
            UnknownInterruptError: Nothing with that id (or tool call id) waits there.
        """
        return pending_on_thread(await self.on_thread(thread_id), thread_id, interrupt_id)

    async def answer(
        self,
        item: PendingInterrupt,
        answer: object,
        *,
        reviewer: str | None,
        expect_checkpoint: str | None,
    ) -> object:
        """Send `answer` to `item` (as `reviewer`, for an approval); return what was sent."""
        answer = as_reviewer(item, answer, reviewer)
        await self.inbox.aresume(
            str(item.thread_id), {item.id: answer}, expect_checkpoint=expect_checkpoint
        )
        return answer
