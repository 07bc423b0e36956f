"""`langgraph-hitl serve GRAPH --db URL`: the web reviewer on uvicorn.

Reviewer tokens come from `--reviewers-file FILE` or, without it, from the
`LANGGRAPH_HITL_REVIEWERS` environment variable: both a JSON object mapping each token to
a reviewer's name, e.g. `{"3f9c...": "alice", "a71b...": "bob"}`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .._checkpointers import open_checkpointer
from .._graphref import GraphSpecError, load_graph
from . import LOOPBACK_HOSTS, create_app

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

__all__ = ["REVIEWERS_ENV", "cmd_serve", "is_loopback", "load_reviewers"]

REVIEWERS_ENV = "LANGGRAPH_HITL_REVIEWERS"
"""The environment variable that holds the reviewers' tokens (a JSON object)."""


def load_reviewers(path: str | None, environ: Mapping[str, str]) -> dict[str, str] | None:
    """The token -> name mapping from `path`, else from `$LANGGRAPH_HITL_REVIEWERS`.

    Raises:
        ValueError: The file or variable is not a JSON object of non-empty strings.
    """
    if path:
        where = f"--reviewers-file {path!r}"
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"Cannot read {where}: {exc.strerror}.") from None
    elif environ.get(REVIEWERS_ENV):
        where, text = f"${REVIEWERS_ENV}", environ[REVIEWERS_ENV]
    else:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not JSON ({exc.msg}, line {exc.lineno}).") from None
    if (
        not isinstance(data, dict)
        or not data
        or not all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in data.items())
    ):
        raise ValueError(
            f"{where} must be a JSON object mapping each token to a reviewer's name, e.g. "
            '{"<token>": "alice"}, with non-empty strings.'
        )
    return data


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address (only this machine can connect)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the reviewer of `args.graph` on `args.host:args.port`; return the exit code."""
    import uvicorn

    host: str = args.host
    port: int = args.port
    try:
        reviewers = load_reviewers(getattr(args, "reviewers_file", None), os.environ)
    except ValueError as exc:
        print(f"langgraph-hitl serve: {exc}", file=sys.stderr)
        return 2
    loopback = is_loopback(host)
    if not loopback and reviewers is None:
        print(
            f"langgraph-hitl serve: warning: {host} is not a loopback address and no reviewer "
            f"tokens are set (--reviewers-file or ${REVIEWERS_ENV}): anyone who can reach this "
            "address can answer the agent's requests.",
            file=sys.stderr,
        )
    with open_checkpointer(args.db) as saver:
        try:
            graph = load_graph(args.graph, saver)
        except GraphSpecError as exc:
            print(f"langgraph-hitl serve: {exc}", file=sys.stderr)
            return 2
        app = create_app(
            graph, reviewers=reviewers, allowed_hosts=list(LOOPBACK_HOSTS) if loopback else None
        )
        shown = f"[{host}]" if ":" in host else host
        print(
            f"Reviewing {args.graph} (store: {args.db}) at http://{shown}:{port}/ "
            "- press Ctrl+C to stop.",
            file=sys.stderr,
            flush=True,
        )
        uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
