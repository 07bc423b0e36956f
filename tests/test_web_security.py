"""The web reviewer's sessions, tokens, limits and origin checks, through its ASGI app.

Time moves with `FakeClock` (session expiry, the throttling window), never by sleeping.
After every refused input the thread waits for the same request at the same checkpoint.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from starlette.testclient import TestClient
from typing_extensions import TypedDict
from web_support import Ledger, agent, config, pay, start

from langgraph_hitl import ReviewersConfigError, pending_interrupts
from langgraph_hitl.testing import FakeClock, use_clock
from langgraph_hitl.web import create_app
from langgraph_hitl.web._security import COOKIE

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx2
    from starlette.applications import Starlette
    from web_support import Graph

    from langgraph_hitl import PendingInterrupt

BASE = "http://127.0.0.1"
ALICE = "alice-token-0123456789"
BOB = "bob-token-0123456789"
REVIEWERS = {ALICE: "alice", BOB: "bob"}


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    with use_clock(FakeClock()) as fake:
        assert isinstance(fake, FakeClock)
        yield fake


def client(app: Starlette, address: str = "10.0.0.1") -> TestClient:
    return TestClient(app, base_url=BASE, follow_redirects=False, client=(address, 50000))


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "every form carries a CSRF token"
    return found.group(1)


def sign_in(c: TestClient, token: str) -> httpx2.Response:
    return c.post("/login", data={"csrf": csrf_of(c.get("/login").text), "token": token})


def post_answer(
    c: TestClient, item: PendingInterrupt, action: str, fields: dict[str, str], **kw: Any
) -> httpx2.Response:
    data = {
        "csrf": csrf_of(c.get("/").text),
        "thread_id": str(item.thread_id),
        "interrupt_id": item.id,
        "checkpoint": item.checkpoint_id or "",
        "action": action,
        "origin": "inbox",
        **fields,
    }
    return c.post("/answer", data=data, **kw)


def snapshot(graph: Graph, thread_id: str) -> list[tuple[str, str | None]]:
    return [(p.id, p.checkpoint_id) for p in pending_interrupts(graph, config(thread_id))]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- sessions --------------------------------------------------------------------------------


@pytest.fixture
def paused() -> tuple[Graph, PendingInterrupt, Ledger]:
    ledger = Ledger()
    graph = agent(InMemorySaver(), [pay()], ledger=ledger)
    return graph, start(graph, "t-1"), ledger


def test_sign_out_ends_the_session_on_the_server(
    paused: tuple[Graph, PendingInterrupt, Ledger],
) -> None:
    graph, item, ledger = paused
    before = snapshot(graph, "t-1")
    with client(create_app(graph, reviewers=REVIEWERS)) as c:
        assert sign_in(c, ALICE).status_code == 303
        stolen = c.cookies[COOKIE]  # as a thief (or the Back button's cache) keeps it
        page = c.get("/")
        assert "Signed in as <strong>alice</strong>" in page.text
        csrf = csrf_of(page.text)
        assert c.post("/logout", data={"csrf": csrf}).headers["location"] == "/login"
        c.cookies.clear()
        c.cookies.set(COOKIE, stolen)
        after = c.get("/")
        thread = c.get("/thread", params={"id": "t-1"})
        posted = c.post(
            "/answer",
            data={"csrf": csrf, "thread_id": "t-1", "interrupt_id": item.id, "action": "approve"},
        )

    assert after.status_code == 303
    assert after.headers["location"] == "/login"
    assert thread.headers["location"] == "/login"
    assert posted.status_code == 403
    assert snapshot(graph, "t-1") == before
    assert ledger.paid == []


def test_sessions_expire_after_their_lifetime(
    paused: tuple[Graph, PendingInterrupt, Ledger], clock: FakeClock
) -> None:
    graph, _, _ = paused
    default = create_app(graph, reviewers=REVIEWERS)
    short = create_app(graph, reviewers=REVIEWERS, session_lifetime=timedelta(hours=1))
    with client(default) as long_c, client(short) as short_c:
        sign_in(long_c, ALICE)
        sign_in(short_c, BOB)
        assert "Max-Age=3600" in short_c.get("/").headers["set-cookie"]
        clock.advance(timedelta(minutes=59))
        assert long_c.get("/").status_code == 200
        assert short_c.get("/").status_code == 200
        stale_csrf = csrf_of(short_c.get("/").text)
        clock.advance(timedelta(minutes=1))
        assert short_c.get("/").headers["location"] == "/login"
        # Signing out of a session that already ended just leads to the sign-in page.
        ended = short_c.post("/logout", data={"csrf": stale_csrf})
        assert ended.status_code == 303
        assert ended.headers["location"] == "/login"
        assert long_c.get("/").status_code == 200
        clock.advance(timedelta(hours=11))
        assert long_c.get("/").headers["location"] == "/login", "12 hours by default"


def test_removing_a_token_from_the_reviewers_file_ends_its_sessions(
    paused: tuple[Graph, PendingInterrupt, Ledger], tmp_path: Any
) -> None:
    graph, _, _ = paused
    file = tmp_path / "reviewers.json"
    file.write_text(json.dumps(REVIEWERS), encoding="utf-8")
    app = create_app(graph, reviewers_file=file)
    with client(app) as alice, client(app) as bob:
        sign_in(alice, ALICE)
        sign_in(bob, BOB)
        assert "Signed in as <strong>bob</strong>" in bob.get("/").text
        file.write_text(json.dumps({ALICE: "alice"}), encoding="utf-8")
        bob_page = bob.get("/")
        bob_api = bob.get("/api/pending", headers=bearer(BOB))
        alice_page = alice.get("/")
        file.write_text("{broken", encoding="utf-8")  # mid-edit: nobody is let in
        broken = alice.get("/")
        file.write_text(json.dumps({ALICE: "alice", "carol-token-0123456789": "carol"}))
        fixed = alice.get("/")

    assert bob_page.headers["location"] == "/login"
    assert bob_api.status_code == 401
    assert "Signed in as <strong>alice</strong>" in alice_page.text
    assert broken.headers["location"] == "/login"
    assert fixed.status_code == 200


def test_short_tokens_are_refused_at_start_naming_the_reviewer() -> None:
    graph = agent(InMemorySaver(), [], ledger=Ledger())
    with pytest.raises(ReviewersConfigError) as refused:
        create_app(graph, reviewers={ALICE: "alice", "hunter2": "bob"})

    assert "reviewer 'bob'" in str(refused.value)
    assert "hunter2" not in str(refused.value)


# -- throttling -----------------------------------------------------------------------------


def test_failed_sign_ins_from_one_address_are_throttled(
    paused: tuple[Graph, PendingInterrupt, Ledger], clock: FakeClock
) -> None:
    graph, _, _ = paused
    app = create_app(graph, reviewers=REVIEWERS)
    with client(app, "10.0.0.1") as guesser, client(app, "10.0.0.2") as other:
        failures = [sign_in(guesser, f"guess-{n:02d}-0123456789").status_code for n in range(5)]
        clock.advance(timedelta(seconds=20))
        blocked = sign_in(guesser, ALICE)
        still_out = guesser.get("/")
        elsewhere = sign_in(other, BOB)
        clock.advance(timedelta(seconds=40))
        later = sign_in(guesser, ALICE)

    assert failures == [401] * 5
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "40"
    assert "Too many failed sign-ins" in blocked.text
    assert still_out.headers["location"] == "/login", "even the right token waits"
    assert elsewhere.status_code == 303, "another address is not affected"
    assert later.status_code == 303, "the window moved on"


def test_wrong_bearer_tokens_from_one_address_are_throttled(
    paused: tuple[Graph, PendingInterrupt, Ledger], clock: FakeClock
) -> None:
    graph, item, _ = paused
    before = snapshot(graph, "t-1")
    with client(create_app(graph, reviewers=REVIEWERS)) as c:
        wrong = [
            c.get("/api/pending", headers=bearer(f"wrong-{n}-0123456789")).status_code
            for n in range(5)
        ]
        blocked = c.post(
            "/api/threads/t-1/resume",
            headers=bearer(ALICE),
            json={"interrupt_id": item.id, "answer": {"type": "approve"}},
        )
        clock.advance(timedelta(minutes=1))
        later = c.get("/api/pending", headers=bearer(ALICE))

    assert wrong == [401] * 5
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "60"
    assert blocked.json()["error"] == "too_many_attempts"
    assert snapshot(graph, "t-1") == before
    assert later.status_code == 200


# -- limits -----------------------------------------------------------------------------------


def test_bodies_over_the_limit_are_refused_before_they_are_parsed(
    paused: tuple[Graph, PendingInterrupt, Ledger],
) -> None:
    graph, item, ledger = paused
    before = snapshot(graph, "t-1")
    big = "x" * (1024 * 1024)

    with client(create_app(graph)) as c:
        form = post_answer(c, item, "reject", {"message": big})
        api = c.post(
            "/api/threads/t-1/resume",
            json={"interrupt_id": item.id, "answer": {"type": "reject", "message": big}},
        )

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
            yield b'{"interrupt_id": "' + item.id.encode() + b'", "answer": "'
            for _ in range(20):
                yield b"y" * 65536
            yield b'"}'

        streamed = c.post(
            "/api/threads/t-1/resume",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
    with client(create_app(graph, max_body=100)) as small:
        tiny = small.post(
            "/api/threads/t-1/resume", json={"interrupt_id": item.id, "answer": "z" * 100}
        )

    assert form.status_code == 413
    assert "at most 1048576 bytes" in form.text
    assert api.status_code == 413
    assert api.json()["error"] == "body_too_large"
    assert streamed.status_code == 413
    assert tiny.status_code == 413
    assert snapshot(graph, "t-1") == before
    assert ledger.paid == []


class Raw(TypedDict, total=False):
    reply: Any


def json_box_graph() -> tuple[Graph, PendingInterrupt]:
    """A node that asks for any JSON answer: the page shows one JSON box."""

    def node(state: Raw) -> Raw:
        return {"reply": interrupt({"question": "Settings?"})}

    builder = StateGraph(Raw)
    builder.add_node("ask", node)
    builder.add_edge(START, "ask")
    graph = builder.compile(checkpointer=InMemorySaver())
    graph.invoke({}, config("t-1"))
    (item,) = pending_interrupts(graph, config("t-1"))
    return graph, item


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("[" * 65 + "]" * 65, "nested 65 levels deep; at most 64"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"ratio": NaN}', "NaN is not a JSON number"),
        ("[1, -Infinity]", "-Infinity is not a JSON number"),
        ("1e999", "too large for a number"),
    ],
    ids=["65-deep", "100000-deep", "nan", "infinity", "overflow"],
)
def test_json_too_deep_or_not_finite_is_refused_next_to_the_field(typed: str, says: str) -> None:
    graph, item = json_box_graph()
    before = snapshot(graph, "t-1")

    with client(create_app(graph)) as c:
        page = post_answer(c, item, "send", {"answer": typed})
        api = c.post(
            "/api/threads/t-1/resume",
            json=None,
            content=json.dumps({"interrupt_id": item.id, "answer": None}).replace("null", typed),
            headers={"Content-Type": "application/json"},
        )

    assert page.status_code == 422
    field = re.search(r'<div class="field invalid" data-field="answer">.*?</div>', page.text, re.S)
    assert field is not None
    assert says in field.group(0)
    assert f">{html.escape(typed)}</textarea>" in field.group(0), "what the reviewer typed is kept"
    assert api.status_code == 422
    assert api.json()["error"] == "invalid_json_value"
    assert says in api.json()["message"]
    assert snapshot(graph, "t-1") == before


def test_json_at_the_depth_limit_is_accepted() -> None:
    graph, item = json_box_graph()

    with client(create_app(graph)) as c:
        sent = post_answer(c, item, "send", {"answer": "[" * 64 + "]" * 64})

    assert sent.status_code == 303
    assert pending_interrupts(graph, config("t-1")) == []


# -- origins --------------------------------------------------------------------------------


def test_posts_from_another_origin_are_refused(
    paused: tuple[Graph, PendingInterrupt, Ledger],
) -> None:
    graph, item, ledger = paused
    before = snapshot(graph, "t-1")

    with client(create_app(graph)) as c:
        other = post_answer(c, item, "approve", {}, headers={"Origin": "http://evil.example"})
        referred = post_answer(
            c, item, "approve", {}, headers={"Referer": "http://evil.example/page"}
        )
        null = post_answer(c, item, "approve", {}, headers={"Origin": "null"})
        api = c.post(
            "/api/threads/t-1/resume",
            json={"interrupt_id": item.id, "answer": {"type": "approve"}},
            headers={"Origin": "http://evil.example"},
        )
        assert snapshot(graph, "t-1") == before
        assert ledger.paid == []
        own = post_answer(c, item, "approve", {}, headers={"Origin": BASE})

    assert other.status_code == 403
    assert "does not come from this server&#x27;s own pages" in other.text
    assert referred.status_code == 403
    assert null.status_code == 403
    assert api.status_code == 403
    assert api.json()["error"] == "forbidden_origin"
    assert own.status_code == 303
    assert len(ledger.paid) == 1


def test_with_allowed_hosts_the_origin_must_be_one_of_them(
    paused: tuple[Graph, PendingInterrupt, Ledger],
) -> None:
    graph, item, _ = paused
    app = create_app(graph, allowed_hosts=["127.0.0.1", "review.example"])

    with client(app) as c:
        wrong = post_answer(c, item, "reject", {}, headers={"Origin": "https://other.example"})
        listed = post_answer(
            c, item, "reject", {}, headers={"Origin": "https://review.example:8443"}
        )

    assert wrong.status_code == 403
    assert listed.status_code == 303
