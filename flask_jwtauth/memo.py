"""A bounded memo of verified tokens, so that a cookie is decrypted once, not per request."""

from __future__ import annotations

import contextlib
from collections import OrderedDict

from .claims import Claims


class Memo:
    """Verified claims by exact cookie string, bounded, oldest entry evicted first.

    The claims it holds are shared by every request with that cookie: nothing handed to app
    code may be one of them (see :func:`flask_jwtauth.claims.own_copy`).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[str, Claims] = OrderedDict()

    def get(self, key: str) -> Claims | None:
        return self._data.get(key)

    def put(self, key: str, claims: Claims) -> None:
        if self._size == 0:
            return
        data = self._data
        if len(data) >= self._size:
            # Another thread may evict at the same moment; losing that race is harmless.
            with contextlib.suppress(KeyError):
                data.popitem(last=False)
        data[key] = claims

    def __len__(self) -> int:
        return len(self._data)
