"""Error codes in NextAuth's vocabulary, with the words and status each one is shown with,
and the base class of the package's exceptions."""

from __future__ import annotations

import enum

from werkzeug.exceptions import ServiceUnavailable


class ErrorCode(str, enum.Enum):
    """Auth.js's error codes, as they appear in answers: ``?error=<code>`` on a page, the
    ``error`` of a JSON answer, the ``error`` of the ``sign_in_failed`` signal and of the
    ``unauthorized_handler``/``forbidden_handler``.

    Each member *is* its string (``ErrorCode.CSRF == "CSRF"``, ``str()`` and f-strings give
    the bare value), so code comparing with the strings keeps working."""

    CREDENTIALS_SIGNIN = "CredentialsSignin"
    ACCESS_DENIED = "AccessDenied"
    #: The user said no at the provider (OAuth ``error=access_denied`` on the callback):
    #: their own choice, shown on the sign-in page, not a 403. Auth.js has no code of its
    #: own for it; its routes answer ``AccessDenied``.
    SIGN_IN_CANCELLED = "SignInCancelled"
    SESSION_REQUIRED = "SessionRequired"
    SESSION_EXPIRED = "SessionExpired"
    SESSION_REVOKED = "SessionRevoked"
    REFRESH_ACCESS_TOKEN_ERROR = "RefreshAccessTokenError"
    CONFIGURATION = "Configuration"
    OAUTH_SIGNIN = "OAuthSignin"
    OAUTH_CALLBACK_ERROR = "OAuthCallbackError"
    CSRF = "CSRF"
    BAD_REQUEST = "BadRequest"
    TOO_MANY_REQUESTS = "TooManyRequests"
    EMAIL_SIGNIN = "EmailSignin"
    VERIFICATION = "Verification"
    SERVICE_UNAVAILABLE = "ServiceUnavailable"
    DEFAULT = "Default"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return self.value.__format__(spec)


E = ErrorCode

MESSAGES: dict[str, tuple[int, str]] = {
    E.CREDENTIALS_SIGNIN: (401, "Sign in failed. Check the details you provided are correct."),
    E.ACCESS_DENIED: (403, "You do not have permission to do that."),
    E.SIGN_IN_CANCELLED: (
        403,
        "Sign-in was cancelled. You can try again, or choose another way to sign in.",
    ),
    E.SESSION_REQUIRED: (401, "Please sign in to access this page."),
    E.SESSION_EXPIRED: (401, "Your session has expired, please sign in again."),
    E.SESSION_REVOKED: (401, "Your session was ended, please sign in again."),
    E.REFRESH_ACCESS_TOKEN_ERROR: (
        401,
        "Your session could not be renewed, please sign in again.",
    ),
    E.CONFIGURATION: (500, "There is a problem with the server configuration."),
    E.OAUTH_SIGNIN: (400, "Could not start signing in with that provider. Try again."),
    E.OAUTH_CALLBACK_ERROR: (400, "Signing in with that provider did not complete. Try again."),
    E.CSRF: (400, "The form has expired or is invalid. Please try again."),
    E.BAD_REQUEST: (400, "The request was malformed."),
    E.TOO_MANY_REQUESTS: (429, "Too many failed attempts. Please wait a while and try again."),
    E.EMAIL_SIGNIN: (400, "The sign-in email could not be sent. Check the address and try again."),
    E.VERIFICATION: (
        403,
        "The sign-in link is no longer valid. It may have been used already or it may have "
        "expired: ask for a new one.",
    ),
    E.SERVICE_UNAVAILABLE: (
        503,
        "The service is unavailable right now. Please try again shortly.",
    ),
    E.DEFAULT: (400, "Unable to sign in."),
}


def known(code: str | None) -> ErrorCode:
    """``code`` as a member (unknown codes, such as a query string's, become ``Default``)."""
    try:
        return ErrorCode(code)
    except ValueError:
        return ErrorCode.DEFAULT


def describe(code: str | None) -> tuple[ErrorCode, int, str]:
    """The code (unknown codes become ``Default``), its HTTP status, and its message."""
    member = known(code)
    status, message = MESSAGES[member]
    return member, status, message


#: What an API client is told: no pages to speak of.
API_MESSAGES: dict[str, str] = {
    E.SESSION_REQUIRED: "Authentication required: sign in, then send the session cookie.",
    E.SESSION_EXPIRED: "The session has expired: sign in again.",
    E.SESSION_REVOKED: "The session was ended: sign in again.",
    E.ACCESS_DENIED: "The signed-in user is not allowed to do that.",
}


def describe_api(code: str | None) -> tuple[ErrorCode, int, str]:
    """:func:`describe`, worded for an API client."""
    member, status, message = describe(code)
    return member, status, API_MESSAGES.get(member, message)


#: Why a session ended without the user signing out: shown when they are sent to sign in.
SESSION_ENDED = frozenset({E.SESSION_EXPIRED, E.SESSION_REVOKED, E.REFRESH_ACCESS_TOKEN_ERROR})


class JWTAuthError(Exception):
    """The base of the package's exceptions. ``error`` is the :class:`ErrorCode` the failure
    is answered with when it reaches an HTTP answer.

    Named ``error``, as everywhere else in the package's answers, and not ``code``: on
    :class:`~flask_jwtauth.CredentialsSignin` ``code`` is the app's own reason (Auth.js's
    ``CredentialsSignin.code``), and on :class:`SessionUnavailable`, a Werkzeug HTTP
    exception, ``code`` is the HTTP status Flask dispatches on."""

    error: ErrorCode = ErrorCode.DEFAULT


class SessionUnavailable(JWTAuthError, ServiceUnavailable):
    """The session cannot be vouched for right now (the upstream cannot renew its access
    token, the store cannot say whether it was revoked): the extension answers it with 503
    and ``Retry-After``, as JSON or as a page; the cookie is kept for the next try."""

    error = ErrorCode.SERVICE_UNAVAILABLE

    def __init__(self, retry_after: int = 5) -> None:
        ServiceUnavailable.__init__(self, retry_after=retry_after)
        self.retry_seconds = retry_after
