"""docs/deployment.md: its Python blocks run against `langgraph dev` (their types are
checked with every page's, in test_docs_types.py)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from server_support import Server, ai_message, serve, tool_call

if TYPE_CHECKING:
    from collections.abc import Iterator

PAGE = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
# The page's deployment, and its assistant, are the test server's.
_URL = "http://127.0.0.1:2024"
_ASSISTANT = 'assistant_id="agent"'


def _blocks() -> list[str]:
    blocks: list[str] = _BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert blocks, "docs/deployment.md has no python code"
    return blocks


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("docs")) as running:
        yield running


def test_the_blocks_run_against_a_deployment(server: Server) -> None:
    approval = server.start(
        "approval", ai_message(tool_call("pay_invoice", invoice_id="DOC-1", amount=5.0))
    )
    question = server.start("human", ai_message(tool_call("human_assistance", query="Go?")))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in _blocks():
            code = block.replace(_URL, server.url).replace(_ASSISTANT, 'assistant_id="approval"')
            exec(compile(code, str(PAGE), "exec"), {"__name__": "docs_deployment"})
    out = printed.getvalue()
    assert f"{approval} tool_approval pay_invoice" in out
    assert "the thread now waits for 0 more" in out
    assert "cannot use the deployment" not in out
    assert re.search(r"(\d+) of \1 approvals read, page by page", out), out
    assert re.search(r"the reviewer lists \d+ requests of the deployment", out), out
    assert server.effects(invoice_id="DOC-1") == [
        {"tool": "pay_invoice", "invoice_id": "DOC-1", "amount": 5.0}
    ]
    client = server.client()
    try:
        messages = client.threads.get_state(question)["values"]["messages"]  # type: ignore[call-overload]
    finally:
        client.close()
    assert messages[-1]["content"] == "Yes, go ahead."
