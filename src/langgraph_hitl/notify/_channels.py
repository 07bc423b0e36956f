"""Where notifications go: `Webhook` (signed JSON), `Slack` (incoming webhook), `Email`.

A channel turns a `Delivery` into one message and raises `DeliveryError` when the
receiver did not take it. Channels hold no state about what was sent: the sweep's outbox
does. Each has a `key`, stored with every delivery, that names it without its secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from ..core import _clock as clock
from ..core._errors import DeliveryError, InvalidChannelError
from ._http import Poster, check_http_url, describe_url

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._event import NotificationEvent

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Channel",
    "Delivery",
    "Email",
    "Slack",
    "Webhook",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-HITL-Signature"
"""`sha256=<hex HMAC-SHA256 of the raw body, keyed with the webhook's secret>`."""
TIMESTAMP_HEADER = "X-HITL-Timestamp"
"""When the delivery was sent (POSIX seconds): lets a receiver refuse very old ones."""
_USER_AGENT = "langgraph-hitl-notify"


@dataclass(frozen=True, kw_only=True, slots=True)
class Delivery:
    """One notification to send on one channel."""

    event: NotificationEvent
    """The event (decoded from `body`)."""
    body: bytes
    """The event as UTF-8 JSON: the same bytes on every attempt of this delivery."""
    idempotency_key: str
    """`<interrupt id>:<event>`: receivers drop a delivery whose key they have seen."""
    attempt: int
    """1 for the first attempt, then 2, 3, ..."""


@runtime_checkable
class Channel(Protocol):
    """Something that delivers notifications: the built-in channels, or your own."""

    @property
    def key(self) -> str:
        """A stable name of the channel, without secrets (stored with each delivery)."""
        ...

    def deliver(self, delivery: Delivery) -> None:
        """Send one notification; raise `DeliveryError` when it was not accepted.

        Called from worker threads, several at once.
        """
        ...

    def close(self) -> None:
        """Release what the channel holds open (called at the end of every sweep)."""
        ...


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def _positive(timeout: float) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise InvalidChannelError(f"timeout must be a positive number of seconds, got {timeout!r}.")
    return float(timeout)


def _poster(url: str, timeout: float, ssl_context: ssl.SSLContext | None) -> tuple[float, Poster]:
    """The checked timeout of a channel that POSTs to `url`, and its poster."""
    seconds = _positive(timeout)
    return seconds, Poster(url, timeout=seconds, ssl_context=ssl_context)


def _url_key(kind: str, url: str) -> str:
    """The `key` of a channel that POSTs to `url`: its kind, the URL without secrets, a digest."""
    return f"{kind}:{describe_url(url)}:{_digest(url)}"


def sign(secret: str | bytes, body: bytes) -> str:
    """The `X-HITL-Signature` value of `body`: `sha256=<hex HMAC-SHA256>`."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_signature(secret: str | bytes, body: bytes, signature: str | None) -> bool:
    """Whether `signature` (the `X-HITL-Signature` header) is `body`'s, in constant time."""
    return signature is not None and hmac.compare_digest(sign(secret, body), signature)


