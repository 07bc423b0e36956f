"""`langgraph-hitl serve GRAPH --db URL` (or `--url URL`): the web reviewer on uvicorn.

With `--url URL [--assistant ID] [--api-key-env VAR] [--retries N]` it reviews a LangGraph Server
deployment through its API instead of a graph's checkpointer. Before it listens it checks
that the server answers, takes the key, and has the assistant: each is one line, exit 2.

Reviewer tokens come from `--reviewers-file FILE` (re-read whenever it changes) or,
without it, from the `LANGGRAPH_HITL_REVIEWERS` environment variable: both a JSON object
mapping each token to a reviewer's name, e.g. `{"3f9c...": "alice", "a71b...": "bob"}`.

The server answers only to known host names: the loopback names, the `--host` address
itself, and every `--allowed-host`. Bound beyond loopback it refuses to start without
reviewer tokens (unless `--insecure-no-auth`), and bound to every address (`0.0.0.0`)
without an `--allowed-host`. It binds the port before it says where it listens.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from ..core._display import visible
from ..core._graphref import load_graph
from ..graph._checkpointers import open_checkpointer, redacted
from ._security import parse_reviewers

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping

    from langgraph.pregel import Pregel
    from starlette.applications import Starlette

    from ..inbox._remote import RemoteInbox

__all__ = ["REVIEWERS_ENV", "allowed_hosts_for", "cmd_serve", "is_loopback", "load_reviewers"]

REVIEWERS_ENV = "LANGGRAPH_HITL_REVIEWERS"
"""The environment variable that holds the reviewers' tokens (a JSON object)."""

_EVERY_ADDRESS = ("0.0.0.0", "::", "")


def load_reviewers(path: str | None, environ: Mapping[str, str]) -> dict[str, str] | None:
    """The token -> name mapping from `path`, else from `$LANGGRAPH_HITL_REVIEWERS`.

    Raises:
        ReviewersConfigError: The file or variable is not a JSON object of non-empty
            strings, or a token is shorter than 16 characters.
    """
    from ..core._errors import ReviewersConfigError

    if path:
        where = f"--reviewers-file {path!r}"
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ReviewersConfigError(f"Cannot read {where}: {exc.strerror}.") from None
    elif environ.get(REVIEWERS_ENV):
        where, text = f"${REVIEWERS_ENV}", environ[REVIEWERS_ENV]
    else:
        return None
    return parse_reviewers(text, where)


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address (only this machine can connect)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts_for(host: str, extra: list[str]) -> list[str]:
    """The host names a server bound to `host` answers to.

    Raises:
        ValueError: `host` is every address and no `extra` names say which to answer to.
    """
    from . import LOOPBACK_HOSTS

    names = [*LOOPBACK_HOSTS, *extra]
    bare = host.strip("[]")
    if bare in _EVERY_ADDRESS:
        if not extra:
            raise ValueError(
                f"--host {host!r} listens on every address: name the host names clients use "
                "to reach it with --allowed-host NAME (repeatable), e.g. --allowed-host "
                "review.example.com."
            )
        return names
    if not is_loopback(host):
        names.append(f"[{bare}]" if ":" in bare else bare)
    return names


def _say(message: str) -> None:
    print(f"langgraph-hitl serve: {visible(message)}", file=sys.stderr, flush=True)


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to `host:port`, so a busy port is known before anything is said."""
    bare = host.strip("[]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((bare, port))
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise OSError(exc.errno, f"Cannot listen on {host} port {port}: {reason}.") from None
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn, printing the banner once it accepts connections."""

    def __init__(self, config: uvicorn.Config, banner: str) -> None:
        super().__init__(config)
        self.banner = banner

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(self.banner, file=sys.stderr, flush=True)


def _run(app: Starlette, host: str, port: int, what: str) -> int:
    """Serve `app` until Ctrl+C; say where once it listens. 1 when the port is taken."""
    try:
        sock = _listen(host, port)
    except OSError as exc:
        _say(f"error: {exc.strerror}")
        return 1
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    banner = f"{what} at http://{shown}:{sock.getsockname()[1]}/ - press Ctrl+C to stop."
    server = _Server(uvicorn.Config(app, log_level="warning"), visible(banner))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl+C it handled, once it has shut down
    finally:
        sock.close()
    return 0


def cmd_serve(args: argparse.Namespace, remote: RemoteInbox | None = None) -> int:
    """Serve the reviewer of `args.graph` (or of `remote`, a deployment) on `args.host:port`.

    Returns the exit code. `remote` is closed at the end.
    """
    from . import create_app

    host: str = args.host
    port: int = args.port
    reviewers_file: str | None = getattr(args, "reviewers_file", None)
    reviewers = load_reviewers(reviewers_file, os.environ)
    extra: list[str] = list(getattr(args, "allowed_host", None) or [])
    try:
        allowed = allowed_hosts_for(host, extra)
    except ValueError as exc:
        _say(f"error: {exc}")
        return 2
    if not is_loopback(host) and reviewers is None:
        if not getattr(args, "insecure_no_auth", False):
            _say(
                f"error: --host {host} is not a loopback address and no reviewer tokens are set "
                f"(--reviewers-file or ${REVIEWERS_ENV}): anyone who reaches it could answer "
                "the agent's requests. Set tokens (langgraph-hitl token NAME), or pass "
                "--insecure-no-auth to allow it."
            )
            return 2
        _say(
            f"warning: --insecure-no-auth: anyone who can reach {host} can answer the agent's "
            "requests."
        )

    def app_of(source: Pregel[Any, Any, Any, Any] | RemoteInbox) -> Starlette:
        return create_app(
            source,
            reviewers=None if reviewers_file else reviewers,
            reviewers_file=reviewers_file or None,
            allowed_hosts=allowed,
            session_lifetime=timedelta(hours=getattr(args, "session_hours", 12.0)),
            max_body=getattr(args, "max_body", 1024 * 1024),
        )

    if remote is not None:
        with remote as inbox:
            # Unreachable, a refused key, an unknown assistant: ServerError, before listening.
            inbox.check()
            where = f"the deployment at {redacted(args.url)}" + (
                f" (assistant: {args.assistant})" if args.assistant else ""
            )
            code = _run(app_of(inbox), host, port, f"Reviewing {where}")
    else:
        with open_checkpointer(args.db, create=False) as saver:
            graph = load_graph(args.graph, saver)
            what = f"Reviewing {args.graph} (store: {redacted(args.db)})"
            code = _run(app_of(graph), host, port, what)
    if code:
        return code
    print("Stopped.", file=sys.stderr)
    return 0
