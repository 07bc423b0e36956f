"""Every Python block of README.md and docs/*.md passes `mypy --strict` exactly as written.

A strict-typed user copies these blocks into their own code: a block that only runs is not
enough. The blocks of one page run in order in one namespace (see test_examples.py), so they
are checked the same way: joined into one module per page.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def pages() -> list[Path]:
    """The README and every docs page that has Python blocks."""
    candidates = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [p for p in candidates if _BLOCK.search(p.read_text(encoding="utf-8"))]


def module_of(page: Path) -> str:
    """The page's Python blocks as one module, each block marked with where it comes from."""
    blocks = _BLOCK.findall(page.read_text(encoding="utf-8"))
    return "\n".join(f"# --- {page.name}, block {n}\n{code}" for n, code in enumerate(blocks, 1))


def test_every_docs_page_with_python_is_checked() -> None:
    names = {p.name for p in pages()}
    assert {"README.md", "approvals.md", "resuming.md", "deadlines.md"} <= names


def test_docs_blocks_pass_mypy_strict(tmp_path: Path) -> None:
    files = []
    for page in pages():
        target = tmp_path / f"docs_{page.stem.lower().replace('-', '_')}.py"
        target.write_text(module_of(page), encoding="utf-8")
        files.append(str(target))

    # The project's own configuration (strict, Python 3.10, the pydantic plugin) and its
    # cache: after `make typecheck` the libraries' modules are read from it, and only the
    # pages are checked (mypy replaces each cache file whole, so a parallel run is safe).
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--no-error-summary",
            *files,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )

    assert done.returncode == 0, f"docs blocks fail mypy --strict:\n{done.stdout}{done.stderr}"
