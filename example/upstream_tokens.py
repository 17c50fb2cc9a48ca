"""The upstream service's state: accounts, token families with rotation and reuse detection.

Kept apart from the HTTP layer (``example.upstream``) so the rules read on their own: a
sign-in starts a family; each refresh spends its refresh token and issues a new pair in the
same family; a spent refresh token presented again revokes the family, newest tokens included.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .db import DEMO_USERS, DemoUser

ACCESS_TTL = 30
REFRESH_TTL = 600

COUNTERS = (
    "token_requests",  # every POST /token, injected failures included
    "password_grants",  # grant_type=password requests
    "sign_ins",  # ... of which succeeded
    "refresh_grants",  # grant_type=refresh_token requests
    "refreshes_succeeded",
    "refreshes_refused",  # invalid_grant/invalid_request for any reason, reuse included
    "reuse_detections",  # a spent refresh token presented again
    "families_revoked",  # by reuse detection or the revoke_user control
    "injected_failures",  # 503s answered because a test asked for them
    "injected_delays",
    "resource_calls",
    "resource_refused",
)


class Refused(Exception):
    """An OAuth error answer: ``error`` code and HTTP status."""

    def __init__(self, error: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    password: str
    name: str
    email: str
    roles: tuple[str, ...]

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "name": self.name,
            "email": self.email,
            "roles": list(self.roles),
        }


def demo_accounts(users: Sequence[DemoUser] = DEMO_USERS) -> list[Account]:
    """The example's demo users, numbered as the example's fresh SQLite table numbers them."""
    return [
        Account(str(i), u.username, u.password, u.name, u.email, (u.role,) if u.role else ())
        for i, u in enumerate(users, start=1)
    ]


@dataclass
class Family:
    account: Account
    revoked: bool = False


@dataclass
class RefreshToken:
    family: Family
    expires_at: float
    spent: bool = False


@dataclass(frozen=True)
class AccessToken:
    family: Family
    expires_at: float


@dataclass(frozen=True)
class Admission:
    """What a test asked to happen to this token call: fail now, or wait first."""

    fail: bool = False
    delay_ms: int = 0
    fail_after_delay: bool = False
    epoch: int = 0


class TokenService:
    """Accounts, token families and counters. One lock: the HTTP server is threaded."""

    def __init__(
        self,
        accounts: Sequence[Account],
        clock: Callable[[], float] = time.time,
        *,
        access_ttl: int = ACCESS_TTL,
        refresh_ttl: int = REFRESH_TTL,
    ) -> None:
        self._accounts = {a.username.lower(): a for a in accounts}
        self._clock = clock
        self._lock = threading.Lock()
        self._default_ttls = (access_ttl, refresh_ttl)
        self._epoch = 0
        self._reset_all()

    def _reset_all(self) -> None:
        self._offset = 0.0
        self._frozen: float | None = None  # the time, while a test holds the clock still
        self.access_ttl, self.refresh_ttl = self._default_ttls
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._fail_next = 0
        self._delay_next = 0
        self._delay_ms = 0
        self._delay_then_fail = False
        # Bumped by a full reset, so a delayed call from before it never touches the new state.
        self._epoch += 1
        self._counts = dict.fromkeys(COUNTERS, 0)

    def _now(self) -> float:
        return self._frozen if self._frozen is not None else self._clock() + self._offset

    def _issue(self, family: Family) -> dict[str, Any]:
        now = self._now()
        access, refresh = "at_" + secrets.token_urlsafe(32), "rt_" + secrets.token_urlsafe(32)
        self._access[access] = AccessToken(family, now + self.access_ttl)
        self._refresh[refresh] = RefreshToken(family, now + self.refresh_ttl)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_ttl,
            "refresh_token": refresh,
            "refresh_expires_in": self.refresh_ttl,
            "user": family.account.public(),
        }

    # -- the API ------------------------------------------------------------------------

    def password_grant(self, username: str, password: str) -> dict[str, Any]:
        if not username or not password:
            raise Refused("invalid_request")
        account = self._accounts.get(username.lower())
        # Compare even for an unknown user, so timing does not tell who has an account.
        expected = account.password if account is not None else secrets.token_hex(16)
        matches = hmac.compare_digest(expected.encode(), password.encode())
        with self._lock:
            if account is None or not matches:
                raise Refused("invalid_grant")
            self._counts["sign_ins"] += 1
            return self._issue(Family(account))

    def refresh_grant(self, token: str) -> dict[str, Any]:
        with self._lock:
            try:
                return self._rotate(token)
            except Refused:
                self._counts["refreshes_refused"] += 1
                raise

    def _rotate(self, token: str) -> dict[str, Any]:
        if not token:
            raise Refused("invalid_request")
        record = self._refresh.get(token)
        if record is None:
            raise Refused("invalid_grant")
        family = record.family
        if record.spent:
            self._counts["reuse_detections"] += 1
            self._revoke(family)
            raise Refused("invalid_grant")
        if family.revoked or self._now() >= record.expires_at:
            raise Refused("invalid_grant")
        record.spent = True
        self._counts["refreshes_succeeded"] += 1
        return self._issue(family)

    def _revoke(self, family: Family) -> None:
        if not family.revoked:
            family.revoked = True
            self._counts["families_revoked"] += 1

    def resource_user(self, token: str) -> tuple[Account, float]:
        """The account behind a live access token, and the seconds it has left."""
        with self._lock:
            self._counts["resource_calls"] += 1
            record = self._access.get(token)
            now = self._now()
            if record is None or record.family.revoked or now >= record.expires_at:
                self._counts["resource_refused"] += 1
                raise Refused("invalid_token", 401)
            return record.family.account, record.expires_at - now

    def admit(self, grant_type: str) -> Admission:
        """Count a token call and take the fault a test injected for it, if any."""
        with self._lock:
            self._counts["token_requests"] += 1
            if grant_type == "password":
                self._counts["password_grants"] += 1
            elif grant_type == "refresh_token":
                self._counts["refresh_grants"] += 1
            if self._fail_next > 0:
                self._fail_next -= 1
                self._counts["injected_failures"] += 1
                return Admission(fail=True)
            if self._delay_next > 0:
                self._delay_next -= 1
                self._counts["injected_delays"] += 1
                return Admission(
                    delay_ms=self._delay_ms,
                    fail_after_delay=self._delay_then_fail,
                    epoch=self._epoch,
                )
            return Admission(epoch=self._epoch)

    def proceed(self, admission: Admission) -> bool:
        """After the injected delay: go on, unless told to fail or the state was reset."""
        with self._lock:
            if admission.fail or admission.epoch != self._epoch:
                return False
            if admission.fail_after_delay:
                self._counts["injected_failures"] += 1
                return False
            return True

    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    # -- test controls ------------------------------------------------------------------

    def control(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply validated control changes at once; the settings after them."""
        with self._lock:
            if changes.get("reset") == "all":
                self._reset_all()
            elif changes.get("reset") == "stats":
                self._counts = dict.fromkeys(COUNTERS, 0)
            if "freeze" in changes:
                now = self._now()
                self._frozen = now if changes["freeze"] else None
                self._offset = now - self._clock()
            if "now" in changes or "advance" in changes:
                now = changes.get("now", self._now()) + changes.get("advance", 0)
                if self._frozen is not None:
                    self._frozen = now
                self._offset = now - self._clock()
            self.access_ttl = changes.get("access_ttl", self.access_ttl)
            self.refresh_ttl = changes.get("refresh_ttl", self.refresh_ttl)
            self._fail_next = changes.get("fail_next", self._fail_next)
            if "delay_next" in changes:
                self._delay_next = changes["delay_next"]
                self._delay_ms = changes.get("delay_ms", 0)
                self._delay_then_fail = changes.get("delay_then", "process") == "fail"
            if "revoke_user" in changes:
                username = changes["revoke_user"].lower()
                for record in self._refresh.values():
                    if record.family.account.username.lower() == username:
                        self._revoke(record.family)
            return {
                "now": self._now(),
                "frozen": self._frozen is not None,
                "access_ttl": self.access_ttl,
                "refresh_ttl": self.refresh_ttl,
                "fail_next": self._fail_next,
                "delay_next": self._delay_next,
                "delay_ms": self._delay_ms,
                "delay_then": "fail" if self._delay_then_fail else "process",
            }
