"""OAuth 2.0 providers through Authlib (the protocol); OpenID Connect builds on them
(:mod:`.oidc`).

Framework-neutral like the rest of :mod:`providers`: ``begin`` builds the authorization URL
(with ``state``, PKCE S256 and, for OIDC, ``nonce``) and hands the flow a transaction to keep
in the browser; ``complete`` checks ``state``, exchanges the code, validates the ID token and
reads the profile. Every outgoing call has a bounded timeout. HTTP goes through ``requests``,
the client Authlib's synchronous integration is built on (Flask views are synchronous).
"""

from __future__ import annotations

import logging
import math
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc.errors import JoseError

from ..config import ConfigurationError
from ..errors import ErrorCode
from ..run import check_async
from .base import (
    Outcome,
    Provider,
    ProviderRequest,
    Redirect,
    RefreshOutcomeUnknown,
    RefreshRefused,
    RefreshUnavailable,
    Refused,
    SignedIn,
)

logger = logging.getLogger("flask_jwtauth")
#: Every way a callback from the provider can fail, in Auth.js's one code.
_CALLBACK_ERROR = ErrorCode.OAUTH_CALLBACK_ERROR

Profile = Callable[[dict[str, Any]], Any]


def default_profile(profile: Mapping[str, Any]) -> dict[str, Any]:
    """NextAuth's default mapping: id, name, email, image; but an address the provider says
    it has not verified (``email_verified`` false) is not the user's email: an app keying
    accounts by email would hand its owner's account to whoever typed it at the provider.
    It stays in ``profile`` for the app's own ``profile=`` mapping or callbacks. A profile
    without ``name`` (nor GitHub's ``login``) is named by its ``preferred_username``,
    ``nickname`` or (verified) email, so that a page never greets "None"."""
    user_id = profile.get("sub", profile.get("id"))
    email = None if _unverified(profile) else profile.get("email")
    names = ("name", "login", "preferred_username", "nickname")
    return {
        "id": None if user_id is None else str(user_id),
        "name": next((profile[k] for k in names if profile.get(k)), email),
        "email": email,
        "image": profile.get("picture") or profile.get("avatar_url"),
    }


def _unverified(profile: Mapping[str, Any]) -> bool:
    """``email_verified`` false, or "false" (some providers send the claim as a string)."""
    said = profile.get("email_verified")
    return said is False or (isinstance(said, str) and said.strip().lower() == "false")


