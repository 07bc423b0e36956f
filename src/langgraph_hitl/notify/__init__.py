"""Notifications: tell a human that a request waits, on a webhook, Slack or by e-mail.

`Inbox(graph).notify([Webhook(url, secret=...)])` runs one sweep: every pending request
is announced once per channel (`request.created`), reminded once before its deadline
(`remind_before=`), and announced again when `Inbox.expire()` answered it
(`request.expired`). What was delivered is kept in the checkpointer's own database (an
outbox table), claimed before sending, so parallel sweepers do not send twice and a
sweeper that dies is taken over; failures are retried on later sweeps with exponential
backoff, then marked failed (`failed_deliveries`). See docs/notifications.md.
"""

from ..core._errors import DeliveryError, InvalidChannelError
from ._channels import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Channel,
    Delivery,
    Email,
    Slack,
    Webhook,
    sign,
    verify_signature,
)
from ._event import EventName, NotificationEvent, idempotency_key
from ._failed import afailed_deliveries, failed_deliveries
from ._settings import Outcome, OutcomeStatus, SweepOptions, SweepResult
from ._sweep import asweep, sweep

__all__ = [
    # Channels
    "Channel",
    "Delivery",
    "Email",
    "Slack",
    "Webhook",
    # Events and signatures
    "EventName",
    "NotificationEvent",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "idempotency_key",
    "sign",
    "verify_signature",
    # Sweeps
    "Outcome",
    "OutcomeStatus",
    "SweepOptions",
    "SweepResult",
    "afailed_deliveries",
    "asweep",
    "failed_deliveries",
    "sweep",
    # Errors
    "DeliveryError",
    "InvalidChannelError",
]
