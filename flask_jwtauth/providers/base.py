"""What every provider has: an id (its URL segment), a display name and a type."""

from __future__ import annotations

import re
from typing import ClassVar

_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")


class Provider:
    type: ClassVar[str] = "custom"

    def __init__(self, id: str, name: str) -> None:
        if not _ID.fullmatch(id):
            raise ValueError(f"provider id {id!r}: use lowercase letters, digits, '-' and '_'")
        self.id = id
        self.name = name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"