class OAuthProvider(Provider):
    """Any OAuth 2.0 authorization-code provider; the profile comes from a userinfo URL."""

    type: ClassVar[str] = "oauth"

    def __init__(
        self,
        id: str,
        name: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        authorization_url: str | None = None,
        token_url: str | None = None,
        userinfo_url: str | None = None,
        scope: str = "",
        profile: Profile | None = None,
        timeout: float = 5.0,
        refresh_timeout: float = 30.0,
        form_post: bool = False,
        logo: str | None = None,
    ) -> None:
        super().__init__(id, name)
        self.client_id = client_id
        self.client_secret = client_secret
        self.authorization_url = authorization_url
        self.token_url = token_url
        self.userinfo_url = userinfo_url
        self.scope = scope
        check_async(profile, f"{type(self).__name__}(id={id!r}): profile")
        self.profile_hook = profile
        self.timeout = timeout
        #: The refresh-token grant's own, generous timeout: a refresh given up on while the
        #: upstream still processes it leaves a spent refresh token behind.
        self.refresh_timeout = refresh_timeout
        self.form_post = form_post
        self.logo = logo

    # -- settings -------------------------------------------------------------------------

    def _key(self, name: str) -> str:
        return f"JWTAUTH_PROVIDER_{self.id.upper().replace('-', '_')}_{name}"

    def configure(self, config: Mapping[str, Any]) -> None:
        """Client id and secret from the arguments, else from ``JWTAUTH_PROVIDER_<ID>_*``."""
        for attr, name in (("client_id", "CLIENT_ID"), ("client_secret", "CLIENT_SECRET")):
            if getattr(self, attr) is None:
                value = config.get(self._key(name))
                if not isinstance(value, str) or not value:
                    raise ConfigurationError(
                        self._key(name), f"provider {self.id!r} needs its {attr.replace('_', ' ')}"
                    )
                setattr(self, attr, value)

    def page(self) -> dict[str, Any]:
        return {"fields": (), "logo": self.logo}

    # -- the round trip ---------------------------------------------------------------------

    def _session(self, redirect_uri: str | None = None, **extra: Any) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=self.scope or None,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            **extra,
        )

    def _endpoints(self) -> dict[str, str]:
        """authorization, token and userinfo URLs (OIDC discovers them)."""
        if not self.authorization_url or not self.token_url:
            raise RuntimeError(f"provider {self.id!r} has no authorization/token URL")
        found = {"authorization": self.authorization_url, "token": self.token_url}
        if self.userinfo_url:
            found["userinfo"] = self.userinfo_url
        return found

    def _authorize_params(self, transaction: dict[str, Any]) -> dict[str, Any]:
        return {"response_mode": "form_post"} if self.form_post else {}

    def _wrong_issuer(self, params: Mapping[str, str]) -> str | None:
        """RFC 9207's mix-up defence, where the server takes part (OpenID providers)."""
        return None

    def begin(self, request: ProviderRequest) -> Outcome:
        try:
            endpoints = self._endpoints()
        except (requests.RequestException, ValueError, RuntimeError) as exc:
            return Refused(ErrorCode.OAUTH_SIGNIN, f"provider {self.id!r} unreachable: {exc}")
        transaction: dict[str, Any] = {
            "state": secrets.token_urlsafe(24),
            "code_verifier": generate_token(64),
            "redirect_uri": request.callback_url,
        }
        params = self._authorize_params(transaction)
        url, _ = self._session(request.callback_url).create_authorization_url(
            endpoints["authorization"],
            state=transaction["state"],
            code_verifier=transaction["code_verifier"],
            **params,
        )
        return Redirect(url, transaction=transaction, form_post=self.form_post)

    def complete(self, request: ProviderRequest, transaction: dict[str, Any] | None) -> Outcome:
        params = {**request.args, **request.form}
        error = params.get("error")
        if error == "access_denied":
            return Refused(ErrorCode.SIGN_IN_CANCELLED, f"the user refused at {self.id!r}")
        if error:
            return Refused(_CALLBACK_ERROR, f"{self.id!r} answered error={error!r}")
        if transaction is None:
            return Refused(
                _CALLBACK_ERROR, "no transaction cookie (expired, replayed, or another browser)"
            )
        if not secrets.compare_digest(str(params.get("state", "")), str(transaction["state"])):
            return Refused(_CALLBACK_ERROR, "state does not match")
        mixed_up = self._wrong_issuer(params)
        if mixed_up:
            return Refused(_CALLBACK_ERROR, mixed_up)
        code = params.get("code")
        if not code:
            return Refused(_CALLBACK_ERROR, "no code in the callback")
        try:
            endpoints = self._endpoints()
            session = self._session(transaction["redirect_uri"])
            token = session.fetch_token(
                endpoints["token"],
                code=code,
                code_verifier=transaction["code_verifier"],
                timeout=self.timeout,
            )
            profile = self._profile(session, token, endpoints, transaction)
        except (
            OAuthError,
            JoseError,
            requests.RequestException,
            ValueError,
            KeyError,
            OverflowError,  # Authlib's own expires_at from an infinite expires_in (1e400)
        ) as exc:
            return Refused(_CALLBACK_ERROR, f"{type(exc).__name__}: {exc}")
        user = request.run(self.profile_hook or default_profile, profile)
        user_id = user.get("id") if isinstance(user, dict) else getattr(user, "id", None)
        if user_id is None:
            return Refused(_CALLBACK_ERROR, "the profile has no id")
        subject = profile.get("sub", profile.get("id"))
        account = {
            "provider": self.id,
            "type": self.type,
            # The provider's own id of the account, whatever the profile hook made of it.
            "providerAccountId": str(subject if subject is not None else user_id),
            **{
                k: token.get(k)
                for k in ("access_token", "refresh_token", "id_token", "scope", "token_type")
                if token.get(k) is not None
            },
            **_expiries(token, self.clock()),
        }
        # The default mapping's id is the provider's subject: the flow makes it one that
        # cannot collide with another provider's or the app's. A profile hook's is the app's.
        scoped = self.profile_hook is None
        return SignedIn(user=user, account=account, profile=profile, scoped=scoped)

    def _profile(
        self,
        session: OAuth2Session,
        token: Mapping[str, Any],
        endpoints: Mapping[str, str],
        transaction: Mapping[str, Any],
    ) -> dict[str, Any]:
        if "userinfo" not in endpoints:
            raise ValueError(f"provider {self.id!r} has no userinfo URL")
        # Plain requests: Authlib's session refuses a token within 60 s of its expiry.
        response = requests.get(
            endpoints["userinfo"],
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=self.timeout,
        )
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, dict):
            raise ValueError("userinfo is not a JSON object")
        return data

    def refresh(self, account: Mapping[str, Any]) -> dict[str, Any]:
        """The refresh-token grant; ``invalid_grant`` and friends end the session, a
        timeout or a 5xx does not."""
        refresh_token = account.get("refresh_token")
        if not refresh_token:
            raise RefreshRefused("no refresh token")
        try:
            token = self._session().refresh_token(
                self._endpoints()["token"],
                refresh_token=refresh_token,
                timeout=(self.timeout, self.refresh_timeout),
            )
        except OAuthError as exc:
            raise RefreshRefused(str(exc.error)) from exc
        except requests.ReadTimeout as exc:
            # Sent and never answered: the provider may have rotated the token already.
            raise RefreshOutcomeUnknown(f"no answer within {self.refresh_timeout} s") from exc
        except (requests.RequestException, RuntimeError, ValueError, OverflowError) as exc:
            # OverflowError: Authlib's own expires_at from an infinite expires_in (1e400).
            raise RefreshUnavailable(type(exc).__name__) from exc
        out = {k: token[k] for k in ("access_token", "refresh_token", "id_token")
               if token.get(k) is not None}  # fmt: skip
        return {**out, **_expiries(token, self.clock())}


def _seconds(value: Any) -> int | None:
    """A positive count of seconds, rounded up, from a number or a string of digits (some
    providers send ``"3600"``); None for anything else (a bool, 0, a negative, infinity)."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return math.ceil(value) if 0 < value < math.inf else None


def _expiries(token: Mapping[str, Any], now: float) -> dict[str, int]:
    """``expires_at`` and ``refresh_expires_at`` on the app's clock, the one that decides
    when a token is due (Authlib counts ``expires_at`` from the wall clock). Without
    ``expires_in`` the provider's own ``expires_at`` stands (with it, ``expires_at`` is
    Authlib's); without either, or with one that is not a positive number, the access token
    has no known expiry (never "due") rather than one of now (due on every request).
    ``refresh_expires_in`` is Keycloak's (0 there means "no expiry"): the session ends then."""
    out: dict[str, int] = {}
    if "expires_in" in token:
        access = _seconds(token["expires_in"])
        if access is not None:
            out["expires_at"] = int(now) + access
    else:
        at = _seconds(token.get("expires_at"))
        if at is not None:
            out["expires_at"] = at
    refresh = _seconds(token.get("refresh_expires_in"))
    if refresh is not None:
        out["refresh_expires_at"] = int(now) + refresh
    return out
