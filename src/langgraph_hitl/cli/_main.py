"""The `langgraph-hitl` command line (also `python -m langgraph_hitl`).

Subcommands: `demo` (the offline tutorial), `inbox`, `review` and `expire` (the terminal
reviewer, in `_terminal.py` and `_review.py`), `serve` (the web reviewer, in `web/`), `token` (a new
reviewer token) and `notify` (notifications of waiting requests, in `_notify.py`).
Each has one `_add_<name>` function that declares its options and one `_<name>` function
that runs it.

Errors are one line on stderr, never a traceback (`--debug` shows it). Exit codes: 0 when
the command ran; 2 when the command line is refused (a bad argument, a `--db` that names
no database, a graph that cannot be loaded: nothing was done); 1 when it could not run
(a database that cannot be reached, a busy port, an unexpected failure); 130 on Ctrl+C;
141 when the reader of the output went away (`| head`), quietly.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, NoReturn

from ..core._display import visible
from ..core._errors import (
    DatabaseUnavailableError,
    DatabaseURLError,
    HITLError,
    InvalidCursorError,
    ReviewersConfigError,
    ServerError,
)
from ..core._graphref import GraphSpecError
from ..graph._checkpointers import check_database_url
from ._options import number
from ._remote import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["EXIT_BROKEN_PIPE", "EXIT_FAILED", "EXIT_USAGE", "build_parser", "main", "run"]

DEFAULT_DB = "langgraph-hitl-demo.db"
EXIT_FAILED = 1
"""Exit code: the command could not run (database unreachable, busy port, a failure)."""
EXIT_USAGE = 2
"""Exit code: the command line was refused; nothing was done."""
EXIT_BROKEN_PIPE = 141
"""Exit code when stdout's reader went away (128 + SIGPIPE, as a shell reports it)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (its default prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {visible(message)} (see --help)\n")


def _existing_db(value: str) -> str:
    """`--db` of a reviewer command: an accepted form naming a database that exists."""
    try:
        check_database_url(value, create=False)
    except DatabaseURLError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


# -- the subcommands ---------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from ._demo import DEFAULT_ANSWER, run_demo

    answer: str | None = args.answer
    if answer is None and not sys.stdin.isatty():
        # Piped or closed stdin: never wait for a terminal that is not there.
        answer = sys.stdin.read().strip() or DEFAULT_ANSWER
    run_demo(db=args.db, answer=answer)
    return 0


def _add_demo(sub: argparse._SubParsersAction[_Parser]) -> None:
    demo = sub.add_parser(
        "demo", help="run LangGraph's human-assistance tutorial offline, pausing for you"
    )
    demo.add_argument("--db", default=DEFAULT_DB, help=f"SQLite file (default: {DEFAULT_DB})")
    demo.add_argument("--answer", help="the human's answer (otherwise asked, or read from stdin)")
    _debug_arg(demo)
    demo.set_defaults(run=_demo)


def _inbox(args: argparse.Namespace) -> int:
    from ._terminal import cmd_inbox

    return cmd_inbox(args)


def _add_inbox(sub: argparse._SubParsersAction[_Parser]) -> None:
    inbox = sub.add_parser("inbox", help="list pending human requests across threads")
    _graph_args(inbox, remote=True)
    inbox.add_argument(
        "--limit",
        type=number(int, "a whole number"),
        default=None,
        help="show one page of at most N (oldest first)",
    )
    inbox.add_argument(
        "--after", default=None, metavar="CURSOR", help="the page after this cursor (with --limit)"
    )
    inbox.add_argument("--tool", default=None, help="only requests about this tool")
    inbox.add_argument("--type", default=None, help="only requests of this type")
    _thread_arg(inbox)
    inbox.add_argument("--json", action="store_true", help="one JSON object per line")
    inbox.set_defaults(run=_inbox)


def _review(args: argparse.Namespace) -> int:
    from ._review import review

    return review(args)


def _add_review(sub: argparse._SubParsersAction[_Parser]) -> None:
    review = sub.add_parser("review", help="walk through pending requests and answer them")
    _graph_args(review, remote=True)
    _thread_arg(review)
    review.add_argument(
        "--reviewer",
        default=None,
        metavar="NAME",
        help="your name, sent with each decision (asked when a tool requires it)",
    )
    review.set_defaults(run=_review)


def _expire(args: argparse.Namespace) -> int:
    from ._terminal import cmd_expire

    return cmd_expire(args)


def _add_expire(sub: argparse._SubParsersAction[_Parser]) -> None:
    expire = sub.add_parser(
        "expire", help="answer every overdue request with its on_timeout answer (for cron)"
    )
    _graph_args(expire, remote=True)
    expire.set_defaults(run=_expire)


def _serve(args: argparse.Namespace) -> int:
    try:
        from ..web._serve import cmd_serve
    except ImportError as exc:
        return _fail(
            f"serve needs the web extra: pip install 'langgraph-hitl[web]' ({exc})", EXIT_USAGE
        )
    if args.url is None:
        return cmd_serve(args)
    from ._remote import remote_inbox

    return cmd_serve(args, remote_inbox(args))


