"""Session cookies that are not this app's own: another app's (seed 002's ``getToken({req,
secret, cookieName})``), and next-auth v4's, adopted when a team migrates off it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from . import claims, log
from .claims import Claims
from .config import Settings
from .cookies import read_token
from .tokens import InvalidToken, JWECodec, V4Decoder

#: next-auth v4's session cookie, over HTTP and HTTPS.
V4_NAMES = {False: "next-auth.session-token", True: "__Secure-next-auth.session-token"}


class ForeignCookies:
    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.clock = clock
        self._others: dict[tuple[str, bytes | None], JWECodec] = {}
        self._v4 = (
            V4Decoder(settings.secrets)
            if settings.cookies.read_v4 and not settings.consumer
            else None
        )

    def read(self, cookies: Mapping[str, str], name: str, secret: bytes | None) -> Claims | None:
        """Another cookie's claims: read with that name as the key-derivation salt, under
        ``secret`` or our own; None when it is absent, not readable, or expired."""
        raw = read_token(cookies, name)
        if raw is None:
            return None
        key = (name, secret)
        codec = self._others.get(key)
        if codec is None:
            secrets = (secret,) if secret is not None else self.settings.secrets
            codec = JWECodec(secrets, name, self.settings.token.jwe_encryption)
            if len(self._others) < 16:
                self._others[key] = codec
        try:
            found = codec.decode(raw)
        except InvalidToken:
            return None
        if not claims.valid(found) or claims.expired(found, self.clock(), self.settings.session):
            return None
        return found

    def adopt_v4(self, cookies: Mapping[str, str], secure: bool) -> tuple[Claims, str] | None:
        """A team moving off NextAuth v4 keeps its users: the claims of a valid v4 session
        (same secret), to re-issue in the current format, and the v4 cookie's name, to clear.
        One it cannot read is left alone: it may be another app's."""
        if self._v4 is None:
            return None
        name = V4_NAMES[secure]
        raw = read_token(cookies, name)
        if raw is None:
            return None
        try:
            found = self._v4.decode(raw)
        except InvalidToken as exc:
            log.event("V4_SESSION_IGNORED", "next-auth v4 cookie not adopted", reason=str(exc))
            return None
        now = self.clock()
        s = self.settings.session
        if (
            not claims.valid(found)
            or claims.expired(found, now, s)
            or claims.not_yet_valid(found, now, s)
        ):
            log.event(
                "V4_SESSION_IGNORED", "next-auth v4 cookie not adopted: expired or malformed claims"
            )
            return None
        found.setdefault("sid", str(uuid.uuid4()))
        log.event("V4_SESSION_ADOPTED", "re-issued in the current format", sub=found.get("sub"))
        return found, name


def chunk_names(cookies: Any, name: str) -> list[str]:
    """The chunks (``name.0``, ``name.1``...) of a cookie present in a request."""
    return [key for key in cookies if key.startswith(f"{name}.") and key[len(name) + 1 :].isdigit()]
