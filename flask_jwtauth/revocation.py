"""Ending sessions before they expire, without giving up stateless verification.

A JWT session cannot be called back once issued ("not possible", say Auth.js's docs). With a
store it can: a revoked session id, or a per-user not-before time (every session that
started earlier is dead: "sign out everywhere"). Entries live as long as a copy of a revoked
cookie could still be valid (the token's maximum lifetime), so they never grow without
bound.

Each process keeps the live revocations in memory (:mod:`.revocation_feed`), in step with
the store's change feed: a request's check is two dict lookups, and the store is read at
most every ``JWTAUTH_REVOCATION_SYNC`` seconds per process (one command, whatever the
number of sessions). A revocation made here is in the list at once; one made on another
process is read within that interval. When the feed cannot be read, the list is trusted for
twice the interval after its last good read; past that, the check raises
:class:`~flask_jwtauth.stores.StoreUnavailable` (503, or let through with
``JWTAUTH_STORE_FAIL_OPEN``) until a read succeeds again.

The session id is our own ``sid`` claim, minted at sign-in and kept by every re-issue, ours
and Auth.js's (Auth.js replaces ``jti`` each time it encodes, but keeps unknown claims).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from .claims import Claims
from .revocation_feed import LOG, Entry, Feed, RevokedList, encode
from .stores import Store, StoreUnavailable

#: How often each process reads the feed by default (``JWTAUTH_REVOCATION_SYNC``).
SYNC_SECONDS = 0.5


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
        *,
        sync: float = SYNC_SECONDS,
    ) -> None:
        self.store = store
        #: Revocations are written to ``store``, read there and in ``earlier``: the same
        #: store under the prefixes of the app's older secrets, so a rotation of
        #: JWTAUTH_SECRET (whose first secret names the default prefix) forgets none.
        self.feed = Feed((store, *earlier))
        #: The app's clock: entries expire by it, and a read is also due once it has moved
        #: on by the interval (a test moving time), not only after real time.
        self.clock = clock
        self.sync = sync
        #: How long the list is trusted after its last good read of the feed.
        self.bound = 2 * sync
        self.list = RevokedList()
        self._ttl = float(max(lifetime, 1))
        self._lock = threading.Lock()
        self._loaded = False
        self._down: str | None = None  # why the feed could not be read, past the bound
        self._next = 0.0  # time.monotonic() of the next read
        self._tried_at = 0.0  # the app's clock at the last read
        self._fresh = (0.0, 0.0)  # monotonic and app time of the last good read

    def revoked(self, claims: Claims) -> bool:
        """Two lookups in this process's list; the feed is read first when it is due."""
        now = self.clock()
        if time.monotonic() >= self._next or not 0 <= now - self._tried_at < self.sync:
            self._read(now)
        elif self._down is not None:
            raise StoreUnavailable(self._down)
        held = self.list
        sid = session_id(claims)
        if sid is not None:
            expires = held.sessions.get(sid)
            if expires is not None and expires > now:
                return True
        sub = claims.get("sub")
        found = held.users.get(sub) if isinstance(sub, str) else None
        if found is None or found[1] <= now:
            return False
        # A session with no sign-in time (minted by an Auth.js peer, which moves ``iat`` at
        # every read) cannot show it started after the revocation: refused while it lives.
        started = claims.get("auth_time")
        return not isinstance(started, (int, float)) or started <= found[0]

    def _read(self, now: float) -> None:
        """Read the feed on; a thread that finds another reading goes on with the list as
        it is (unless there is none yet, or it is too old)."""
        if not self._lock.acquire(blocking=not self._loaded):
            self._check_fresh(now)
            return
        try:
            mono = time.monotonic()
            self._tried_at = now
            try:
                entries = self.feed.read()
            except StoreUnavailable as exc:
                self._failed(str(exc), mono, now)
                return
            for entry in entries:
                self.list.add(entry)
            self.list.prune(now)
            self._loaded = True
            self._down = None
            self._fresh = (mono, now)
            self._next = mono + self.sync
        finally:
            self._lock.release()

    def _age(self, mono: float, now: float) -> float:
        """Since the last good read, by real time or by the app's clock, whichever moved
        more."""
        return max(mono - self._fresh[0], now - self._fresh[1])

    def _failed(self, why: str, mono: float, now: float) -> None:
        if not self._loaded or self._age(mono, now) >= self.bound:
            self._down = why
            self._next = mono + self.sync  # try again at the usual pace, not per request
            raise StoreUnavailable(why)
        # Still within the bound: try again by the time it runs out.
        self._next = min(mono + self.sync, self._fresh[0] + self.bound)

    def _check_fresh(self, now: float) -> None:
        if self._down is not None:
            raise StoreUnavailable(self._down)
        if self._age(time.monotonic(), now) >= self.bound:
            raise StoreUnavailable("the revocation feed is being read")

    def revoke_session(self, sid: str) -> None:
        self._revoke(Entry("sid", sid, 0.0, self.clock() + self._ttl))

    def revoke_user(self, sub: str, at: float) -> None:
        """Every session of ``sub`` that started at ``at`` or before (``auth_time`` has
        milliseconds) is dead, and every one with no ``auth_time`` while the entry lives."""
        self._revoke(Entry("user", sub, float(at), self.clock() + self._ttl))

    def _revoke(self, entry: Entry) -> None:
        """Into the store's feed, then into this process's list at once (no read in flight
        can take it out: entries are only added), and the feed is read on at the next
        request."""
        self.store.append(LOG, encode(entry), self._ttl)
        self.list.add(entry)
        self._next = 0.0