def _add_serve(sub: argparse._SubParsersAction[_Parser]) -> None:
    serve = sub.add_parser("serve", help="the web reviewer (needs langgraph-hitl[web])")
    _graph_args(serve, remote=True)
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    serve.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    serve.add_argument(
        "--reviewers-file",
        default=None,
        metavar="FILE",
        help="JSON {token: reviewer name}, re-read when it changes; "
        "default: $LANGGRAPH_HITL_REVIEWERS",
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name clients use to reach the server (repeatable; needed with a "
        "non-loopback --host)",
    )
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="allow a non-loopback --host without reviewer tokens: anyone who reaches it "
        "may answer",
    )
    serve.add_argument(
        "--session-hours",
        type=number(float, "a number of hours"),
        default=12.0,
        metavar="H",
        help="sign-in sessions end after H hours (default: 12)",
    )
    serve.add_argument(
        "--max-body",
        type=number(int, "a number of bytes"),
        default=1024 * 1024,
        metavar="BYTES",
        help="refuse request bodies larger than this with 413 (default: 1048576)",
    )
    serve.set_defaults(run=_serve)


def _token(args: argparse.Namespace) -> int:
    import json
    import secrets

    from ..core._display import has_hidden

    name: str = args.name
    if not name.strip() or has_hidden(name):
        return _fail(
            f"NAME {name!r} must be a reviewer's name: not empty, without hidden characters.",
            EXIT_USAGE,
        )
    # 32 random bytes: 43 URL-safe characters, far beyond any guessing.
    print(json.dumps({secrets.token_urlsafe(32): name}, ensure_ascii=False))
    return 0


def _add_token(sub: argparse._SubParsersAction[_Parser]) -> None:
    token = sub.add_parser(
        "token",
        help="print a new random reviewer token for the reviewers file",
        description='Prints {"<token>": "NAME"}: the reviewers file of one reviewer, or '
        "an entry to merge into a reviewers file.",
    )
    token.add_argument("name", metavar="NAME", help="the reviewer's name")
    _debug_arg(token)
    token.set_defaults(run=_token)


# -- shared options ----------------------------------------------------------------------


def _thread_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--thread", default=None, metavar="ID", help="only this thread")


def _debug_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an error",
    )


def _graph_args(parser: argparse.ArgumentParser, *, remote: bool = False) -> None:
    parser.add_argument(
        "graph",
        metavar="GRAPH",
        nargs="?" if remote else None,
        help="path/to/file.py:variable (a StateGraph, compiled graph or factory)",
    )
    parser.add_argument(
        "--db",
        required=not remote,
        metavar="URL",
        # With --url possible, `main` checks the pair first, then the database (one line).
        type=str if remote else _existing_db,
        help="an existing SQLite file or a postgresql:// URL (never created)",
    )
    if remote:
        # Or a LangGraph Server deployment: checked in `main` (one line when wrong).
        from ._remote import add_server_args

        add_server_args(parser)
    _debug_arg(parser)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `langgraph-hitl` command."""
    from ..core._version import VERSION

    parser = _Parser(prog="langgraph-hitl", description="Human-in-the-loop tools for LangGraph.")
    parser.add_argument("--version", action="version", version=f"langgraph-hitl {VERSION}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in (_add_demo, _add_inbox, _add_review, _add_expire, _add_serve, _add_token):
        add(sub)
    from ._notify import add_parser as add_notify

    add_notify(sub, _graph_args)
    # Named in the one-line error when no command is given (argparse would say "command").
    sub.metavar = "{" + ",".join(sub.choices) + "}"
    return parser


# -- running -----------------------------------------------------------------------------


def _fail(message: str, code: int) -> int:
    print(f"langgraph-hitl: error: {visible(message)}", file=sys.stderr)
    return code


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is no real file (e.g. captured in a test)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    if hasattr(args, "api_key_env"):
        from ._remote import source_problem

        problem = source_problem(args)
        if problem is not None:
            return _fail(problem, EXIT_USAGE)
        if args.db is not None:
            try:
                check_database_url(args.db, create=False)
            except DatabaseURLError as exc:  # worded as argparse words the other commands'
                print(
                    f"langgraph-hitl {args.command}: error: argument --db: {visible(str(exc))}",
                    file=sys.stderr,
                )
                return EXIT_USAGE
    try:
        code: int = args.run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        if debug:
            raise
        print("Interrupted.", file=sys.stderr)
        return 130
    except (
        DatabaseURLError,
        GraphSpecError,
        ImportError,
        InvalidCursorError,
        ReviewersConfigError,
        ServerError,
        UsageError,
    ) as exc:
        # ServerError: an unreachable server, a wrong API key, an unknown assistant.
        if debug:
            raise
        return _fail(str(exc), EXIT_USAGE)
    except DatabaseUnavailableError as exc:
        if debug:
            raise
        return _fail(str(exc), EXIT_FAILED)
    except Exception as exc:
        if debug:
            raise
        kind = "" if isinstance(exc, HITLError) else f"{type(exc).__name__}: "
        first = str(exc).strip().split("\n", 1)[0]
        return _fail(f"{kind}{first} (run with --debug for the traceback)", EXIT_FAILED)
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
