"""The channels on their own: what a webhook, Slack and an SMTP server receive.

Real receivers on loopback: `HttpReceiver` for webhooks and Slack's incoming-webhook
contract, aiosmtpd for e-mail (plain with a login, and STARTTLS with a certificate made
for the test). Bad settings are refused up front, naming the value.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from notify_support import LOOPBACK, SECRET, HttpReceiver, SmtpReceiver, free_port, self_signed

from langgraph_hitl import DeliveryError, HITLError, Inbox, InvalidChannelError
from langgraph_hitl.notify import (
    Channel,
    Delivery,
    Email,
    NotificationEvent,
    Slack,
    Webhook,
    idempotency_key,
    sign,
    verify_signature,
)
from langgraph_hitl.notify._event import encode

if TYPE_CHECKING:
    from pathlib import Path

EVENT: NotificationEvent = {
    "event": "request.created",
    "thread_id": "mail",
    "interrupt_id": "abc123",
    "type": "tool_approval",
    "tool": "send_email",
    "args": {"to": "ada@example.com", "subject": "Hi"},
    "description": "Send 'Hi' to ada@example.com?",
    "expires_at": "2030-01-01T00:00:00+00:00",
    "link": "https://review.example.com/thread?id=mail#req-abc123",
}


def _delivery(attempt: int = 1) -> Delivery:
    return Delivery(
        event=EVENT,
        body=encode(EVENT).encode(),
        idempotency_key=idempotency_key("abc123", "request.created"),
        attempt=attempt,
    )


def test_signature_is_the_hmac_of_the_raw_body() -> None:
    body = b'{"event":"request.created"}'
    # HMAC-SHA256 of the body with the key "secret", as `openssl dgst -sha256 -hmac` gives it.
    expected = "sha256=" + __import__("hmac").new(b"secret", body, "sha256").hexdigest()
    assert sign("secret", body) == expected == sign(b"secret", body)
    assert verify_signature("secret", body, expected)
    assert not verify_signature("secret", body + b" ", expected)
    assert not verify_signature("other", body, expected)
    assert not verify_signature("secret", body, None)


def test_webhook_posts_the_body_signed_with_its_headers() -> None:
    with HttpReceiver() as hook:
        channel = Webhook(hook.url, secret=SECRET)
        channel.deliver(_delivery())
        channel.deliver(_delivery(attempt=2))
        channel.close()
    first, second = hook.received
    assert first.path == "/hook"
    assert first.body == second.body == encode(EVENT).encode()
    assert first.signed
    assert first.headers["idempotency-key"] == "abc123:request.created"
    assert first.headers["x-hitl-signature"] == sign(SECRET, first.body)
    assert first.headers["x-hitl-event"] == "request.created"
    assert first.headers["x-hitl-timestamp"].isdigit()


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(500, True), (503, True), (429, True), (408, True), (404, False), (401, False)],
)
def test_webhook_statuses_say_whether_to_retry(status: int, retryable: bool) -> None:
    with HttpReceiver([status]) as hook:
        channel = Webhook(hook.url, secret=SECRET)
        with pytest.raises(DeliveryError, match=f"HTTP {status}") as caught:
            channel.deliver(_delivery())
        channel.close()
    assert caught.value.retryable is retryable
    assert "/hook" not in str(caught.value)  # paths may hold secrets: only the host is shown


def test_webhook_unreachable_or_too_slow_is_retried() -> None:
    closed = Webhook(f"http://{LOOPBACK}:{free_port()}/hook", secret=SECRET)
    with pytest.raises(DeliveryError, match="ConnectionRefusedError") as refused:
        closed.deliver(_delivery())
    assert refused.value.retryable
    with HttpReceiver() as hook:
        hook.gate.clear()  # the receiver never answers while the gate is shut
        slow = Webhook(hook.url, secret=SECRET, timeout=0.2)
        with pytest.raises(DeliveryError, match="timed out") as late:
            slow.deliver(_delivery())
        hook.gate.set()
    assert late.value.retryable


def test_webhook_reuses_its_connection() -> None:
    with HttpReceiver() as hook:
        channel = Webhook(hook.url, secret=SECRET)
        for _ in range(3):
            channel.deliver(_delivery())
        idle = len(channel._poster._idle)
        channel.close()
    assert len(hook.received) == 3
    assert idle == 1


def test_slack_gets_its_incoming_webhook_message() -> None:
    with HttpReceiver() as slack:
        channel = Slack(slack.url)
        channel.deliver(_delivery())
        channel.close()
    (got,) = slack.received
    message = got.json()
    assert message["text"].splitlines()[0] == "Waiting for a human: send_email (thread mail)"
    assert "Send 'Hi' to ada@example.com?" in message["text"]
    assert f"Review it: {EVENT['link']}" in message["text"]
    assert [b["type"] for b in message["blocks"]] == ["section", "section", "context"]
    assert "abc123" in json.dumps(message["blocks"][-1])
    assert got.headers["content-type"] == "application/json"


def test_slack_answer_other_than_ok_is_a_failure() -> None:
    with HttpReceiver(answer=b"invalid_payload") as slack:
        channel = Slack(slack.url)
        with pytest.raises(DeliveryError, match="not b'ok'") as caught:
            channel.deliver(_delivery())
        channel.close()
    assert not caught.value.retryable


def test_email_with_login_over_plain_smtp() -> None:
    with SmtpReceiver(login=("bot", "p@ss word")) as smtp:
        url = f"smtp://bot:p%40ss%20word@{LOOPBACK}:{smtp.port}"
        channel = Email(url, sender="hitl@example.com", to=["ops@example.com", "ada@example.com"])
        channel.deliver(_delivery())
        channel.deliver(_delivery(attempt=2))
    (sender, rcpts, _), _ = smtp.messages
    assert sender == "hitl@example.com"
    assert rcpts == ["ops@example.com", "ada@example.com"]
    first, second = smtp.parsed()
    assert first["Subject"] == "Waiting for a human: send_email (thread mail)"
    assert first["Idempotency-Key"] == "abc123:request.created"
    assert first["Message-ID"] == second["Message-ID"]  # a repeat is the same message
    text = first.get_payload()
    assert isinstance(text, str)
    assert "Send 'Hi' to ada@example.com?" in text
    assert EVENT["link"] is not None
    assert EVENT["link"] in text


def test_email_wrong_password_fails_for_good() -> None:
    with SmtpReceiver(login=("bot", "right")) as smtp:
        channel = Email(f"smtp://bot:wrong@{LOOPBACK}:{smtp.port}", sender="a@x.io", to="b@x.io")
        with pytest.raises(DeliveryError, match="535") as caught:
            channel.deliver(_delivery())
    assert not caught.value.retryable
    assert smtp.messages == []
    assert "wrong" not in str(caught.value)


@pytest.mark.parametrize(
    ("reply", "retryable"), [("451 Try again later", True), ("550 No such user", False)]
)
def test_email_server_errors(reply: str, retryable: bool) -> None:
    with SmtpReceiver(replies=[reply]) as smtp:
        channel = Email(f"smtp://{LOOPBACK}:{smtp.port}", sender="a@x.io", to="b@x.io")
        with pytest.raises(DeliveryError, match=reply.split()[0]) as caught:
            channel.deliver(_delivery())
        channel.deliver(_delivery())  # the server takes the next one
    assert caught.value.retryable is retryable
    assert len(smtp.messages) == 1


def test_email_starttls_with_login(tmp_path: Path) -> None:
    server, client = self_signed(tmp_path)
    with SmtpReceiver(login=("bot", "pw"), tls=server) as smtp:
        url = f"smtp+starttls://bot:pw@{LOOPBACK}:{smtp.port}"
        Email(url, sender="a@x.io", to="b@x.io", ssl_context=client).deliver(_delivery())
        # Without STARTTLS the server refuses to log in (it requires TLS first).
        plain = Email(f"smtp://bot:pw@{LOOPBACK}:{smtp.port}", sender="a@x.io", to="b@x.io")
        with pytest.raises(DeliveryError):
            plain.deliver(_delivery())
    assert len(smtp.messages) == 1


def test_email_smtps_with_login(tmp_path: Path) -> None:
    server, client = self_signed(tmp_path)
    with SmtpReceiver(login=("bot", "pw"), implicit_tls=server) as smtp:
        url = f"smtps://bot:pw@{LOOPBACK}:{smtp.port}"
        Email(url, sender="a@x.io", to="b@x.io", ssl_context=client).deliver(_delivery())
        # The system's CAs do not trust the test's certificate: no e-mail is sent unverified.
        with pytest.raises(DeliveryError, match="SSLCertVerificationError") as caught:
            Email(url, sender="a@x.io", to="b@x.io").deliver(_delivery())
    assert caught.value.retryable
    (mail,) = smtp.parsed()
    assert mail["Idempotency-Key"] == "abc123:request.created"


def test_email_starttls_to_a_server_without_it_fails_for_good() -> None:
    with SmtpReceiver() as smtp:
        channel = Email(f"smtp+starttls://{LOOPBACK}:{smtp.port}", sender="a@x.io", to="b@x.io")
        with pytest.raises(DeliveryError, match="STARTTLS") as caught:
            channel.deliver(_delivery())
    assert not caught.value.retryable
    assert smtp.messages == []


def test_email_through_a_sweep() -> None:
    from graphs.mail import ask
    from graphs.notify_mail import make_graph

    graph = make_graph().compile(checkpointer=InMemorySaver())
    graph.invoke(ask("human_assistance", query="Which city?"), {"configurable": {"thread_id": "h"}})
    with SmtpReceiver(replies=["451 Busy"]) as smtp:
        channels = [Email(f"smtp://{LOOPBACK}:{smtp.port}", sender="a@x.io", to="b@x.io")]
        inbox = Inbox(graph)
        one = inbox.notify(channels, backoff=timedelta(0))
        two = inbox.notify(channels, backoff=timedelta(0))
    assert [o.status for o in one.outcomes] == ["retry"]
    assert [o.status for o in two.outcomes] == ["sent"]
    (mail,) = smtp.parsed()
    assert mail["Subject"] == "Waiting for a human: human_assistance (thread h)"


BAD: list[tuple[Any, str]] = [
    (lambda: Webhook("ftp://example.com/x", secret="s"), "'ftp://example.com/x'"),
    (lambda: Webhook("https:///nohost", secret="s"), "'https:///nohost'"),
    (lambda: Webhook("https://example.com/x", secret=""), "non-empty"),
    (lambda: Webhook("https://example.com/x", secret="s", timeout=0), "timeout"),
    (lambda: Slack("hooks.slack.com/services/x"), "'hooks.slack.com/services/x'"),
    (lambda: Email("http://mail.example.com", sender="a@x.io", to="b@x.io"), "'http://mail"),
    (lambda: Email("smtp://mail.example.com", sender="nobody", to="b@x.io"), "'nobody'"),
    (lambda: Email("smtp://mail.example.com", sender="a@x.io", to=[]), "to=[]"),
]


@pytest.mark.parametrize(("make", "named"), BAD)
def test_bad_channel_settings_are_refused_naming_the_value(make: Any, named: str) -> None:
    with pytest.raises(InvalidChannelError) as caught:
        make()
    assert named in str(caught.value)
    assert isinstance(caught.value, (HITLError, ValueError))


def test_bad_sweep_options_are_refused_naming_the_value() -> None:
    graph = Inbox.__new__(Inbox)  # never reached: options are checked first
    hook = Webhook("http://127.0.0.1:9/x", secret="s")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"max_attempts": 0}, "max_attempts must be an int from 1 to 1000, got 0"),
        ({"concurrency": 0}, "concurrency must be an int from 1 to 512, got 0"),
        ({"backoff": 30}, "backoff must be a non-negative datetime.timedelta, got 30"),
        ({"lease": timedelta(0)}, "lease must be a positive datetime.timedelta"),
        ({"link_base": "review.example.com"}, "link_base='review.example.com'"),
        ({"retention": timedelta(0)}, "retention must be a positive datetime.timedelta"),
    ]
    for options, message in cases:
        with pytest.raises(InvalidChannelError, match=message.replace("(", r"\(")):
            graph.notify([hook], **options)
    with pytest.raises(InvalidChannelError, match="remind_before"):
        graph.notify([hook], remind_before=timedelta(0))
    with pytest.raises(InvalidChannelError, match="non-empty list"):
        graph.notify([])
    with pytest.raises(InvalidChannelError, match="non-empty list"):
        graph.notify(hook)  # type: ignore[arg-type]
    with pytest.raises(InvalidChannelError, match="'not a channel' is not a channel"):
        graph.notify(["not a channel"])  # type: ignore[list-item]
    with pytest.raises(InvalidChannelError, match="listed twice"):
        graph.notify([hook, Webhook("http://127.0.0.1:9/x", secret="t")])

    class Keyless:
        key = ""  # the outbox's mark of expire()'s rows: no channel's

        def deliver(self, delivery: Delivery) -> None:
            pass

        def close(self) -> None:
            pass

    with pytest.raises(InvalidChannelError, match="key='': a channel's key is a non-empty str"):
        graph.notify([Keyless()])
    with pytest.raises(TypeError, match="unknown sweep options \\['retries'\\]"):
        graph.notify([hook], retries=3)  # type: ignore[call-arg]


def test_channels_show_no_secret() -> None:
    hook = Webhook("https://hooks.example.com/T0/secret-path?token=t0k", secret="s3cr3t")
    slack = Slack("https://hooks.slack.com/services/T000/B000/XXXX")
    mail = Email("smtp://bot:hunter2@mail.example.com", sender="a@x.io", to="b@x.io")
    other = Email("smtp://bot@mail.example.com", sender="a@x.io", to="b@x.io", password="pw")
    shown = " ".join(f"{c!r} {c.key}" for c in (hook, slack, mail, other))
    for secret in ("s3cr3t", "secret-path", "t0k", "XXXX", "hunter2", "pw"):
        assert secret not in shown
    assert hook.key.startswith("webhook:https://hooks.example.com:")
    assert mail.key.startswith("email:mail.example.com:25:")


def test_a_custom_channel_is_a_channel() -> None:
    class Recorder:
        key = "recorder"

        def __init__(self) -> None:
            self.got: list[str] = []

        def deliver(self, delivery: Delivery) -> None:
            self.got.append(delivery.idempotency_key)

        def close(self) -> None:
            pass

    from graphs.mail import ask
    from graphs.notify_mail import make_graph

    recorder = Recorder()
    assert isinstance(recorder, Channel)
    graph = make_graph().compile(checkpointer=InMemorySaver())
    graph.invoke(ask("human_assistance", query="Which city?"), {"configurable": {"thread_id": "h"}})
    Inbox(graph).notify([recorder])
    (pending,) = Inbox(graph).pending()
    assert recorder.got == [f"{pending.id}:request.created"]
