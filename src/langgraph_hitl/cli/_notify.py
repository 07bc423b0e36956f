"""`langgraph-hitl notify GRAPH --db URL ...`: one sweep, or one every N seconds.

Registered by `_main.py` (`add_arguments`, `cmd_notify`); everything else lives here. A
loop (`--every`) stops cleanly on SIGTERM or Ctrl-C: the sweep under way finishes and
records its outcomes, then the command exits 0. Errors are one line on stderr (with a
traceback only under `--debug`); a sweep in a loop that fails (the database went away)
is reported and the loop goes on.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from ..core._errors import HITLError
from ..core._graphref import GraphSpecError, load_graph
from ..graph._checkpointers import open_checkpointer
from ..notify._channels import Channel, Email, Slack, Webhook
from ..notify._settings import DEFAULT_RETENTION, SweepOptions, settings

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from ..notify._settings import SweepResult

__all__ = ["add_parser", "cmd_notify"]

ParserT = TypeVar("ParserT", bound="argparse.ArgumentParser")

DEFAULT_SENDER = "langgraph-hitl@localhost"


class _Usage(ValueError):
    """A command-line value that cannot be used."""


def _env_arg(parser: argparse.ArgumentParser, flag: str, what: str) -> None:
    """An option naming the environment variable that holds a secret (never the secret)."""
    parser.add_argument(flag, metavar="VAR", help=f"the environment variable that holds {what}")


def add_parser(
    sub: argparse._SubParsersAction[ParserT], graph_args: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Add the `notify` subcommand to the CLI's subparsers (`graph_args` adds GRAPH, --db)."""
    parser = sub.add_parser(
        "notify", help="tell a webhook, Slack or e-mail what waits for a human (for cron)"
    )
    graph_args(parser)
    parser.set_defaults(run=cmd_notify)
    parser.add_argument("--webhook", metavar="URL", help="POST signed JSON events to URL")
    _env_arg(parser, "--secret-env", "the webhook's signing secret")
    parser.add_argument(
        "--smtp",
        metavar="URL",
        help="e-mail through smtp://, smtp+starttls:// or smtps:// [user:password@]host[:port]",
    )
    parser.add_argument(
        "--to", metavar="ADDR", action="append", help="e-mail recipient (repeat for several)"
    )
    parser.add_argument(
        "--from",
        dest="sender",
        metavar="ADDR",
        default=DEFAULT_SENDER,
        help=f"e-mail sender (default: {DEFAULT_SENDER})",
    )
    _env_arg(parser, "--smtp-password-env", "the SMTP password (instead of the URL's)")
    parser.add_argument("--slack", metavar="URL", help="a Slack incoming-webhook URL")
    _env_arg(parser, "--slack-env", "the Slack webhook URL (it is a credential)")
    parser.add_argument(
        "--link-base", metavar="URL", help="the web reviewer's URL, for each event's link"
    )
    parser.add_argument(
        "--remind-before",
        type=float,
        metavar="SECONDS",
        help="send one reminder this long before a request's deadline",
    )
    parser.add_argument(
        "--every",
        type=float,
        metavar="SECONDS",
        help="sweep again every SECONDS until SIGTERM (default: one sweep)",
    )
    parser.add_argument(
        "--max-attempts", type=int, default=5, metavar="N", help="attempts per delivery (5)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, metavar="N", help="deliveries at once (16)"
    )
    parser.add_argument(
        "--lease",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long a claim of a dead sweeper blocks its deliveries (60)",
    )
    parser.add_argument(
        "--retention-days",
        type=float,
        default=DEFAULT_RETENTION / timedelta(days=1),
        metavar="DAYS",
        help="purge what was sent about a request this long after it is answered (30)",
    )


def _seconds(name: str, value: float | None, unit: str = "seconds") -> timedelta | None:
    if value is None:
        return None
    if not value > 0:
        raise _Usage(f"{name} must be a positive number of {unit}, got {value!r}")
    try:
        return timedelta(**{unit: value})
    except OverflowError:
        raise _Usage(f"{name} is too large: {value!r}") from None


