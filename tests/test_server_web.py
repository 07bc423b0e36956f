"""`RemoteOps`: what the web reviewer reads and answers, over a real `langgraph dev`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from server_support import Server, ai_message, serve, tool_call

from langgraph_hitl import (
    Inbox,
    InvalidResumeError,
    NoPendingInterruptError,
    ResumeConflictError,
    UnknownInterruptError,
)
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
