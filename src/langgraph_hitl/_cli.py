"""The `langgraph-hitl` command line (also `python -m langgraph_hitl`).

Subcommands: `demo` (the offline tutorial), `inbox`, `review` and `expire` (the terminal
reviewer, in `_terminal.py`), `serve` (the web reviewer, in `web/`).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ._demo import DEFAULT_ANSWER, run_demo

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["build_parser", "main", "run"]

DEFAULT_DB = "langgraph-hitl-demo.db"


def _demo(args: argparse.Namespace) -> int:
    answer: str | None = args.answer
    if answer is None and not sys.stdin.isatty():
        # Piped or closed stdin: never wait for a terminal that is not there.
        answer = sys.stdin.read().strip() or DEFAULT_ANSWER
    run_demo(db=args.db, answer=answer)
    return 0


def _inbox(args: argparse.Namespace) -> int:
    from ._terminal import cmd_inbox

    return cmd_inbox(args)


def _review(args: argparse.Namespace) -> int:
    from ._terminal import cmd_review

    return cmd_review(args)


def _expire(args: argparse.Namespace) -> int:
    from ._terminal import cmd_expire

    return cmd_expire(args)


def _serve(args: argparse.Namespace) -> int:
    try:
        from .web._serve import cmd_serve
    except ImportError as exc:
        print(
            f"langgraph-hitl serve needs the web extra: pip install 'langgraph-hitl[web]' ({exc})",
            file=sys.stderr,
        )
        return 2
    return cmd_serve(args)


def _graph_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "graph",
        metavar="GRAPH",
        help="path/to/file.py:variable (a StateGraph, compiled graph or factory)",
    )
    parser.add_argument(
        "--db", required=True, metavar="URL", help="a SQLite file path or a postgresql:// URL"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `langgraph-hitl` command."""
    parser = argparse.ArgumentParser(
        prog="langgraph-hitl", description="Human-in-the-loop tools for LangGraph."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo", help="run LangGraph's human-assistance tutorial offline, pausing for you"
    )
    demo.add_argument("--db", default=DEFAULT_DB, help=f"SQLite file (default: {DEFAULT_DB})")
    demo.add_argument("--answer", help="the human's answer (otherwise asked, or read from stdin)")
    demo.set_defaults(run=_demo)

    inbox = sub.add_parser("inbox", help="list pending human requests across threads")
    _graph_args(inbox)
    inbox.add_argument(
        "--limit", type=int, default=None, help="show one page of at most N (oldest first)"
    )
    inbox.add_argument(
        "--after", default=None, metavar="CURSOR", help="the page after this cursor (with --limit)"
    )
    inbox.add_argument("--tool", default=None, help="only requests about this tool")
    inbox.add_argument("--type", default=None, help="only requests of this type")
    inbox.add_argument("--thread", default=None, metavar="ID", help="only this thread")
    inbox.add_argument("--json", action="store_true", help="one JSON object per line")
    inbox.set_defaults(run=_inbox)

    review = sub.add_parser("review", help="walk through pending requests and answer them")
    _graph_args(review)
    review.add_argument("--thread", default=None, metavar="ID", help="only this thread")
    review.add_argument(
        "--reviewer",
        default=None,
        metavar="NAME",
        help="your name, sent with each decision (asked when a tool requires it)",
    )
    review.set_defaults(run=_review)

    expire = sub.add_parser(
        "expire", help="answer every overdue request with its on_timeout answer (for cron)"
    )
    _graph_args(expire)
    expire.set_defaults(run=_expire)

    serve = sub.add_parser("serve", help="the web reviewer (needs langgraph-hitl[web])")
    _graph_args(serve)
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    serve.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    serve.add_argument(
        "--reviewers-file",
        default=None,
        metavar="FILE",
        help="JSON {token: reviewer name}; default: $LANGGRAPH_HITL_REVIEWERS",
    )
    serve.set_defaults(run=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
