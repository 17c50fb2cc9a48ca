"""The app's callbacks (NextAuth's jwt, session, sign_in, redirect) and their defaults.

Callbacks are called with keyword arguments; a callback may accept any subset of them
(``def jwt(token, user=None)``), as NextAuth's destructured callbacks do. The signature is
inspected once, at registration, never per request.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from . import claims as claims_
from .errors import ErrorCode, JWTAuthError
from .run import check_async, is_async, run_sync

logger = logging.getLogger("flask_jwtauth")

Claims = dict[str, Any]
AnyCallable = Callable[..., Any]


#: Every keyword a callback may be given. One the caller does not pass on some call (``session``
#: is only given to ``jwt`` with trigger "update", as in NextAuth) arrives as None when the
#: callback declares it without a default, as JavaScript's destructuring gives ``undefined``.
VOCABULARY = frozenset(
    {
        "token",
        "user",
        "account",
        "profile",
        "trigger",
        "session",
        "credentials",
        "url",
        "base_url",
        "error",
        "api",
    }
)


def adapt(func: AnyCallable) -> AnyCallable:
    """Wrap ``func`` so that it receives only the keyword arguments it declares; an
    ``async def`` callback runs through :func:`~flask_jwtauth.run.run_sync`, as Flask runs
    async views (and registering one without asgiref installed says how to install it)."""
    if is_async(func):
        check_async(func, f"the callback {getattr(func, '__qualname__', func)!r}")
        coroutine = func

        def func(**kwargs: Any) -> Any:
            return run_sync(coroutine)(**kwargs)

        func.__signature__ = inspect.signature(coroutine)  # type: ignore[attr-defined]
    params = inspect.signature(func).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return func
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    accepted = frozenset(p.name for p in params if p.kind in keyword)
    filled = {
        p.name: None
        for p in params
        if p.kind in keyword and p.default is inspect.Parameter.empty and p.name in VOCABULARY
    }

    def call(**kwargs: Any) -> Any:
        return func(**{**filled, **{k: v for k, v in kwargs.items() if k in accepted}})

    call.__wrapped__ = func  # type: ignore[attr-defined]
    return call


def default_session(session: dict[str, Any], token: Claims) -> dict[str, Any]:
    return session


def default_redirect(url: str, base_url: str) -> str:
    """NextAuth's default, follow same-origin targets only: the endpoints enforce it (plus
    ``JWTAUTH_TRUSTED_ORIGINS``) on whatever a redirect callback answers, so the default
    passes the URL on."""
    return url


def default_token(user: Any) -> dict[str, Any]:
    """NextAuth's default token from a user: sub, name, email, picture (+ roles)."""

    def get(name: str) -> Any:
        return user.get(name) if isinstance(user, dict) else getattr(user, name, None)

    user_id = get("id")
    if user_id is None and hasattr(user, "get_id"):
        user_id = user.get_id()
    if user_id is None:
        raise ValueError("the user returned by authorize() has no 'id'")
    claims: dict[str, Any] = {"sub": str(user_id)}
    for claim, attr in (("name", "name"), ("email", "email"), ("picture", "image")):
        value = get(attr)
        if value is not None:
            claims[claim] = value
    roles = get("roles")
    if roles is None and get("role") is not None:
        roles = [get("role")]
    if roles is not None:
        claims["roles"] = [roles] if isinstance(roles, str) else list(roles)
    return claims


def base_user(token: Claims) -> dict[str, Any]:
    """The session's ``user`` as NextAuth builds it from the token (plus ``roles``), sharing
    nothing with ``token``."""
    user: dict[str, Any] = {
        "id": token.get("sub"),
        "name": token.get("name"),
        "email": token.get("email"),
        "image": token.get("picture"),
    }
    if "roles" in token:
        user["roles"] = claims_.copy_value(token["roles"])
    return user


def base_session(token: Claims, expires: float) -> dict[str, Any]:
    """The session NextAuth builds before its session callback: user basics + expiry."""
    return {
        "user": base_user(token),
        "expires": datetime.fromtimestamp(expires, timezone.utc).isoformat().replace("+00:00", "Z"),
    }


@dataclass
class Callbacks:
    jwt: AnyCallable | None = None
    session: AnyCallable = default_session
    sign_in: AnyCallable | None = None
    redirect: AnyCallable = default_redirect
    #: The app's own 401 and 403 answers (``error``, ``api``), as Flask-Login's
    #: ``unauthorized_handler``.
    unauthorized: AnyCallable | None = None
    forbidden: AnyCallable | None = None
    #: ``key(account) -> str``: which sign-in names the throttle counts as one account.
    throttle_key: Callable[[str], Any] | None = None


class CallbackError(JWTAuthError):
    """A callback raised or answered something unusable: a server-side fault, answered as
    Auth.js answers it (``Configuration``), logged with the reason."""

    error = ErrorCode.CONFIGURATION


def run_jwt(
    callbacks: Callbacks,
    token: Claims,
    *,
    trigger: str | None,
    current: Claims | None = None,
    **context: Any,
) -> Claims | None:
    """The one runner of the jwt callback (sign-in, read, update, refresh).

    Returns the new claims, or None when the callback ended the session. The callback gets
    a copy; what it returns is checked here, once for every trigger: not a dict, or claims
    of the wrong type, is a :class:`CallbackError`. ``current`` fills back the session's own
    claims when the callback built a new dict.
    """
    if callbacks.jwt is None:
        return token
    try:
        out = callbacks.jwt(token=claims_.own_copy(token), trigger=trigger, **context)
    except Exception as exc:
        raise CallbackError(f"the jwt callback raised {type(exc).__name__}") from exc
    if out is None:
        return None
    if not isinstance(out, dict):
        raise CallbackError(f"the jwt callback returned {type(out).__name__}, not a dict or None")
    if current is not None:
        claims_.keep_reserved(out, current)
    if not claims_.valid(out, issued=False):
        raise CallbackError(
            "the jwt callback returned claims of the wrong type (exp, iat, auth_time and nbf "
            "must be numbers of seconds; sub a non-empty string)"
        )
    return out


def run_session(callbacks: Callbacks, token: Claims, expires: float) -> dict[str, Any] | None:
    """The session callback on a copy of the token; None means "no session" everywhere."""
    token = claims_.own_copy(token)
    try:
        out = callbacks.session(session=base_session(token, expires), token=token)
    except Exception as exc:
        raise CallbackError(f"the session callback raised {type(exc).__name__}") from exc
    if out is None:
        return None
    if not isinstance(out, dict):
        raise CallbackError(
            f"the session callback returned {type(out).__name__}, not a dict or None"
        )
    return out