def _from_env(option: str, name: str | None) -> str | None:
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise _Usage(f"{option} {name}: that environment variable is not set")
    return value


def _channels(args: argparse.Namespace) -> list[Channel]:
    channels: list[Channel] = []
    if args.webhook:
        if not args.secret_env:
            raise _Usage("--webhook needs --secret-env VAR (the variable that holds its secret)")
        secret = _from_env("--secret-env", args.secret_env) or ""
        channels.append(Webhook(args.webhook, secret=secret))
    elif args.secret_env:
        raise _Usage("--secret-env is the secret of --webhook URL, which is missing")
    if args.smtp:
        if not args.to:
            raise _Usage("--smtp needs at least one --to ADDR")
        password = _from_env("--smtp-password-env", args.smtp_password_env)
        channels.append(Email(args.smtp, sender=args.sender, to=args.to, password=password))
    elif args.to:
        raise _Usage("--to is a recipient for --smtp URL, which is missing")
    if args.slack and args.slack_env:
        raise _Usage("give --slack URL or --slack-env VAR, not both")
    slack = args.slack or _from_env("--slack-env", args.slack_env)
    if slack:
        channels.append(Slack(slack))
    if not channels:
        raise _Usage(
            "no channel: give --webhook URL --secret-env VAR, --smtp URL --to ADDR, or --slack URL"
        )
    return channels


def _summary(result: SweepResult) -> str:
    purged = f", {result.purged} purged" if result.purged else ""
    return (
        f"notify: {len(result.sent)} sent, {len(result.retrying)} to retry, "
        f"{len(result.failed)} failed{purged}"
    )


def _report(result: SweepResult) -> None:
    for outcome in result.failed:
        print(
            f"failed: {outcome.event} of {outcome.interrupt_id} (thread {outcome.thread_id}) "
            f"via {outcome.channel.split(':', 1)[0]}: {outcome.error}",
            file=sys.stderr,
        )
    print(_summary(result), flush=True)


def _fail(message: str) -> int:
    print(f"langgraph-hitl notify: error: {message}", file=sys.stderr, flush=True)
    return 2


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return (
        text
        if isinstance(exc, (HITLError, _Usage, GraphSpecError))
        else f"{type(exc).__name__}: {text}"
    )


def _errors() -> tuple[type[BaseException], ...]:
    """What a sweep may raise that is the environment's fault, not a bug."""
    kinds: list[type[BaseException]] = [HITLError, OSError, sqlite3.Error]
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the postgres extra is not installed
        pass
    else:
        kinds.append(psycopg.Error)
    return tuple(kinds)


def cmd_notify(args: argparse.Namespace) -> int:
    """Run `langgraph-hitl notify`; return the exit code."""
    from ..inbox._inbox import Inbox

    try:
        channels = _channels(args)
        every = _seconds("--every", args.every)
        remind_before = _seconds("--remind-before", args.remind_before)
        options: SweepOptions = {
            "link_base": args.link_base,
            "max_attempts": args.max_attempts,
            "concurrency": args.concurrency,
            "lease": _seconds("--lease", args.lease) or timedelta(minutes=1),
            "retention": _seconds("--retention-days", args.retention_days, "days")
            or DEFAULT_RETENTION,
        }
        # Checked once, before the loop: a bad value would fail every sweep alike.
        settings(channels, remind_before, options)
    except (_Usage, HITLError) as exc:
        if args.debug:
            raise
        return _fail(_one_line(exc))
    caught: tuple[type[BaseException], ...] = (GraphSpecError, ImportError, *_errors())
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        with open_checkpointer(args.db) as saver:
            inbox: Inbox[Any] = Inbox(load_graph(args.graph, saver))
            while True:
                try:
                    _report(inbox.notify(channels, remind_before=remind_before, **options))
                except _errors() as exc:
                    if args.debug or every is None:
                        raise
                    print(f"langgraph-hitl notify: sweep failed: {_one_line(exc)}", file=sys.stderr)
                if every is None or stop.wait(every.total_seconds()):
                    return 0
    except caught as exc:
        if args.debug:
            raise
        return _fail(_one_line(exc))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
