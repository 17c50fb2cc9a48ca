"""The revocations as a change feed of the store, and the list each process keeps of them.

Every revocation is one entry appended to the store's feed (``revocations``, under the
app's key prefix): a Redis stream, rows of an SQLite table with an increasing id, a list in
a memory store. Each process reads the feed on from where it last stopped and keeps what it
read in :class:`RevokedList`, two dicts: the request's check is then a lookup in memory.

An entry carries its own expiry (the app's clock at the revocation plus the token's maximum
lifetime): past it, no copy of a revoked cookie can be valid, so the entry is dropped from
the list, and the store drops it from the feed. The list holds the revocations of the last
lifetime, whatever the number of sessions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import NamedTuple

from .stores import Store

#: The feed's name, under the app's key prefix.
LOG = "revocations"


class Entry(NamedTuple):
    #: ``sid``: one session; ``user``: every session of ``ident`` started at or before
    #: ``not_before``.
    kind: str
    ident: str
    not_before: float
    expires: float


def encode(entry: Entry) -> str:
    return json.dumps([entry.kind, entry.ident, entry.not_before, entry.expires])


def decode(raw: str) -> Entry | None:
    """None for what is not an entry (another version's, a damaged one). A user's
    not-before time that is not a number revokes all their sessions, as it always did."""
    try:
        kind, ident, not_before, expires = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if kind not in ("sid", "user") or not isinstance(ident, str):
        return None
    if not isinstance(expires, (int, float)) or isinstance(expires, bool):
        return None
    if not isinstance(not_before, (int, float)) or isinstance(not_before, bool):
        not_before = math.inf
    return Entry(kind, ident, float(not_before), float(expires))


class Feed:
    """The feed of the store and of its ``earlier`` views (the same store under the older
    secrets' prefixes during a rotation), each read on from its own cursor."""

    def __init__(self, views: Sequence[Store]) -> None:
        self.views = tuple(views)
        self._cursors: list[str | None] = [None] * len(self.views)

    def read(self) -> list[Entry]:
        """What was appended since the last read; at the first, every live entry. A view
        that cannot be read raises :class:`~flask_jwtauth.stores.StoreUnavailable`, and no
        cursor moves (what was read is read again next time: merging is idempotent)."""
        cursors = list(self._cursors)
        found: list[Entry] = []
        for index, view in enumerate(self.views):
            raw, cursors[index] = view.since(LOG, cursors[index])
            found.extend(entry for entry in map(decode, raw) if entry is not None)
        self._cursors = cursors
        return found


class RevokedList:
    """One process's copy of the live revocations: session id -> expiry, and user ->
    (not-before time, expiry). Readers use the dicts without a lock: entries are only
    added (a dict assignment is atomic) or dropped by swapping in a new dict."""

    def __init__(self) -> None:
        self.sessions: dict[str, float] = {}
        self.users: dict[str, tuple[float, float]] = {}

    def __len__(self) -> int:
        return len(self.sessions) + len(self.users)

    def add(self, entry: Entry) -> None:
        if entry.kind == "sid":
            self.sessions[entry.ident] = max(entry.expires, self.sessions.get(entry.ident, 0.0))
            return
        held = self.users.get(entry.ident)
        if held is None:
            self.users[entry.ident] = (entry.not_before, entry.expires)
        else:  # the later of two "sign out everywhere" wins, and lives the longer
            self.users[entry.ident] = (
                max(held[0], entry.not_before),
                max(held[1], entry.expires),
            )

    def prune(self, now: float) -> None:
        """Forget the entries whose lifetime is over."""
        if any(expires <= now for expires in self.sessions.values()):
            self.sessions = {k: v for k, v in self.sessions.items() if v > now}
        if any(held[1] <= now for held in self.users.values()):
            self.users = {k: v for k, v in self.users.items() if v[1] > now}
