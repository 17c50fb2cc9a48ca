"""flask_jwtauth: NextAuth.js / Auth.js sessions for Flask.

A session kept in an encrypted JWT cookie, checked and rolled forward before every request;
sign-in and sign-out pages; guards that redirect pages and answer APIs with JSON 401.
"""

from .config import ConfigurationError
from .errors import ErrorCode, JWTAuthError
from .extension import JWTAuth, csrf_token, sign_in_url
from .flow import SignInResult, revoke_session, revoke_user, sign_in, sign_out
from .guards import login_required, public
from .providers import (
    CredentialField,
    CredentialsProvider,
    CredentialsSignin,
    Provider,
    ProviderRequest,
    Redirect,
    RefreshOutcomeUnknown,
    RefreshRefused,
    RefreshUnavailable,
    Refused,
    SignedIn,
    account_id,
)
from .providers.email import EmailProvider
from .providers.oauth import OAuthProvider
from .providers.oidc import OIDCProvider
from .providers.presets import Apple, GitHub, GitLab, Google, Keycloak, MicrosoftEntraID
from .proxies import (
    AnonymousUser,
    SessionUser,
    access_token,
    current_session,
    current_user,
    get_session,
    get_token,
)
from .run import AsyncSupportMissing
from .signals import (
    session_expired,
    session_refreshed,
    session_revoked,
    session_updated,
    sign_in_failed,
    sign_in_throttled,
    upstream_refresh_failed,
    upstream_refreshed,
    user_signed_in,
    user_signed_out,
)
from .testing import JWTAuthTestClient, TestClock, use_clock
from .tokens import InvalidToken
from .types import (
    JWT,
    Account,
    JWTCallback,
    Profile,
    RedirectCallback,
    Session,
    SessionCallback,
    SignInCallback,
    User,
)
from .upstream import Tokens

__all__ = [
    "JWT",
    "Account",
    "AnonymousUser",
    "Apple",
    "AsyncSupportMissing",
    "ConfigurationError",
    "CredentialField",
    "CredentialsProvider",
    "CredentialsSignin",
    "EmailProvider",
    "ErrorCode",
    "GitHub",
    "GitLab",
    "Google",
    "InvalidToken",
    "JWTAuth",
    "JWTAuthError",
    "JWTAuthTestClient",
    "JWTCallback",
    "Keycloak",
    "MicrosoftEntraID",
    "OAuthProvider",
    "OIDCProvider",
    "Profile",
    "Provider",
    "ProviderRequest",
    "Redirect",
    "RedirectCallback",
    "RefreshOutcomeUnknown",
    "RefreshRefused",
    "RefreshUnavailable",
    "Refused",
    "Session",
    "SessionCallback",
    "SessionUser",
    "SignInCallback",
    "SignInResult",
    "SignedIn",
    "TestClock",
    "Tokens",
    "User",
    "access_token",
    "account_id",
    "csrf_token",
    "current_session",
    "current_user",
    "get_session",
    "get_token",
    "login_required",
    "public",
    "revoke_session",
    "revoke_user",
    "session_expired",
    "session_refreshed",
    "session_revoked",
    "session_updated",
    "sign_in",
    "sign_in_failed",
    "sign_in_throttled",
    "sign_in_url",
    "sign_out",
    "upstream_refresh_failed",
    "upstream_refreshed",
    "use_clock",
    "user_signed_in",
    "user_signed_out",
]
