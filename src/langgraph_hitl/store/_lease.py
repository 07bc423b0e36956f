"""Keeping a claim alive: the lease an answering process holds, and its heartbeats.

A claim (`_claims`) carries its own expiry, its lease, renewed by a heartbeat while the
answer runs: a process that died mid-answer blocks the thread for no longer than one
lease. Leases are read and written with the library's clock (`_clock`), so machines that
share a database must keep their clocks in sync (NTP) to well within a lease. A renewal
that fails is logged (`logging.getLogger("langgraph_hitl")`); a lease that lapsed is lost
for good, and the answer checks it once more right before the graph runs.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core import _clock as clock

if TYPE_CHECKING:
    from ._claims import AsyncClaims, Claims

__all__ = ["IDLE", "POLL", "Heartbeat", "Lease", "arenew_forever"]

logger = logging.getLogger("langgraph_hitl")

POLL = 0.25
"""Real seconds between two looks of a heartbeat at the library clock."""
IDLE = 1.0
"""Real seconds the heartbeat naps while this process holds no claim."""


@dataclass(slots=True)
class Lease:
    """What the answering process knows of the claim it holds."""

    thread_id: str
    owner: str
    seconds: float
    until: float
    """The expiry the store last confirmed (library clock)."""
    failed: int = 0
    """Renewals in a row that raised (the store may or may not still hold the claim)."""
    lost: bool = False
    """A renewal found the claim gone: someone else may hold the thread now."""
    stopped: bool = False
    """The answer is done: the claim is being released, renewals stop."""

    @property
    def every(self) -> float:
        """How often the heartbeat renews: every third of the lease."""
        return self.seconds / 3

    def renewed(self, until: float | None) -> None:
        """Record a renewal's outcome (None: the claim was gone)."""
        if self.stopped:
            return
        if until is None:
            self.lost = True
            logger.warning(
                "Lost the claim on thread %r (owner %s): its lease ran out before it could be "
                "renewed, so another process may answer this thread now.",
                self.thread_id,
                self.owner,
            )
        else:
            self.until = until
            self.failed = 0

    def failure(self, exc: BaseException) -> None:
        """Record a renewal that raised."""
        if self.stopped:
            return
        logger.warning(
            "Could not renew the claim on thread %r (owner %s; lease held until %.3f): %r. "
            "Retrying; the answer re-checks its claim before it is sent.",
            self.thread_id,
            self.owner,
            self.until,
            exc,
            exc_info=exc,
        )
        # Counted once it is logged: whoever sees `failed` also finds the warning.
        self.failed += 1

    def due(self) -> bool:
        """Whether a renewal is due (a third of the lease since the last one)."""
        return not (self.lost or self.stopped) and clock.timestamp() >= self.until - 2 * self.every


class Heartbeat:
    """Renews the claims this process holds, each every third of its lease, in one thread.

    One daemon thread for the whole process, started with the first claim: starting a
    thread per answer would cost more than the claim itself. It wakes every `POLL` real
    seconds to read the library clock, so a test's `FakeClock` drives the renewals as the
    real clock does. Renewals run one after the other; each lease leaves two thirds of
    itself for the ones ahead.
    """

    _shared: Heartbeat | None = None
    _made = threading.Lock()

    def __init__(self) -> None:
        self._leases: dict[int, tuple[Claims, Lease]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="langgraph-hitl-claims", daemon=True)
        self._thread.start()

    @classmethod
    def shared(cls) -> Heartbeat:
        """The process's heartbeat."""
        with cls._made:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def add(self, claims: Claims, lease: Lease) -> None:
        """Start renewing `lease` in `claims`."""
        with self._lock:
            self._leases[id(lease)] = (claims, lease)
        if lease.every < IDLE:
            # Only a lease shorter than the idle nap needs the thread woken now; waking it
            # for every answer would cost each answer a thread switch.
            self._wake.set()

    def remove(self, lease: Lease) -> None:
        """Stop renewing `lease` (its claim is about to be released)."""
        lease.stopped = True  # a renewal still running must not report the release as a loss
        with self._lock:
            self._leases.pop(id(lease), None)

    def _run(self) -> None:
        while True:
            with self._lock:
                live = list(self._leases.values())
            nap = min([POLL if live else IDLE, *(lease.every for _, lease in live)])
            self._wake.wait(nap)
            self._wake.clear()
            for claims, lease in live:
                if lease.due():
                    try:
                        lease.renewed(claims.renew(lease.thread_id, lease.owner, lease.seconds))
                    except Exception as exc:
                        lease.failure(exc)


async def arenew_forever(claims: AsyncClaims, lease: Lease) -> None:
    """The async heartbeat of one claim: run it as a task, cancel it when the answer is done."""
    while not (lease.lost or lease.stopped):
        await asyncio.sleep(min(POLL, lease.every))
        if lease.due():
            try:
                lease.renewed(await claims.renew(lease.thread_id, lease.owner, lease.seconds))
            except Exception as exc:
                lease.failure(exc)
