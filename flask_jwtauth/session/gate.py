"""The one gate every session passes before any code sees it.

Whatever brought the claims (our cookie, plain, chunked or mixed; an Auth.js peer's; a
next-auth v4 cookie being adopted; a consumer's read; the test client's), they are checked
here and only here: their shape (``sub`` a non-empty string, times finite numbers), the
token's expiry, the idle and absolute limits, ``nbf``, and revocation. Whether an upstream
refresh is due is the engine's next step, asked again after every renewal.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import claims, log, signals
from ..claims import Claims
from ..clock import Clock
from ..config import SessionSettings
from ..errors import ErrorCode
from ..revocation import Revocation
from ..stores import StoreUnavailable


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why claims did not pass: ``error`` is the code the user is told (None: a cookie that
    is simply not a session); ``clear`` whether the cookie goes (a store that cannot answer
    now keeps it for the next try)."""

    error: ErrorCode | None
    clear: bool = True


MALFORMED = Refusal(None)
EXPIRED = Refusal(ErrorCode.SESSION_EXPIRED)
REVOKED = Refusal(ErrorCode.SESSION_REVOKED)
UNAVAILABLE = Refusal(ErrorCode.SERVICE_UNAVAILABLE, clear=False)


class Gate:
    def __init__(
        self,
        settings: SessionSettings,
        clock: Clock,
        revocation: Revocation | None = None,
        *,
        fail_open: bool = False,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.revocation = revocation
        self.fail_open = fail_open

    #: The shape alone (memoised with a decoded cookie, so checked once per value).
    well_formed = staticmethod(claims.valid)

    def admit(
        self, found: Claims, now: float | None = None, *, well_formed: bool = False
    ) -> Refusal | None:
        """None when ``found`` is a live session at ``now`` (the app's clock when not
        given); else why not. ``well_formed``: the shape was checked already (a memoised
        cookie value)."""
        if not well_formed and not claims.valid(found):
            log.event("SESSION_INVALID", "session rejected: claims missing or mistyped")
            return MALFORMED
        s = self.settings
        if now is None:
            now = self.clock()
        if claims.expired(found, now, s):
            return _ended(EXPIRED, found, "SESSION_EXPIRED", "session expired")
        if claims.not_yet_valid(found, now, s):
            log.event("SESSION_NOT_YET_VALID", "session issued in the future", sid=found.get("sid"))
            return MALFORMED
        if self.revocation is not None:
            return self._revoked(found, self.revocation)
        return None

    def _revoked(self, found: Claims, revocation: Revocation) -> Refusal | None:
        """A store that cannot answer fails closed (anonymous, the cookie kept, guards
        answer 503) unless ``JWTAUTH_STORE_FAIL_OPEN``."""
        try:
            revoked = revocation.revoked(found)
        except StoreUnavailable as exc:
            if self.fail_open:
                log.event(
                    "STORE_UNAVAILABLE", "session not checked for revocation", reason=str(exc)
                )
                return None
            log.event("STORE_UNAVAILABLE", "session refused (fail closed)", reason=str(exc))
            return UNAVAILABLE
        if not revoked:
            return None
        return _ended(REVOKED, found, "SESSION_REVOKED", "session rejected")


_SIGNALS = {EXPIRED: signals.session_expired, REVOKED: signals.session_revoked}


def _ended(refusal: Refusal, found: Claims, code: str, message: str) -> Refusal:
    """Log and signal a session that ended without its user signing out (receivers get a
    copy of its claims)."""
    signal = _SIGNALS[refusal]
    token = claims.own_copy(found) if signal.receivers else found
    log.emit(code, message, signal, logged={"sid": found.get("sid")}, token=token)
    return refusal
