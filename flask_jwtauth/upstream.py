"""The upstream's tokens as the session keeps them: one claim, ``upstream``, in the encrypted
session token, never in what the browser can read unless the session callback puts it there.

Kept as a plain dict in the claims (so the token stays JSON, and Auth.js can carry it), with
:class:`Tokens` as the typed face that providers and apps hand over and get back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .claims import Claims

#: The claim that holds them.
CLAIM = "upstream"

_TEXT = ("access_token", "token_type", "refresh_token", "scope", "provider")
_TIMES = ("expires_at", "refresh_expires_at")


@dataclass(frozen=True)
class Tokens:
    """An access token and what goes with it, as an upstream issued them.

    Times are absolute (seconds since the epoch, on the app's clock): ``expires_at`` for the
    access token, ``refresh_expires_at`` for the refresh token when the upstream says (the
    session never outlives it). ``authorize()`` returns ``(user, Tokens(...))`` to hand them
    over; a credentials ``refresh`` hook gets the current ones and returns new ones.
    """

    access_token: str = field(repr=False)
    token_type: str = "Bearer"
    expires_at: float | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: float | None = None
    scope: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.access_token, str) or not self.access_token:
            raise ValueError("Tokens.access_token must be a non-empty string")
        for name in ("refresh_token", "scope"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"Tokens.{name} must be a string or None")
        for name in _TIMES:
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float))
            ):
                raise ValueError(f"Tokens.{name} must be seconds since the epoch, or None")

    def claim(self, provider: str, previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The claim's value. A refresh that does not rotate the refresh token (or say when it
        ends) keeps the previous one, as OAuth 2.0 allows."""
        out: dict[str, Any] = {"provider": provider, "access_token": self.access_token}
        out["token_type"] = self.token_type
        refresh_token = self.refresh_token
        refresh_expires_at = self.refresh_expires_at
        if refresh_token is None and previous is not None:
            refresh_token = previous.get("refresh_token")
            refresh_expires_at = refresh_expires_at or previous.get("refresh_expires_at")
        for key, value in (
            ("expires_at", _seconds(self.expires_at)),
            ("refresh_token", refresh_token),
            ("refresh_expires_at", _seconds(refresh_expires_at)),
            ("scope", self.scope),
        ):
            if value is not None:
                out[key] = value
        return out


def _seconds(value: Any) -> int | None:
    return None if value is None else int(value)


def from_claim(value: Any) -> Tokens | None:
    """The claim read back, or None when there is none or it is not in our shape (a token
    written by an app's jwt callback under the same name, say)."""
    if not isinstance(value, dict):
        return None
    try:
        return Tokens(
            access_token=value["access_token"],
            token_type=str(value.get("token_type", "Bearer")),
            expires_at=value.get("expires_at"),
            refresh_token=value.get("refresh_token"),
            refresh_expires_at=value.get("refresh_expires_at"),
            scope=value.get("scope"),
        )
    except (KeyError, ValueError):
        return None


def from_account(account: Mapping[str, Any]) -> Tokens | None:
    """The tokens an OAuth account (NextAuth's ``account``) carries, if any."""
    if not isinstance(account.get("access_token"), str):
        return None
    expires_at = account.get("expires_at")
    refresh_expires_at = account.get("refresh_expires_at")
    try:
        return Tokens(
            access_token=account["access_token"],
            token_type=str(account.get("token_type") or "Bearer"),
            expires_at=expires_at if _is_number(expires_at) else None,
            refresh_token=account.get("refresh_token") or None,
            refresh_expires_at=refresh_expires_at if _is_number(refresh_expires_at) else None,
            scope=account.get("scope") if isinstance(account.get("scope"), str) else None,
        )
    except ValueError:
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def of(token: Claims) -> dict[str, Any] | None:
    """The claim in ``token``, when it is in our shape."""
    value = token.get(CLAIM)
    if isinstance(value, dict) and isinstance(value.get("access_token"), str):
        return value
    return None


def due(token: Claims, now: float, margin: float) -> bool:
    """Should the access token be renewed before the session is used? When it has expired
    or will within ``margin`` seconds; never when the upstream gave no expiry."""
    value = of(token)
    if value is None:
        return False
    expires_at = value.get("expires_at")
    return isinstance(expires_at, (int, float)) and now >= expires_at - margin


def expired(token: Claims, now: float) -> bool:
    """Has the access token expired (no margin)? Never when the upstream gave no expiry."""
    value = of(token)
    if value is None:
        return False
    expires_at = value.get("expires_at")
    return isinstance(expires_at, (int, float)) and now >= expires_at


def refresh_end(token: Claims) -> float | None:
    """When the refresh token expires, if the upstream said: the session ends then too."""
    value = of(token)
    if value is None:
        return None
    end = value.get("refresh_expires_at")
    return float(end) if isinstance(end, (int, float)) else None
