"""flask_jwtauth: NextAuth.js / Auth.js sessions for Flask.

A session kept in an encrypted JWT cookie, checked and rolled forward before every request;
sign-in and sign-out pages; guards that redirect pages and answer APIs with JSON 401.
"""

from .config import ConfigurationError
from .extension import JWTAuth, sign_in_url
from .guards import login_required, public
from .providers import CredentialField, CredentialsProvider, Provider
from .proxies import (
    AnonymousUser,
    SessionUser,
    current_session,
    current_user,
    get_session,
    get_token,
)
from .signals import (
    session_expired,
    session_refreshed,
    session_updated,
    sign_in_failed,
    user_signed_in,
    user_signed_out,
)
from .testing import JWTAuthTestClient
from .tokens import InvalidToken

__all__ = [
    "AnonymousUser",
    "ConfigurationError",
    "CredentialField",
    "CredentialsProvider",
    "InvalidToken",
    "JWTAuth",
    "JWTAuthTestClient",
    "Provider",
    "SessionUser",
    "current_session",
    "current_user",
    "get_session",
    "get_token",
    "login_required",
    "public",
    "session_expired",
    "session_refreshed",
    "session_updated",
    "sign_in_failed",
    "sign_in_url",
    "user_signed_in",
    "user_signed_out",
]
