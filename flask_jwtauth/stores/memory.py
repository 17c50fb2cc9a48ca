"""One process's store: for tests and single-process apps.

Bounded: at most ``max_entries`` keys (``JWTAUTH_STORE_MEMORY_MAX_ENTRIES``). Expired
entries are swept as writes go on (a full pass once per half the store's size in writes, so
the cost per write stays constant); when the store is full, expired entries go first, then
the oldest tenth. A flood of failed sign-ins from ever new addresses then costs a bounded
amount of memory (about 200 bytes an entry), at the price of forgetting the oldest counts:
apps that need exact counts under such a flood share a SQLite or Redis store.
"""

from __future__ import annotations

import bisect
import itertools
import threading
import time
from collections.abc import Callable, Sequence

Clock = Callable[[], float]

DEFAULT_MAX_ENTRIES = 100_000
_SWEEP_AT_LEAST = 1000


class MemoryStore:
    def __init__(
        self, clock: Clock | None = None, *, max_entries: int = DEFAULT_MAX_ENTRIES
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._clock = clock or time.time
        #: key -> (value, expiry), in insertion order: the first is the oldest.
        self._data: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._max = max_entries
        self._since_sweep = 0
        #: Change feeds: log -> [(sequence number, expiry, entry)], oldest first.
        self._logs: dict[str, list[tuple[int, float, str]]] = {}
        self._sequence = 0

    def __len__(self) -> int:
        return len(self._data)

    def _live(self, key: str, now: float) -> str | None:
        found = self._data.get(key)
        if found is None:
            return None
        if found[1] <= now:
            del self._data[key]
            return None
        return found[0]

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key, self._clock())

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        with self._lock:
            now = self._clock()
            return [self._live(key, now) for key in keys]

    def _sweep(self, now: float) -> None:
        for stale in [k for k, (_, at) in self._data.items() if at <= now]:
            del self._data[stale]
        self._since_sweep = 0

    def _put(self, key: str, value: str, ttl: float, now: float) -> None:
        data = self._data
        if key not in data:
            self._since_sweep += 1
            if self._since_sweep >= max(_SWEEP_AT_LEAST, len(data) // 2):
                self._sweep(now)
            if len(data) >= self._max:
                self._sweep(now)
                if len(data) >= self._max:
                    # Full of live entries: the oldest tenth goes, in one pass.
                    drop = max(1, self._max // 10)
                    for old in list(itertools.islice(data, drop)):
                        del data[old]
        else:
            del data[key]  # a rewrite is the newest entry again
        data[key] = (value, now + ttl)

    def set(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            self._put(key, value, ttl, self._clock())

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def add(self, key: str, value: str, ttl: float) -> bool:
        with self._lock:
            now = self._clock()
            if self._live(key, now) is not None:
                return False
            self._put(key, value, ttl, now)
            return True

    def incr(self, key: str, ttl: float) -> int:
        with self._lock:
            now = self._clock()
            found = self._live(key, now)
            if found is None:
                self._put(key, "1", ttl, now)
                return 1
            count = int(found) + 1
            self._data[key] = (str(count), self._data[key][1])
            return count

    def append(self, log: str, entry: str, ttl: float) -> None:
        with self._lock:
            now = self._clock()
            entries = self._logs.setdefault(log, [])
            drop = 0
            while drop < len(entries) and entries[drop][1] <= now:
                drop += 1
            del entries[:drop]
            self._sequence += 1
            entries.append((self._sequence, now + ttl, entry))

    def since(self, log: str, cursor: str | None) -> tuple[list[str], str]:
        with self._lock:
            entries = self._logs.get(log, [])
            if cursor is None:
                now = self._clock()
                found = [e for _, expires, e in entries if expires > now]
            else:
                after = int(cursor)
                # Sequence numbers only grow: the new entries are a tail of the list.
                start = bisect.bisect_right(entries, after, key=lambda item: item[0])
                found = [e for _, _, e in entries[start:]]
            return found, str(self._sequence)

    def close(self) -> None:
        with self._lock:
            self._data.clear()
            self._logs.clear()
