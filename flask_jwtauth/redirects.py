"""callbackUrl validation: follow same-origin targets only, parsed the way browsers parse them.

A browser strips leading/trailing control characters and spaces, drops tabs and newlines
anywhere, and reads ``\\`` as ``/`` in http(s) URLs; so ``/\\evil.com`` and ``/\\t/evil.com``
are both ``//evil.com``, another origin. We normalise the same way before judging, reject
anything that is not a path or an absolute URL on our own origin, and return a relative URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, unquote, urlsplit

_MAX_LENGTH = 2048
_STRIP = "".join(chr(c) for c in range(0x21))  # C0 controls and space
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"\A[A-Za-z][A-Za-z0-9+.-]*:")
_SAFE = "/?&=%#:@!$'()*+,;~-._"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _normalise(url: str) -> str:
    return _TAB_NEWLINE.sub("", url.strip(_STRIP)).replace("\\", "/")


def _origin(scheme: str, netloc: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port
    except ValueError:
        return None
    if parts.hostname is None or parts.username is not None or parts.password is not None:
        return None
    scheme = scheme.lower()
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS.get(scheme)


def _after_origin(target: SplitResult) -> str:
    """Path, query and fragment of an absolute URL: what is left once its origin is judged."""
    value = target.path or "/"
    if target.query:
        value += f"?{target.query}"
    if target.fragment:
        value += f"#{target.fragment}"
    return value


def _is_path(value: str) -> bool:
    """A path on this origin: one leading slash, and no second one hiding behind encodings."""
    if not value.startswith("/") or value.startswith("//"):
        return False
    decoded = _normalise(unquote(unquote(value)))
    return not decoded.startswith("//")


def same_origin_target(url: object, base_url: str) -> str | None:
    """A safe relative URL for ``url`` when it stays on ``base_url``'s origin, else None.

    Never raises: anything malformed (bad ports, broken IPv6 literals, lone surrogates from
    a JSON body) is simply not a target.
    """
    if not isinstance(url, str) or not url or len(url) > _MAX_LENGTH:
        return None
    try:
        return _same_origin_target(url, base_url)
    except (ValueError, UnicodeError):
        return None


def _same_origin_target(url: str, base_url: str) -> str | None:
    value = _normalise(url)
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in value):
        return None
    if _SCHEME.match(value):
        try:
            target = urlsplit(value)
            base = urlsplit(base_url)
        except ValueError:
            return None
        if target.scheme.lower() not in _DEFAULT_PORTS:
            return None
        theirs = _origin(target.scheme, target.netloc)
        if theirs is None or theirs != _origin(base.scheme, base.netloc):
            return None
        value = _after_origin(target)
    if not _is_path(value):
        return None
    # strict UTF-8: a lone surrogate (possible in JSON) raises UnicodeEncodeError -> None
    return quote(value, safe=_SAFE, encoding="utf-8", errors="strict")


@dataclass(frozen=True)
class TrustedOrigin:
    """An origin besides our own that a callbackUrl may lead to: exact, or ``*.`` plus a
    domain for any of its sub-domains (never the domain itself, never deeper wildcards)."""

    scheme: str
    host: str
    port: int | None
    wildcard: bool = False

    def admits(self, origin: tuple[str, str, int | None]) -> bool:
        scheme, host, port = origin
        if scheme != self.scheme or port != self.port:
            return False
        if self.wildcard:
            return host.endswith(f".{self.host}")
        return host == self.host


def parse_trusted_origin(value: str) -> TrustedOrigin:
    """``https://auth.example.com`` or ``https://*.example.com``; ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"expected an origin string, got {value!r}")
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise ValueError(f"{value!r}: only http and https origins can be trusted")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{value!r}: an origin has no path, query or fragment")
    netloc = parts.netloc
    wildcard = netloc.startswith("*.")
    if wildcard:
        netloc = netloc[2:]
    if "*" in netloc:
        raise ValueError(f"{value!r}: a wildcard may only be the first label, as '*.'")
    found = _origin(parts.scheme, netloc)
    if found is None:
        raise ValueError(f"{value!r}: not a valid origin")
    scheme, host, port = found
    if wildcard and "." not in host:
        raise ValueError(f"{value!r}: a wildcard needs a domain with a dot under it")
    return TrustedOrigin(scheme, host, port, wildcard)


def safe_target(
    url: object, base_url: str, trusted: tuple[TrustedOrigin, ...] = ()
) -> str | None:
    """:func:`same_origin_target`, or an absolute URL on a trusted origin, or None."""
    same = same_origin_target(url, base_url)
    if same is not None or not trusted or not isinstance(url, str) or len(url) > _MAX_LENGTH:
        return same
    try:
        value = _normalise(url)
        if any(ord(ch) < 0x20 or ch == "\x7f" for ch in value) or not _SCHEME.match(value):
            return None
        target = urlsplit(value)
        origin = _origin(target.scheme, target.netloc)
        if origin is None or not any(t.admits(origin) for t in trusted):
            return None
        rest = _after_origin(target)
        if not _is_path(rest):
            return None
        scheme, host, port = origin
        shown = f"[{host}]" if ":" in host else host
        netloc = shown if port == _DEFAULT_PORTS.get(scheme) else f"{shown}:{port}"
        path = quote(rest, safe=_SAFE, encoding="utf-8", errors="strict")
        return f"{scheme}://{netloc}{path}"
    except (ValueError, UnicodeError):
        return None
