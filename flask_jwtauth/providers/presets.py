"""Ready-made providers: the endpoints, scopes and profile mapping of well-known services.

Each takes the same options as :class:`OAuthProvider`/:class:`OIDCProvider`; client id and
secret (and issuer or tenant) may come from ``JWTAUTH_PROVIDER_<ID>_*`` config keys instead::

    JWTAuth(app, providers=[GitHub(), Google(), Keycloak(issuer="https://sso/realms/main")])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from .logos import LOGOS
from .oauth import OAuthProvider
from .oidc import OIDCProvider


class GitHub(OAuthProvider):
    """GitHub OAuth apps; the email is the primary verified one (GitHub's profile may hide it)."""

    def __init__(self, id: str = "github", name: str = "GitHub", **options: Any) -> None:
        options.setdefault("scope", "read:user user:email")
        options.setdefault("logo", LOGOS["github"])
        super().__init__(
            id,
            name,
            authorization_url="https://github.com/login/oauth/authorize",
            token_url="https://github.com/login/oauth/access_token",
            userinfo_url="https://api.github.com/user",
            **options,
        )

    def _profile(
        self, session: Any, token: Mapping[str, Any], endpoints: Mapping[str, str], tx: Any
    ) -> dict[str, Any]:
        profile = super()._profile(session, token, endpoints, tx)
        response = requests.get(
            "https://api.github.com/user/emails",
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=self.timeout,
        )
        if response.ok:
            primary = [e for e in response.json() if e.get("primary") and e.get("verified")]
            profile["email"] = primary[0]["email"] if primary else None
        return profile


def Google(id: str = "google", name: str = "Google", **options: Any) -> OIDCProvider:
    options.setdefault("logo", LOGOS["google"])
    return OIDCProvider(id, name, issuer="https://accounts.google.com", **options)


def GitLab(
    id: str = "gitlab", name: str = "GitLab", *, issuer: str = "https://gitlab.com", **options: Any
) -> OIDCProvider:
    options.setdefault("logo", LOGOS["gitlab"])
    return OIDCProvider(id, name, issuer=issuer, **options)


def MicrosoftEntraID(
    id: str = "microsoft-entra-id",
    name: str = "Microsoft",
    *,
    tenant: str = "common",
    **options: Any,
) -> OIDCProvider:
    """``tenant``: your directory's id for one organisation; "common" accepts every account
    (then the ID token's issuer names the user's tenant, so set your own tenant to validate)."""
    options.setdefault("logo", LOGOS["microsoft"])
    return OIDCProvider(
        id, name, issuer=f"https://login.microsoftonline.com/{tenant}/v2.0", **options
    )


def Apple(id: str = "apple", name: str = "Apple", **options: Any) -> OIDCProvider:
    """Apple answers with a cross-site form POST: the transaction cookie is then
    SameSite=None; Secure (HTTPS only)."""
    options.setdefault("scope", "openid name email")
    options.setdefault("logo", LOGOS["apple"])
    return OIDCProvider(id, name, issuer="https://appleid.apple.com", form_post=True, **options)


def Keycloak(id: str = "keycloak", name: str = "Keycloak", **options: Any) -> OIDCProvider:
    """Keycloak, Auth0, Okta, Authentik, ...: any OpenID provider from its issuer URL."""
    options.setdefault("logo", LOGOS["oidc"])
    return OIDCProvider(id, name, **options)
