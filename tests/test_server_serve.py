"""`langgraph-hitl serve --url URL`: the web reviewer of a real `langgraph dev` deployment.

The reviewer is a real `serve --url` process with reviewer tokens, reached over HTTP on
loopback: its pages (listing with Next/Previous, a request's page, forms) and its JSON API
behave as with `--db`, and every effect is checked on the deployment itself (its threads,
and the ledger its tools write).
"""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from server_support import (
    Reviewer,
    Server,
    ai_message,
    cli,
    free_port,
    serve,
    tool_call,
    wait_until,
)
from test_web_browser import browser  # noqa: F401 - the headless Chromium fixture

from langgraph_hitl import Inbox, RemoteInbox

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from playwright.sync_api import Browser

ALICE = "tok-alice-0123456789abcdef"
BOB = "tok-bob-0123456789abcdef"
SURVEYS = 53
"""More than one inbox page (50) of survey requests, which no other test here starts."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("serve")) as running:
        yield running


@pytest.fixture(scope="module")
def web(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reviewer]:
    tokens: Path = tmp_path_factory.mktemp("tokens") / "reviewers.json"
    tokens.write_text(json.dumps({ALICE: "alice", BOB: "bob"}), encoding="utf-8")
    with Reviewer("--url", server.url, "--reviewers-file", str(tokens)) as running:
        yield running


@contextmanager
def signed_in(web: Reviewer, token: str) -> Iterator[httpx.Client]:
    """A browser-like client (cookies, no redirects followed) signed in with `token`."""
    with httpx.Client(base_url=web.url, timeout=120, follow_redirects=False) as client:
        login = client.get("/login")
        done = client.post("/login", data={"csrf": csrf_of(login.text), "token": token})
        assert done.status_code == 303, done.text
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "every form carries a CSRF token"
    return found.group(1)


def card_ids(html: str) -> list[str]:
    return re.findall(r'<section class="request" id="req-([^"]+)"', html)


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def api(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pay(invoice_id: str, amount: float = 3.0) -> dict[str, Any]:
    return ai_message(tool_call("pay_invoice", invoice_id=invoice_id, amount=amount))


def test_the_banner_comes_once_it_listens(server: Server, web: Reviewer) -> None:
    assert web.banner.startswith(f"Reviewing the deployment at {server.url} at http://127.0.0.1:")
    assert web.first is not None
    assert web.first.status_code == 200, "the first request after the banner is answered"
    assert web.first.json()["info"]["title"] == "langgraph-hitl reviewer"


def test_the_inbox_pages_through_the_deployment_with_next_and_previous(
    server: Server, web: Reviewer
) -> None:
    server.start_many("survey", [{} for _ in range(SURVEYS)])
    with Inbox.from_server(server.url) as inbox:
        expected = [i.id for i in inbox.pending(type="survey")]
    assert len(expected) == SURVEYS

    with signed_in(web, ALICE) as alice:
        first = alice.get("/", params={"type": "survey"})
        assert first.status_code == 200
        assert f"{SURVEYS} requests waiting, oldest first; showing 50." in first.text
        assert card_ids(first.text) == expected[:50]
        assert link(first.text, "prev") is None
        after = link(first.text, "next")
        assert after is not None

        second = alice.get(after)
        assert card_ids(second.text) == expected[50:]
        assert link(second.text, "next") is None
        before = link(second.text, "prev")
        assert before is not None
        assert card_ids(alice.get(before).text) == expected[:50]

        edited = alice.get("/", params={"type": "survey", "after": "c1.bogus"})
        assert "That page link is not valid any more" in edited.text
        assert card_ids(edited.text) == expected[:50]

        listed = alice.get("/api/pending", params={"type": "survey"}, headers=api(ALICE))
        assert [row["interrupt_id"] for row in listed.json()["pending"]] == expected

    # The same pages from the inbox itself, read 10 threads per request: forward and back.
    with RemoteInbox(server.url, page_size=10) as paged:
        assert paged.count(type="survey") == SURVEYS
        seen: list[str] = []
        page = paged.page(type="survey", limit=7)
        cursors = []
        while True:
            seen += [i.id for i in page.items]
            if page.next_cursor is None:
                break
            cursors.append(page.next_cursor)
            page = paged.page(type="survey", limit=7, after=page.next_cursor)
        assert seen == expected
        assert page.prev_cursor is not None
        back = paged.page(type="survey", limit=7, before=page.prev_cursor)
        assert [i.id for i in back.items] == expected[-4 - 7 : -4]


def test_a_request_page_and_an_approval_sent_as_the_signed_in_reviewer(
    server: Server, web: Reviewer
) -> None:
    thread_id = server.start("approval", pay("SRV-1"))
    with Inbox.from_server(server.url) as inbox:
        (item,) = inbox.pending(thread_id=thread_id)

    with signed_in(web, ALICE) as alice:
        page = alice.get("/thread", params={"id": thread_id})
        assert page.status_code == 200
        assert card_ids(page.text) == [item.id]
        assert "SRV-1" in page.text
        assert 'name="reviewer"' not in page.text, "with tokens the token's name is sent"
        sent = alice.post(
            "/answer",
            data={
                "csrf": csrf_of(page.text),
                "thread_id": thread_id,
                "interrupt_id": item.id,
                "checkpoint": str(item.checkpoint_id),
                "origin": "thread",
                "action": "approve",
            },
        )
        assert sent.status_code == 303, sent.text
        location = sent.headers["location"]
        assert parse_qs(urlsplit(location).query)["since"] == [str(item.checkpoint_id)]
        after = alice.get(location)
    # `approval` takes decisions from alice or bob only: alice's name was sent.
    assert "Your answer was sent." in after.text
    assert "Paid 3.00 EUR for SRV-1." in after.text
    assert "Nothing: the agent finished" in after.text
    assert len(server.effects(invoice_id="SRV-1")) == 1

    # On the API, the token's reviewer overrides the name the client writes.
    other = server.start("approval", pay("SRV-2"))
    with Inbox.from_server(server.url) as inbox:
        (waiting,) = inbox.pending(thread_id=other)
    answered = httpx.post(
        f"{web.url}/api/threads/{other}/resume",
        json={"interrupt_id": waiting.id, "answer": {"type": "approve", "reviewer": "mallory"}},
        headers=api(BOB),
        timeout=120,
    )
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["reviewer"] == "bob"
    assert body["pending"] == []
    assert [m["text"] for m in body["new_messages"]] == ["Paid 3.00 EUR for SRV-2."]
    assert len(server.effects(invoice_id="SRV-2")) == 1


@pytest.mark.parametrize("thread_id", ["not-a-thread", "6f1c1d4e-0000-4000-8000-000000000000"])
def test_the_page_of_a_thread_the_deployment_does_not_have(web: Reviewer, thread_id: str) -> None:
    with signed_in(web, ALICE) as alice:
        page = alice.get("/thread", params={"id": thread_id})
    assert page.status_code == 200
    assert "Nothing: the agent finished, or waits for no human." in page.text


def test_an_edit_refused_by_validation_leaves_the_thread_unchanged(
    server: Server, web: Reviewer
) -> None:
    thread_id = server.start("approval", pay("SRV-3"))
    with Inbox.from_server(server.url) as inbox:
        (before,) = inbox.pending(thread_id=thread_id)

    edit = {"type": "edit", "edited_action": {"name": "pay_invoice", "args": {"amount": "lots"}}}
    refused = httpx.post(
        f"{web.url}/api/threads/{thread_id}/resume",
        json={"interrupt_id": before.id, "answer": edit},
        headers=api(ALICE),
        timeout=120,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "invalid_answer"
    assert refused.json()["errors"], "each problem is named with its place"

    with signed_in(web, ALICE) as alice:
        page = alice.get("/")
        form = alice.post(
            "/answer",
            data={
                "csrf": csrf_of(page.text),
                "thread_id": thread_id,
                "interrupt_id": before.id,
                "checkpoint": "",
                "origin": "inbox",
                "action": "edit",
                "args.invoice_id": "SRV-3",
                "args.amount": "lots",
            },
        )
    assert form.status_code == 422
    assert "Your answer needs a fix (see below); nothing was sent." in form.text

    with Inbox.from_server(server.url) as inbox:
        (after,) = inbox.pending(thread_id=thread_id)
    assert (after.id, after.version, after.checkpoint_id) == (
        before.id,
        before.version,
        before.checkpoint_id,
    )
    assert server.effects(invoice_id="SRV-3") == []


def post_together(
    barrier: threading.Barrier,
    url: str,
    body: dict[str, Any],
    token: str,
    out: dict[str, httpx.Response],
) -> None:
    """Wait for the other reviewer, then post the answer with `token`."""
    barrier.wait(timeout=60)
    out[token] = httpx.post(url, json=body, headers=api(token), timeout=120)


def test_two_racing_answers_apply_once(server: Server, web: Reviewer) -> None:
    invoices = [f"SRV-R{n}" for n in range(3)]
    threads = server.start_many("approval", [pay(invoice) for invoice in invoices])
    with Inbox.from_server(server.url) as inbox:
        items = [inbox.pending(thread_id=t)[0] for t in threads]

    for thread_id, item, invoice in zip(threads, items, invoices, strict=True):
        barrier = threading.Barrier(2)
        statuses: dict[str, httpx.Response] = {}
        url = f"{web.url}/api/threads/{thread_id}/resume"
        body = {"interrupt_id": item.id, "answer": {"type": "approve"}}
        racers = [
            threading.Thread(target=post_together, args=(barrier, url, body, token, statuses))
            for token in (ALICE, BOB)
        ]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(timeout=180)
        codes = sorted(r.status_code for r in statuses.values())
        assert codes[0] == 200, [r.text for r in statuses.values()]
        assert codes[1] in (404, 409), [r.text for r in statuses.values()]
        loser = next(r for r in statuses.values() if r.status_code != 200)
        assert loser.json()["error"] in ("conflict", "unknown_interrupt", "no_pending_interrupt")
        assert len(server.effects(invoice_id=invoice)) == 1


def test_an_answer_while_the_first_one_runs_is_a_conflict(server: Server, web: Reviewer) -> None:
    held = tool_call("hold_payment", invoice_id="SRV-H")
    thread_id = server.start("held", ai_message(held))
    with Inbox.from_server(server.url) as inbox:
        (item,) = inbox.pending(thread_id=thread_id)
    url = f"{web.url}/api/threads/{thread_id}/resume"
    body = {"interrupt_id": item.id, "answer": {"type": "approve"}}
    first: list[httpx.Response] = []
    runner = threading.Thread(
        target=lambda: first.append(httpx.post(url, json=body, headers=api(ALICE), timeout=180))
    )
    runner.start()
    try:
        wait_until(lambda: server.effects(invoice_id="SRV-H"), what="the first answer's tool runs")
        second = httpx.post(url, json=body, headers=api(BOB), timeout=120)
    finally:
        server.gate.touch()
        runner.join(timeout=180)
    assert second.status_code == 409, second.text
    assert second.json()["error"] == "conflict"
    assert first[0].status_code == 200, first[0].text
    assert len(server.effects(invoice_id="SRV-H")) == 1


def test_a_reviewer_answers_a_deployments_request_in_the_browser(
    browser: Browser,  # noqa: F811 - the fixture imported above
    server: Server,
    web: Reviewer,
    tmp_path: Path,
) -> None:
    thread_id = server.start("human", ai_message(tool_call("human_assistance", query="Region?")))
    with Inbox.from_server(server.url) as inbox:
        (item,) = inbox.pending(thread_id=thread_id)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{web.url}/thread?id={thread_id}")
        assert page.url.endswith("/login")
        page.locator("#token").fill(BOB)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{web.url}/")
        # The first page holds the oldest 50 requests (the surveys): the questions, then.
        page.goto(f"{web.url}/?type=human_assistance")
        card = page.locator(f"#req-{item.id}")
        card.wait_for()
        assert "Region?" in card.inner_text()
        card.get_by_label("Your answer").fill("Use eu-west-1.")
        card.get_by_role("button", name="Send answer").click()
        page.wait_for_url("**/thread?**")
        assert page.locator("#banner").inner_text() == "Your answer was sent."
        assert "Use eu-west-1." in page.locator("#next").inner_text()
        page.screenshot(path=str(tmp_path / "deployment-answered.png"), full_page=True)
    finally:
        context.close()
    with Inbox.from_server(server.url) as inbox:
        assert inbox.pending(thread_id=thread_id) == []
        values = inbox.values(thread_id)
    assert values["messages"][-1]["content"] == "Use eu-west-1."


def one_line(done: Any, *phrases: str) -> None:
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    for phrase in phrases:
        assert phrase in line, line


def test_serve_refuses_to_start_on_an_unreachable_server_or_an_unknown_assistant(
    server: Server,
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    port = str(free_port())
    unreachable = cli("serve", "--url", down, "--retries", "0", "--port", port)
    one_line(unreachable, "Cannot reach the LangGraph Server", down)
    one_line(
        cli("serve", "--url", server.url, "--assistant", "nope", "--port", port),
        "no assistant 'nope'",
        "'approval'",
    )
