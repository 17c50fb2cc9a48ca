"""Error codes in NextAuth's vocabulary, with the words and status each one is shown with."""

from __future__ import annotations

from werkzeug.exceptions import ServiceUnavailable

MESSAGES: dict[str, tuple[int, str]] = {
    "CredentialsSignin": (401, "Sign in failed. Check the details you provided are correct."),
    "AccessDenied": (403, "You do not have permission to do that."),
    "SessionRequired": (401, "Please sign in to access this page."),
    "SessionExpired": (401, "Your session has expired, please sign in again."),
    "SessionRevoked": (401, "Your session was ended, please sign in again."),
    "RefreshAccessTokenError": (401, "Your session could not be renewed, please sign in again."),
    "Configuration": (500, "There is a problem with the server configuration."),
    "OAuthSignin": (400, "Could not start signing in with that provider. Try again."),
    "OAuthCallbackError": (400, "Signing in with that provider did not complete. Try again."),
    "CSRF": (400, "The form has expired or is invalid. Please try again."),
    "BadRequest": (400, "The request was malformed."),
    "TooManyRequests": (429, "Too many failed attempts. Please wait a while and try again."),
    "ServiceUnavailable": (503, "The service is unavailable right now. Please try again shortly."),
    "Default": (400, "Unable to sign in."),
}


def describe(code: str | None) -> tuple[str, int, str]:
    """The code (unknown codes become ``Default``), its HTTP status, and its message."""
    if code not in MESSAGES:
        code = "Default"
    status, message = MESSAGES[code]
    return code, status, message


#: What an API client is told: no pages to speak of.
API_MESSAGES: dict[str, str] = {
    "SessionRequired": "Authentication required: sign in, then send the session cookie.",
    "SessionExpired": "The session has expired: sign in again.",
    "SessionRevoked": "The session was ended: sign in again.",
    "AccessDenied": "The signed-in user is not allowed to do that.",
}


def describe_api(code: str | None) -> tuple[str, int, str]:
    """:func:`describe`, worded for an API client."""
    code, status, message = describe(code)
    return code, status, API_MESSAGES.get(code, message)


#: Why a session ended without the user signing out: shown when they are sent to sign in.
SESSION_ENDED = frozenset({"SessionExpired", "SessionRevoked", "RefreshAccessTokenError"})


class SessionUnavailable(ServiceUnavailable):
    """The session cannot be vouched for right now (the upstream cannot renew its access
    token, the store cannot say whether it was revoked): the extension answers it with 503
    and ``Retry-After``, as JSON or as a page; the cookie is kept for the next try."""

    def __init__(self, retry_after: int = 5) -> None:
        super().__init__(retry_after=retry_after)
        self.retry_seconds = retry_after