class Webhook(Channel):
    """POSTs the event as JSON to `url`, signed with `secret`.

    Headers: `X-HITL-Signature` (see `sign`), `X-HITL-Timestamp`, `X-HITL-Event`, and
    `Idempotency-Key: <interrupt id>:<event>`. A 2xx answer is a delivery; a timeout, a
    connection error, a 5xx, 408, 425 or 429 is tried again on a later sweep; any other
    status (a 404, a 401 for a wrong secret) fails the delivery at once.

    Args:
        url: The receiver (`http://` or `https://`).
        secret: The shared secret the receiver verifies signatures with.
        timeout: Seconds to wait for the receiver's answer.
        ssl_context: For `https://` receivers with a private CA.
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | bytes,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.url = check_http_url(url, "Webhook url")
        if not isinstance(secret, (str, bytes)) or not secret:
            raise InvalidChannelError(
                f"Webhook secret must be a non-empty str or bytes, got {type(secret).__name__}"
                f"{' (empty)' if isinstance(secret, (str, bytes)) else ''}."
            )
        self._secret = secret
        self.timeout, self._poster = _poster(self.url, timeout, ssl_context)

    @property
    def key(self) -> str:
        return _url_key("webhook", self.url)

    def __repr__(self) -> str:
        return f"Webhook({describe_url(self.url)!r}, secret=...)"

    def deliver(self, delivery: Delivery) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": _USER_AGENT,
            SIGNATURE_HEADER: sign(self._secret, delivery.body),
            TIMESTAMP_HEADER: str(int(clock.timestamp())),
            "X-HITL-Event": delivery.event["event"],
            "Idempotency-Key": delivery.idempotency_key,
        }
        self._poster.check(*self._poster.post(delivery.body, headers))

    def close(self) -> None:
        self._poster.close()


_TITLES = {
    "request.created": "Waiting for a human",
    "request.reminder": "Reminder: still waiting for a human",
    "request.expired": "Expired: nobody answered in time",
}


def _headline(event: NotificationEvent) -> str:
    subject = event["tool"] or event["type"] or "request"
    return f"{_TITLES[event['event']]}: {subject} (thread {event['thread_id']})"


def _lines(event: NotificationEvent) -> list[str]:
    lines = []
    if event["description"]:
        lines.append(event["description"])
    if event["args"]:
        lines.append("Arguments: " + json.dumps(event["args"], ensure_ascii=False, default=str))
    if event["expires_at"]:
        lines.append(f"Expires at: {event['expires_at']}")
    if event["link"]:
        lines.append(f"Review it: {event['link']}")
    return lines


class Slack(Channel):
    """Posts to a Slack incoming webhook (`{"text", "blocks"}`; Slack answers `ok`).

    Args:
        webhook_url: The incoming webhook's URL (it is the credential: never logged).
        timeout: Seconds to wait for Slack's answer.
    """

    def __init__(self, webhook_url: str, *, timeout: float = 10.0) -> None:
        self.webhook_url = check_http_url(webhook_url, "Slack webhook_url")
        self.timeout, self._poster = _poster(self.webhook_url, timeout, None)

    @property
    def key(self) -> str:
        return _url_key("slack", self.webhook_url)

    def __repr__(self) -> str:
        return f"Slack({describe_url(self.webhook_url)!r})"

    @staticmethod
    def message(event: NotificationEvent) -> dict[str, object]:
        """The Slack message of `event`: plain `text`, and `blocks` for Slack's layout."""
        headline = _headline(event)
        details = "\n".join(_lines(event))
        blocks: list[dict[str, object]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*"}}
        ]
        if details:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": details}})
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"interrupt `{event['interrupt_id']}`"}],
            }
        )
        return {"text": f"{headline}\n{details}".strip(), "blocks": blocks}

    def deliver(self, delivery: Delivery) -> None:
        body = json.dumps(self.message(delivery.event), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": _USER_AGENT,
            "Idempotency-Key": delivery.idempotency_key,
        }
        status, data = self._poster.post(body, headers)
        self._poster.check(status, data)
        if data.strip() != b"ok":
            # Slack's contract: a 200 answers exactly "ok"; anything else is not Slack.
            raise DeliveryError(
                f"POST {describe_url(self.webhook_url)}: HTTP {status} but the answer was "
                f"{data[:100]!r}, not b'ok'",
                retryable=False,
            )

    def close(self) -> None:
        self._poster.close()


_SMTP_SCHEMES = ("smtp", "smtp+starttls", "smtps")


