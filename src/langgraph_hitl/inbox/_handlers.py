"""Carrying the inbox's plans out on a checkpointer: one handler with plain calls, one with awaits.

The plans (`_listing`, `_answering`) say what to read and what to send; a handler does
only that I/O, one effect at a time, for one operation (`core._plan.drive` / `adrive`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.memory import InMemorySaver

from ..answers._send import arun, run
from ..core._compat import memory_storage
from ..core._pending import PendingInterrupt, apending_interrupts, pending_interrupts, saver_of
from ._answering import Answer, Record
from ._listing import Query, ReadThreads, Ready, stamped

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel

    from ..notify._expired import AsyncExpiryRecorder, ExpiryRecorder
    from ..store._triggers import AsyncListing, Listing
    from ._answering import Effect
    from ._listing import Outcome

__all__ = ["AsyncHandler", "SyncHandler"]


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


class SyncHandler:
    """Carries out the effects of one operation's plan with plain calls."""

    def __init__(
        self, graph: Pregel[Any, Any, Any, Any], sql: Callable[[], Listing | None]
    ) -> None:
        self.graph = graph
        self.sql = sql
        self.recorder: ExpiryRecorder | None = None

    def __call__(self, effect: Effect) -> Outcome:
        if isinstance(effect, Query):
            sql = self.sql()
            assert sql is not None  # a plan queries only after `Ready` gave a dialect
            return sql.run(effect.plan)
        if isinstance(effect, Ready):
            sql = self.sql()
            return None if sql is None else sql.dialect
        if isinstance(effect, ReadThreads):
            threads = self._threads() if effect.threads is None else effect.threads
            return [stamped(p) for t in threads for p in pending_interrupts(self.graph, _config(t))]
        if isinstance(effect, Answer):
            run(self.graph, effect.plan)
            return None
        assert isinstance(effect, Record)
        if self.recorder is None:
            from ..notify._expired import ExpiryRecorder

            self.recorder = ExpiryRecorder(self.graph.checkpointer)
        self.recorder(effect.item)
        return None

    def _threads(self) -> list[str]:
        saver = saver_of(self.graph)
        if isinstance(saver, InMemorySaver):
            return [str(t) for t in memory_storage(saver)]
        return list(
            dict.fromkeys(str(c.config["configurable"]["thread_id"]) for c in saver.list(None))
        )


class AsyncHandler:
    """Carries out the effects of one operation's plan with awaits."""

    def __init__(
        self, graph: Pregel[Any, Any, Any, Any], sql: Callable[[], Awaitable[AsyncListing | None]]
    ) -> None:
        self.graph = graph
        self.sql = sql
        self.recorder: AsyncExpiryRecorder | None = None

    async def __call__(self, effect: Effect) -> Outcome:
        if isinstance(effect, Query):
            sql = await self.sql()
            assert sql is not None  # a plan queries only after `Ready` gave a dialect
            return await sql.run(effect.plan)
        if isinstance(effect, Ready):
            sql = await self.sql()
            return None if sql is None else sql.dialect
        if isinstance(effect, ReadThreads):
            threads = await self._threads() if effect.threads is None else effect.threads
            items: list[PendingInterrupt] = []
            for t in threads:
                items.extend(map(stamped, await apending_interrupts(self.graph, _config(t))))
            return items
        if isinstance(effect, Answer):
            await arun(self.graph, effect.plan)
            return None
        assert isinstance(effect, Record)
        if self.recorder is None:
            from ..notify._expired import AsyncExpiryRecorder

            self.recorder = AsyncExpiryRecorder(self.graph.checkpointer)
        await self.recorder(effect.item)
        return None

    async def _threads(self) -> list[str]:
        saver = saver_of(self.graph)
        if isinstance(saver, InMemorySaver):
            return [str(t) for t in memory_storage(saver)]
        seen = [str(c.config["configurable"]["thread_id"]) async for c in saver.alist(None)]
        return list(dict.fromkeys(seen))
