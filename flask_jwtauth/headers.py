"""Response headers that say an answer depended on the session."""

from __future__ import annotations

from flask import Response


def private(response: Response) -> Response:
    """``Cache-Control: private, no-store`` and ``Vary: Cookie``: the response depended on
    the session. (Plain header strings: ``response.vary`` parses the header every time.)"""
    headers = response.headers
    # One pass over the (few) headers, then ``add``: Werkzeug's ``in``, ``get`` and
    # ``__setitem__`` each rescan case-insensitively, several times the cost of all this.
    cache_control = vary = None
    for key, value in headers:
        if len(key) not in (4, 13):  # neither name's length: no need to compare case
            continue
        lowered = key.lower()
        if lowered == "cache-control":
            cache_control = value
        elif lowered == "vary":
            vary = value
    if cache_control is None:
        headers.add("Cache-Control", "private, no-store")
    else:
        headers["Cache-Control"] = "private, no-store"
    if vary is None:
        headers.add("Vary", "Cookie")
    elif vary.strip() != "*" and "cookie" not in {v.strip().lower() for v in vary.split(",")}:
        headers["Vary"] = f"{vary}, Cookie"
    return response


def vary_accept(response: Response, *more: str) -> Response:
    """The answer's form (JSON or a page) depended on the Accept header too (and on the
    request headers in ``more``)."""
    for name in ("Accept", *more):
        vary = response.headers.get("Vary")
        if vary is None:
            response.headers["Vary"] = name
        elif name.lower() not in {v.strip().lower() for v in vary.split(",")}:
            response.headers["Vary"] = f"{vary}, {name}"
    return response
