"""One call for an event that is both logged and signalled (a sign-in failed, a user signed
in or out, a session was updated...): the log record (:mod:`log`, with its stable code) and
the blinker signal (:mod:`signals`) always go out together, with the same facts.

The record's metadata is given apart from the signal's arguments because they differ on
purpose: a signal hands receivers the objects (``user``, ``token``), a log record only codes,
ids and reasons (never a token: see :mod:`log`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blinker import NamedSignal

from . import log, signals


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
    log.event(code, message, stacklevel=3, **(dict(sent) if logged is None else dict(logged)))
    signals.send(signal, **sent)
