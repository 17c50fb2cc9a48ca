"""Sign in, update and sign out, whatever the provider: the one place that runs the
``sign_in`` and ``jwt`` callbacks for them, starts and ends sessions, and sends the signals.

The built-in endpoints are thin adapters over these functions, and the app's own views call
the same ones through the public :func:`sign_in` and :func:`sign_out` (after a sign-up, an
invitation, an admin's "log in as"), as Flask-Login's ``login_user`` and Auth.js's server
``signIn`` do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from . import claims, log, signals, upstream
from .callbacks import CallbackError, default_token, run_jwt
from .claims import Claims
from .errors import ErrorCode, JWTAuthError
from .providers.base import SignedIn, account_id
from .revocation import Revocation, session_id
from .session.state import RequestState, request_state
from .state import ext
from .stores import StoreUnavailable


@dataclass(frozen=True)
class SignInResult:
    """What a sign-in came to. Truthy when the user is now signed in.

    ``error`` is Auth.js's code when it failed (``AccessDenied``: the sign_in or jwt callback
    said no; ``Configuration``: a callback raised or answered nonsense). ``url`` is where the
    ``sign_in`` callback sent the user instead of signing them in.
    """

    ok: bool
    error: ErrorCode | None = None
    url: str | None = None

    def __bool__(self) -> bool:
        return self.ok


def _state() -> RequestState:
    state = request_state()
    if state is None:
        raise RuntimeError("sign_in() and sign_out() need a request handled by JWTAuth")
    return state


def _failed(provider: str, error: ErrorCode) -> SignInResult:
    log.emit(
        "SIGN_IN_FAILED", "sign-in refused", signals.sign_in_failed, provider=provider, error=error
    )
    return SignInResult(False, error=error)


def _user_claims(user: Any) -> Claims:
    """NextAuth's default token for ``user``; a user without an id gets a generated one, as
    Auth.js gives it, with a warning (sessions then cannot be tied to the user)."""
    try:
        return default_token(user)
    except ValueError:
        log.event("USER_WITHOUT_ID", "the signed-in user has no 'id'; a random one was generated")
        if isinstance(user, dict):
            return default_token({**user, "id": str(uuid.uuid4())})
        raise


def complete(outcome: SignedIn) -> SignInResult:
    """Sign in the user a provider vouched for: sign_in callback, jwt callback, new session."""
    state = _state()
    app_state = ext()
    callbacks = app_state.callbacks
    provider = str(outcome.account.get("provider", "custom"))
    user = outcome.user
    if outcome.scoped and isinstance(user, dict):
        subject = str(outcome.account.get("providerAccountId") or user.get("id"))
        user = {**user, "id": account_id(provider, subject)}
        outcome = replace(outcome, user=user)
    try:
        if callbacks.sign_in is not None:
            verdict = callbacks.sign_in(
                user=outcome.user,
                account=outcome.account,
                profile=outcome.profile,
                credentials=outcome.credentials,
            )
            if verdict is False or verdict is None:
                return _failed(provider, ErrorCode.ACCESS_DENIED)
            if isinstance(verdict, str):
                return SignInResult(False, url=verdict)
        now = app_state.clock()
        minted = claims.mint(_user_claims(outcome.user), now)
        # Which provider vouched for this session (Auth.js's account.provider): with the
        # id, who the user is to the app.
        minted["provider"] = provider
        # Only an account with an access token hands over upstream tokens (OAuth, or an
        # authorize() that returned Tokens); a plain credentials account has none.
        account = outcome.account
        tokens = upstream.from_account(account) if "access_token" in account else None
        # Kept in the token only when it is encrypted (a JWS cookie can be read by whoever
        # holds it); renewed when due; the jwt callback may drop them.
        if tokens is not None and app_state.settings.token.format == "jwe":
            minted[upstream.CLAIM] = tokens.claim(provider)
        token = run_jwt(
            callbacks,
            minted,
            trigger="sign_in",
            user=outcome.user,
            account=outcome.account,
            profile=outcome.profile,
        )
    except (CallbackError, ValueError, TypeError):
        log.event("SIGN_IN_ERROR", "a callback failed", exc_info=True, provider=provider)
        return _failed(provider, ErrorCode.CONFIGURATION)
    except Exception:
        log.event("SIGN_IN_ERROR", "the sign_in callback raised", exc_info=True, provider=provider)
        return _failed(provider, ErrorCode.CONFIGURATION)
    if token is None:
        return _failed(provider, ErrorCode.ACCESS_DENIED)
    state.start(token, now)
    assert state.token is not None
    log.emit(
        "SIGNED_IN",
        "signed in",
        signals.user_signed_in,
        logged={"provider": provider, "sub": state.token.get("sub")},
        user=outcome.user,
        account=outcome.account,
        token=claims.own_copy(state.token),
    )
    return SignInResult(True)


def sign_in(
    user: Any,
    *,
    account: dict[str, Any] | None = None,
    profile: dict[str, Any] | None = None,
) -> SignInResult:
    """Sign ``user`` in from the app's own view, through the same callbacks and signals as
    the built-in pages; the session cookie is set on this request's response."""
    found = _user_claims(user)
    account = {"provider": "app", "type": "app", **(account or {})}
    account.setdefault("providerAccountId", found["sub"])
    return complete(SignedIn(user=user, account=account, profile=profile))


