"""`langgraph-hitl notify` as real processes, and the example receiver.

A sweeper killed with SIGKILL while its deliveries are in flight, then a new one: every
request is notified, and only the deliveries in flight at the kill are sent again, with
the same idempotency key and body. Two sweepers started at once: each delivery is sent
once. A loop told SIGTERM mid-sweep finishes and records that sweep, then exits 0.
Requests expired by `langgraph-hitl expire` in one process are announced by a sweep in
another. On a SQLite file and on a real PostgreSQL. The receiver holds its answers (its
gate) to stop the senders in the middle of a sweep; nothing sleeps (a process whose
deadlines have passed runs under a clock set ahead: `notify_support.py SECONDS ...`).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import forked
import pytest
from graphs.mail import ask
from notify_support import LOOPBACK, SECRET, WAIT, HttpReceiver, SmtpReceiver

from langgraph_hitl import DeliveryError, Inbox, open_checkpointer
from langgraph_hitl.cli._main import main
from langgraph_hitl.core._graphref import load_graph
from langgraph_hitl.notify import Delivery, Webhook, sign
from langgraph_hitl.notify._event import encode, event_of

if TYPE_CHECKING:
    from collections.abc import Iterator

TESTS = Path(__file__).parent
GRAPH = f"{TESTS / 'graphs' / 'notify_mail.py'}:graph"
LATER = TESTS / "notify_support.py"
"""`python LATER SECONDS ARGS...`: the CLI with the library's clock SECONDS ahead."""
RECEIVER = TESTS.parent / "examples" / "webhook_receiver.py"
SECRET_ENV = "LANGGRAPH_HITL_TEST_WEBHOOK_SECRET"


@pytest.fixture(params=["sqlite", "postgres"])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A durable store: a SQLite file, or an empty database on the PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "agent.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def _start(db: str, count: int) -> set[str]:
    """Pause `count` threads; the idempotency keys of their request.created."""
    with open_checkpointer(db) as saver:
        graph = load_graph(GRAPH, saver)
        for n in range(count):
            graph.invoke(
                ask("send_email", to=f"user{n}@example.com", subject="Hi"),
                {"configurable": {"thread_id": f"t{n}"}},
            )
        return {f"{p.id}:request.created" for p in Inbox(graph).pending()}


def _spawn(*args: str, ahead: float | None = None) -> subprocess.Popen[str]:
    cli = ["-m", "langgraph_hitl"] if ahead is None else [str(LATER), str(ahead)]
    return forked.Popen(
        [sys.executable, *cli, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, SECRET_ENV: SECRET},
    )


def _notify_args(db: str, url: str, *extra: str) -> list[str]:
    return ["notify", GRAPH, "--db", db, "--webhook", url, "--secret-env", SECRET_ENV, *extra]


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test started: killed if the test fails before they end."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=WAIT)


def test_a_sweeper_killed_mid_sweep_loses_nothing(
    durable_url: str, processes: list[subprocess.Popen[str]]
) -> None:
    expected = _start(durable_url, 30)
    with HttpReceiver() as hook:
        hook.gate.clear()
        args = _notify_args(durable_url, hook.url, "--lease", "1", "--concurrency", "4")
        victim = _spawn(*args)
        processes.append(victim)
        hook.wait_until(lambda got: len(got) >= 4, "four deliveries in flight")
        victim.kill()  # SIGKILL: no cleanup, its claims stay in the table
        victim.wait(timeout=WAIT)
        in_flight = hook.keys()
        hook.gate.set()

        survivor = _spawn(*args, "--every", "0.2")
        processes.append(survivor)
        hook.wait_until(lambda got: {r.key for r in got} >= expected, "every request notified")
        survivor.send_signal(signal.SIGTERM)
        out, err = survivor.communicate(timeout=WAIT)

    assert victim.returncode == -signal.SIGKILL
    assert survivor.returncode == 0, err
    assert "notify: " in out
    keys = hook.keys()
    assert set(keys) == expected
    assert len(in_flight) == 4
    # What was in flight at the kill is sent again (its outcome was never recorded)...
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == sorted(in_flight)
    assert all(keys.count(k) == 2 for k in in_flight)
    # ...with the same key and the very same body, signed.
    for key in in_flight:
        assert len({r.body for r in hook.received if r.key == key}) == 1
    assert all(r.signed for r in hook.received)


