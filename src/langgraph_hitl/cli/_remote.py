"""The command line's `--url URL [--assistant ID] [--api-key-env VAR] [--retries N]`.

`inbox`, `review` and `expire` read either a graph's checkpointer (`GRAPH --db URL`) or a
LangGraph Server deployment (`--url URL`, no GRAPH and no `--db`). This module adds the
options and turns them into a `RemoteInbox` (a deployment's inbox); a wrong combination
is one line, exit 2.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from ..inbox._remote import RemoteInbox
from ..inbox._remote_io import SDK_RETRIES
from ._options import number

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

__all__ = ["UsageError", "add_server_args", "remote_inbox", "source_problem"]


class UsageError(ValueError):
    """Options that do not name one store or one server."""


def add_server_args(parser: argparse.ArgumentParser) -> None:
    """Add `--url`, `--assistant`, `--api-key-env` and `--retries` to a subcommand."""
    parser.add_argument(
        "--url",
        default=None,
        metavar="URL",
        help="a LangGraph Server deployment (e.g. http://127.0.0.1:2024) instead of GRAPH --db",
    )
    parser.add_argument(
        "--assistant",
        default=None,
        metavar="ID",
        help="with --url: only this assistant's threads (an assistant id or a graph id)",
    )
    parser.add_argument(
        "--api-key-env",
        default=None,
        metavar="VAR",
        help="with --url: the environment variable holding the server's API key",
    )
    parser.add_argument(
        "--retries",
        default=None,
        type=number(int, "a whole number", zero=True),
        metavar="N",
        help="with --url: how often a request that cannot reach the server is tried again "
        f"(default {SDK_RETRIES}, about 7.5 s; 0: say at once that it is unreachable)",
    )


def source_problem(args: argparse.Namespace) -> str | None:
    """Why the options name no single store or server, or None when they do."""
    url = getattr(args, "url", None)
    graph = getattr(args, "graph", None)
    db = getattr(args, "db", None)
    if url is not None:
        extra = [name for name, value in (("GRAPH", graph), ("--db", db)) if value is not None]
        if extra:
            return (
                f"--url reads the deployment's own graphs: give no {' and no '.join(extra)} "
                f"with it (got {' '.join(repr(v) for v in (graph, db) if v is not None)})."
            )
        return None
    remote_only = [
        flag
        for flag, value in (
            ("--assistant", args.assistant),
            ("--api-key-env", args.api_key_env),
            ("--retries", args.retries),
        )
        if value is not None
    ]
    if remote_only:
        verb = "needs" if len(remote_only) == 1 else "need"
        return f"{' and '.join(remote_only)} {verb} --url URL (a LangGraph Server deployment)."
    if graph is None or db is None:
        missing = " and ".join(n for n, v in (("GRAPH", graph), ("--db URL", db)) if v is None)
        return (
            f"missing {missing}: give GRAPH --db URL (a graph and its checkpointer), or "
            "--url URL (a LangGraph Server deployment)."
        )
    return None


def remote_inbox(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> RemoteInbox:
    """The inbox of `args.url`, with the key from `$args.api_key_env` when given.

    Raises:
        UsageError: The API key variable is not set, or the URL is not an http(s) URL.
    """
    env = os.environ if environ is None else environ
    # Some SDK versions also log each refused call; the command says it once, in one line.
    logging.getLogger("langgraph_sdk").addHandler(logging.NullHandler())
    api_key: str | None = None
    if args.api_key_env is not None:
        api_key = env.get(args.api_key_env) or None
        if api_key is None:
            raise UsageError(
                f"--api-key-env {args.api_key_env}: that environment variable is not set "
                "(or is empty); export the server's API key in it."
            )
    try:
        return RemoteInbox(
            args.url,
            assistant_id=args.assistant,
            api_key=api_key,
            retries=SDK_RETRIES if args.retries is None else args.retries,
        )
    except ValueError as exc:
        raise UsageError(f"--url: {exc}") from None
