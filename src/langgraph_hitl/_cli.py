"""The `langgraph-hitl` command line (also `python -m langgraph_hitl`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._demo import DEFAULT_ANSWER, run_demo

__all__ = ["main"]

DEFAULT_DB = "langgraph-hitl-demo.db"


def _demo(args: argparse.Namespace) -> int:
    answer: str | None = args.answer
    if answer is None and not sys.stdin.isatty():
        # Piped or closed stdin: never wait for a terminal that is not there.
        answer = sys.stdin.read().strip() or DEFAULT_ANSWER
    run_demo(db=args.db, answer=answer)
    return 0


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
