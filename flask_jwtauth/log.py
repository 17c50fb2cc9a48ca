"""Logging with codes, in Auth.js's ``logger.error/warn/debug(code, metadata)`` vocabulary.

Every record of the ``flask_jwtauth`` logger carries a stable ``code`` attribute (see
:data:`CODES`) and a ``metadata`` dict, so a handler or filter can route them without parsing
text; the message reads ``[CODE] what happened (key=value ...)``. ``JWTAUTH_DEBUG = True``
(or the logger at DEBUG) gives one line per decision the extension takes on a request.

Never a secret, a token, a cookie value or a password: metadata holds codes, ids (``sub``,
``sid``), provider ids, paths and reasons written by this package, and a test feeds
recognisable secrets through every path and searches every record for them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from blinker import NamedSignal

from . import signals

logger = logging.getLogger("flask_jwtauth")

#: Every code, with the level it is logged at.
CODES: dict[str, int] = {
    # the session, on each request
    "SESSION_NONE": logging.DEBUG,
    "SESSION_INVALID": logging.DEBUG,
    "SESSION_EXPIRED": logging.DEBUG,
    "SESSION_NOT_YET_VALID": logging.DEBUG,
    "SESSION_REVOKED": logging.INFO,
    "SESSION_ROLLED": logging.DEBUG,
    "SESSION_ENDED": logging.INFO,
    "SESSION_CALLBACK_ERROR": logging.ERROR,
    "JWT_CALLBACK_ERROR": logging.ERROR,
    "V4_SESSION_ADOPTED": logging.INFO,
    "V4_SESSION_IGNORED": logging.DEBUG,
    # upstream tokens
    "TOKENS_REFRESHED": logging.INFO,
    "TOKENS_DROPPED": logging.INFO,
    "TOKENS_EXPIRED": logging.INFO,
    "REFRESH_REFUSED": logging.INFO,
    "REFRESH_UNAVAILABLE": logging.WARNING,
    "REFRESH_ERROR": logging.ERROR,
    # sign-in and sign-out
    "SIGNED_IN": logging.INFO,
    "SIGN_IN_FAILED": logging.INFO,
    "SIGN_IN_ERROR": logging.ERROR,
    "SIGN_IN_THROTTLED": logging.WARNING,
    "SIGNED_OUT": logging.INFO,
    "CSRF_FAILED": logging.INFO,
    "OAUTH_TRANSACTION_INVALID": logging.INFO,
    "REDIRECT_CALLBACK_ERROR": logging.ERROR,
    "USER_WITHOUT_ID": logging.WARNING,
    # guards
    "ACCESS_DENIED": logging.DEBUG,
    # the store
    "STORE_UNAVAILABLE": logging.WARNING,
    # start-up
    "CONFIG_WARNING": logging.WARNING,
}


def event(
    code: str, message: str, *, exc_info: bool = False, stacklevel: int = 2, **metadata: Any
) -> None:
    """Log ``code`` at its level, when that level is on. ``stacklevel`` as :mod:`logging`'s:
    the record names the caller (2), or its caller (3, for :func:`events.emit`)."""
    level = CODES[code]
    if not logger.isEnabledFor(level):
        return
    details = " ".join(f"{k}={v}" for k, v in metadata.items() if v is not None)
    logger.log(
        level,
        "[%s] %s%s",
        code,
        message,
        f" ({details})" if details else "",
        exc_info=exc_info,
        extra={"code": code, "metadata": metadata},
        stacklevel=stacklevel,
    )


def enable_debug() -> None:
    """``JWTAUTH_DEBUG``: the decisions at DEBUG, on stderr unless the app routes them."""
    logger.setLevel(logging.DEBUG)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)


# -- events that are logged and signalled ----------------------------------------------------
#
# One call for an event that is both logged and signalled (a sign-in failed, a user signed
# in or out, a session expired...): the record and the blinker signal always go out together,
# with the same facts. The record's metadata is given apart from the signal's arguments on
# purpose: a signal hands receivers the objects (``user``, ``token``), a record only codes,
# ids and reasons (never a token).


def emit(
    code: str,
    message: str,
    signal: NamedSignal,
    *,
    logged: Mapping[str, Any] | None = None,
    **sent: Any,
) -> None:
    """Log ``code`` with ``message`` (metadata ``logged``; by default what the signal
    carries), then send ``signal`` with ``sent`` (the app as sender)."""
    event(code, message, stacklevel=3, **(dict(sent) if logged is None else dict(logged)))
    signals.send(signal, **sent)
