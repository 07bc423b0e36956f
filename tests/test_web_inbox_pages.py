"""The web reviewer's inbox a page at a time: "Next", "Previous" and the total count."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from starlette.testclient import TestClient
from web_support import Ledger, agent, pay, start

import langgraph_hitl.web._reviewer as app_module
from langgraph_hitl.web import create_app

if TYPE_CHECKING:
    import pytest
    from langgraph.checkpoint.base import BaseCheckpointSaver


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)">', page)
    return html.unescape(found.group(1)) if found else None


def _threads(page: str) -> list[str]:
    return re.findall(r'name="thread_id" value="([^"]+)"', page)


def test_the_inbox_pages_with_next_previous_and_the_total(
    checkpointer: BaseCheckpointSaver[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_module, "PAGE_LIMIT", 2)
    threads = [f"inv-{n}" for n in range(5)]
    graph = agent(checkpointer, [pay(f"INV-{n}") for n in range(5)], ledger=Ledger())
    for thread in threads:
        start(graph, thread)

    with TestClient(create_app(graph), base_url="http://127.0.0.1") as c:
        first = c.get("/").text
        assert "5 requests waiting, oldest first; showing 2." in first
        assert _threads(first) == threads[:2]
        assert _link(first, "prev") is None
        following = _link(first, "next")
        assert following is not None
        second = c.get(following).text
        assert _threads(second) == threads[2:4]
        third_url = _link(second, "next")
        assert third_url is not None
        third = c.get(third_url).text
        assert _threads(third) == threads[4:]
        assert _link(third, "next") is None
        back = _link(third, "prev")
        assert back is not None
        assert _threads(c.get(back).text) == threads[2:4]
        filtered = c.get("/?tool=pay_invoice").text
        assert "tool=pay_invoice" in (_link(filtered, "next") or "")

        stale = c.get("/?after=not-a-cursor").text

    assert "not valid any more: showing the first page" in stale
    assert _threads(stale) == threads[:2]
