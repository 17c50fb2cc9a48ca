"""Logging with codes, in Auth.js's ``logger.error/warn/debug(code, metadata)`` vocabulary.

Every record of the ``flask_jwtauth`` logger carries a stable ``code`` attribute (see
:data:`CODES`) and a ``metadata`` dict, so a handler or filter can route them without parsing
text; the message reads ``[CODE] what happened (key=value ...)``. ``JWTAUTH_DEBUG = True``
(or the logger at DEBUG) gives one line per decision the extension takes on a request.

Never a secret, a token, a cookie value or a password: metadata holds codes, ids (``sub``,
``sid``), provider ids, paths and reasons written by this package, and a test feeds
recognisable secrets through every path and searches every record for them.

One record, one line: a reason can quote what a visitor sent (joserfc echoes a JWE header's
``alg`` into its error), so control characters and line separators in messages, metadata and
exception messages are written escaped (``\\n``, ``\\x85``, ``\\u2028``), and a visitor
cannot add a line that reads like another record.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Mapping
from types import TracebackType
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
    "REFRESH_UNANSWERED": logging.WARNING,
    "REFRESH_SHARED": logging.INFO,
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
    the record names the caller (2), or its caller (3, for :func:`events.emit`). The message
    and every metadata value are escaped (see :func:`escape`)."""
    level = CODES[code]
    if not logger.isEnabledFor(level):
        return
    metadata = {k: escape(v) if isinstance(v, str) else v for k, v in metadata.items()}
    details = " ".join(f"{k}={escape(str(v))}" for k, v in metadata.items() if v is not None)
    logger.log(
        level,
        "[%s] %s%s",
        code,
        escape(message),
        f" ({details})" if details else "",
        exc_info=exc_info,
        extra={"code": code, "metadata": metadata},
        stacklevel=stacklevel,
    )


# -- one record, one line ----------------------------------------------------------------------

#: C0 and C1 controls, DEL, and the Unicode line and paragraph separators: everything
#: ``str.splitlines``, a terminal or a log viewer may break a line at or act upon.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with its control characters and line separators written as ``repr`` writes
    them (``\\n``, ``\\x1b``, ``\\u2028``); anything else, quotes and backslashes included,
    as it is."""
    return _CONTROL.sub(_escaped, text)


_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def exception_text(exc_info: _ExcInfo) -> str:
    """The traceback :class:`logging.Formatter` would write, with each exception's message
    kept on its own line: its line breaks are escaped. The traceback's own lines (frames,
    source lines, "During handling...") are indented or fixed text. Notes an app adds to an
    exception (``add_note``) come one line each and are written as they are."""
    out: list[str] = []
    for chunk in traceback.TracebackException(*exc_info).format():
        start, end = len(chunk) - len(chunk.lstrip("\n")), len(chunk.rstrip("\n"))
        lines = chunk[start:end].split("\n")
        if all(line[:1].isspace() for line in lines):  # frames, exception groups
            body = "\n".join(escape(line) for line in lines)
        else:  # an exception's message (or a header line): one line
            body = escape(chunk[start:end])
        out.append(chunk[:start] + body + chunk[end:])
    return "".join(out).removesuffix("\n")


class _OneLine(logging.Filter):
    """On the package's logger: records that do not come through :func:`event` (an
    ``authorize()`` that raised) get their message escaped too, and every record with an
    exception gets its traceback text (``exc_text``) written by :func:`exception_text`, which
    :class:`logging.Formatter` uses as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _CONTROL.search(message):
            record.msg, record.args = escape(message), ()
        info = record.exc_info
        if info and info[0] is not None and info[1] is not None and not record.exc_text:
            record.exc_text = exception_text((info[0], info[1], info[2]))
        return True


logger.addFilter(_OneLine())


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
