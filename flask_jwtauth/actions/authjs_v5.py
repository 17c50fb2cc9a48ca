"""Auth.js v5's answers where they are not v4's (``JWTAUTH_AUTHJS_VERSION = 5``).

v5's ``next-auth/react`` (next-auth@5, on ``@auth/core``) asks for ``{"url"}`` with the
``X-Auth-Return-Redirect`` header instead of v4's ``json=true`` field (``wants_json`` reads
both), and is told every failure with 200, in v5's error URLs: ``/signin?error=MissingCSRF``,
``/signin?error=CredentialsSignin&code=credentials``, ``/error?error=Configuration`` (v5's word
for anything it does not tell a client). No session is ``null`` (v5's client reads ``{}`` as
signed in), a body it cannot parse and a request it cannot route are 400 ``"Bad request."``.

Checked answer for answer against npm @auth/core@0.41.3's own ``Auth()`` by
``tests/test_authjs_parity.py``; where ours differs on purpose, docs/guides/nextjs.md says
why. v4's and v5's session reads are the same request, so which answers is a setting.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Response, jsonify, request

from ..answers import Answer
from ..errors import ErrorCode
from ..headers import private

#: v5's actions (``isAuthAction``): a request for another is 400 before anything runs.
ACTIONS = frozenset(
    {
        "providers",
        "session",
        "csrf",
        "signin",
        "signout",
        "callback",
        "verify-request",
        "error",
        "webauthn-options",
    }
)

#: Our failure codes as v5's error types, and whether v5 sends that kind to its sign-in
#: page (``SignInError``) rather than its error page. Codes v5 does not tell a client
#: become ``Configuration``, as in v5; ours alone (a throttle's 429, a 503) keep their own.
_TYPES: dict[ErrorCode, tuple[str, bool]] = {
    ErrorCode.CREDENTIALS_SIGNIN: ("CredentialsSignin", True),
    ErrorCode.CSRF: ("MissingCSRF", True),
    ErrorCode.OAUTH_CALLBACK_ERROR: ("OAuthCallbackError", True),
    ErrorCode.ACCESS_DENIED: ("AccessDenied", False),
    ErrorCode.OAUTH_SIGNIN: ("Configuration", False),
    ErrorCode.EMAIL_SIGNIN: ("Configuration", False),
    ErrorCode.CONFIGURATION: ("Configuration", False),
    ErrorCode.DEFAULT: ("Configuration", False),
}

#: v5's error page status by code; any other is 200. ``Configuration`` is 500 in v5: ours
#: stays 200, as a query string alone never makes a 5xx (the guide).
ERROR_PAGE_STATUS = {"AccessDenied": 403, "Verification": 403}


def error_url(api_url: str, code: ErrorCode, reason: str | None = None) -> str:
    """Where v5 tells its client to go after a failure."""
    kind, sign_in = _TYPES.get(code, (code.value, False))
    params = {"error": kind}
    if code is ErrorCode.CREDENTIALS_SIGNIN:
        params["code"] = reason or "credentials"
    return f"{api_url}/{'signin' if sign_in else 'error'}?{urlencode(params)}"


def failure(answer: Answer, api_url: str) -> tuple[str, int]:
    """(the URL, the status) v5 answers a failed sign-in or sign-out with: always 200 for
    its own error types; ours alone keep their status (a throttle's 429)."""
    assert answer.code is not None
    status = 200 if answer.code in _TYPES else answer.status
    return error_url(api_url, answer.code, answer.reason), status


def unparseable() -> bool:
    """A JSON body v5 cannot parse (it answers 400 ``"Bad request."`` before any action)."""
    if not request.is_json:
        return False
    raw = request.get_data(cache=True)
    if not raw:
        return False
    try:
        json.loads(raw)
    except (ValueError, RecursionError):
        return True
    return False


def bad_request() -> Response:
    """v5's answer to a request it cannot read or route: 400, the JSON string."""
    response = jsonify("Bad request.")
    response.status_code = 400
    return private(response)


def null(status: int = 200) -> Response:
    """No session, a refused update: JSON ``null``, as v5."""
    response = jsonify(None)
    response.status_code = status
    return private(response)


def oauth_callback_url(api_url: str) -> str:
    """Where v5 sends the browser after a failed OAuth callback on its route: v5 checks the
    state first, and ours is never sent there (the transaction cookie belongs to our own
    ``/auth/callback/<id>``, the redirect URI), so every failure is v5's failed check,
    ``Configuration``."""
    return error_url(api_url, ErrorCode.CONFIGURATION)
