"""The web reviewer end to end, in a real headless Chromium driven by Playwright.

The app runs on a real uvicorn server on 127.0.0.1 (a free port, in a thread) over a
SQLite file; the browser is Debian's `/usr/bin/chromium` (Playwright never downloads one).
Screenshots of the pages are kept under the test's `tmp_path`.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn
from web_support import CLOSING, Ledger, agent, config, pay, start

from langgraph_hitl import audit_trail, open_checkpointer, pending_interrupts
from langgraph_hitl.web import LOOPBACK_HOSTS, create_app

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Locator, Page
    from starlette.applications import Starlette

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PNG = b"\x89PNG\r\n\x1a\n"


def _unavailable(why: str) -> None:
    message = f"{why}: run `make test` (or `bash scripts/system-deps.sh`) to install it."
    if os.environ.get("CI"):
        pytest.fail(message)  # in CI the browser tests must run, never skip
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not (Path(CHROMIUM).is_file() or shutil.which("chromium")):
        _unavailable(f"Chromium is missing at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("The Python package playwright is missing")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 and a free port; yield its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 300
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started serving"
        assert time.monotonic() < deadline, "uvicorn did not start within 300 s"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


def card(page: Page, interrupt_id: str) -> Locator:
    return page.locator(f"#req-{interrupt_id}")


def shot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(PNG)


def test_a_reviewer_approves_one_request_and_fixes_a_bad_edit_of_another(
    browser: Browser, tmp_path: Path
) -> None:
    ledger = Ledger()
    with open_checkpointer(str(tmp_path / "agent.db")) as saver:
        graph = agent(saver, [pay("INV-1", 120.0), pay("INV-2", 300.0)], ledger=ledger)
        first = start(graph, "t-1")
        second = start(graph, "t-2")
        with serving(create_app(graph, allowed_hosts=LOOPBACK_HOSTS)) as url:
            page = browser.new_page()
            try:
                page.goto(url)
                assert page.locator("section.request").count() == 2
                assert "Pay invoice INV-1?" in card(page, first.id).inner_text()
                shot(page, tmp_path / "1-inbox.png")

                card(page, first.id).get_by_role("button", name="Approve").click()
                page.wait_for_url("**/thread?**")
                assert page.locator("#banner").inner_text() == "Your answer was sent."
                next_step = page.locator("#next").inner_text()
                assert "Paid 120.00 EUR for INV-1." in next_step
                assert CLOSING in next_step

                page.get_by_role("link", name="Back to all pending requests").click()
                amount = card(page, second.id).locator('input[name="args.amount"]')
                assert amount.input_value() == "300.0"
                amount.fill("-3")
                card(page, second.id).get_by_role("button", name="Save edits and run").click()
                page.wait_for_load_state()
                error = card(page, second.id).locator('[data-field="args.amount"] p.error')
                assert error.inner_text() == "Input should be greater than 0"
                assert (
                    card(page, second.id).locator('input[name="args.amount"]').input_value() == "-3"
                )
                assert "nothing was sent" in page.locator("#banner").inner_text()
                shot(page, tmp_path / "2-refused-edit.png")
                assert [p.id for p in pending_interrupts(graph, config("t-2"))] == [second.id]
                assert len(ledger.paid) == 1

                amount = card(page, second.id).locator('input[name="args.amount"]')
                amount.fill("250")
                card(page, second.id).get_by_role("button", name="Save edits and run").click()
                page.wait_for_url("**/thread?**")
                next_step = page.locator("#next").inner_text()
                assert "a human reviewer changed the arguments" in next_step
                assert "Paid 250.00 EUR for INV-2." in next_step
                shot(page, tmp_path / "3-what-the-agent-did.png")
            finally:
                page.close()

        assert ledger.paid == [
            {"invoice_id": "INV-1", "amount": 120.0},
            {"invoice_id": "INV-2", "amount": 250.0},
        ]
        for thread_id in ("t-1", "t-2"):
            messages: list[Any] = graph.get_state(config(thread_id)).values["messages"]
            assert messages[-1].content == CLOSING
            assert pending_interrupts(graph, config(thread_id)) == []
        assert [r.decision for r in audit_trail(graph, config("t-2"))] == ["edit"]


def test_two_signed_in_reviewers_answer_the_same_request_and_one_wins(
    browser: Browser, tmp_path: Path
) -> None:
    ledger = Ledger()
    with open_checkpointer(str(tmp_path / "agent.db")) as saver:
        graph = agent(saver, [pay()], ledger=ledger)
        item = start(graph, "t-1")
        app = create_app(
            graph, reviewers={"tok-alice-0123456789": "alice", "tok-bob-0123456789": "bob"}
        )
        with serving(app) as url:
            alice, bob = browser.new_context(), browser.new_context()
            try:
                pages = []
                for context, token in (
                    (alice, "tok-alice-0123456789"),
                    (bob, "tok-bob-0123456789"),
                ):
                    page = context.new_page()
                    page.goto(url)
                    page.locator("#token").fill(token)
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_selector(f"#req-{item.id}")
                    pages.append(page)
                alice_page, bob_page = pages

                card(alice_page, item.id).get_by_role("button", name="Approve").click()
                alice_page.wait_for_url("**/thread?**")
                card(bob_page, item.id).locator('textarea[name="message"]').fill("Keep it.")
                card(bob_page, item.id).get_by_role("button", name="Reject").click()
                bob_page.wait_for_load_state()
                banner = bob_page.locator("#banner").inner_text()
                shot(bob_page, tmp_path / "4-lost-the-race.png")
            finally:
                alice.close()
                bob.close()

        assert "another reviewer answered it first" in banner
        assert "Nothing you entered was sent" in banner
        assert ledger.paid == [{"invoice_id": "INV-1", "amount": 120.0}], "paid once"
        assert [(r.decision, r.reviewer) for r in audit_trail(graph, config("t-1"))] == [
            ("approve", "alice")
        ]


def test_after_sign_out_the_back_button_and_the_old_cookie_land_on_sign_in(
    browser: Browser, tmp_path: Path
) -> None:
    ledger = Ledger()
    with open_checkpointer(str(tmp_path / "agent.db")) as saver:
        graph = agent(saver, [pay("INV-1", 120.0), pay("INV-2", 300.0)], ledger=ledger)
        first = start(graph, "t-1")
        second = start(graph, "t-2")
        app = create_app(graph, reviewers={"tok-alice-0123456789": "alice"})
        with serving(app) as url:
            context = browser.new_context()
            try:
                page = context.new_page()
                page.goto(url)
                assert page.url.endswith("/login")
                page.locator("#token").fill("tok-alice-0123456789")
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_selector(f"#req-{first.id}")
                assert "Signed in as alice" in page.locator("header").inner_text()
                (old_cookie,) = context.cookies()

                card(page, first.id).get_by_role("button", name="Approve").click()
                page.wait_for_url("**/thread?**")
                assert page.locator("#banner").inner_text() == "Your answer was sent."

                page.get_by_role("button", name="Sign out").click()
                page.wait_for_url("**/login")
                page.go_back()  # to the thread page, which is not cached (no-store)
                page.wait_for_load_state()
                assert page.url.endswith("/login")
                assert page.locator("#token").is_visible()
                assert "Signed in" not in page.content()
                shot(page, tmp_path / "5-back-after-sign-out.png")

                # The cookie from before the sign-out, put back as a thief would.
                context.clear_cookies()
                context.add_cookies(
                    [{"name": old_cookie["name"], "value": old_cookie["value"], "url": url}]
                )
                page.goto(url)
                assert page.url.endswith("/login")
                assert page.locator("#token").is_visible()
                page.goto(f"{url}/thread?id=t-2")
                assert page.url.endswith("/login")
            finally:
                context.close()

        assert ledger.paid == [{"invoice_id": "INV-1", "amount": 120.0}]
        assert [p.id for p in pending_interrupts(graph, config("t-2"))] == [second.id]
