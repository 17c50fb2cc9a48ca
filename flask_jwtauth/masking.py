"""Secrets kept out of the URLs people see: ``flask jwtauth config``, and the errors about a
store URL."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

#: Query keys whose values are secrets: any key holding one of these words, in any case.
_SECRET_WORDS = ("password", "passwd", "pwd", "token", "secret", "key", "auth", "credential")
#: A query pair: its value runs to the next '&' (a '#' in a password stays masked with it).
_PAIR = re.compile(r"([?&])([^=&#]*)=([^&]*)")


def masked_url(url: str) -> str:
    """``url`` with its secrets masked: the password of its userinfo (all of the userinfo
    when it has no ``user:``), and the values of query keys that name a secret
    (``?password=``, redis-py's form for a unix socket; ``token``, ``api_key``...).

    A raw '@' in a password is common (clients split at the last '@', as
    :func:`urllib.parse.urlsplit` does), and so is a raw '/', '?' or '#' that makes
    ``urlsplit`` end the userinfo early: the userinfo here runs to the last '@' of the URL.
    An '@' further on (in a query value) only masks more. The URL is not re-assembled by
    :func:`urllib.parse.urlunsplit`, which rewrites ``unix:///path`` as ``unix:/path``.
    """
    url = _PAIR.sub(_masked_pair, url)
    scheme, sep, rest = url.partition("://")
    if not sep:  # not a URL (a typo: "redis:user:pw@host"): whatever precedes an '@' goes
        _, at, after = url.rpartition("@")
        return f"***@{after}" if at else url
    userinfo, at, rest = rest.rpartition("@")
    if not at:
        return url
    user, colon, _ = userinfo.partition(":")
    if colon and not re.search(r"[/?#]", user):
        return f"{scheme}://{user}:***@{rest}"
    return f"{scheme}://***@{rest}"


def _masked_pair(match: re.Match[str]) -> str:
    key = unquote_plus(match.group(2)).lower()
    if any(word in key for word in _SECRET_WORDS):
        return f"{match.group(1)}{match.group(2)}=***"
    return match.group(0)
