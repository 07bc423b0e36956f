"""docs/ui-clients.md: its Python passes `mypy --strict` as written, its JSON parses, and
its auth handler is the one the server tests run with (tests/graphs/ui_clients.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mypy import api

PAGE = Path(__file__).resolve().parent.parent / "docs" / "ui-clients.md"
TEXT = PAGE.read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", TEXT, re.DOTALL)


def test_the_python_blocks_pass_strict_mypy(tmp_path: Path) -> None:
    blocks = _blocks("python")
    assert len(blocks) == 2
    files = []
    for n, block in enumerate(blocks):
        path = tmp_path / f"ui_clients_block_{n}.py"
        path.write_text(block, encoding="utf-8")
        files.append(str(path))
    out, err, status = api.run(
        [
            "--strict",
            "--python-version",
            "3.10",
            "--no-incremental",
            "--cache-dir",
            "/dev/null",
            "--config-file",
            "",
            *files,
        ]
    )
    assert status == 0, out + err


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
