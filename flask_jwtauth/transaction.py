"""The OAuth round trip's transaction (state, PKCE verifier, nonce, callbackUrl), kept in the
browser instead of on the server or in Flask's session.

It travels in a short-lived encrypted HttpOnly cookie scoped to the provider's callback
path, as Auth.js keeps its ``state``/``pkce``/``nonce`` cookies. Each sign-in has its own
cookie, named after a digest of its ``state``, so sign-ins started in several tabs do not
overwrite each other; the callback clears it whatever the outcome, so it is valid once.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from flask import Response, request, url_for

from . import log
from .providers.base import Provider, Redirect
from .state import ext
from .tokens import InvalidToken, JWECodec

#: How long a sign-in at the provider may take, start to callback.
MAX_AGE = 15 * 60
SALT = "jwtauth.oauth-transaction"
_PREFIX = "jwtauth.tx."


def codec(secrets: tuple[bytes, ...]) -> JWECodec:
    """The transaction cookie's own key (its salt differs from the session cookie's)."""
    return JWECodec(secrets, SALT)


def _codec() -> JWECodec:
    return ext().transactions


def _name(state: object) -> str:
    digest = hashlib.sha256(str(state).encode()).hexdigest()[:16]
    return f"{_PREFIX}{digest}"


def _path(provider: Provider) -> str:
    return urlsplit(url_for("jwtauth.callback", provider=provider.id)).path


def save_transaction(
    response: Response, provider: Provider, outcome: Redirect, callback_url: str
) -> None:
    """Seal ``outcome.transaction`` into the cookie the callback will read."""
    assert outcome.transaction is not None
    now = int(ext().clock())
    payload = {
        "tx": outcome.transaction,
        "provider": provider.id,
        "callbackUrl": callback_url,
        "exp": now + MAX_AGE,
    }
    secure = request.is_secure or outcome.form_post
    response.set_cookie(
        _name(outcome.transaction.get("state", "")),
        _codec().encode(payload),
        max_age=MAX_AGE,
        path=_path(provider),
        secure=secure,
        httponly=True,
        # A form_post callback (Apple) is a cross-site POST: only SameSite=None survives it.
        samesite="None" if outcome.form_post else "Lax",
    )


def load_transaction(
    provider: Provider, response_cookies: list[tuple[str, str]]
) -> tuple[dict[str, Any] | None, str]:
    """The transaction this callback belongs to (or None: missing, expired, tampered, or
    another provider's), and the callbackUrl it started with. The cookie's name is added to
    ``response_cookies`` so that the callback's answer clears it."""
    state = request.values.get("state")
    if not state:
        return None, ""
    name = _name(state)
    raw = request.cookies.get(name)
    if raw is None:
        return None, ""
    response_cookies.append((name, _path(provider)))
    try:
        payload = _codec().decode(raw)
    except InvalidToken as exc:
        log.event("OAUTH_TRANSACTION_INVALID", "transaction cookie rejected", reason=str(exc))
        return None, ""
    exp = payload.get("exp")
    if not isinstance(exp, int) or exp <= ext().clock():
        log.event("OAUTH_TRANSACTION_INVALID", "transaction expired")
        return None, ""
    if payload.get("provider") != provider.id or not isinstance(payload.get("tx"), dict):
        log.event("OAUTH_TRANSACTION_INVALID", "transaction belongs to another provider")
        return None, ""
    callback = payload.get("callbackUrl")
    return payload["tx"], callback if isinstance(callback, str) else ""


def clear_transactions(response: Response, cookies: list[tuple[str, str]]) -> None:
    for name, path in cookies:
        response.delete_cookie(name, path=path, httponly=True, samesite="Lax")
