"""docs/ui-clients.md: its JSON parses, and its auth handler is the one the server tests
run with (tests/graphs/ui_clients.py). Its Python is type-checked with every page's, in
test_docs_types.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "ui-clients.md"
TEXT = PAGE.read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", TEXT, re.DOTALL)


def test_the_json_blocks_are_json() -> None:
    (config,) = _blocks("json")
    assert json.loads(config)["graphs"] == {"agent": "./agent.py:graph"}


def test_the_auth_handler_is_the_one_the_server_tests_use() -> None:
    tested = (Path(__file__).parent / "graphs" / "ui_clients.py").read_text(encoding="utf-8")
    (_, handler) = _blocks("python")
    # The page's handler, less its comment, is the tested one's body.
    for line in handler.splitlines():
        code = line.strip()
        if code.startswith(("scheme, _, token", "if scheme.lower()", "return {")):
            assert code in tested, code
