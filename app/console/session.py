"""Console sessions: a participant's API key, checked once at login, is exchanged for a
signed cookie that names the participant and carries a random nonce; the cookie expires.

The cookie holds no key and no personal data: only the participant's id and the nonce,
signed (itsdangerous, HMAC-SHA256) with a key derived from the service's secret key, and
timestamped. It is HttpOnly and SameSite=Strict (Secure over HTTPS). Every form carries a
CSRF token: an HMAC of the session's nonce, so a token is good for one session only. The
login form, before there is a session, has its own nonce in a short-lived cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "iwmo_console"
LOGIN_COOKIE = "iwmo_console_login"
LANG_COOKIE = "iwmo_lang"
LOGIN_SECONDS = 3600  # a login form stays valid this long


@dataclass(frozen=True)
class Ticket:
    """What a valid session cookie says."""

    participant_id: int
    nonce: str


class Sessions:
    def __init__(self, key: bytes, lifetime_seconds: int) -> None:
        self._key = key
        self.lifetime = lifetime_seconds
        self._cookie = URLSafeTimedSerializer(key, salt="iwmo-console/session")
        self._login = URLSafeTimedSerializer(key, salt="iwmo-console/login")

    # --- the session --------------------------------------------------------------------

    def issue(self, participant_id: int) -> str:
        return self._cookie.dumps({"p": participant_id, "n": secrets.token_urlsafe(16)})

    def read(self, cookie: str | None) -> Ticket | None:
        """The ticket of a cookie signed by us within its lifetime, else None."""
        if not cookie:
            return None
        try:
            data = self._cookie.loads(cookie, max_age=self.lifetime)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict):
            return None
        pid, nonce = data.get("p"), data.get("n")
        if not isinstance(pid, int) or not isinstance(nonce, str):
            return None
        return Ticket(pid, nonce)

    # --- CSRF ---------------------------------------------------------------------------

    def csrf(self, nonce: str) -> str:
        return hmac.new(self._key, b"csrf:" + nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, nonce: str, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(self.csrf(nonce), token)

    # --- the login form ------------------------------------------------------------------

    def login_nonce(self) -> tuple[str, str]:
        """A new login form's (cookie value, form token)."""
        nonce = secrets.token_urlsafe(16)
        return self._login.dumps(nonce), self.csrf("login:" + nonce)

    def login_ok(self, cookie: str | None, token: object) -> bool:
        if not cookie:
            return False
        try:
            nonce = self._login.loads(cookie, max_age=LOGIN_SECONDS)
        except BadSignature:
            return False
        return isinstance(nonce, str) and self.csrf_ok("login:" + nonce, token)
