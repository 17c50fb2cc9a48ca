"""What OpenID Connect adds to OAuth: the provider's published documents and the ID token.

The discovery metadata and the key set (JWKS) are each kept for a lifetime on the app's clock
(:mod:`flask_jwtauth.clock`, so a test that moves time ages them too), shortened by the
provider's ``Cache-Control: max-age``, then fetched again: a key the provider removed stops
verifying within the key set's lifetime, not at the next restart. An ID token signed with a
key the cached set lacks (a rotation at the provider) fetches the set once more at once.

The ID token's claims are checked as OpenID Connect Core 3.1.3.7 says: ``iss``, ``aud``,
``exp``, ``iat``, ``sub``, ``nonce``, and ``azp``: when present it names us, and an ID token
issued to several audiences must have it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

import requests
from joserfc import jwt
from joserfc.errors import InvalidClaimError, JoseError, MissingClaimError
from joserfc.jwk import KeySet, KeySetSerialization

T = TypeVar("T")

#: How long discovery metadata is kept, and the key set unless the provider says otherwise.
DISCOVERY_MAX_AGE = 3600
JWKS_MAX_AGE = 3600
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
_MAX_AGE = re.compile(r'(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?=,|$)', re.IGNORECASE)


def cache_max_age(cache_control: str | None) -> int | None:
    """The seconds a response's ``Cache-Control: max-age`` allows; None without one."""
    found = _MAX_AGE.search(cache_control or "")
    return int(found.group(1)) if found else None


class Published(Generic[T]):
    """One document a provider publishes: fetched over HTTP (bounded timeout), parsed, kept
    ``max_age`` seconds (fewer when the response's own max-age is shorter)."""

    def __init__(self, parse: Callable[[Any], T], max_age: float) -> None:
        self.parse = parse
        self.max_age = max_age
        #: (the document, when it was fetched, for how long it holds): one tuple, replaced
        #: whole, so a concurrent reader sees an old or a new entry, never half of one.
        self._held: tuple[T, float, float] | None = None

    def get(
        self, url: str, *, now: float, timeout: float, refetch: bool = False
    ) -> tuple[T, bool]:
        """The document, and whether it was fetched by this call. A clock that went back
        past the fetch counts as expired."""
        held = self._held
        if held is not None and not refetch and 0 <= now - held[1] < held[2]:
            return held[0], False
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        value = self.parse(response.json())
        told = cache_max_age(response.headers.get("Cache-Control"))
        self._held = (value, now, self.max_age if told is None else min(self.max_age, told))
        return value, True


def discovery_document(data: Any, issuer: str | None) -> dict[str, Any]:
    """The discovery metadata, if it is the ``issuer``'s."""
    if not isinstance(data, dict) or str(data.get("issuer", "")).rstrip("/") != issuer:
        raise ValueError("the discovery document names another issuer")
    return data


def endpoints(metadata: dict[str, Any]) -> dict[str, str]:
    """authorization, token, jwks and (when there is one) userinfo URLs."""
    found = {
        "authorization": metadata["authorization_endpoint"],
        "token": metadata["token_endpoint"],
        "jwks": metadata["jwks_uri"],
    }
    if metadata.get("userinfo_endpoint"):
        found["userinfo"] = metadata["userinfo_endpoint"]
    return found


def key_set(data: Any) -> KeySet:
    if not isinstance(data, dict):
        raise ValueError("the JWKS is not a JSON object")
    return KeySet.import_key_set(cast(KeySetSerialization, data))


def verify_signature(
    id_token: str, keys: Published[KeySet], url: str, *, now: float, timeout: float
) -> jwt.Token:
    """The ID token decoded with the provider's key set; a signature the set cannot verify
    fetches it once more (unless this call just fetched it) for a key it did not have."""
    found, fetched = keys.get(url, now=now, timeout=timeout)
    try:
        return jwt.decode(id_token, found, algorithms=ALGORITHMS)
    except JoseError:
        if fetched:
            raise
        found, _ = keys.get(url, now=now, timeout=timeout, refetch=True)
        return jwt.decode(id_token, found, algorithms=ALGORITHMS)


def check_claims(claims: dict[str, Any], *, issuer: str, client_id: str, nonce: str) -> None:
    """Raise a :class:`JoseError` unless the claims are an ID token for ``client_id`` from
    ``issuer`` answering ``nonce``. ``exp`` and ``iat`` are the provider's times: checked
    against the wall clock (60 s leeway), as the provider's tokens are made on it."""
    jwt.JWTClaimsRegistry(
        leeway=60,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    ).validate(claims)
    # OIDC Core 3.1.3.7 (4, 5): the party the token was issued to, when there are several.
    azp = claims.get("azp")
    audiences = claims["aud"]
    if azp is None:
        if isinstance(audiences, list) and len(audiences) > 1:
            raise MissingClaimError("azp")
    elif azp != client_id:
        raise InvalidClaimError("azp")
