"""The `langgraph-hitl` command line (also `python -m langgraph_hitl`).

Subcommands: `demo` (the offline tutorial), `inbox` and `review` (the terminal reviewer,
in `_terminal.py`), `serve` (the web reviewer, in `web/`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._demo import DEFAULT_ANSWER, run_demo

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


def _serve(args: argparse.Namespace) -> int:
    try:
        from .web._serve import cmd_serve
    except ImportError as exc:
        print(f"langgraph-hitl serve needs the web extra: pip install 'langgraph-hitl[web]' ({exc})",
              file=sys.stderr)
        return 2
    return cmd_serve(args)


def _graph_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("graph", metavar="GRAPH",
                        help="path/to/file.py:variable (a StateGraph, compiled graph or factory)")
    parser.add_argument("--db", required=True, metavar="URL",
                        help="a SQLite file path or a postgresql:// URL")


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
    inbox.add_argument("--limit", type=int, default=None, help="show at most N (oldest first)")
    inbox.add_argument("--tool", default=None, help="only requests about this tool")
    inbox.add_argument("--type", default=None, help="only requests of this type")
    inbox.set_defaults(run=_inbox)

    review = sub.add_parser("review", help="walk through pending requests and answer them")
    _graph_args(review)
    review.add_argument("--thread", default=None, metavar="ID", help="only this thread")
    review.set_defaults(run=_review)

    serve = sub.add_parser("serve", help="the web reviewer (needs langgraph-hitl[web])")
    _graph_args(serve)
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    serve.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
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
