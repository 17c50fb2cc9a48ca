"""``GET /auth/jwtauth.js``: the browser helper (``static/jwtauth.js``), and the tag that loads
it with its Subresource Integrity hash.

The script is read and hashed once, when the blueprint is built. It is the same for every
visitor: ``Cache-Control: public`` with an ``ETag``; asked for with ``?v=<its hash>`` (as
:func:`script_tag` writes it) it is immutable for a year, since another version has
another URL. The session engine still marks a response that renewed the session cookie
``private, no-store``, so a shared cache never keeps a ``Set-Cookie``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from dataclasses import dataclass
from importlib.resources import files

from flask import Response, request, url_for
from markupsafe import Markup, escape

from ..proxies import get_session
from ..state import ext

_YEAR = 365 * 86400


@dataclass(frozen=True)
class Script:
    """The helper's bytes, their ``sha384-...`` integrity value and a short version."""

    body: bytes
    integrity: str
    version: str


@functools.cache
def script() -> Script:
    body = files("flask_jwtauth").joinpath("static/jwtauth.js").read_bytes()
    digest = hashlib.sha384(body).digest()
    integrity = "sha384-" + base64.b64encode(digest).decode("ascii")
    return Script(body, integrity, digest.hex()[:16])


def script_integrity() -> str:
    """The ``integrity`` attribute's value for ``<script src=".../jwtauth.js">``."""
    return script().integrity


def serve_script() -> Response:
    found = script()
    response = Response(found.body, mimetype="text/javascript")
    response.set_etag(found.version)
    if hmac.compare_digest(request.args.get("v", ""), found.version):
        response.headers["Cache-Control"] = f"public, max-age={_YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.make_conditional(request)
    return response


def script_tag(
    *,
    on_end: str = "redirect",
    refetch_interval: int = 0,
    refetch_on_focus: bool = True,
    refetch_on_online: bool = True,
    nonce: str | None = None,
) -> Markup:
    """``<script src=".../jwtauth.js?v=..." integrity=...>`` with the options as ``data-*``
    attributes: ``on_end`` is ``"redirect"`` (to the sign-in page, with this page as the
    callbackUrl) or ``"event"`` (only the ``end`` event); ``refetch_interval`` in seconds (0:
    never). A page rendered with a session passes its expiry, so the script needs no
    request before the session's end."""
    found = script()
    app_state = ext()
    attrs: dict[str, str] = {
        "src": url_for("jwtauth.script", v=found.version),
        "integrity": found.integrity,
        "crossorigin": "anonymous",
        "data-base": url_for("jwtauth.script").rpartition("/")[0],
        "data-sign-in": app_state.sign_in_page_url(),
        "data-on-end": on_end,
        "data-refetch-interval": str(refetch_interval),
        "data-refetch-on-focus": "true" if refetch_on_focus else "false",
        "data-refetch-on-online": "true" if refetch_on_online else "false",
    }
    session = get_session()
    expires = session.get("expires") if isinstance(session, dict) else None
    if isinstance(expires, str):
        attrs["data-expires"] = expires
        attrs["data-now"] = str(int(app_state.clock() * 1000))
    if nonce is not None:
        attrs["nonce"] = nonce
    rendered = " ".join(f'{k}="{escape(v)}"' for k, v in attrs.items())
    return Markup(f"<script {rendered}></script>")
