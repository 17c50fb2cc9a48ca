"""Moving off next-auth v4: a valid v4 session cookie (same secret) signs its user in here,
is re-issued in the current format, and the v4 cookie is cleared.

The v4 claims pass the same gate as any session (a v4 token without ``sub`` is next-auth's
sealed OAuth state, not a session; a revoked user stays revoked). The session id is the v4
token's own ``jti``, so replaying the same v4 cookie after a sign-out or a revocation finds
the same, revoked, session.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from flask import Request, Response

from .. import log
from ..claims import Claims
from ..config import Settings
from ..foreign import chunk_names
from ..tokens import InvalidToken, V4Decoder
from .cookie import read_token
from .state import RequestState

#: next-auth v4's session cookie, over HTTP and HTTPS.
V4_NAMES = {False: "next-auth.session-token", True: "__Secure-next-auth.session-token"}


class V4Migration:
    def __init__(self, settings: Settings) -> None:
        self._decoder = V4Decoder(settings.secrets)

    def adopt(self, cookies: Mapping[str, str], secure: bool) -> tuple[Claims, str] | None:
        """The v4 session's claims (not yet through the gate) and its cookie's name; None
        when there is none or it cannot be read (it may be another app's: left alone)."""
        name = V4_NAMES[secure]
        raw = read_token(cookies, name)
        if raw is None:
            return None
        try:
            found = self._decoder.decode(raw)
        except InvalidToken as exc:
            log.event("V4_SESSION_IGNORED", "next-auth v4 cookie not adopted", reason=str(exc))
            return None
        if "sid" not in found:
            jti = found.get("jti")
            sid = jti if isinstance(jti, str) and jti else None
            found["sid"] = sid or hashlib.sha256(raw.encode()).hexdigest()[:32]
        return found, name

    @staticmethod
    def save(response: Response, state: RequestState, req: Request) -> None:
        """Clear the adopted v4 cookie (and its chunks): the session lives in ours now."""
        name = state.clear_v4
        if name is None:
            return
        for key in [name, *chunk_names(req.cookies, name)]:
            response.delete_cookie(key, path="/", secure=state.secure, httponly=True)