def test_two_sweepers_at_once_send_each_delivery_once(
    durable_url: str, processes: list[subprocess.Popen[str]]
) -> None:
    expected = _start(durable_url, 40)
    with HttpReceiver() as hook:
        hook.gate.clear()
        args = _notify_args(durable_url, hook.url, "--concurrency", "4")
        first, second = _spawn(*args), _spawn(*args)
        processes += [first, second]
        # Each has at most four in flight: eight means both are in the middle of a sweep.
        hook.wait_until(lambda got: len(got) >= 8, "both sweepers sending")
        hook.gate.set()
        outs = [p.communicate(timeout=WAIT) for p in (first, second)]

    assert [p.returncode for p in (first, second)] == [0, 0], outs
    keys = hook.keys()
    assert sorted(keys) == sorted(expected)  # each exactly once
    sent = [int(out.split("notify: ")[1].split()[0]) for out, _ in outs]
    assert sum(sent) == 40
    assert min(sent) > 0


def test_cli_one_sweep_on_every_channel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "agent.db")
    (key,) = _start(db, 1)
    interrupt_id = key.split(":")[0]
    os.environ[SECRET_ENV] = SECRET
    try:
        with HttpReceiver() as hook, HttpReceiver() as slack, SmtpReceiver() as smtp:
            argv = [
                *_notify_args(db, hook.url),
                *("--smtp", f"smtp://{LOOPBACK}:{smtp.port}", "--to", "ops@example.com"),
                *("--slack", slack.url, "--link-base", "https://review.example.com"),
            ]
            code = main(argv)
            again = main(argv)
    finally:
        del os.environ[SECRET_ENV]
    out = capsys.readouterr().out
    assert (code, again) == (0, 0)
    assert out.splitlines() == [
        "notify: 3 sent, 0 to retry, 0 failed",
        "notify: 0 sent, 0 to retry, 0 failed",
    ]
    link = f"https://review.example.com/thread?id=t0#req-{interrupt_id}"
    assert hook.received[0].json()["link"] == link
    assert hook.received[0].signed
    assert link in slack.received[0].json()["text"]
    (mail,) = smtp.parsed()
    assert mail["To"] == "ops@example.com"
    assert mail["From"] == "langgraph-hitl@localhost"


def test_sigterm_mid_sweep_finishes_that_sweep_then_exits_0(
    durable_url: str, processes: list[subprocess.Popen[str]]
) -> None:
    expected = _start(durable_url, 8)
    with HttpReceiver() as hook:
        hook.gate.clear()
        # Eight claimed at once (twice the concurrency), four in flight.
        loop = _spawn(*_notify_args(durable_url, hook.url, "--concurrency", "4", "--every", "3600"))
        processes.append(loop)
        hook.wait_until(lambda got: len(got) >= 4, "four deliveries in flight")
        loop.send_signal(signal.SIGTERM)
        hook.gate.set()
        out, err = loop.communicate(timeout=WAIT)
        with open_checkpointer(durable_url) as saver:
            graph = load_graph(GRAPH, saver)
            after = Inbox(graph).notify([Webhook(hook.url, secret=SECRET)])

    assert loop.returncode == 0, err
    # The sweep under way sent and recorded all it had claimed; no second sweep began.
    assert out.splitlines() == ["notify: 8 sent, 0 to retry, 0 failed"]
    assert sorted(hook.keys()) == sorted(expected)
    assert after.outcomes == ()


