"""Why the last session ended, kept for the sign-in page.

An expired session's cookie is replaced by a small notice cookie (``JWTAUTH_EXPIRY_NOTICE``
seconds), so the next trip to the sign-in page says why, even after public pages or an API
call in between. It is taken away once a page has shown it, or when the user signs in or
out.

The cookie is signed (:mod:`flask_jwtauth.signing`): one that a sibling sub-domain or a script
planted, or that was altered, reads as no notice at all.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response
from itsdangerous import Signer

from ..errors import SESSION_ENDED, known
from ..signing import unsign
from .state import RequestState, Write

NOTICE_COOKIE = "jwtauth.session-expired"

#: A code and its signature: far below this.
_MAX_COOKIE = 256


class ExpiryNotice:
    def __init__(self, seconds: int, signer: Signer) -> None:
        #: Also how long the session cookie outlives its session, so that a browser still
        #: sends an expired session back and the app can say why it ended.
        self.seconds = seconds
        #: Signs the cookie (``SignedValues.notice``).
        self.signer = signer

    def load(self, cookies: Mapping[str, str], state: RequestState) -> None:
        """A request with no session cookie: did the last one end, and why?"""
        raw = cookies.get(NOTICE_COOKIE)
        if raw is None:
            return
        # One that is not ours (altered, planted, an unsigned one from before signing) is
        # no notice; left alone, it expires or the next notice replaces it.
        notice = unsign(self.signer, raw, _MAX_COOKIE)
        if notice in SESSION_ENDED:
            state.notice = known(notice)

    def save(self, response: Response, state: RequestState, *, changed: bool) -> None:
        """Leave the notice when an ended session is cleared and no page said why yet (an
        API's JSON 401 is not a page); take it away once shown, or when the session cookie
        was written or cleared for another reason."""
        if (
            state.write is Write.CLEAR
            and state.error in SESSION_ENDED
            and not state.notice
            and not state.notice_shown
        ):
            response.set_cookie(
                NOTICE_COOKIE,
                self.signer.sign(state.error or "").decode("ascii"),
                max_age=self.seconds,
                path="/",
                secure=state.secure,
                httponly=True,
                samesite="Lax",
            )
        elif state.notice and (changed or state.notice_shown):
            response.delete_cookie(
                NOTICE_COOKIE, path="/", secure=state.secure, httponly=True, samesite="Lax"
            )
