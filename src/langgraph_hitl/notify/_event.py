"""The one event every channel receives, and how it is written on the wire.

An event is plain JSON, built from a `PendingInterrupt`: the same dict for a webhook's
body, a Slack message and an e-mail. Its body is written once, when a delivery is first
claimed, and stored: every repeat of that delivery sends the very same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import quote, urlsplit

from typing_extensions import TypedDict

from ..core._errors import InvalidChannelError

if TYPE_CHECKING:
    from ..core._pending import PendingInterrupt

__all__ = [
    "EVENTS",
    "EventName",
    "NotificationEvent",
    "check_link_base",
    "encode",
    "event_of",
    "idempotency_key",
    "link_of",
]

EventName = Literal["request.created", "request.reminder", "request.expired"]
"""What happened to a request.

- `"request.created"`: a request waits for a human (sent once per request and channel).
- `"request.reminder"`: its deadline is near (`remind_before`); sent once.
- `"request.expired"`: nobody answered in time and `Inbox.expire()` applied its
  `on_timeout` answer.
"""

EVENTS: tuple[EventName, ...] = get_args(EventName)

# Fields of a request's value that are bookkeeping, not what the human is asked about.
_BOOKKEEPING = frozenset(
    {
        "type",
        "name",
        "tool_call_id",
        "expires_at",
        "on_timeout",
        "allowed_decisions",
        "reviewers",
        # The copies of the request other UI clients read (Agent Inbox, Agent Chat UI).
        "action_request",
        "config",
        "action_requests",
        "review_configs",
    }
)


class NotificationEvent(TypedDict):
    """What every channel is told about a request (JSON)."""

    event: EventName
    """What happened: see `EventName`."""
    thread_id: str
    """The request's thread."""
    interrupt_id: str
    """The request's interrupt id (answer it with `Inbox.resume(thread_id, {id: answer})`)."""
    type: str | None
    """The request's kind (`"tool_approval"`, `"human_assistance"`, ...)."""
    tool: str | None
    """The tool the request is about (`value["name"]`), if any."""
    args: dict[str, Any] | None
    """An approval's tool arguments; for other requests, what they ask (e.g. `{"query"}`)."""
    description: str | None
    """The text shown to the reviewer (an approval's description, a question's query)."""
    expires_at: str | None
    """The request's deadline (ISO 8601, UTC), if it has one."""
    link: str | None
    """The web reviewer's page of this request, when a `link_base` is configured."""


def idempotency_key(interrupt_id: str, event: EventName) -> str:
    """`<interrupt id>:<event>`: the same for every repeat of one notification."""
    return f"{interrupt_id}:{event}"


def check_link_base(link_base: str | None) -> str | None:
    """`link_base` without a trailing slash, or an error for anything but an http(s) URL."""
    if link_base is None:
        return None
    parts = urlsplit(link_base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidChannelError(
            f"link_base={link_base!r} is not an http:// or https:// URL of the web reviewer "
            "(e.g. 'https://review.example.com')."
        )
    return link_base.rstrip("/")


def link_of(link_base: str | None, thread_id: str, interrupt_id: str) -> str | None:
    """The web reviewer's page of one request: its thread, scrolled to the request's card."""
    if link_base is None:
        return None
    return f"{link_base}/thread?id={quote(thread_id, safe='')}#req-{interrupt_id}"


def _text(fields: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        if isinstance(fields.get(key), str):
            return str(fields[key])
    return None


def event_of(
    item: PendingInterrupt, event: EventName, *, link_base: str | None
) -> NotificationEvent:
    """The event about `item` (a request read from the inbox)."""
    value = item.value
    fields: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    args: dict[str, Any] | None
    if isinstance(fields.get("args"), Mapping):
        args = dict(fields["args"])
    elif fields:
        args = {k: v for k, v in fields.items() if k not in _BOOKKEEPING | {"description"}}
    else:
        args = {"value": value}
    thread_id = item.thread_id or ""
    return {
        "event": event,
        "thread_id": thread_id,
        "interrupt_id": item.id,
        "type": item.type,
        "tool": _text(fields, "name"),
        "args": args,
        "description": _text(fields, "description", "query", "question"),
        "expires_at": item.expires_at.isoformat() if item.expires_at else None,
        "link": link_of(link_base, thread_id, item.id),
    }


def encode(event: NotificationEvent) -> str:
    """The event as the JSON text that is stored and sent."""
    return json.dumps(event, ensure_ascii=False, default=str, separators=(",", ":"))


def decode(body: str) -> NotificationEvent:
    """A stored event back (the sweep reads `request.created` to write `request.expired`)."""
    data: NotificationEvent = json.loads(body)
    return data
