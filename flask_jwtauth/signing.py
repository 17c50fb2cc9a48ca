"""Short signed values: the cookies that are not a session, signed with itsdangerous.

Three small cookies carry something the app wrote and must not believe when anyone else
wrote it (a sibling sub-domain can set cookies for the parent domain; a page's script can set
any cookie that is not ``HttpOnly``, and an ``HttpOnly`` one it can overwrite by name):

- the anonymous CSRF double-submit cookie (:mod:`flask_jwtauth.csrf`), and the session-bound
  CSRF token, which is a signature of the session id without a cookie of its own;
- the expiry notice (:mod:`flask_jwtauth.session.notice`): why the last session ended;
- what the user typed into a failed sign-in form, for the page after the redirect
  (:func:`flask_jwtauth.actions.common.remember_values`).

Each purpose has its own key, so a value signed for one is worthless as another. A value that
does not verify (tampered, planted, signed with a secret the app no longer has, not even
well-formed) reads as absent, never as an error.

Keys: each one is derived from the app's secrets with HKDF under a label naming the purpose
(:func:`~flask_jwtauth.tokens.derive_signing_key`, the construction every other key of the
package uses), and handed to itsdangerous with ``key_derivation="none"``. itsdangerous's own
derivations (``django-concat``, SHA-1 over secret and salt, by default) would also separate
the purposes, but HKDF is the standard key-derivation function, and keeping one construction
for every key derived from ``JWTAUTH_SECRET`` means there is one thing to review. It also
keeps the session-bound CSRF token exactly what it was before itsdangerous signed it (a
base64url HMAC-SHA256 of ``"session:" + jti``), so forms open during an upgrade still post.
As with session tokens, the first secret signs and every configured secret verifies, so
rotating ``JWTAUTH_SECRET`` does not void a form or a notice in flight.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from itsdangerous import BadSignature, Signer, URLSafeSerializer

from .tokens import derive_signing_key

#: Purposes, each the HKDF label of its own key. ``csrf-token`` is the label the hand-written
#: HMAC used, kept so that tokens bound to a session survive the change.
CSRF_SESSION = "flask_jwtauth.csrf-token"
CSRF_ANONYMOUS = "flask_jwtauth.csrf-anonymous"
NOTICE = "flask_jwtauth.expiry-notice"
FORM_VALUES = "flask_jwtauth.sign-in-form"


def _keys(secrets: Sequence[bytes], purpose: str) -> list[bytes]:
    """itsdangerous signs with the last key and verifies with each: the first secret last."""
    if not secrets:
        raise ValueError("signed values need at least one secret")
    return [derive_signing_key(secret, purpose) for secret in reversed(secrets)]


def _signer(secrets: Sequence[bytes], purpose: str) -> Signer:
    return Signer(
        _keys(secrets, purpose),
        salt=purpose,
        key_derivation="none",
        digest_method=hashlib.sha256,
    )


class SignedValues:
    """One app's signers, one per purpose (built once, at ``init_app``)."""

    def __init__(self, secrets: Sequence[bytes]) -> None:
        #: The session-bound CSRF token is this signer's signature of ``"session:" + jti``.
        self.csrf_session = _signer(secrets, CSRF_SESSION)
        #: The anonymous CSRF cookie: ``value.signature``; the form carries ``value``.
        self.csrf_anonymous = _signer(secrets, CSRF_ANONYMOUS)
        #: The expiry notice cookie: ``code.signature``.
        self.notice = _signer(secrets, NOTICE)
        #: The post-redirect-get cookie of a failed sign-in form: signed JSON.
        self.form_values = URLSafeSerializer(
            _keys(secrets, FORM_VALUES),
            salt=FORM_VALUES,
            signer_kwargs={"key_derivation": "none", "digest_method": hashlib.sha256},
        )


def unsign(signer: Signer, raw: str | None, limit: int) -> str | None:
    """The value inside ``raw`` when ``signer`` signed it, else None (also for anything
    longer than ``limit``, or not text)."""
    if not isinstance(raw, str) or not raw or len(raw) > limit:
        return None
    try:
        return signer.unsign(raw).decode("utf-8")
    except (BadSignature, UnicodeError):
        return None
