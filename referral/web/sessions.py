"""Signed session cookies and CSRF tokens of the worklist.

A session is a cookie holding who signed in, when, when they were last seen and a random nonce, signed with
HMAC-SHA256 under the deployment's session key; nothing about a patient is in it. It ends after `idle` without a
request and at the latest `lifetime` after sign-in. Every form that changes something carries a CSRF token derived
from the session's nonce (and htmx sends it as a header), so another site cannot act with a member's cookie.
Signing out revokes the nonce in this process; the cookie is also cleared."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, replace

from referral.web.accounts import StaffAccount

COOKIE = "referral_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class StaffSession:
    username: str
    org: str
    signed_in: float
    last_seen: float
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    def __init__(self, key: bytes, idle_s: float, lifetime_s: float) -> None:
        if len(key) < 16:
            raise ValueError("the session key needs at least 16 bytes")
        self._key, self.idle_s, self.lifetime_s = key, idle_s, lifetime_s
        self._revoked: set[str] = set()

    def _mac(self, purpose: str, payload: bytes) -> str:
        return _b64(hmac.new(self._key, purpose.encode() + b"|" + payload, hashlib.sha256).digest())

    def start(self, account: StaffAccount, now: float | None = None) -> StaffSession:
        at = time.time() if now is None else now
        return StaffSession(account.username, account.org, at, at, secrets.token_urlsafe(16))

    def seal(self, session: StaffSession) -> str:
        payload = json.dumps(
            [session.username, session.org, session.signed_in, session.last_seen, session.nonce],
            separators=(",", ":"),
        ).encode()
        return f"{_b64(payload)}.{self._mac('session', payload)}"

    def open(self, cookie: str | None, now: float | None = None) -> StaffSession | None:
        """The session a cookie holds, seen now; None when it is forged, expired, idle too long or revoked."""
        if not cookie or "." not in cookie:
            return None
        body, mac = cookie.rsplit(".", 1)
        try:
            payload = _unb64(body)
        except ValueError:
            return None
        if not hmac.compare_digest(mac, self._mac("session", payload)):
            return None
        try:
            username, org, signed_in, last_seen, nonce = json.loads(payload)
        except (ValueError, TypeError):
            return None
        at = time.time() if now is None else now
        if nonce in self._revoked or at - last_seen > self.idle_s or at - signed_in > self.lifetime_s:
            return None
        return replace(StaffSession(username, org, signed_in, last_seen, nonce), last_seen=at)

    def revoke(self, session: StaffSession) -> None:
        self._revoked.add(session.nonce)

    def csrf_token(self, session: StaffSession) -> str:
        return self._mac("csrf", session.nonce.encode())

    def csrf_ok(self, session: StaffSession, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(session))
