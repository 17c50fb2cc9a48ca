"""Session cookies that are not this app's own: another app's (seed 002's ``getToken({req,
secret, cookieName})``). next-auth v4's, adopted when a team migrates off it, are the
session's own business (:mod:`flask_jwtauth.session.migration`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import claims
from .claims import Claims
from .config import Settings
from .session.cookie import read_token
from .tokens import InvalidToken, JWECodec


class ForeignCookies:
    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.clock = clock
        self._others: dict[tuple[str, bytes | None], JWECodec] = {}

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


def chunk_names(cookies: Any, name: str) -> list[str]:
    """The chunks (``name.0``, ``name.1``...) of a cookie present in a request."""
    return [key for key in cookies if key.startswith(f"{name}.") and key[len(name) + 1 :].isdigit()]
