"""What a sweep is asked to do (`SweepOptions`, checked by `settings`) and what it did.

`Outcome` is one delivery attempt; `SweepResult` all of a sweep's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from typing_extensions import TypedDict

from ..core._errors import InvalidChannelError
from ._channels import Channel
from ._event import EventName, check_link_base

__all__ = [
    "DEFAULT_RETENTION",
    "MAX_BACKOFF",
    "Outcome",
    "OutcomeStatus",
    "Settings",
    "SweepOptions",
    "SweepResult",
    "settings",
]

OutcomeStatus = Literal["sent", "retry", "failed"]
"""What became of one delivery attempt.

- `"sent"`: the receiver took it.
- `"retry"`: it failed and will be tried again on a later sweep (after a backoff).
- `"failed"`: it failed for good (attempts used up, or the receiver refused it).
"""

MAX_BACKOFF = timedelta(hours=6)
"""The longest wait between two attempts of one delivery."""

DEFAULT_RETENTION = timedelta(days=30)
"""How long the outbox keeps the rows of a finished request (`SweepOptions.retention`)."""


class SweepOptions(TypedDict, total=False):
    """Keyword options of a sweep (`Inbox.notify`, `notify.sweep`)."""

    link_base: str | None
    """The web reviewer's URL: each event's `link` is the request's page there."""
    max_attempts: int
    """Attempts per delivery before it is marked failed (default 5)."""
    backoff: timedelta
    """Wait after the first failure, doubled after each next one (default 30 s, at most 6 h)."""
    concurrency: int
    """Deliveries in flight at once (default 16)."""
    lease: timedelta
    """How long a claim holds without renewal: a sweeper killed mid-delivery delays its
    deliveries by at most this (default 1 minute; renewed while deliveries run)."""
    retention: timedelta
    """How long the outbox keeps what it sent about a request once the request is answered
    (default 30 days); older rows are purged by the sweeps. Rows of pending requests, and
    deliveries still to be sent or retried, are never purged."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """One delivery attempt of a sweep."""

    interrupt_id: str
    """The request's interrupt id."""
    thread_id: str
    """The request's thread."""
    event: EventName
    """What was announced."""
    channel: str
    """The channel's `key`."""
    status: OutcomeStatus
    """What became of it."""
    attempts: int
    """Attempts so far, this one included."""
    error: str | None
    """Why it failed, or None."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SweepResult:
    """What one sweep attempted (deliveries another sweeper held are not in it)."""

    outcomes: tuple[Outcome, ...]
    """Every attempt, in the order they were made."""
    purged: int = 0
    """Outbox rows of finished requests this sweep deleted, being older than `retention`."""

    def _with(self, status: OutcomeStatus) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.status == status)

    @property
    def sent(self) -> tuple[Outcome, ...]:
        """The deliveries the receivers took."""
        return self._with("sent")

    @property
    def retrying(self) -> tuple[Outcome, ...]:
        """The deliveries that failed and will be tried again."""
        return self._with("retry")

    @property
    def failed(self) -> tuple[Outcome, ...]:
        """The deliveries that failed for good."""
        return self._with("failed")


@dataclass(frozen=True, slots=True)
class Settings:
    """A sweep's settings, checked (see `settings`)."""

    channels: dict[str, Channel]
    remind_before: timedelta | None
    link_base: str | None
    max_attempts: int
    backoff: timedelta
    concurrency: int
    lease: timedelta
    retention: timedelta


def _count(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidChannelError(f"{name} must be an int from {low} to {high}, got {value!r}.")
    return value


def _span(name: str, value: object, *, zero: bool = False) -> timedelta:
    if not isinstance(value, timedelta) or value < timedelta(0) or (not zero and not value):
        kind = "a non-negative" if zero else "a positive"
        raise InvalidChannelError(f"{name} must be {kind} datetime.timedelta, got {value!r}.")
    return value


def settings(
    channels: Sequence[Channel], remind_before: timedelta | None, options: SweepOptions
) -> Settings:
    """The checked settings of a sweep."""
    unknown = set(options) - set(SweepOptions.__annotations__)
    if unknown:
        raise TypeError(
            f"unknown sweep options {sorted(unknown)}; accepted: "
            f"{sorted(SweepOptions.__annotations__)}."
        )
    if isinstance(channels, Channel) or not isinstance(channels, Sequence) or not channels:
        raise InvalidChannelError(
            f"channels must be a non-empty list of channels (Webhook, Email, Slack), "
            f"got {channels!r}."
        )
    keyed: dict[str, Channel] = {}
    for channel in channels:
        if not isinstance(channel, Channel):
            raise InvalidChannelError(
                f"{channel!r} is not a channel: expected Webhook, Email, Slack, or an object "
                "with `key`, `deliver(delivery)` and `close()`."
            )
        if not isinstance(channel.key, str) or not channel.key:
            raise InvalidChannelError(
                f"channel {channel!r} has key={channel.key!r}: a channel's key is a non-empty "
                "str that names it (e.g. 'printer')."
            )
        if channel.key in keyed:
            raise InvalidChannelError(f"channel {channel!r} is listed twice.")
        keyed[channel.key] = channel
    return Settings(
        channels=keyed,
        remind_before=None if remind_before is None else _span("remind_before", remind_before),
        link_base=check_link_base(options.get("link_base")),
        max_attempts=_count("max_attempts", options.get("max_attempts", 5), 1, 1000),
        backoff=_span("backoff", options.get("backoff", timedelta(seconds=30)), zero=True),
        concurrency=_count("concurrency", options.get("concurrency", 16), 1, 512),
        lease=_span("lease", options.get("lease", timedelta(minutes=1))),
        retention=_span("retention", options.get("retention", DEFAULT_RETENTION)),
    )
