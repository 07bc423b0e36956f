"""Who is reviewing, and that a form post comes from our own page.

- Reviewers are configured as a mapping from token to name. The API takes the token as
  `Authorization: Bearer <token>`; the page takes it once in a login form and then keeps a
  session cookie that holds a digest of the token (never the token), so removing a token
  from the configuration ends its sessions too.
- Every page visitor gets a session cookie (signed, HttpOnly, SameSite=Strict) with a
  random nonce; every form carries a CSRF token derived from that nonce with the app's
  secret, and every form post must carry the one that matches its cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["COOKIE", "Keys", "Session", "token_digest"]

COOKIE = "langgraph_hitl_session"
"""The name of the session cookie."""

_ANONYMOUS = "-"


def token_digest(token: str) -> str:
    """The digest a session keeps instead of the reviewer's token."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Session:
    """What a session cookie says."""

    nonce: str
    digest: str
    """The digest of the reviewer's token, or `"-"` before login."""


class Keys:
    """The app's secret and its reviewers: signs sessions, checks tokens and CSRF tokens.

    Args:
        reviewers: Token -> reviewer name; None when the app asks nobody to log in.
        secret: Signs the cookies; random per app when not given (sessions then end when
            the process does).
    """

    def __init__(self, reviewers: Mapping[str, str] | None, secret: str | bytes | None) -> None:
        if reviewers is not None:
            for token, name in reviewers.items():
                if not (isinstance(token, str) and token and isinstance(name, str) and name):
                    raise ValueError(
                        "reviewers maps each token to a reviewer's name, both non-empty "
                        f"strings; got {type(token).__name__} -> {name!r}."
                    )
        self.reviewers = dict(reviewers) if reviewers is not None else None
        self._by_digest = {token_digest(t): n for t, n in (reviewers or {}).items()}
        raw = secret if secret is not None else secrets.token_bytes(32)
        self._secret = raw.encode() if isinstance(raw, str) else raw

    @property
    def required(self) -> bool:
        """Whether reviewers must identify themselves."""
        return self.reviewers is not None

    def _sign(self, text: str) -> str:
        mac = hmac.new(self._secret, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def reviewer_of_token(self, token: str | None) -> str | None:
        """The name of the reviewer whose token this is, if any."""
        if not token or self.reviewers is None:
            return None
        return self._by_digest.get(token_digest(token))

    def reviewer_of(self, session: Session | None) -> str | None:
        """The logged-in reviewer of a session, if any."""
        if session is None or session.digest == _ANONYMOUS:
            return None
        return self._by_digest.get(session.digest)

    def new_session(self, token: str | None = None) -> Session:
        """A fresh session, logged in with `token` when given (a new nonce either way)."""
        digest = token_digest(token) if token else _ANONYMOUS
        return Session(nonce=secrets.token_urlsafe(16), digest=digest)

    def dump(self, session: Session) -> str:
        """The cookie value of a session."""
        body = f"{session.nonce}.{session.digest}"
        return f"{body}.{self._sign('session:' + body)}"

    def load(self, cookie: str | None) -> Session | None:
        """The session of a cookie value, or None when it is missing or forged."""
        if not cookie:
            return None
        parts = cookie.split(".")
        if len(parts) != 3:
            return None
        nonce, digest, mac = parts
        expected = self._sign(f"session:{nonce}.{digest}")
        if not hmac.compare_digest(mac.encode(), expected.encode()):
            return None
        return Session(nonce=nonce, digest=digest)

    def csrf(self, session: Session) -> str:
        """The CSRF token every form of this session carries."""
        return self._sign("csrf:" + session.nonce)

    def csrf_ok(self, session: Session | None, token: str | None) -> bool:
        """Whether a posted CSRF token belongs to the posting session."""
        if session is None or not token:
            return False
        return hmac.compare_digest(token.encode(), self.csrf(session).encode())
