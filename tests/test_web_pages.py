"""The web reviewer's pages: forms from schemas, refusals next to fields, CSRF, sign-in."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient
from typing_extensions import TypedDict
from web_support import Ledger, agent, ask, config, delete, pay, pick, start

from langgraph_hitl import PendingInterrupt, audit_trail, pending_interrupts
from langgraph_hitl.web import create_app
from langgraph_hitl.web._security import COOKIE

if TYPE_CHECKING:
    import httpx2
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from web_support import Graph

BASE = "http://127.0.0.1"
REVIEWERS = {"tok-alice-0123456789": "alice", "tok-bob-0123456789": "bob"}


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()


def client(app: Any) -> TestClient:
    return TestClient(app, base_url=BASE, follow_redirects=False)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "every form carries a CSRF token"
    return found.group(1)


def section(html: str, item: PendingInterrupt) -> str:
    found = re.search(rf'<section class="request" id="req-{item.id}".*?</section>', html, re.S)
    assert found is not None, f"request {item.id} is not on the page"
    return found.group(0)


def field_html(html: str, name: str) -> str:
    found = re.search(
        rf'<div class="field[^"]*" data-field="{re.escape(name)}">.*?</div>', html, re.S
    )
    assert found is not None, f"no field {name!r}"
    return found.group(0)


def error_next_to(html: str, name: str) -> str:
    found = re.search(r'<p class="error" id="err-[^"]+">(.*?)</p>', field_html(html, name))
    assert found is not None, f"no error next to {name!r}"
    return found.group(1)


def answer(
    c: TestClient,
    item: PendingInterrupt,
    action: str,
    fields: dict[str, str] | None = None,
    *,
    csrf: str | None = None,
    origin: str = "inbox",
    url: str = "/answer",
) -> httpx2.Response:
    token = csrf if csrf is not None else csrf_of(c.get(url.replace("answer", "")).text)
    data = {
        "csrf": token,
        "thread_id": str(item.thread_id),
        "interrupt_id": item.id,
        "checkpoint": item.checkpoint_id or "",
        "origin": origin,
        "action": action,
        **(fields or {}),
    }
    return c.post(url, data=data)


def test_the_page_lists_each_request_with_a_form_from_its_schema(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [pay(), delete(), ask(), pick()], ledger=ledger)
    paying, deleting, asking, picking = (start(graph, f"t-{n}") for n in range(4))

    with client(create_app(graph)) as c:
        page = c.get("/")
        only_deletes = c.get("/", params={"tool": "delete_file"}).text

    assert page.status_code == 200
    html = page.text
    assert "4 requests waiting" in html
    assert "1 request waiting" in only_deletes
    assert f'id="req-{deleting.id}"' in only_deletes
    pay_card = section(html, paying)
    assert "Approve pay_invoice?" in pay_card
    assert "Pay invoice INV-1?" in pay_card
    assert "thread <a" in pay_card
    assert "asked" in pay_card
    assert re.findall(r'name="action" value="(\w+)"', pay_card) == [
        "approve",
        "edit",
        "reject",
        "respond",
    ]
    assert 'name="args.amount" value="120.0"' in pay_card
    assert 'name="args.invoice_id" value="INV-1"' in pay_card
    assert '<textarea id="' in field_html(pay_card, "message")
    delete_card = section(html, deleting)
    assert re.findall(r'name="action" value="(\w+)"', delete_card) == ["approve", "reject"]
    assert "args." not in delete_card
    assert '<option value="&quot;alice&quot;">alice</option>' in field_html(delete_card, "reviewer")
    assert "Only these reviewers may decide: alice." in delete_card
    ask_card = section(html, asking)
    assert "Which region?" in ask_card
    assert "Your answer" in field_html(ask_card, "field.data")
    pick_card = section(html, picking)
    assert re.findall(
        r"<option value=\"[^\"]*\"[^>]*>(\w+)</option>", field_html(pick_card, "field.color")
    ) == ["red", "green"]
    assert 'inputmode="numeric"' in field_html(pick_card, "field.count")
    assert 'type="checkbox"' in field_html(pick_card, "field.urgent")
    assert 'name="field.note"' in pick_card


def test_the_page_escapes_what_the_agent_wrote_and_runs_no_script(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [pay("<script>alert(1)</script>")], ledger=ledger)
    start(graph, "t-1")

    with client(create_app(graph)) as c:
        page = c.get("/")

    assert "<script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


def test_bad_input_is_shown_next_to_its_field_and_nothing_is_sent(
    checkpointer: BaseCheckpointSaver[Any], ledger: Ledger
) -> None:
    graph = agent(checkpointer, [pay()], ledger=ledger)
    item = start(graph, "t-1")
    before = pending_interrupts(graph, config("t-1"))
    edit = {"args.invoice_id": "INV-1"}

    with client(create_app(graph)) as c:
        not_a_number = answer(c, item, "edit", {**edit, "args.amount": "abc"})
        out_of_range = answer(c, item, "edit", {**edit, "args.amount": "-5"})
        no_message = answer(c, item, "respond", {"message": ""})
        assert pending_interrupts(graph, config("t-1")) == before
        assert ledger.paid == []
        accepted = answer(c, item, "edit", {**edit, "args.amount": "99.5"})
        result = c.get(accepted.headers["location"])

    assert not_a_number.status_code == 422
    card = section(not_a_number.text, item)
    assert error_next_to(card, "args.amount") == "Enter a number, not &#x27;abc&#x27;."
    assert 'value="abc"' in field_html(card, "args.amount"), "the reviewer's input is kept"
    assert "nothing was sent" in not_a_number.text
    assert out_of_range.status_code == 422
    assert error_next_to(section(out_of_range.text, item), "args.amount") == (
        "Input should be greater than 0"
    )
    assert no_message.status_code == 422
    assert error_next_to(section(no_message.text, item), "message") == "Field required"
    assert accepted.status_code == 303
    assert ledger.paid == [{"invoice_id": "INV-1", "amount": 99.5}]
    next_step = re.search(r'<section id="next">.*?</section>', result.text, re.S)
    assert next_step is not None
    assert "Paid 99.50 EUR for INV-1." in next_step.group(0)
    assert "All done." in next_step.group(0)
    assert "Your answer was sent." in result.text


def test_a_custom_answer_gets_a_form_of_its_fields(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [pick()], ledger=ledger)
    item = start(graph, "t-1")

    with client(create_app(graph)) as c:
        not_whole = answer(c, item, "send", {"field.color": '"red"', "field.count": "1.5"})
        too_small = answer(c, item, "send", {"field.color": '"red"', "field.count": "0"})
        not_offered = answer(c, item, "send", {"field.color": '"blue"', "field.count": "1"})
        accepted = answer(
            c,
            item,
            "send",
            {
                "field.color": '"green"',
                "field.count": "2",
                "field.urgent": "true",
                "field.note": "",
            },
        )

    assert error_next_to(section(not_whole.text, item), "field.count") == (
        "Enter a whole number, not &#x27;1.5&#x27;."
    )
    assert error_next_to(section(too_small.text, item), "field.count") == (
        "Input should be greater than or equal to 1"
    )
    assert error_next_to(section(not_offered.text, item), "field.color").startswith("Choose one of")
    assert accepted.status_code == 303
    tool_message = graph.get_state(config("t-1")).values["messages"][-2]
    assert tool_message.content == '{"color":"green","count":2,"urgent":true,"note":null}'


def test_after_an_answer_the_thread_page_shows_the_next_request(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [pay(), ask("Anything else to pay?")], ledger=ledger)
    item = start(graph, "t-1")

    with client(create_app(graph)) as c:
        accepted = answer(c, item, "approve")
        result = c.get(accepted.headers["location"])
        (follow_up,) = pending_interrupts(graph, config("t-1"))
        waiting = re.search(r'<section id="waiting">.*</section>', result.text, re.S)
        assert waiting is not None
        assert "Anything else to pay?" in section(waiting.group(0), follow_up)
        done = answer(c, follow_up, "send", {"field.data": "No, thanks."}, origin="thread")

    assert "Paid 120.00 EUR for INV-1." in result.text
    assert done.status_code == 303
    assert pending_interrupts(graph, config("t-1")) == []


def test_form_posts_without_the_sessions_csrf_token_are_refused(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [pay()], ledger=ledger)
    item = start(graph, "t-1")
    before = pending_interrupts(graph, config("t-1"))
    app = create_app(graph)

    with client(app) as c, client(app) as other:
        no_cookie = c.post(
            "/answer", data={"thread_id": "t-1", "interrupt_id": item.id, "action": "approve"}
        )
        page = c.get("/")
        no_token = answer(c, item, "approve", csrf="")
        wrong_token = answer(c, item, "approve", csrf=csrf_of(other.get("/").text))
        forged = c.cookies[COOKIE].replace(".", "x.", 1)
        c.cookies.clear()
        c.cookies.set(COOKIE, forged)
        forged_cookie = answer(c, item, "approve", csrf=csrf_of(page.text))

    for refused in (no_cookie, no_token, wrong_token, forged_cookie):
        assert refused.status_code == 403
        assert "Nothing was sent" in refused.text
    assert pending_interrupts(graph, config("t-1")) == before
    assert ledger.paid == []


def test_two_browsers_answering_the_same_request_one_wins(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [pay()], ledger=ledger)
    item = start(graph, "t-1")
    app = create_app(graph)

    with client(app) as first, client(app) as second:
        token = csrf_of(second.get("/").text)
        won = answer(first, item, "approve")
        lost = answer(second, item, "reject", {"message": "No."}, csrf=token)

    assert won.status_code == 303
    assert lost.status_code == 404
    assert "another reviewer answered it first" in lost.text
    assert "Nothing you entered was sent" in lost.text
    assert len(ledger.paid) == 1


def test_with_reviewers_the_page_asks_to_sign_in_and_records_who_decided(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [delete(), delete("/tmp/b.txt")], ledger=ledger)
    first = start(graph, "t-1")
    second = start(graph, "t-2")

    with client(create_app(graph, reviewers=REVIEWERS)) as c:
        assert c.get("/").headers["location"] == "/login"
        login = c.get("/login")
        unknown = c.post("/login", data={"csrf": csrf_of(login.text), "token": "tok-eve"})
        assert unknown.status_code == 401
        assert "Unknown token." in unknown.text
        assert c.post("/login", data={"token": "tok-bob-0123456789"}).status_code == 403
        signed_in = c.post(
            "/login", data={"csrf": csrf_of(login.text), "token": "tok-bob-0123456789"}
        )
        assert signed_in.status_code == 303
        page = c.get("/")
        assert "Signed in as <strong>bob</strong>" in page.text
        assert 'data-field="reviewer"' not in page.text, "the sign-in says who decides"
        refused = answer(c, first, "approve")
        assert refused.status_code == 422
        assert "reviewer" in section(refused.text, first)
        c.post("/logout", data={"csrf": csrf_of(page.text)})
        assert c.get("/").headers["location"] == "/login"
        relogin = c.get("/login")
        c.post("/login", data={"csrf": csrf_of(relogin.text), "token": "tok-alice-0123456789"})
        accepted = answer(c, first, "approve")
        assert accepted.status_code == 303

    assert ledger.deleted == ["/tmp/report.txt"]
    assert [r.reviewer for r in audit_trail(graph, config("t-1"))] == ["alice"]
    assert pending_interrupts(graph, config("t-2"))[0].id == second.id


class Raw(TypedDict, total=False):
    reply: Any


def raw_graph(value: object, schema: dict[str, Any] | None) -> Graph:
    """A graph of one node that pauses with a hand-made interrupt."""

    def node(state: Raw) -> Raw:
        return {"reply": interrupt(value, response_schema=schema)}

    builder = StateGraph(Raw)
    builder.add_node("ask", node)
    builder.add_edge(START, "ask")
    return builder.compile(checkpointer=InMemorySaver())


def test_an_interrupt_without_a_schema_takes_json(ledger: Ledger) -> None:
    graph = raw_graph({"question": "Ship it?"}, None)
    graph.invoke({}, config("t-1"))
    (item,) = pending_interrupts(graph, config("t-1"))

    with client(create_app(graph)) as c:
        card = section(c.get("/").text, item)
        bad = answer(c, item, "send", {"answer": "yes"})
        good = answer(c, item, "send", {"answer": '{"ship": true}'})

    assert "Ship it?" in card
    assert error_next_to(section(bad.text, item), "answer").startswith("Not valid JSON")
    assert good.status_code == 303
    assert graph.get_state(config("t-1")).values["reply"] == {"ship": True}


def test_an_expired_request_says_so_and_takes_no_human_answer(ledger: Ledger) -> None:
    value = {
        "type": "human_assistance",
        "query": "Still there?",
        "tool_call_id": "c1",
        "expires_at": "2001-01-01T00:00:00+00:00",
    }
    schema = {"type": "object", "properties": {"data": {"type": "string"}}, "required": ["data"]}
    graph = raw_graph(value, schema)
    graph.invoke({}, config("t-1"))
    (item,) = pending_interrupts(graph, config("t-1"))

    with client(create_app(graph)) as c:
        card = section(c.get("/").text, item)
        late = answer(c, item, "send", {"field.data": "Yes!"})
        api = c.post(
            "/api/threads/t-1/resume", json={"interrupt_id": item.id, "answer": {"data": "Yes!"}}
        )

    assert re.search(r'class="expiry expired">expired \d+ d ago', card)
    assert late.status_code == 410
    assert "expired" in late.text
    assert api.status_code == 410
    assert api.json()["error"] == "expired"
    assert pending_interrupts(graph, config("t-1"))[0].id == item.id


def test_the_app_works_mounted_under_a_prefix(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [pay()], ledger=ledger)
    item = start(graph, "t-1")
    service = Starlette(routes=[Mount("/review", app=create_app(graph))])

    with client(service) as c:
        page = c.get("/review/")
        accepted = answer(c, item, "approve", url="/review/answer")

    assert 'action="/review/answer"' in page.text
    assert "Path=/review" in page.headers["set-cookie"]
    assert accepted.status_code == 303
    assert accepted.headers["location"].startswith("/review/thread?id=t-1")
    assert len(ledger.paid) == 1
