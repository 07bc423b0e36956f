"""Who is reviewing, for how long, and that a form post comes from our own page.

- Reviewers are configured as a mapping from token to name (`Reviewers`), given as such
  or read from a JSON file that is re-read whenever it changes. Every token has at least
  `MIN_TOKEN_LENGTH` characters. The API takes the token as `Authorization: Bearer
  <token>`; the page takes it once in a login form and then keeps a session cookie that
  holds a digest of the token (never the token), so removing a token from the
  configuration ends its sessions too.
- Every page visitor gets a session cookie (signed, HttpOnly, SameSite=Strict) with a
  random nonce and the time it was issued; it expires after the app's session lifetime.
  A signed-in session is also recorded on the server, so signing out ends it there: the
  old cookie is worth nothing afterwards. Every form carries a CSRF token derived from the
  nonce with the app's secret, and every form post must carry the one of its cookie.
- `Throttle` counts failed sign-ins and bearer tokens per client address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import sys
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import _clock as clock
from ..core._errors import ReviewersConfigError

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping

__all__ = [
    "COOKIE",
    "MIN_TOKEN_LENGTH",
    "Keys",
    "Reviewers",
    "Session",
    "Throttle",
    "parse_reviewers",
    "token_digest",
]

COOKIE = "langgraph_hitl_session"
"""The name of the session cookie."""

MIN_TOKEN_LENGTH = 16
"""Reviewer tokens shorter than this are refused (`langgraph-hitl token NAME` makes one)."""

_ANONYMOUS = "-"


def token_digest(token: str) -> str:
    """The digest a session keeps instead of the reviewer's token."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def check_reviewers(reviewers: Mapping[Any, Any], where: str) -> dict[str, str]:
    """`reviewers` as token -> name, checked; refused with `ReviewersConfigError`.

    Messages name the reviewer (or the entry's position), never the token.
    """
    if not isinstance(reviewers, dict) or not reviewers:
        raise ReviewersConfigError(
            f"{where} must be a JSON object mapping each token to a reviewer's name, e.g. "
            '{"<token>": "alice"}, with non-empty strings.'
        )
    checked: dict[str, str] = {}
    for n, (token, name) in enumerate(reviewers.items(), 1):
        if not (isinstance(name, str) and name.strip()):
            raise ReviewersConfigError(
                f"{where}: entry {n} must map a token to a reviewer's name, a non-empty "
                f"string; got {type(name).__name__} {name!r}."
            )
        if not isinstance(token, str) or len(token.strip()) < MIN_TOKEN_LENGTH:
            length = len(token) if isinstance(token, str) else 0
            raise ReviewersConfigError(
                f"{where}: the token of reviewer {name!r} is too short ({length} characters); "
                f"tokens need at least {MIN_TOKEN_LENGTH}. Make one with "
                f"`langgraph-hitl token {name}`."
            )
        checked[token] = name
    return checked


def parse_reviewers(text: str, where: str) -> dict[str, str]:
    """The token -> name mapping of a reviewers file's (or variable's) JSON text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReviewersConfigError(f"{where} is not JSON ({exc.msg}, line {exc.lineno}).") from None
    return check_reviewers(data if isinstance(data, dict) else {}, where)


class Reviewers:
    """Token -> reviewer name, from a mapping or from a JSON file re-read when it changes.

    A file that turns unreadable or invalid while the app runs lets nobody in (and says so
    on stderr) until it is fixed; sessions of tokens still in the fixed file then work again.

    Args:
        mapping: Token -> name.
        path: A JSON file `{token: name}` (instead of `mapping`).

    Raises:
        ReviewersConfigError: The mapping (or the file, at start) is malformed or has a
            token shorter than `MIN_TOKEN_LENGTH`.
    """

    def __init__(
        self,
        mapping: Mapping[str, str] | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self._stamp: tuple[int, int, int] | None = None
        self._by_digest: dict[str, str] = {}
        if self.path is not None:
            self._stamp = self._stat()
            self._by_digest = self._read(strict=True)
        else:
            checked = check_reviewers(dict(mapping or {}), "reviewers")
            self._by_digest = {token_digest(t): n for t, n in checked.items()}

    def _stat(self) -> tuple[int, int, int] | None:
        assert self.path is not None
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def _read(self, *, strict: bool) -> dict[str, str]:
        assert self.path is not None
        where = f"The reviewers file {str(self.path)!r}"
        try:
            text = self.path.read_text(encoding="utf-8")
            checked = parse_reviewers(text, where)
        except (OSError, UnicodeDecodeError) as exc:
            problem = f"Cannot read {where[4:]}: {getattr(exc, 'strerror', None) or exc}."
        except ReviewersConfigError as exc:
            problem = str(exc)
        else:
            return {token_digest(t): n for t, n in checked.items()}
        if strict:
            raise ReviewersConfigError(problem)
        # Fail closed: nobody signs in while the file cannot be read.
        print(
            f"langgraph-hitl serve: {problem} Nobody can sign in until it is fixed.",
            file=sys.stderr,
            flush=True,
        )
        return {}

    def _fresh(self) -> dict[str, str]:
        if self.path is not None:
            stamp = self._stat()
            if stamp != self._stamp:
                self._stamp = stamp
                self._by_digest = self._read(strict=False)
        return self._by_digest

    def name_of_digest(self, digest: str) -> str | None:
        """The name of the reviewer whose token has this digest, as configured right now."""
        return self._fresh().get(digest)


@dataclass(frozen=True, slots=True)
class Session:
    """What a session cookie says."""

    nonce: str
    digest: str
    """The digest of the reviewer's token, or `"-"` before login."""
    issued: int
    """When it was issued (seconds since the epoch)."""


