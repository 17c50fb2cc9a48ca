"""The app's one clock.

Everything that needs the time (sessions, the stores, throttling, revocation, refresh, OAuth
transactions) holds the same :class:`Clock` of its app and asks it, so a test that moves
time moves all of it at once (:func:`flask_jwtauth.use_clock`), never some parts and not
others.
"""

from __future__ import annotations

import time
from collections.abc import Callable

TimeSource = Callable[[], float]


class Clock:
    """Seconds since the epoch from ``source``; the source can be swapped for all holders."""

    __slots__ = ("source",)

    def __init__(self, source: TimeSource = time.time) -> None:
        self.source = source

    def __call__(self) -> float:
        return self.source()


def stamp(now: float) -> int | float:
    """A JSON numeric date to the millisecond (RFC 7519 allows fractions): a 10-second
    session lasts 10 s whatever the fraction of the second it starts in, and a sign-in just
    after a "sign out everywhere" is not taken for one before it. Whole seconds stay ints,
    so tokens minted on a whole second read as before. Never later than ``now``: a token
    is not issued in the future of the clock that issued it."""
    rounded = round(float(now), 3)
    if rounded > now:
        rounded = round(rounded - 0.001, 3)
    return int(rounded) if rounded.is_integer() else rounded
