"""next-auth v4's answers where they are not ours: the session's default shape, the URL a
refused form post is told to go to, the error page's status, an unsupported request.

Checked answer for answer against next-auth@4.24.15's own handler by
``tests/test_authjs_parity.py``; where ours differs on purpose, docs/guides/nextjs.md says
why.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, request

from ..callbacks import default_session
from ..errors import ErrorCode
from ..headers import private
from ..providers.base import Provider
from ..state import ext
from .dispatch import MalformedBody, submitted

#: The failures v4's ``/error`` route sends to its sign-in page (``?error=<code>``) rather
#: than showing the error page.
SIGN_IN_ERRORS = frozenset(
    {
        "Signin",
        "OAuthSignin",
        "OAuthCallback",
        "OAuthCreateAccount",
        "EmailCreateAccount",
        "Callback",
        "OAuthAccountNotLinked",
        "EmailSignin",
        "CredentialsSignin",
        "SessionRequired",
    }
)

#: v4's error page status by code (lowercased); any other code is 200. ``configuration``
#: is 500 in v4: ours stays 200, as a query string alone never makes a 5xx (the guide).
ERROR_PAGE_STATUS = {"accessdenied": 403, "verification": 403}

#: v4's error for a failed OAuth callback: ``OAuthCallback`` for a check that failed (state,
#: PKCE, the token exchange), ``Callback`` for anything else (the provider's own ``error``).
_CALLBACK_ERRORS = {
    ErrorCode.OAUTH_CALLBACK_ERROR: "OAuthCallback",
    ErrorCode.ACCESS_DENIED: "AccessDenied",
}

#: Our ``expires``: ISO 8601 in UTC, in seconds or with microseconds (Python's isoformat).
_OURS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$")


def session(found: dict[str, Any]) -> dict[str, Any]:
    """The session as v4 answers it. With no session callback of the app's, v4's default:
    ``user`` is ``{name, email, image}`` with the missing ones left out (no ``id``, no
    ``roles``: our ``/auth/session`` keeps them, and an app's session callback may add
    them here too, as in v4). ``expires`` carries milliseconds, as JavaScript's
    ``toISOString()`` writes it."""
    out = dict(found)
    user = out.get("user")
    if ext().callbacks.session is default_session and isinstance(user, dict):
        out["user"] = {k: user[k] for k in ("name", "email", "image") if user.get(k) is not None}
    expires = out.get("expires")
    match = _OURS.match(expires) if isinstance(expires, str) else None
    if match:
        out["expires"] = f"{match.group(1)}.{(match.group(2) or '').ljust(3, '0')[:3]}Z"
    return out


def csrf_ok() -> bool:
    """Did the form post carry this browser's CSRF token? v4 checks it on every post that
    changes something, session or not (ours lets a sign-out without a session through)."""
    try:
        fields = submitted()
    except MalformedBody:
        return False
    return ext().csrf.check(fields.get("csrf_token"))


def unsupported(rest: str = "") -> Response:
    """v4's answer to a route or method it does not have: 400 with a line of text (as
    ``text/plain``: v4 sends no media type, which a browser would sniff)."""
    text = f"Error: This action with HTTP {request.method} is not supported."
    return private(Response(text, status=400, mimetype="text/plain"))


def client_log() -> Response:
    """``POST /_log``: next-auth's client reports its own errors here; nothing is kept (and
    never trusted enough to log). 200 with an empty body, no media type, as v4."""
    response = private(Response(status=200))
    del response.headers["Content-Type"]
    return response


def provider_type(provider: Provider) -> str:
    """v4's ``type`` in ``/providers``: it has no ``oidc``, an OpenID provider is ``oauth``."""
    return "oauth" if provider.type == "oidc" else provider.type


def oauth_callback_url(api_url: str, code: ErrorCode) -> str:
    """Where v4 sends the browser after a failed OAuth callback (its ``/error`` route,
    which sends the sign-in errors on to its sign-in page)."""
    return f"{api_url}/error?error={_CALLBACK_ERRORS.get(code, 'Callback')}"
