"""Path rules (``JWTAUTH_API_PATHS``, ``JWTAUTH_PUBLIC_PATHS``) that cannot backtrack.

Globs are matched segment by segment, never by one regular expression over the whole path,
so a hostile path cannot make a pattern with several stars cost seconds of CPU:

- ``*`` matches within one segment (never ``/``): ``/static/*.css``;
- ``**`` as a whole segment matches any number of segments, at most once per pattern:
  ``/docs/**/print``;
- a trailing ``/*`` means the prefix and everything under it, so ``/api/*`` covers
  ``/api``, ``/api/me`` and ``/api/v1/me`` (as it always has).

A compiled ``re.Pattern`` is used as it is (seed 000's matcher is a regex): its cost is the
app's to judge. Paths longer than :data:`MAX_PATH` characters match no rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_PATH = 2048


def _segment(pattern: str) -> re.Pattern[str] | str:
    """A literal segment stays a string; one with stars becomes a regex whose stars cannot
    backtrack into each other (each part is found with a lookahead, then consumed whole, as
    :func:`fnmatch.translate` does)."""
    if "*" not in pattern:
        return pattern
    parts = pattern.split("*")
    out = [r"\A", re.escape(parts[0])]
    for index, part in enumerate(parts[1:-1], start=1):
        if part:
            out.append(f"(?=(?P<g{index}>.*?{re.escape(part)}))(?P=g{index})")
    out.append(f".*{re.escape(parts[-1])}\\Z")
    return re.compile("".join(out), re.S)


def _matches(pattern: re.Pattern[str] | str, segment: str) -> bool:
    if isinstance(pattern, str):
        return pattern == segment
    return pattern.match(segment) is not None


@dataclass(frozen=True)
class Glob:
    prefix: tuple[re.Pattern[str] | str, ...]
    #: After the ``**``, or None when the pattern has none.
    suffix: tuple[re.Pattern[str] | str, ...] | None

    @classmethod
    def parse(cls, pattern: str) -> Glob:
        if pattern.endswith("/*"):
            pattern = pattern[:-1] + "**"
        segments = pattern.split("/")
        if segments.count("**") > 1:
            raise ValueError(f"{pattern!r}: '**' may appear once in a pattern")
        if any("**" in s and s != "**" for s in segments):
            raise ValueError(f"{pattern!r}: '**' must be a whole segment, as in '/a/**/b'")
        if "**" not in segments:
            return cls(tuple(_segment(s) for s in segments), None)
        at = segments.index("**")
        return cls(
            tuple(_segment(s) for s in segments[:at]),
            tuple(_segment(s) for s in segments[at + 1 :]),
        )

    def match(self, segments: Sequence[str]) -> bool:
        prefix, suffix = self.prefix, self.suffix
        if suffix is None:
            return len(segments) == len(prefix) and all(
                _matches(p, s) for p, s in zip(prefix, segments, strict=True)
            )
        if len(segments) < len(prefix) + len(suffix):
            return False
        tail = segments[len(segments) - len(suffix) :]
        return all(_matches(p, s) for p, s in zip(prefix, segments, strict=False)) and all(
            _matches(p, s) for p, s in zip(suffix, tail, strict=True)
        )


class PathRules:
    """Globs and regexes; ``match(path)`` is true when any of them matches."""

    def __init__(self, globs: Iterable[Glob], regexes: Iterable[re.Pattern[str]]) -> None:
        self._globs = tuple(globs)
        self._regexes = tuple(regexes)

    def match(self, path: str) -> bool:
        if len(path) > MAX_PATH:
            return False
        if self._globs:
            segments = path.split("/")
            if any(glob.match(segments) for glob in self._globs):
                return True
        return any(regex.fullmatch(path) for regex in self._regexes)

    def __bool__(self) -> bool:
        return bool(self._globs or self._regexes)


NO_PATHS = PathRules((), ())
