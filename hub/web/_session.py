"""UI sessions as signed cookies, and the CSRF token bound to each.

The cookie holds no secret and no personal data: a random session id, the username, the account's
session generation and a fingerprint of its password hash, and three instants. It is signed with a
key derived from `MSIX_SECRET_KEY`, so every worker process accepts it without a session table.
What a signed cookie alone cannot do — end a session on the server — the generation does: sign-out
and password change move the account's generation on (`hub.security.end_sessions`), and every
request reloads the account and compares. A password reset by an administrator changes the hash,
so the fingerprint ends those sessions too.

Timeouts follow NIST SP 800-63B §4.2.3 (AAL2): re-authenticate after 12 hours, and after
30 minutes without activity.

The CSRF token is a synchronizer token: an HMAC of the session id under its own derived key. It
changes with every session id (so at sign-in), cannot be computed without the server secret, and a
token from one session is worthless in another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from hub.config import Settings
from hub.security import User

COOKIE_NAME = "msix_session"
CSRF_FIELD = "csrf_token"
ABSOLUTE_SECONDS = 12 * 3600
IDLE_SECONDS = 30 * 60
# Anonymous sessions only carry the CSRF token of the sign-in form.
ANONYMOUS_SECONDS = 2 * 3600
# A sliding idle timeout needs a fresh cookie now and then, not on every request.
TOUCH_AFTER_SECONDS = 60
_MAX_COOKIE_CHARS = 1024


@dataclass(frozen=True, slots=True)
class WebSession:
    """One browser's session. `username` is None before sign-in."""

    sid: str
    username: str | None
    generation: int
    password_mark: str
    issued: int
    expires: int
    seen: int

    @property
    def signed_in(self) -> bool:
        return self.username is not None

    def expired(self, now: int) -> bool:
        if now >= self.expires:
            return True
        return self.signed_in and now - self.seen > IDLE_SECONDS

    def needs_touch(self, now: int) -> bool:
        return now - self.seen >= TOUCH_AFTER_SECONDS

    def touched(self, now: int) -> WebSession:
        return replace(self, seen=now)


class SessionKeys:
    """Keys derived from the settings secret, one per purpose."""

    def __init__(self, settings: Settings) -> None:
        secret = settings.secret_key.get_secret_value().encode("utf-8")
        self._cookie = _derive(secret, b"msix-web-session-cookie")
        self._csrf = _derive(secret, b"msix-web-csrf")
        self._password = _derive(secret, b"msix-web-password-mark")

    def anonymous(self, now: int) -> WebSession:
        return WebSession(_new_sid(), None, 0, "", now, now + ANONYMOUS_SECONDS, now)

    def signed_in(self, user: User, now: int) -> WebSession:
        """A new session (always a new id) for `user`, who has just proved who they are."""
        return WebSession(
            sid=_new_sid(),
            username=user.username,
            generation=user.session_generation,
            password_mark=self.password_mark(user),
            issued=now,
            expires=now + ABSOLUTE_SECONDS,
            seen=now,
        )

    def password_mark(self, user: User) -> str:
        return _mac(self._password, user.password_hash.encode("utf-8"))[:22]

    def still_valid_for(self, session: WebSession, user: User) -> bool:
        """The account has not ended this session since it was issued."""
        return (
            session.username == user.username
            and session.generation == user.session_generation
            and _same(session.password_mark, self.password_mark(user))
        )

    def encode(self, session: WebSession) -> str:
        body = json.dumps(
            [
                session.sid,
                session.username,
                session.generation,
                session.password_mark,
                session.issued,
                session.expires,
                session.seen,
            ],
            separators=(",", ":"),
        ).encode("utf-8")
        payload = _b64(body)
        return f"{payload}.{_mac(self._cookie, payload.encode('ascii'))}"

    def decode(self, value: str | None) -> WebSession | None:
        """The session in a cookie value, or None when absent, malformed or not signed by us."""
        if not value or len(value) > _MAX_COOKIE_CHARS:
            return None
        payload, dot, signature = value.partition(".")
        if not dot:
            return None
        expected = _mac(self._cookie, payload.encode("utf-8"))
        if not _same(signature, expected):
            return None
        try:
            fields = json.loads(_unb64(payload))
            sid, username, generation, mark, issued, expires, seen = fields
        except (ValueError, TypeError, binascii.Error):
            return None
        if not isinstance(sid, str) or not (username is None or isinstance(username, str)):
            return None
        if not all(isinstance(n, int) for n in (generation, issued, expires, seen)):
            return None
        return WebSession(sid, username, generation, str(mark), issued, expires, seen)

    def csrf_token(self, session: WebSession) -> str:
        return _mac(self._csrf, session.sid.encode("ascii"))

    def csrf_valid(self, session: WebSession | None, token: str | None) -> bool:
        if session is None or not token:
            return False
        return _same(token, self.csrf_token(session))


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _same(given: str, expected: str) -> bool:
    # compare_digest refuses non-ASCII str; a forged value may carry any character.
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _new_sid() -> str:
    return secrets.token_urlsafe(24)


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def _mac(key: bytes, message: bytes) -> str:
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
