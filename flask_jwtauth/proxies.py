"""``current_user``, ``current_session`` and friends: what views read of the session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast, overload

from flask import request
from werkzeug.local import LocalProxy

from . import log
from .claims import own_copy
from .session.state import request_state
from .state import ext
from .types import ShapeT
from .upstream import expired, of


class SessionUser(dict[str, Any]):
    """The signed-in user as the session callback shaped it: a dict, Flask-Login-ish too."""

    is_authenticated = True
    is_anonymous = False


class AnonymousUser(dict[str, Any]):
    """No one is signed in: empty, falsy, ``is_authenticated`` False."""

    is_authenticated = False
    is_anonymous = True


@overload
def get_session() -> dict[str, Any] | None: ...


@overload
def get_session(shape: Callable[..., ShapeT]) -> ShapeT | None: ...


def get_session(shape: object = None) -> Any:
    """The session as ``GET /auth/session`` shows it (session callback applied), or None.

    ``current_session`` is a proxy and never ``is None``: test it for truth
    (``if not current_session``) or call this function (``if get_session() is None``).
    ``shape`` (``Session[AppUser]``, or the app's own TypedDict) only types the answer
    for a type checker: nothing is checked or converted at run time.
    """
    state = request_state()
    return state.engine.current_session() if state is not None else None


@overload
def get_token(
    *, cookie_name: str | None = None, secret: str | bytes | None = None
) -> dict[str, Any] | None: ...


@overload
def get_token(
    shape: Callable[..., ShapeT],
    *,
    cookie_name: str | None = None,
    secret: str | bytes | None = None,
) -> ShapeT | None: ...


def get_token(
    shape: object = None, *, cookie_name: str | None = None, secret: str | bytes | None = None
) -> Any:
    """The decoded session token (the jwt callback's output), or None: NextAuth's getToken.
    ``shape`` (the app's ``JWT`` subclass) only types the answer for a type checker.

    With ``cookie_name`` and/or ``secret`` (seed 002's ``getToken({req, secret,
    cookieName})``), reads that cookie of this request instead (a JWE, as Auth.js writes
    them), checked for expiry; the jwt callback does not run on it.
    """
    if cookie_name is not None or secret is not None:
        app_state = ext()
        name = cookie_name or app_state.engine.cookie.policy.name
        key = secret.encode() if isinstance(secret, str) else secret
        found = app_state.foreign.read(request.cookies, name, key)
        return own_copy(found) if found is not None else None
    state = request_state()
    if state is None or state.token is None:
        return None
    state.accessed = True
    if not state.engine.signed_in(state):
        return None
    return own_copy(state.token)


def access_token() -> str | None:
    """The upstream access token of this request's session, renewed first when it has
    expired or is about to (``JWTAUTH_REFRESH_MARGIN``); None when there is no session or
    it holds none. For calling the upstream's API from a view."""
    state = request_state()
    if state is None or state.token is None or not state.engine.signed_in(state):
        return None
    state.accessed = True
    found = of(state.token)
    if found is None:
        return None
    if expired(state.token, state.engine.clock()):
        # Not renewed here (a consumer, or a sibling app without the provider, leaves that
        # to the app that signed the user in): no token rather than a dead one.
        log.event("TOKENS_EXPIRED", "the access token has expired and was not renewed here")
        return None
    return str(found["access_token"])


def current_user_value() -> SessionUser | AnonymousUser:
    """The user of this request's session; built once per request (one object, as with
    Flask-Login), again only when the session changes (sign-in, update, sign-out)."""
    state = request_state()
    if state is None:
        return AnonymousUser()
    if state.user is None:
        found = state.engine.current_user(state)
        state.user = SessionUser(found) if found is not None else AnonymousUser()
    user: SessionUser | AnonymousUser = state.user
    return user


class ValueProxy(LocalProxy):  # type: ignore[type-arg]
    """A proxy a view can return as it is (``return current_session``).

    Flask takes anything with ``__next__`` for a streamed body, so this proxy has none; the
    extension teaches the app's JSON provider to serialise the object behind it.
    """

    __next__ = None


def unwrap_for_json(default: Any) -> Any:
    """Wrap a JSON provider's ``default`` so that it serialises what a proxy points to."""

    def encode(value: Any) -> Any:
        if isinstance(value, LocalProxy):
            return value._get_current_object()
        return default(value)

    return encode


current_user = cast(SessionUser | AnonymousUser, ValueProxy(current_user_value))
current_session = cast(dict[str, Any] | None, ValueProxy(get_session))
