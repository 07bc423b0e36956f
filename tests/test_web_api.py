"""The web reviewer's JSON API: listing, each decision, refusals, conflicts, tokens, OpenAPI."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx2
import jsonschema
import pytest
from langchain_core.messages import ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from starlette.testclient import TestClient
from web_support import Ledger, agent, ask, astart, config, delete, pay, pick, start

from langgraph_hitl import audit_trail, pending_interrupts
from langgraph_hitl.web import LOOPBACK_HOSTS, create_app

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from starlette.applications import Starlette
    from web_support import Graph

BASE = "http://127.0.0.1"


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()


def _time(text: str) -> datetime:
    """A time of the API: UTC as "Z", which `fromisoformat` reads from Python 3.11 on."""
    return datetime.fromisoformat(f"{text[:-1]}+00:00" if text.endswith("Z") else text)


def client(app: Starlette) -> TestClient:
    return TestClient(app, base_url=BASE)


def resume(
    c: TestClient, thread_id: str, interrupt_id: str, answer: object, **extra: Any
) -> httpx2.Response:
    body = {"interrupt_id": interrupt_id, "answer": answer, **extra}
    return c.post(f"/api/threads/{thread_id}/resume", json=body)


def untouched(graph: Graph, thread_id: str, before: list[Any]) -> None:
    """The thread waits for exactly what it waited for, at the same checkpoint."""
    now = pending_interrupts(graph, config(thread_id))
    assert [(p.id, p.checkpoint_id) for p in now] == [(p.id, p.checkpoint_id) for p in before]


def test_lists_pending_requests_across_threads_oldest_first(
    checkpointer: BaseCheckpointSaver[Any], ledger: Ledger
) -> None:
    graph = agent(checkpointer, [pay("INV-1"), ask("Which region?")], ledger=ledger)
    first = start(graph, "t-1")
    second = start(graph, "t-2")

    with client(create_app(graph)) as c:
        rows = c.get("/api/pending").json()["pending"]
        by_tool = c.get("/api/pending", params={"tool": "pay_invoice"}).json()["pending"]
        by_type = c.get("/api/pending", params={"type": "human_assistance"}).json()["pending"]
        by_thread = c.get("/api/pending", params={"thread_id": "t-2"}).json()["pending"]
        limited = c.get("/api/pending", params={"limit": "1"}).json()["pending"]
        bad_limit = c.get("/api/pending", params={"limit": "0"})

    assert [(r["thread_id"], r["type"]) for r in rows] == [
        ("t-1", "tool_approval"),
        ("t-2", "human_assistance"),
    ]
    approval, question = rows
    assert approval["interrupt_id"] == first.id
    assert approval["checkpoint_id"] == first.checkpoint_id
    assert approval["tool"] == "pay_invoice"
    assert approval["args"] == {"invoice_id": "INV-1", "amount": 120.0}
    assert approval["description"] == "Pay invoice INV-1?"
    assert approval["response_schema"]["discriminator"]["propertyName"] == "type"
    assert _time(approval["created_at"]) <= _time(question["created_at"])
    assert question["interrupt_id"] == second.id
    assert question["description"] == "Which region?"
    assert question["tool"] is None
    assert [r["thread_id"] for r in by_tool] == ["t-1"]
    assert [r["thread_id"] for r in by_type] == ["t-2"]
    assert [r["thread_id"] for r in by_thread] == ["t-2"]
    assert [r["thread_id"] for r in limited] == ["t-1"]
    assert bad_limit.status_code == 422
    assert "limit='0'" in bad_limit.json()["message"]


def test_pending_pages_through_cursors_with_the_total(
    checkpointer: BaseCheckpointSaver[Any], ledger: Ledger
) -> None:
    graph = agent(checkpointer, [pay(f"INV-{n}") for n in range(5)], ledger=ledger)
    threads = [f"t-{n}" for n in range(5)]
    for thread in threads:
        start(graph, thread)

    with client(create_app(graph)) as c:
        everything = c.get("/api/pending").json()
        pages, cursor = [], None
        while True:
            params = {"limit": "2", **({"after": cursor} if cursor else {})}
            page = c.get("/api/pending", params=params).json()
            pages.append(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        back = c.get("/api/pending", params={"limit": "2", "before": pages[-1]["prev_cursor"]})
        one = c.get("/api/pending", params={"limit": "1", "thread_id": "t-3"}).json()
        default = c.get("/api/pending", params={"after": pages[0]["next_cursor"]}).json()
        stale = c.get("/api/pending", params={"after": "c1.bm90IGEgY3Vyc29y"})
        foreign = c.get("/api/pending", params={"after": pages[0]["next_cursor"], "type": "x"})
        both = c.get("/api/pending", params={"after": "c1.x", "before": "c1.y", "limit": "2"})

    assert everything["total"] == 5
    assert everything["next_cursor"] is None
    assert [[r["thread_id"] for r in p["pending"]] for p in pages] == [
        threads[:2],
        threads[2:4],
        threads[4:],
    ]
    assert [p["total"] for p in pages] == [5, 5, 5]
    assert pages[0]["prev_cursor"] is None
    assert pages[1]["prev_cursor"] is not None
    assert [r["thread_id"] for r in back.json()["pending"]] == threads[2:4]
    assert [r["thread_id"] for r in one["pending"]] == ["t-3"]
    assert one["total"] == 1
    assert one["next_cursor"] is None
    assert [r["thread_id"] for r in default["pending"]] == threads[2:]
    assert stale.status_code == 422
    assert stale.json()["error"] == "invalid_cursor"
    assert foreign.status_code == 422
    assert "made for the listing" in foreign.json()["message"]
    assert both.status_code == 422
    assert both.json()["error"] == "invalid_query"


DECISIONS: list[tuple[dict[str, Any], list[float], str, str]] = [
    ({"type": "approve"}, [120.0], "Paid 120.00 EUR for INV-1.", "success"),
    (
        {
            "type": "edit",
            "edited_action": {
                "name": "pay_invoice",
                "args": {"invoice_id": "INV-1", "amount": 80.5},
            },
        },
        [80.5],
        "Paid 80.50 EUR for INV-1.",
        "success",
    ),
    ({"type": "reject", "message": "Wrong vendor."}, [], "Wrong vendor.", "error"),
    ({"type": "respond", "message": "Paid last week."}, [], "Paid last week.", "success"),
]


@pytest.mark.parametrize(
    ("answer", "paid", "tool_text", "status"),
    DECISIONS,
    ids=["approve", "edit", "reject", "respond"],
)
def test_each_decision_is_applied_and_the_agents_next_step_returned(
    checkpointer: BaseCheckpointSaver[Any],
    ledger: Ledger,
    answer: dict[str, Any],
    paid: list[float],
    tool_text: str,
    status: str,
) -> None:
    graph = agent(checkpointer, [pay()], ledger=ledger)
    item = start(graph, "t-1")

    with client(create_app(graph)) as c:
        response = resume(c, "t-1", item.id, answer, expect_checkpoint=item.checkpoint_id)

    assert response.status_code == 200, response.text
    out = response.json()
    assert out["interrupt_id"] == item.id
    assert out["pending"] == []
    assert [m["type"] for m in out["new_messages"]] == ["tool", "ai"]
    tool_message, closing = out["new_messages"]
    assert tool_text in tool_message["text"]
    assert tool_message["status"] == status
    assert closing["text"] == "All done."
    assert [p["amount"] for p in ledger.paid] == paid
    (record,) = audit_trail(graph, config("t-1"))
    assert record.decision == answer["type"]


def test_a_human_assistance_answer_reaches_the_model(
    checkpointer: BaseCheckpointSaver[Any], ledger: Ledger
) -> None:
    graph = agent(checkpointer, [ask()], ledger=ledger)
    item = start(graph, "t-1")

    with client(create_app(graph)) as c:
        out = resume(c, "t-1", item.id, {"data": "eu-west-1"}).json()

    assert [m["text"] for m in out["new_messages"]] == ["eu-west-1", "All done."]
    state = graph.get_state(config("t-1")).values["messages"]
    assert isinstance(state[-2], ToolMessage)
    assert state[-2].content == "eu-west-1"


def test_a_request_may_be_named_by_its_tool_call_id(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [pay()], ledger=ledger)
    item = start(graph, "t-1")
    assert item.tool_call_id is not None

    with client(create_app(graph)) as c:
        response = resume(c, "t-1", item.tool_call_id, {"type": "approve"})

    assert response.status_code == 200
    assert response.json()["interrupt_id"] == item.id
    assert len(ledger.paid) == 1


BAD_ANSWERS: list[tuple[str, object, tuple[str, ...]]] = [
    (
        "edit out of range",
        {
            "type": "edit",
            "edited_action": {"name": "pay_invoice", "args": {"invoice_id": "INV-1", "amount": -5}},
        },
        ("edited_action", "args", "amount"),
    ),
    ("respond without message", {"type": "respond"}, ("message",)),
    ("unknown decision", {"type": "maybe"}, ()),
    ("not an object", "yes", ()),
]


@pytest.mark.parametrize(("label", "answer", "where"), BAD_ANSWERS, ids=[b[0] for b in BAD_ANSWERS])
def test_a_bad_answer_is_a_422_with_field_errors_and_the_thread_is_untouched(
    checkpointer: BaseCheckpointSaver[Any],
    ledger: Ledger,
    label: str,
    answer: object,
    where: tuple[str, ...],
) -> None:
    graph = agent(checkpointer, [pay()], ledger=ledger)
    item = start(graph, "t-1")
    before = pending_interrupts(graph, config("t-1"))
    messages = len(graph.get_state(config("t-1")).values["messages"])

    with client(create_app(graph)) as c:
        refused = resume(c, "t-1", item.id, answer)
        untouched(graph, "t-1", before)
        accepted = resume(c, "t-1", item.id, {"type": "approve"})

    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["error"] == "invalid_answer"
    assert "Nothing was sent" in body["message"]
    assert body["errors"], "each refusal names where the answer is wrong"
    assert any(tuple(e["loc"])[-len(where) :] == where if where else True for e in body["errors"])
    assert ledger.paid == [{"invoice_id": "INV-1", "amount": 120.0}]
    assert accepted.status_code == 200
    assert len(graph.get_state(config("t-1")).values["messages"]) == messages + 2


def test_a_decision_the_tool_does_not_allow_is_refused(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [delete()], ledger=ledger)
    item = start(graph, "t-1")

    with client(create_app(graph)) as c:
        edit = {
            "type": "edit",
            "reviewer": "alice",
            "edited_action": {"name": "delete_file", "args": {"path": "/"}},
        }
        response = resume(c, "t-1", item.id, edit)

    assert response.status_code == 422
    assert ledger.deleted == []


def test_unknown_threads_and_requests_are_404s(
    checkpointer: BaseCheckpointSaver[Any], ledger: Ledger
) -> None:
    graph = agent(checkpointer, [pay()], ledger=ledger)
    item = start(graph, "t-1")
    before = pending_interrupts(graph, config("t-1"))

    with client(create_app(graph)) as c:
        made_up = resume(c, "t-1", "0" * 32, {"type": "approve"})
        no_thread = resume(c, "nobody", item.id, {"type": "approve"})
        untouched(graph, "t-1", before)
        first = resume(c, "t-1", item.id, {"type": "approve"})
        again = resume(c, "t-1", item.id, {"type": "approve"})

    assert made_up.status_code == 404
    assert made_up.json()["error"] == "unknown_interrupt"
    assert made_up.json()["pending"] == [item.id]
    assert no_thread.status_code == 404
    assert no_thread.json()["error"] == "no_pending_interrupt"
    assert first.status_code == 200
    assert again.status_code == 404, "an answered request cannot be answered twice"
    assert len(ledger.paid) == 1


def test_an_answer_for_a_checkpoint_the_thread_left_is_a_conflict(
    checkpointer: BaseCheckpointSaver[Any], ledger: Ledger
) -> None:
    graph = agent(checkpointer, [pay()], ledger=ledger)
    item = start(graph, "t-1")
    before = pending_interrupts(graph, config("t-1"))

    with client(create_app(graph)) as c:
        stale = resume(c, "t-1", item.id, {"type": "approve"}, expect_checkpoint="1" * 36)

    assert stale.status_code == 409
    assert stale.json()["error"] == "conflict"
    untouched(graph, "t-1", before)
    assert ledger.paid == []


def test_two_reviewers_answering_at_once_one_wins(
    checkpointer: BaseCheckpointSaver[Any], ledger: Ledger
) -> None:
    graph = agent(checkpointer, [pay()], ledger=ledger)
    item = start(graph, "t-1")
    ledger.hold = threading.Event()
    app = create_app(graph)
    results: dict[str, httpx2.Response] = {}

    def first_reviewer() -> None:
        with client(app) as c:
            results["first"] = resume(c, "t-1", item.id, {"type": "approve"})

    worker = threading.Thread(target=first_reviewer)
    worker.start()
    try:
        assert ledger.entered.wait(20), "the first answer never reached the tool"
        with client(app) as other:
            late = resume(
                other,
                "t-1",
                item.id,
                {
                    "type": "edit",
                    "edited_action": {
                        "name": "pay_invoice",
                        "args": {"invoice_id": "INV-1", "amount": 1.0},
                    },
                },
            )
    finally:
        ledger.hold.set()
        worker.join(30)

    assert results["first"].status_code == 200
    assert late.status_code == 409
    assert late.json()["error"] == "conflict"
    assert ledger.paid == [{"invoice_id": "INV-1", "amount": 120.0}], "paid once, as approved"
    with client(app) as other:
        assert resume(other, "t-1", item.id, {"type": "approve"}).status_code == 404


REVIEWERS = {"tok-alice-0123456789": "alice", "tok-bob-0123456789": "bob"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_with_reviewers_the_api_wants_a_token(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [pay()], ledger=ledger)
    item = start(graph, "t-1")

    with client(create_app(graph, reviewers=REVIEWERS)) as c:
        anonymous = c.get("/api/pending")
        wrong = c.get("/api/pending", headers=bearer("tok-eve"))
        listed = c.get("/api/pending", headers=bearer("tok-bob-0123456789"))
        post = c.post(
            "/api/threads/t-1/resume", json={"interrupt_id": item.id, "answer": {"type": "approve"}}
        )

    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert wrong.status_code == 401
    assert listed.status_code == 200
    assert post.status_code == 401
    assert ledger.paid == []


def test_the_tokens_reviewer_is_recorded_whatever_the_client_claims(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [pay()], ledger=ledger)
    item = start(graph, "t-1")

    with client(create_app(graph, reviewers=REVIEWERS)) as c:
        response = c.post(
            "/api/threads/t-1/resume",
            headers=bearer("tok-bob-0123456789"),
            json={"interrupt_id": item.id, "answer": {"type": "approve", "reviewer": "alice"}},
        )

    assert response.status_code == 200
    assert response.json()["reviewer"] == "bob"
    (record,) = audit_trail(graph, config("t-1"))
    assert record.reviewer == "bob"


def test_a_reviewer_the_tool_does_not_name_is_refused(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [delete()], ledger=ledger)
    item = start(graph, "t-1")
    before = pending_interrupts(graph, config("t-1"))

    with client(create_app(graph, reviewers=REVIEWERS)) as c:
        body = {"interrupt_id": item.id, "answer": {"type": "approve", "reviewer": "alice"}}
        as_bob = c.post("/api/threads/t-1/resume", headers=bearer("tok-bob-0123456789"), json=body)
        untouched(graph, "t-1", before)
        as_alice = c.post(
            "/api/threads/t-1/resume", headers=bearer("tok-alice-0123456789"), json=body
        )

    assert as_bob.status_code == 422
    assert any(e["loc"][-1] == "reviewer" for e in as_bob.json()["errors"])
    assert as_alice.status_code == 200
    assert ledger.deleted == ["/tmp/report.txt"]
    assert [r.reviewer for r in audit_trail(graph, config("t-1"))] == ["alice"]


def test_a_body_that_is_not_a_resume_request_is_refused(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [pay()], ledger=ledger)
    item = start(graph, "t-1")
    url = "/api/threads/t-1/resume"

    with client(create_app(graph)) as c:
        as_form = c.post(url, data={"interrupt_id": item.id, "answer": "approve"})
        as_text = c.post(url, content=b"{}", headers={"Content-Type": "text/plain"})
        not_json = c.post(url, content=b"{nope", headers={"Content-Type": "application/json"})
        missing = c.post(url, json={"answer": {"type": "approve"}})
        extra = c.post(url, json={"interrupt_id": item.id, "answer": {}, "run": "rm -rf"})

    assert as_form.status_code == 415
    assert as_text.status_code == 415
    assert not_json.status_code == 400
    assert not_json.json()["error"] == "invalid_json"
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["interrupt_id"]
    assert extra.status_code == 422
    assert ledger.paid == []


def test_the_openapi_schema_describes_what_the_api_sends(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [pay(), pay("INV-2")], ledger=ledger)
    item = start(graph, "t-1")
    start(graph, "t-2")

    with client(create_app(graph, reviewers=REVIEWERS)) as c:
        doc = c.get("/openapi.json").json()
        listed = c.get("/api/pending", headers=bearer("tok-bob-0123456789")).json()
        done = c.post(
            "/api/threads/t-1/resume",
            headers=bearer("tok-bob-0123456789"),
            json={"interrupt_id": item.id, "answer": {"type": "approve"}},
        ).json()
        error = c.post(
            "/api/threads/t-1/resume",
            headers=bearer("tok-bob-0123456789"),
            json={"interrupt_id": item.id, "answer": {"type": "approve"}},
        ).json()

    assert doc["openapi"].startswith("3.1")
    resume_op = doc["paths"]["/api/threads/{thread_id}/resume"]["post"]
    assert {"200", "404", "409", "410", "422"} <= set(resume_op["responses"])
    assert doc["paths"]["/api/pending"]["get"]["security"] == [{"reviewerToken": []}]
    components = doc["components"]
    for schema in components["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)

    def check(name: str, value: object) -> None:
        schema = {"$ref": f"#/components/schemas/{name}", "components": components}
        jsonschema.Draft202012Validator(schema).validate(value)

    check("PendingList", listed)
    check("ResumeOut", done)
    check("ErrorOut", error)
    check("ResumeBody", {"interrupt_id": item.id, "answer": {"type": "approve"}})
    with pytest.raises(jsonschema.ValidationError):
        check("ResumeBody", {"answer": {}})


def test_allowed_hosts_refuse_other_host_names(ledger: Ledger) -> None:
    graph = agent(InMemorySaver(), [], ledger=ledger)

    with client(create_app(graph, allowed_hosts=LOOPBACK_HOSTS)) as c:
        ours = c.get("/api/pending")
        rebound = c.get("/api/pending", headers={"Host": "attacker.example"})
        ipv6 = c.get("/api/pending", headers={"Host": "[::1]:8765"})

    assert ours.status_code == 200
    assert rebound.status_code == 400
    assert rebound.json()["error"] == "invalid_host"
    assert "'attacker.example'" in rebound.json()["message"]
    assert ipv6.status_code == 200, "an IPv6 loopback Host with a port is ours too"


async def test_the_async_api_serves_async_checkpointers(
    async_checkpointer: BaseCheckpointSaver[Any], ledger: Ledger
) -> None:
    graph = agent(async_checkpointer, [pay(), pick()], ledger=ledger)
    await astart(graph, "t-1")
    await astart(graph, "t-2")
    app = create_app(graph, run_async=True)
    detected = create_app(graph).state.reviewer.ops.run_async
    assert detected is not isinstance(async_checkpointer, InMemorySaver)
    transport = httpx2.ASGITransport(app=app)

    async with httpx2.AsyncClient(transport=transport, base_url=BASE) as c:
        rows = (await c.get("/api/pending")).json()["pending"]
        approval, choice = rows
        refused = await c.post(
            "/api/threads/t-2/resume",
            json={"interrupt_id": choice["interrupt_id"], "answer": {"color": "blue", "count": 1}},
        )
        done = await c.post(
            "/api/threads/t-1/resume",
            json={"interrupt_id": approval["interrupt_id"], "answer": {"type": "approve"}},
        )

    assert [r["thread_id"] for r in rows] == ["t-1", "t-2"]
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["color"]
    assert done.status_code == 200
    assert "Paid 120.00 EUR" in done.json()["new_messages"][0]["text"]
    assert len(ledger.paid) == 1


def test_importing_the_library_does_not_import_the_web_stack() -> None:
    code = "import sys, langgraph_hitl; print('starlette' in sys.modules, 'uvicorn' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert out.stdout.split() == ["False", "False"]
