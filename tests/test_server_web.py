"""`RemoteOps`: what the web reviewer reads and answers, over a real `langgraph dev`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from server_support import Server, ai_message, serve, tool_call
from starlette.testclient import TestClient

from langgraph_hitl import (
    Inbox,
    InvalidResumeError,
    NoPendingInterruptError,
    ResumeConflictError,
    UnknownInterruptError,
)
from langgraph_hitl.web import create_app
from langgraph_hitl.web._remote import RemoteOps

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("web")) as running:
        yield running


async def test_pages_read_and_answer_as_with_a_database(server: Server) -> None:
    thread_id = server.start(
        "approval", ai_message(tool_call("pay_invoice", invoice_id="WEB-1", amount=7.0))
    )
    async with Inbox.from_server(server.url) as inbox:
        ops = RemoteOps(inbox)
        (listed,) = [i for i in await ops.pending(type="tool_approval") if i.thread_id == thread_id]
        item = await ops.target(thread_id, listed.id)
        assert item.checkpoint_id is not None
        assert await ops.target(thread_id, str(listed.tool_call_id)) == item
        with pytest.raises(UnknownInterruptError, match="made up"):
            await ops.target(thread_id, "0" * 32)
        before = await ops.values(thread_id)
        assert isinstance(before["messages"][0], AIMessage)
        assert before["messages"][0].tool_calls[0]["args"]["invoice_id"] == "WEB-1"

        with pytest.raises(InvalidResumeError):
            await ops.answer(item, {"type": "approve"}, reviewer=None, expect_checkpoint=None)
        with pytest.raises(ResumeConflictError):
            await ops.answer(
                item, {"type": "approve"}, reviewer="bob", expect_checkpoint="not-this-one"
            )
        assert server.effects(invoice_id="WEB-1") == []
        # The logged-in reviewer's name overrides the one the form sent.
        sent = await ops.answer(
            item,
            {"type": "approve", "reviewer": "mallory"},
            reviewer="bob",
            expect_checkpoint=item.checkpoint_id,
        )
        assert sent == {"type": "approve", "reviewer": "bob"}
        after = await ops.values(thread_id)
        assert isinstance(after["messages"][-1], ToolMessage)
        assert after["messages"][-1].content == "Paid 7.00 EUR for WEB-1."
        earlier = await ops.values(thread_id, item.checkpoint_id)
        assert len(earlier["messages"]) == 1
        assert await ops.on_thread(thread_id) == []
        with pytest.raises(NoPendingInterruptError):
            await ops.target(thread_id, item.id)
    assert len(server.effects(invoice_id="WEB-1")) == 1


async def test_a_deployment_has_no_failed_notifications_and_counts_its_pages(
    server: Server,
) -> None:
    thread_id = server.start("human", ai_message(tool_call("human_assistance", query="Count?")))
    async with Inbox.from_server(server.url, assistant_id="human") as inbox:
        ops = RemoteOps(inbox)
        assert await ops.failed_notifications() == {}
        total = await ops.count(tool=None, type="human_assistance")
        page = await ops.page(tool=None, type="human_assistance", after=None, before=None, limit=1)
        assert total >= 1
        assert len(page.items) == 1
        assert (page.next_cursor is not None) == (total > 1)
        mine = await ops.page(
            tool=None, type=None, after=None, before=None, limit=5, thread_id=thread_id
        )
        assert [i.thread_id for i in mine.items] == [thread_id]


def test_create_app_serves_a_deployments_inbox_in_process(server: Server) -> None:
    thread_id = server.start("human", ai_message(tool_call("human_assistance", query="ASGI?")))
    server.start("human", ai_message(tool_call("human_assistance", query="And a second?")))
    with Inbox.from_server(server.url) as inbox:
        with pytest.raises(TypeError, match="run_async=False is for a graph"):
            create_app(inbox, run_async=False)
        with TestClient(create_app(inbox), base_url="http://127.0.0.1") as client:
            page = client.get("/thread", params={"id": thread_id})
            listed = client.get("/api/pending", params={"thread_id": thread_id}).json()
            # The JSON API's cursor pages over a deployment, with the thread filter passed on.
            one = client.get("/api/pending", params={"thread_id": thread_id, "limit": 1}).json()
            first = client.get("/api/pending", params={"limit": 1}).json()
            following = client.get(
                "/api/pending", params={"limit": 1, "after": first["next_cursor"]}
            ).json()
            bad = client.get("/api/pending", params={"limit": 1, "after": "not-a-cursor"})
        assert one["total"] == 1
        assert [row["thread_id"] for row in one["pending"]] == [thread_id]
        assert one["next_cursor"] is None
        assert len(first["pending"]) == 1
        assert first["total"] >= 2  # at least the two started here
        assert first["next_cursor"] is not None
        assert len(following["pending"]) == 1
        assert following["pending"][0]["interrupt_id"] != first["pending"][0]["interrupt_id"]
        assert following["prev_cursor"] is not None
        assert bad.status_code == 422
        assert bad.json()["error"] == "invalid_cursor"
        assert page.status_code == 200
        assert "ASGI?" in page.text
        assert [row["thread_id"] for row in listed["pending"]] == [thread_id]
        # The app closed its connections at shutdown; the inbox itself stays usable.
        assert [i.thread_id for i in inbox.pending(thread_id=thread_id)] == [thread_id]