class Keys:
    """The app's secret, its reviewers and their sessions: signs and checks both.

    Args:
        reviewers: The reviewers; None when the app asks nobody to log in.
        secret: Signs the cookies; random per app when not given (sessions then end when
            the process does).
        lifetime: How long a session lasts after it was issued.
    """

    def __init__(
        self,
        reviewers: Reviewers | None,
        secret: str | bytes | None,
        *,
        lifetime: timedelta = timedelta(hours=12),
    ) -> None:
        self.reviewers = reviewers
        raw = secret if secret is not None else secrets.token_bytes(32)
        self._secret = raw.encode() if isinstance(raw, str) else raw
        self.lifetime = lifetime
        # Signed-in sessions by nonce: signing out removes one, so its cookie stops working.
        self._live: dict[str, tuple[str, int]] = {}

    @property
    def required(self) -> bool:
        """Whether reviewers must identify themselves."""
        return self.reviewers is not None

    def _sign(self, text: str) -> str:
        mac = hmac.new(self._secret, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    @staticmethod
    def _now() -> int:
        return math.floor(clock.now().timestamp())

    def _expired(self, issued: int) -> bool:
        return self._now() >= issued + self.lifetime.total_seconds()

    def reviewer_of_token(self, token: str | None) -> str | None:
        """The name of the reviewer whose token this is, if any."""
        if not token or self.reviewers is None:
            return None
        return self.reviewers.name_of_digest(token_digest(token))

    def reviewer_of(self, session: Session | None) -> str | None:
        """The signed-in reviewer of a session, if any."""
        if session is None or session.digest == _ANONYMOUS or self.reviewers is None:
            return None
        return self.reviewers.name_of_digest(session.digest)

    def new_session(self, token: str | None = None) -> Session:
        """A fresh session, signed in with `token` when given (a new nonce either way)."""
        digest = token_digest(token) if token else _ANONYMOUS
        session = Session(nonce=secrets.token_urlsafe(16), digest=digest, issued=self._now())
        if token:
            self._live = {n: v for n, v in self._live.items() if not self._expired(v[1])}
            self._live[session.nonce] = (digest, session.issued)
        return session

    def end(self, session: Session | None) -> None:
        """Sign a session out on the server: its cookie no longer works."""
        if session is not None:
            self._live.pop(session.nonce, None)

    def dump(self, session: Session) -> str:
        """The cookie value of a session."""
        body = f"{session.nonce}.{session.digest}.{session.issued}"
        return f"{body}.{self._sign('session:' + body)}"

    def load(self, cookie: str | None) -> Session | None:
        """The session of a cookie value; None when missing, forged, expired or signed out."""
        if not cookie:
            return None
        parts = cookie.split(".")
        if len(parts) != 4:
            return None
        nonce, digest, issued, mac = parts
        expected = self._sign(f"session:{nonce}.{digest}.{issued}")
        if not hmac.compare_digest(mac.encode(), expected.encode()):
            return None
        if not issued.isdigit() or self._expired(int(issued)):
            return None
        if digest != _ANONYMOUS and self._live.get(nonce) != (digest, int(issued)):
            return None
        return Session(nonce=nonce, digest=digest, issued=int(issued))

    def csrf(self, session: Session) -> str:
        """The CSRF token every form of this session carries."""
        return self._sign("csrf:" + session.nonce)

    def csrf_ok(self, session: Session | None, token: str | None) -> bool:
        """Whether a posted CSRF token belongs to the posting session."""
        if session is None or not token:
            return False
        return hmac.compare_digest(token.encode(), self.csrf(session).encode())


class Throttle:
    """Failed sign-ins and bearer tokens per client address, in a sliding window.

    Args:
        limit: Failures allowed in one window; the next attempt waits.
        window: The window's length.
    """

    MAX_CLIENTS = 10_000
    """Addresses remembered at most (the oldest are forgotten first)."""

    def __init__(self, limit: int = 5, window: timedelta = timedelta(minutes=1)) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str) -> deque[float]:
        times = self._failures.get(client, deque())
        cutoff = clock.now().timestamp() - self.window.total_seconds()
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            self._failures.pop(client, None)
        return times

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None when it may now."""
        times = self._recent(client)
        if len(times) < self.limit:
            return None
        wait = times[0] + self.window.total_seconds() - clock.now().timestamp()
        return max(math.ceil(wait), 1)

    def failed(self, client: str) -> None:
        """Count one failed attempt of `client`."""
        times = self._recent(client)
        if client not in self._failures and len(self._failures) >= self.MAX_CLIENTS:
            self._failures.pop(next(iter(self._failures)))
        times.append(clock.now().timestamp())
        self._failures[client] = times
