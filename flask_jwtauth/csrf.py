"""CSRF tokens that do not live in Flask's session.

Flask-WTF keeps its token in Flask's signed ``session`` cookie, which every later request of
the user would then carry and Flask would verify: a cost on every request for something only
the auth endpoints need. Instead, as Auth.js does:

- a signed-in user's token is bound to the session: a signature (HMAC-SHA256) of the
  session id (``jti``) under a key derived from the secret. It needs no cookie of its own,
  and a sign-in (a new ``jti``) rotates it, so a token seen before signing in is worthless
  after;
- an anonymous visitor (the sign-in form) gets a double-submit cookie holding a random value
  and its signature; the form carries the random value. Login CSRF stays defended: a third
  party can neither read the cookie nor mint a pair that verifies. On HTTPS the cookie has
  the ``__Host-`` prefix, so a sibling sub-domain cannot plant one.

Both are signed with itsdangerous (:mod:`flask_jwtauth.signing`), each with its own key. The
session-bound token is itsdangerous's detached signature (``get_signature`` and
``verify_signature``, which compares in constant time) rather than a signed value, because the
token must be the signature alone: the ``jti`` it binds is already on the server side.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Request, Response, request

from . import log
from .config import CookieSettings
from .errors import ErrorCode
from .session.state import RequestState, request_state
from .signing import SignedValues, unsign

_MAX_COOKIE = 128


class Csrf:
    """Issues and checks tokens for one app."""

    def __init__(self, signed: SignedValues, cookies: CookieSettings) -> None:
        self._session = signed.csrf_session
        self._anonymous = signed.csrf_anonymous
        base = f"{cookies.name.split('.')[0]}.csrf-token"
        self._names = {False: base, True: f"__Host-{base}"}

    def _bound(self, jti: str) -> str:
        return self._session.get_signature(b"session:" + jti.encode()).decode("ascii")

    def _from_cookie(self, req: Request, state: RequestState) -> str | None:
        """The random value of a genuine anonymous CSRF cookie, or None. Its name follows
        the session cookie's secure choice, made once per request."""
        return unsign(self._anonymous, req.cookies.get(self._names[state.secure]), _MAX_COOKIE)

    def token(self) -> str:
        """The token to put in a form (or give to ``/auth/csrf``) for this request."""
        state = _state()
        jti = _session_id(state)
        if jti is not None:
            return self._bound(jti)
        if state.csrf_cookie is not None:
            return state.csrf_cookie.partition(".")[0]
        value = self._from_cookie(request, state)
        if value is None:
            value = secrets.token_urlsafe(32)
            state.csrf_cookie = self._anonymous.sign(value).decode("ascii")
        return value

    def check(self, submitted: object) -> bool:
        """Is ``submitted`` the token for this request's session, or its visitor's cookie?"""
        if not isinstance(submitted, str) or not submitted or len(submitted) > _MAX_COOKIE:
            log.event("CSRF_FAILED", "no CSRF token, or not one", path=request.path)
            return False
        state = _state()
        jti = _session_id(state)
        if jti is not None:
            ok = self._session.verify_signature(b"session:" + jti.encode(), submitted)
        else:
            value = self._from_cookie(request, state)
            # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError).
            ok = value is not None and hmac.compare_digest(submitted.encode(), value.encode())
        if not ok:
            log.event("CSRF_FAILED", "the CSRF token does not match", path=request.path)
        return ok

    def save(self, response: Response, state: RequestState, req: Request) -> None:
        """Set a new anonymous cookie; drop it once the visitor has a session (its token is
        then bound to the session, and the cookie would only ride along on every request)."""
        secure = state.secure
        name = self._names[secure]
        if state.token is not None:
            if name in req.cookies:
                response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
            return
        if state.csrf_cookie is not None:
            response.set_cookie(
                name, state.csrf_cookie, path="/", secure=secure, httponly=True, samesite="Lax"
            )


def _state() -> RequestState:
    state = request_state()
    if state is None:
        raise RuntimeError("flask_jwtauth's CSRF tokens need a request handled by JWTAuth")
    return state


def _session_id(state: RequestState) -> str | None:
    token = state.token
    if token is None and state.error == ErrorCode.SERVICE_UNAVAILABLE:
        # The session is still there, only not vouched for right now (the upstream is
        # down): its pages' tokens stay bound to it, as on the requests that post them.
        token = state.loaded
    if token is None:
        return None
    jti = token.get("jti")
    return jti if isinstance(jti, str) and jti else None