class Email(Channel):
    """Sends a plain-text e-mail per notification.

    Args:
        smtp_url: `smtp://host:port` (no encryption), `smtp+starttls://...` (STARTTLS,
            required) or `smtps://...` (TLS from the start); `user:password@` logs in.
            Default ports: 25, 587 and 465.
        sender: The `From` address.
        to: The recipient, or several.
        password: The login's password, instead of the URL's (keeps it out of URLs, logs
            and command lines); the user still comes from the URL.
        timeout: Seconds for each SMTP step.
        ssl_context: For STARTTLS and `smtps://` (default: the system's CAs, verified).
    """

    def __init__(
        self,
        smtp_url: str,
        *,
        sender: str,
        to: str | Sequence[str],
        password: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(smtp_url) if isinstance(smtp_url, str) else None
        if parts is None or parts.scheme not in _SMTP_SCHEMES or not parts.hostname:
            raise InvalidChannelError(
                f"Email smtp_url={smtp_url!r} is not one of {[f'{s}://' for s in _SMTP_SCHEMES]} "
                "with a host (e.g. 'smtp+starttls://user:password@mail.example.com:587')."
            )
        self._scheme = parts.scheme
        self._host = parts.hostname
        default = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[parts.scheme]
        self._port = parts.port or default
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else ""
        if password is not None:
            if self._user is None:
                raise InvalidChannelError(
                    "Email password= needs a user to log in as, in smtp_url "
                    f"(e.g. 'smtp+starttls://bot@{parts.hostname}:587'); got {smtp_url!r}."
                )
            self._password = password
        recipients = [to] if isinstance(to, str) else list(to)
        bad = [a for a in [sender, *recipients] if not isinstance(a, str) or "@" not in a]
        if bad or not recipients:
            raise InvalidChannelError(
                f"Email needs a sender and at least one recipient, each an address like "
                f"'ops@example.com'; got sender={sender!r}, to={to!r}."
            )
        self.sender = sender
        self.to: tuple[str, ...] = tuple(recipients)
        self.timeout = _positive(timeout)
        self._ssl = ssl_context
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        where = f"{self._host}:{self._port}"
        return f"email:{where}:{_digest(self._scheme, where, self.sender, *self.to)}"

    def __repr__(self) -> str:
        return f"Email('{self._scheme}://{self._host}:{self._port}', to={list(self.to)!r})"

    def message(self, delivery: Delivery) -> EmailMessage:
        """The e-mail of one delivery; its Message-ID is derived from the idempotency key."""
        event = delivery.event
        mail = EmailMessage()
        mail["Subject"] = _headline(event)
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.to)
        mail["Date"] = formatdate(clock.timestamp(), usegmt=True)
        # Repeats of one delivery share a Message-ID, so mail clients show them once.
        mail["Message-ID"] = f"<{_digest(delivery.idempotency_key)}.{event['interrupt_id']}@hitl>"
        mail["Idempotency-Key"] = delivery.idempotency_key
        mail.set_content(
            "\n\n".join(
                [*_lines(event), f"Thread: {event['thread_id']}\nRequest: {event['interrupt_id']}"]
            )
            + "\n"
        )
        return mail

    def _client(self) -> smtplib.SMTP:
        context = self._ssl or ssl.create_default_context()
        if self._scheme == "smtps":
            return smtplib.SMTP_SSL(self._host, self._port, timeout=self.timeout, context=context)
        client = smtplib.SMTP(self._host, self._port, timeout=self.timeout)
        if self._scheme == "smtp+starttls":
            try:
                client.starttls(context=context)
            except BaseException:
                client.close()
                raise
        return client

    def deliver(self, delivery: Delivery) -> None:
        try:
            with self._client() as client:
                if self._user is not None:
                    client.login(self._user, self._password)
                client.send_message(self.message(delivery))
        except smtplib.SMTPResponseException as exc:
            # 4xx: the server says "later"; 5xx: it refuses (bad login, unknown recipient).
            raw = exc.smtp_error
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
            raise DeliveryError(
                f"SMTP {self._host}:{self._port}: {exc.smtp_code} {text}".strip(),
                retryable=exc.smtp_code < 500,
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            # e.g. STARTTLS asked of a server without it: a setting to fix, not a hiccup.
            raise DeliveryError(f"SMTP {self._host}:{self._port}: {exc}", retryable=False) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(
                f"SMTP {self._host}:{self._port}: recipients refused: {sorted(exc.recipients)}",
                retryable=False,
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                f"SMTP {self._host}:{self._port}: {type(exc).__name__} ({exc})", retryable=True
            ) from exc

    def close(self) -> None:
        """Nothing to close: each delivery uses a connection of its own."""
