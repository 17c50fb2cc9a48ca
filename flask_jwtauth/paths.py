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

How much of a path a rule *names* is its literal depth: the number of leading segments it
spells out before any wildcard (``/api/health`` names three, ``""``, ``api`` and ``health``;
``/api/*`` two; ``/*.css`` or ``re.compile(r"/.*[.]css")`` one, the root). A public rule opens
an API path only when it names at least as much of it as the API rule does, so a catch-all
for "files" cannot open ``/api/export.csv`` by accident.
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


_REGEX_META = frozenset(".^$*+?{}[]\\|()")


def regex_literal_depth(pattern: re.Pattern[str]) -> int:
    """How many leading path segments a regex spells out before its first metacharacter."""
    text = pattern.pattern
    literal = text
    for index, char in enumerate(text):
        if char in _REGEX_META:
            literal = text[:index]
            break
    else:
        return text.count("/") + 1  # a plain string: every segment is named
    return literal.count("/")


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

    @property
    def literal_depth(self) -> int:
        """How many leading segments the pattern spells out before any wildcard."""
        depth = 0
        for segment in self.prefix:
            if not isinstance(segment, str):
                break
            depth += 1
        return depth

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

    def named_depth(self, path: str) -> int | None:
        """The most leading segments of ``path`` that a matching rule names literally, or
        None when no rule matches (see the module's docstring)."""
        if len(path) > MAX_PATH:
            return None
        best: int | None = None
        segments = path.split("/")
        for glob in self._globs:
            if glob.match(segments):
                best = max(best or 0, glob.literal_depth)
        for regex in self._regexes:
            if regex.fullmatch(path):
                best = max(best or 0, regex_literal_depth(regex))
        return best

    def __bool__(self) -> bool:
        return bool(self._globs or self._regexes)


def opens(public: PathRules | None, api: PathRules, path: str) -> bool:
    """Whether the public rules open ``path``: any match opens a page, but an API path
    (``JWTAUTH_API_PATHS``) only opens for a public rule that names it at least as far as
    the API rule does (``/api/health`` for ``/api/*``), never for a catch-all."""
    if public is None:
        return False
    named = public.named_depth(path)
    if named is None:
        return False
    api_depth = api.named_depth(path)
    if api_depth is None:
        return True
    return named >= max(api_depth, 2)


NO_PATHS = PathRules((), ())
