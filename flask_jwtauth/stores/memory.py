"""One process's store: for tests and single-process apps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

Clock = Callable[[], float]


class MemoryStore:
    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or time.time
        self._data: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._writes = 0

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

    def _put(self, key: str, value: str, ttl: float, now: float) -> None:
        self._data[key] = (value, now + ttl)
        self._writes += 1
        if self._writes % 1000 == 0:
            for stale in [k for k, (_, at) in self._data.items() if at <= now]:
                del self._data[stale]

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

    def close(self) -> None:
        with self._lock:
            self._data.clear()
