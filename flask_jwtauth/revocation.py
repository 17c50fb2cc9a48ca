"""Ending sessions before they expire, without giving up stateless verification.

A JWT session cannot be called back once issued ("not possible", say Auth.js's docs). With a
store it can: a revoked session id, or a per-user not-before time (every session that
started earlier is dead: "sign out everywhere"). Each request with a session makes one
lookup for both. Entries live as long as a copy of a revoked cookie could still be valid
(the token's maximum lifetime), so the store never grows without bound.

The session id is our own ``sid`` claim, minted at sign-in and kept by every re-issue, ours
and Auth.js's (Auth.js replaces ``jti`` each time it encodes, but keeps unknown claims).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from .claims import Claims
from .stores import Store

#: How long a verdict is reused in this process. A revocation made on another instance is
#: refused here within this bound; one made here is refused at once: the cache forgets what
#: it held, and a lookup that was in flight meanwhile does not put its stale verdict back.
CACHE_SECONDS = 0.5
_CACHE_SIZE = 4096


def session_id(claims: Claims) -> str | None:
    sid = claims.get("sid", claims.get("jti"))
    return sid if isinstance(sid, str) and sid else None


class Revocation:
    def __init__(
        self,
        store: Store,
        lifetime: int,
        clock: Callable[[], float],
        earlier: Sequence[Store] = (),
    ) -> None:
        self.store = store
        #: Revocations are written to ``store``, read there and in ``earlier``: the same
        #: store under the prefixes of the app's older secrets, so a rotation of
        #: JWTAUTH_SECRET (whose first secret names the default prefix) forgets none.
        self._stores = (store, *earlier)
        #: The app's clock: a verdict is also stale once it has moved on (a test's clock
        #: moved past a revocation's life), not only after real time.
        self.clock = clock
        self._ttl = float(max(lifetime, 1))
        self._cache: OrderedDict[tuple[object, ...], tuple[bool, float, float]] = OrderedDict()
        #: Moves at every local revocation: a verdict asked for before it is not cached.
        self._generation = 0
        self._lock = threading.Lock()

    def revoked(self, claims: Claims) -> bool:
        """At most one round trip (this session's id and its user's not-before time
        together), and none while a verdict under :data:`CACHE_SECONDS` old is at hand."""
        key = (session_id(claims), claims.get("sub"), claims.get("auth_time"))
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[1] > now and 0 <= self.clock() - cached[2] < CACHE_SECONDS:
            return cached[0]
        generation = self._generation
        verdict = self._ask(claims)
        with self._lock:
            if generation != self._generation:
                return verdict  # a revocation happened meanwhile: ask again next time
            if len(self._cache) >= _CACHE_SIZE:
                with contextlib.suppress(KeyError):
                    self._cache.popitem(last=False)
            self._cache[key] = (verdict, now + CACHE_SECONDS, self.clock())
        return verdict

    def _ask(self, claims: Claims) -> bool:
        """Revoked in the store, or in one of the ``earlier`` views of it (the key prefixes
        of the app's older secrets, while a rotation lists them)."""
        sid = session_id(claims)
        sub = claims.get("sub")
        keys = [f"revoked:sid:{sid}", f"revoked:user:{sub}"]
        return any(self._ask_one(store, claims, sid, keys) for store in self._stores)

    @staticmethod
    def _ask_one(store: Store, claims: Claims, sid: str | None, keys: list[str]) -> bool:
        by_sid, not_before = store.get_many(keys)
        if by_sid is not None and sid is not None:
            return True
        if not_before is None:
            return False
        # A session with no sign-in time (minted by an Auth.js peer, which moves ``iat`` at
        # every read) cannot show it started after the revocation: refused while it lives.
        started = claims.get("auth_time")
        try:
            return not isinstance(started, (int, float)) or started <= float(not_before)
        except ValueError:
            return True

    def revoke_session(self, sid: str) -> None:
        self.store.set(f"revoked:sid:{sid}", "1", self._ttl)
        self._forget()

    def revoke_user(self, sub: str, at: float) -> None:
        """Every session of ``sub`` that started at ``at`` or before (``auth_time`` has
        milliseconds) is dead, and every one with no ``auth_time`` while the entry lives."""
        self.store.set(f"revoked:user:{sub}", repr(float(at)), self._ttl)
        self._forget()

    def _forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._cache.clear()