def sign_out() -> Claims | None:
    """End this request's session (the cookie is cleared on its response); returns the
    claims of the session that ended, or None when there was none."""
    state = _state()
    ended = claims.own_copy(state.token) if state.token is not None else None
    state.end()
    revocation = ext().revocation
    sid = session_id(ended) if ended is not None else None
    if revocation is not None and sid is not None:
        # Signing out ends the session itself, not only this browser's copy of the cookie.
        try:
            revocation.revoke_session(sid)
        except StoreUnavailable:
            log.event(
                "STORE_UNAVAILABLE", "sign-out could not revoke the session", exc_info=True, sid=sid
            )
    log.emit(
        "SIGNED_OUT", "signed out", signals.user_signed_out, logged={"sid": sid}, token=ended
    )
    return ended


def _revocation() -> Revocation:
    found = ext().revocation
    if found is None:
        raise RuntimeError("revocation is off: set JWTAUTH_REVOCATION = True")
    return found


def revoke_session(session_id: str) -> None:
    """End one session (its ``sid``, as ``flask jwtauth decode`` shows it) everywhere, now:
    its next request is anonymous, with the reason ``SessionRevoked``."""
    _revocation().revoke_session(session_id)


def revoke_user(user_id: str) -> None:
    """End every session of a user that started before now, to the millisecond ("sign out
    everywhere": a stolen laptop, a password change); sessions started afterwards are not
    affected. A session with no sign-in time (``auth_time``: one an Auth.js peer minted)
    cannot show when it started, so it is refused while the revocation lives (the token's
    maximum age)."""
    _revocation().revoke_user(str(user_id), ext().clock())


class UpdateRefused(JWTAuthError):
    """The update cannot happen: ``error`` says why (``SessionRequired``, ``Configuration``)."""

    def __init__(self, error: ErrorCode) -> None:
        super().__init__(error.value)
        self.error = error


def update(data: Any) -> bool:
    """NextAuth's ``update(data)``: the jwt callback runs with ``trigger="update"`` and
    ``session=data``. The session's own claims keep their values whatever it returns.
    Returns False when the callback ended the session."""
    state = _state()
    app_state = ext()
    state.engine.resolve(state)
    current = state.token
    if current is None:
        raise UpdateRefused(ErrorCode.SESSION_REQUIRED)
    try:
        updated = run_jwt(
            app_state.callbacks, current, trigger="update", current=current, session=data
        )
    except CallbackError:
        log.event("JWT_CALLBACK_ERROR", "the session update failed", exc_info=True)
        raise UpdateRefused(ErrorCode.CONFIGURATION) from None
    if updated is None:
        sign_out()
        return False
    state.touch(claims.protect(updated, current), app_state.clock())
    assert state.token is not None
    signals.send(signals.session_updated, token=claims.own_copy(state.token))
    return True
