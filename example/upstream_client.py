"""The example's side of the upstream token service (``example.upstream``): two grants, one API.

Every call has a bounded timeout, and every failure comes out as one of two exceptions,
because the caller must treat them differently: ``UpstreamRefused`` (the upstream said no:
wrong password, spent/expired/revoked refresh token) ends the session; ``UpstreamUnavailable``
(timeout, connection refused, 5xx, 429, a malformed answer) keeps it and answers 503.

It uses ``requests`` (a plain call per request, no shared session: refreshes are rare, and
nothing is shared between threads). Note that requests' read timeout bounds each wait for
data, not the whole exchange; for these small answers that is the same thing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

DEFAULT_TIMEOUT = 5.0
Timeout = float | tuple[float, float]

# 4xx answers that mean "try again later", not "no".
_TRANSIENT_4XX = frozenset({408, 425, 429})


class UpstreamError(Exception):
    """Any failure to get an answer we can use from the upstream."""


class UpstreamRefused(UpstreamError):
    """The upstream refused: ``error`` is its OAuth error code (``invalid_grant``...)."""

    def __init__(self, error: str, status: int) -> None:
        super().__init__(f"upstream refused ({status} {error})")
        self.error = error
        self.status = status


class UpstreamUnavailable(UpstreamError):
    """No usable answer now (timeout, connection, 5xx, malformed); worth retrying later."""


class UpstreamTimedOut(UpstreamUnavailable):
    """The request was sent and no answer came in time: the upstream may still have acted
    on it (spent a refresh token)."""


@dataclass(frozen=True)
class Grant:
    """Tokens from the upstream. Expiry times are absolute, on the caller's clock."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    refresh_expires_at: float
    token_type: str
    user: dict[str, Any]


def password_grant(
    base_url: str,
    username: str,
    password: str,
    timeout: Timeout = DEFAULT_TIMEOUT,
    *,
    clock: Callable[[], float] = time.time,
) -> Grant:
    """Sign in: ``UpstreamRefused`` for wrong credentials."""
    form = {"grant_type": "password", "username": username, "password": password}
    return _grant(base_url, form, timeout, clock)


def refresh_grant(
    base_url: str,
    refresh_token: str,
    timeout: Timeout = DEFAULT_TIMEOUT,
    *,
    clock: Callable[[], float] = time.time,
) -> Grant:
    """Rotate: a new pair; the given refresh token is spent, whatever happens next."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _grant(base_url, form, timeout, clock)


def get_resource(
    base_url: str, access_token: str, timeout: Timeout = DEFAULT_TIMEOUT
) -> dict[str, Any]:
    """The protected resource's JSON; ``UpstreamRefused`` when the access token is not good."""
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    response = _send("GET", _url(base_url, "/resource"), timeout, headers=headers)
    _raise_for_status(response)
    body = _json(response)
    if not isinstance(body, dict):
        raise UpstreamUnavailable("the upstream's resource answer is malformed")
    return body


def stats(base_url: str, timeout: Timeout = DEFAULT_TIMEOUT) -> dict[str, int]:
    """The service's own counters (sign-ins, refreshes served, reuse detected)."""
    response = _send("GET", _url(base_url, "/_stats"), timeout)
    _raise_for_status(response)
    body = _json(response)
    if not isinstance(body, dict):
        raise UpstreamUnavailable("the upstream's stats answer is malformed")
    return {str(k): int(v) for k, v in body.items() if isinstance(v, int)}


def _grant(
    base_url: str, form: Mapping[str, str], timeout: Timeout, clock: Callable[[], float]
) -> Grant:
    # Taken before the call, so the expiry we record is never later than the upstream's.
    sent_at = clock()
    response = _send("POST", _url(base_url, "/token"), timeout, data=form)
    _raise_for_status(response)
    body = _json(response)
    try:
        access, refresh = body["access_token"], body["refresh_token"]
        expires_in, refresh_expires_in = body["expires_in"], body["refresh_expires_in"]
        token_type, user = body.get("token_type", "Bearer"), body["user"]
        if not (
            isinstance(access, str)
            and isinstance(refresh, str)
            and access
            and refresh
            and _is_seconds(expires_in)
            and _is_seconds(refresh_expires_in)
            and isinstance(token_type, str)
            and isinstance(user, dict)
        ):
            raise TypeError
    except (KeyError, TypeError, AttributeError):
        raise UpstreamUnavailable("the upstream's token answer is malformed") from None
    return Grant(
        access_token=access,
        refresh_token=refresh,
        expires_at=sent_at + expires_in,
        refresh_expires_at=sent_at + refresh_expires_in,
        token_type=token_type,
        user=user,
    )


def _url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _send(method: str, url: str, timeout: Timeout, **kwargs: Any) -> requests.Response:
    try:
        return requests.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.ConnectTimeout:
        raise UpstreamUnavailable(f"the upstream could not be reached in time ({url})") from None
    except requests.Timeout:
        raise UpstreamTimedOut(f"the upstream did not answer in time ({method} {url})") from None
    except requests.RequestException as exc:
        # The exception's text names the host and the reason, never the body we sent.
        raise UpstreamUnavailable(f"the upstream is unreachable: {type(exc).__name__}") from None


def _raise_for_status(response: requests.Response) -> None:
    status = response.status_code
    if 400 <= status < 500 and status not in _TRANSIENT_4XX:
        try:
            error = response.json().get("error")
        except (ValueError, AttributeError):
            error = None
        raise UpstreamRefused(error if isinstance(error, str) else f"http_{status}", status)
    if status != 200:
        raise UpstreamUnavailable(f"the upstream answered {status}")


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise UpstreamUnavailable("the upstream's answer is not JSON") from None


def _is_seconds(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
