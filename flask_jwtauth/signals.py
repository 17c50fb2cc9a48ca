"""Blinker signals, sent with the app as sender, as Flask and Flask-Login send theirs.

Connect with ``user_signed_in.connect_via(app)``; a signal without receivers costs next to
nothing, so they are safe to send from the request path.
"""

from __future__ import annotations

from typing import Any

from blinker import NamedSignal, Namespace
from flask import current_app

_signals = Namespace()

#: After a successful sign-in; kwargs ``user``, ``account``, ``token``.
user_signed_in = _signals.signal("user-signed-in")
#: After sign-out; kwarg ``token`` (the session that ended, or None).
user_signed_out = _signals.signal("user-signed-out")
#: A sign-in attempt failed; kwargs ``provider``, ``error`` (a NextAuth error code).
sign_in_failed = _signals.signal("sign-in-failed")
#: Sign-in attempts were refused for too many failures (alerting); kwargs ``account``
#: (a digest, never the name), ``address``.
sign_in_throttled = _signals.signal("sign-in-throttled")
#: A request came with a revoked session; kwarg ``token`` (its claims).
session_revoked = _signals.signal("session-revoked")
#: The session was changed through ``POST /auth/session``; kwarg ``token``.
session_updated = _signals.signal("session-updated")
#: The cookie was re-issued with a fresh expiry (rolling session); kwarg ``token``.
session_refreshed = _signals.signal("session-refreshed")
#: A request came with an expired session; kwarg ``token`` (its claims).
session_expired = _signals.signal("session-expired")
#: The upstream access token was renewed by this process; kwarg ``provider``.
upstream_refreshed = _signals.signal("upstream-refreshed")
#: Renewing it failed; kwargs ``provider``, ``permanent`` (True: refused, the session ends;
#: False: the upstream did not answer, the session is kept and the request answered 503).
upstream_refresh_failed = _signals.signal("upstream-refresh-failed")


def send(signal: NamedSignal, **kwargs: Any) -> None:
    """Send with the real app object as sender, so ``connect_via(app)`` receivers match."""
    if signal.receivers:
        signal.send(current_app._get_current_object(), **kwargs)  # type: ignore[attr-defined]
