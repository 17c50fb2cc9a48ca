"""What a refresh leaves for the requests that race it, in the shared store: the keys of a
refresh token's entries, and its result sealed with a key derived from the spent refresh
token, so only a holder of that token (a racer with the same cookie) can read it."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def store_key(kind: str, key: str) -> str:
    """The store key of one kind of entry for the refresh token ``key`` (its digest). The
    braces are a Redis Cluster hash tag: a token's entries share a slot, so they can be
    read together (``get_many``) and the lock lives on the node of what it guards."""
    return f"{kind}:{{{key}}}"


def digest(refresh_token: str) -> str:
    """The refresh token's name in the store: it tells nothing about the token."""
    return hashlib.sha256(b"flask_jwtauth refresh\0" + refresh_token.encode()).hexdigest()[:40]


def _cipher(refresh_token: str) -> AESGCM:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"flask_jwtauth refresh stash"
    ).derive(refresh_token.encode())
    return AESGCM(key)


def seal(refresh_token: str, outcome: dict[str, Any]) -> str:
    nonce = os.urandom(12)
    sealed = _cipher(refresh_token).encrypt(nonce, json.dumps(outcome).encode(), None)
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(refresh_token: str, value: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(value.encode())
        found = json.loads(_cipher(refresh_token).decrypt(raw[:12], raw[12:], None))
    except (ValueError, InvalidTag):
        return None
    return found if isinstance(found, dict) else None
