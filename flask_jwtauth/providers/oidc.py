"""OpenID Connect providers: OAuth 2.0 (:mod:`.oauth`) with the endpoints discovered from
the issuer and the ID token verified (:mod:`.openid` has the protocol's parts)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

import requests
from authlib.integrations.requests_client import OAuth2Session

from ..config import ConfigurationError
from ..config.values import duration
from .oauth import OAuthProvider
from .openid import (
    DISCOVERY_MAX_AGE,
    JWKS_MAX_AGE,
    Published,
    check_claims,
    discovery_document,
    endpoints,
    key_set,
    verify_signature,
)


class OIDCProvider(OAuthProvider):
    """OpenID Connect: endpoints discovered from the issuer, the ID token validated
    (signature against the JWKS, kept ``jwks_max_age`` seconds (an hour; or
    ``JWTAUTH_PROVIDER_<ID>_JWKS_MAX_AGE``) and refetched once for an unknown ``kid``;
    ``iss``, ``aud``, ``azp``, ``exp``, ``iat``, ``nonce``: see :mod:`.openid`)."""

    type: ClassVar[str] = "oidc"

    def __init__(
        self,
        id: str,
        name: str,
        *,
        issuer: str | None = None,
        jwks_max_age: float | timedelta | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("scope", "openid email profile")
        super().__init__(id, name, **options)
        self.issuer = issuer.rstrip("/") if issuer else None
        self.jwks_max_age = jwks_max_age
        self._discovery = Published(
            lambda data: discovery_document(data, self.issuer), DISCOVERY_MAX_AGE
        )
        self._jwks = Published(key_set, JWKS_MAX_AGE)

    def configure(self, config: Mapping[str, Any]) -> None:
        super().configure(config)
        key = self._key("JWKS_MAX_AGE")
        given = config.get(key, JWKS_MAX_AGE) if self.jwks_max_age is None else self.jwks_max_age
        self._jwks.max_age = duration({key: given}, key, JWKS_MAX_AGE, allow_none=False) or 0
        if self.issuer is None:
            value = config.get(self._key("ISSUER"))
            if not isinstance(value, str) or not value.startswith(("https://", "http://")):
                raise ConfigurationError(
                    self._key("ISSUER"), f"provider {self.id!r} needs its issuer URL"
                )
            self.issuer = value.rstrip("/")

    def _metadata(self) -> dict[str, Any]:
        url = f"{self.issuer}/.well-known/openid-configuration"
        return self._discovery.get(url, now=self.clock(), timeout=self.timeout)[0]

    def _endpoints(self) -> dict[str, str]:
        return endpoints(self._metadata())

    def _wrong_issuer(self, params: Mapping[str, str]) -> str | None:
        """RFC 9207: a provider that says it sends ``iss`` in its authorization response
        must send its own issuer there; an ``iss`` that is another's means the response
        came from another provider (a mix-up attack), whatever the provider says."""
        try:
            supported = bool(self._metadata().get("authorization_response_iss_parameter_supported"))
        except (requests.RequestException, ValueError, RuntimeError):
            supported = False
        iss = params.get("iss")
        if iss is None:
            return "the provider sends iss, but the callback has none" if supported else None
        if iss.rstrip("/") != (self.issuer or ""):
            return "iss does not name this provider (a mix-up)"
        return None

    def _authorize_params(self, transaction: dict[str, Any]) -> dict[str, Any]:
        transaction["nonce"] = secrets.token_urlsafe(24)
        params = super()._authorize_params(transaction)
        params["nonce"] = transaction["nonce"]
        if "offline_access" in self.scope.split():
            params["prompt"] = "consent"  # how providers agree to issue a refresh token
        return params

    def _id_claims(self, id_token: str, nonce: str | None) -> dict[str, Any]:
        if not nonce or not self.issuer or not self.client_id:
            raise ValueError("no nonce, issuer or client id to check the ID token against")
        jwks = self._endpoints()["jwks"]
        decoded = verify_signature(
            id_token, self._jwks, jwks, now=self.clock(), timeout=self.timeout
        )
        claims = dict(decoded.claims)
        check_claims(claims, issuer=self.issuer, client_id=self.client_id, nonce=nonce)
        return claims

    def _profile(
        self,
        session: OAuth2Session,
        token: Mapping[str, Any],
        endpoints: Mapping[str, str],
        transaction: Mapping[str, Any],
    ) -> dict[str, Any]:
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise ValueError("no ID token in the token response")
        claims = self._id_claims(id_token, transaction.get("nonce"))
        if "userinfo" in endpoints and not claims.get("email"):
            extra = super()._profile(session, token, endpoints, transaction)
            if extra.get("sub") != claims["sub"]:
                raise ValueError("userinfo is about another subject")
            claims = {**extra, **claims}
        return claims