def test_expire_in_one_process_is_announced_by_a_sweep_in_another(
    durable_url: str, processes: list[subprocess.Popen[str]]
) -> None:
    seen = {"mail": ask("send_email", to="ada@example.com", subject="Hi")}
    seen["help"] = ask("human_assistance", query="Which city?")
    unseen = {"late-mail": ask("send_email", to="bob@example.com", subject="Yo")}
    unseen["late-help"] = ask("human_assistance", query="Which day?")

    def start(threads: dict[str, Any]) -> None:
        with open_checkpointer(durable_url) as saver:
            graph = load_graph(GRAPH, saver)
            for thread, input in threads.items():
                graph.invoke(input, {"configurable": {"thread_id": thread}})

    def run(*args: str, ahead: float | None = None) -> str:
        proc = _spawn(*args, ahead=ahead)
        processes.append(proc)
        out, err = proc.communicate(timeout=WAIT)
        assert proc.returncode == 0, err
        return out

    with HttpReceiver() as hook:
        start(seen)
        first = run(*_notify_args(durable_url, hook.url))
        start(unseen)  # raised after that sweep: it never sees them pending
        # Another process, two hours later: every deadline has passed.
        expired = run("expire", GRAPH, "--db", durable_url, ahead=7200)
        swept = run(*_notify_args(durable_url, hook.url))
        again = run(*_notify_args(durable_url, hook.url))

    assert first == "notify: 2 sent, 0 to retry, 0 failed\n"
    assert "4 overdue requests answered with on_timeout." in expired
    assert swept == "notify: 4 sent, 0 to retry, 0 failed\n"
    assert again == "notify: 0 sent, 0 to retry, 0 failed\n"
    bodies = [r.json() for r in hook.received]
    assert sorted(b["thread_id"] for b in bodies if b["event"] == "request.expired") == sorted(
        [*seen, *unseen]
    )
    assert len(set(hook.keys())) == len(hook.keys()) == 6
    assert all(r.signed for r in hook.received)
    created = {b["thread_id"]: b for b in bodies if b["event"] == "request.created"}
    for body in bodies:
        if body["event"] == "request.expired" and body["thread_id"] in created:
            assert body == {**created[body["thread_id"]], "event": "request.expired"}


