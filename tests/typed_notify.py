"""Typing test of the notification API: checked by mypy (strict), never run.

`assert_type` lines must infer; each `# type: ignore[code]` line must NOT type-check, so
mypy (warn_unused_ignores) fails when one starts to.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from typing_extensions import assert_type

from langgraph_hitl.notify import (
    Channel,
    Email,
    EventName,
    Outcome,
    Slack,
    SweepResult,
    Webhook,
    afailed_deliveries,
    failed_deliveries,
)

if TYPE_CHECKING:
    from langgraph_hitl import Inbox


async def _checks(inbox: Inbox[Any]) -> None:
    channels = [
        Webhook("https://hooks.example.com/hitl", secret="s"),
        Slack("https://hooks.slack.com/services/x"),
        Email("smtp://mail.example.com", sender="a@example.com", to="b@example.com"),
    ]
    assert_type(channels, list[Channel])  # mixed channels need no annotation
    result = inbox.notify(channels, remind_before=timedelta(hours=1), link_base="https://r")
    assert_type(result, SweepResult)
    assert_type(await inbox.anotify(channels, max_attempts=3), SweepResult)
    assert_type(result.sent, tuple[Outcome, ...])
    assert_type(result.outcomes[0].event, EventName)
    assert_type(failed_deliveries(inbox.graph), dict[str, str])
    assert_type(await afailed_deliveries(inbox.graph), dict[str, str])

    inbox.notify(channels, retries=3)  # type: ignore[call-arg]
    inbox.notify(channels, max_attempts="3")  # type: ignore[arg-type]
    inbox.notify(channels, backoff=30)  # type: ignore[arg-type]
    inbox.notify(Webhook("https://x.example.com", secret="s"))  # type: ignore[arg-type]
    Webhook("https://x.example.com")  # type: ignore[call-arg]
    Email("smtp://mail.example.com", to="b@example.com")  # type: ignore[call-arg]