def test_cli_retention_days_purges_what_is_older(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from langgraph_hitl import Approve
    from langgraph_hitl.testing import FakeClock, use_clock

    monkeypatch.setenv(SECRET_ENV, SECRET)
    db = str(tmp_path / "agent.db")
    _start(db, 2)
    with HttpReceiver() as hook, use_clock(FakeClock()) as clock:
        assert isinstance(clock, FakeClock)
        argv = _notify_args(db, hook.url)
        main(argv)
        with open_checkpointer(db) as saver:
            inbox = Inbox(load_graph(GRAPH, saver))
            item = inbox.pending()[0]
            assert item.thread_id is not None
            inbox.resume(item.thread_id, {item.id: Approve(reviewer="ada")})
        main(argv)  # closes the answered request's row
        clock.advance(timedelta(days=2))
        main([*argv, "--retention-days", "3"])
        main([*argv, "--retention-days", "1.5"])
        main([*argv, "--retention-days", "1.5"])
    assert capsys.readouterr().out.splitlines() == [
        "notify: 2 sent, 0 to retry, 0 failed",
        "notify: 0 sent, 0 to retry, 0 failed",
        "notify: 0 sent, 0 to retry, 0 failed",
        "notify: 0 sent, 0 to retry, 0 failed, 1 purged",
        "notify: 0 sent, 0 to retry, 0 failed",
    ]


CLI_ERRORS: list[tuple[list[str], str]] = [
    ([], "no channel: give --webhook URL --secret-env VAR"),
    (["--webhook", "http://127.0.0.1:9/h"], "--webhook needs --secret-env VAR"),
    (["--webhook", "http://127.0.0.1:9/h", "--secret-env", "LGH_UNSET_VAR"], "LGH_UNSET_VAR"),
    (["--webhook", "ftp://x/h", "--secret-env", SECRET_ENV], "url='ftp://x/h'"),
    (["--smtp", "smtp://127.0.0.1:9"], "--smtp needs at least one --to ADDR"),
    (["--to", "a@x.io"], "--to is a recipient for --smtp URL"),
    (["--slack", "http://127.0.0.1:9/s", "--every", "0"], "--every must be a positive"),
    (["--slack", "http://127.0.0.1:9/s", "--max-attempts", "0"], "max_attempts must be"),
    # Checked before a loop starts, not once per sweep of it.
    (["--slack", "http://127.0.0.1:9/s", "--every", "5", "--concurrency", "0"], "concurrency"),
    (["--slack", "http://127.0.0.1:9/s", "--link-base", "nowhere"], "link_base='nowhere'"),
    (["--slack", "http://127.0.0.1:9/s", "--retention-days", "0"], "--retention-days must be"),
    (["--slack", "http://127.0.0.1:9/s", "--retention-days", "1e300"], "--retention-days is too"),
    (["--slack", "http://127.0.0.1:9/s", "--slack-env", SECRET_ENV], "not both"),
    (["--slack-env", "LGH_UNSET_VAR"], "--slack-env LGH_UNSET_VAR: that environment variable"),
    (
        ["--smtp", "smtp://127.0.0.1:9", "--to", "a@x.io", "--smtp-password-env", SECRET_ENV],
        "password= needs a user",
    ),
]


def test_cli_reads_credentials_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "agent.db")
    _start(db, 1)
    with HttpReceiver() as slack, SmtpReceiver(login=("bot", "pw")) as smtp:
        monkeypatch.setenv("LGH_TEST_SLACK_URL", slack.url)
        monkeypatch.setenv("LGH_TEST_SMTP_PASSWORD", "pw")
        code = main(
            [
                *("notify", GRAPH, "--db", db, "--slack-env", "LGH_TEST_SLACK_URL"),
                *("--smtp", f"smtp://bot@{LOOPBACK}:{smtp.port}", "--to", "ops@example.com"),
                *("--smtp-password-env", "LGH_TEST_SMTP_PASSWORD"),
            ]
        )
    assert code == 0
    assert capsys.readouterr().out == "notify: 2 sent, 0 to retry, 0 failed\n"
    assert len(slack.received) == 1
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(("extra", "message"), CLI_ERRORS)
def test_cli_errors_are_one_line(
    extra: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    sqlite3.connect(tmp_path / "a.db").close()  # an existing database: the options are wrong
    code = main(["notify", GRAPH, "--db", str(tmp_path / "a.db"), *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert err.startswith("langgraph-hitl notify: error: ")
    assert message in err


def test_cli_bad_graph_or_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook = ["--slack", "http://127.0.0.1:9/s"]
    sqlite3.connect(tmp_path / "a.db").close()
    missing = main(
        ["notify", str(tmp_path / "nope.py:graph"), "--db", str(tmp_path / "a.db"), *hook]
    )
    first = capsys.readouterr().err
    down = main(["notify", GRAPH, "--db", "postgresql://nobody@127.0.0.1:9/none", *hook])
    second = capsys.readouterr().err
    assert (missing, down) == (2, 2)
    assert "No such file" in first
    assert "Cannot reach the PostgreSQL database" in second
    for err in (first, second):
        assert err.count("\n") == 1, err
        assert "Traceback" not in err


def test_example_receiver_verifies_signatures_and_drops_repeats(tmp_path: Path) -> None:
    from graphs.notify_mail import make_graph
    from langgraph.checkpoint.memory import InMemorySaver

    receiver = subprocess.Popen(
        [sys.executable, str(RECEIVER), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HITL_WEBHOOK_SECRET": SECRET},
    )
    try:
        assert receiver.stdout is not None
        ready = receiver.stdout.readline()
        assert ready.startswith("listening on http://127.0.0.1:"), ready
        url = ready.split()[-1] + "hitl"
        graph = make_graph().compile(checkpointer=InMemorySaver())
        for thread in ("a", "b"):
            graph.invoke(
                ask("human_assistance", query=f"Q{thread}?"),
                {"configurable": {"thread_id": thread}},
            )
        result = Inbox(graph).notify([Webhook(url, secret=SECRET)])
        # A repeat, as a sweeper that died mid-delivery sends it: same key, same body.
        (first,) = Inbox(graph).pending(thread_id="a")
        event = event_of(first, "request.created", link_base=None)
        repeat = Delivery(
            event=event,
            body=encode(event).encode(),
            idempotency_key=f"{first.id}:request.created",
            attempt=2,
        )
        channel = Webhook(url, secret=SECRET)
        forger = Webhook(url, secret="not-the-secret")
        try:
            channel.deliver(repeat)
            with pytest.raises(DeliveryError, match="HTTP 401") as forged:
                forger.deliver(repeat)
        finally:
            channel.close()
            forger.close()
        signed = {"X-HITL-Signature": sign(SECRET, b"{}"), "X-HITL-Timestamp": "0"}
        stale = _post(url, b"{}", signed)
    finally:
        receiver.terminate()
        out, _ = receiver.communicate(timeout=WAIT)

    assert len(result.sent) == 2
    assert not forged.value.retryable
    assert stale == (401, b"stale timestamp")
    lines = out.splitlines()
    events = [json.loads(line) for line in lines if line.startswith("{")]
    assert sorted(e["thread_id"] for e in events) == ["a", "b"]
    assert all(e["key"] == f"{e['interrupt_id']}:request.created" for e in events)
    assert lines[-1] == f"duplicate {repeat.idempotency_key}"


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=WAIT)
    try:
        conn.request("POST", "/hitl", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
