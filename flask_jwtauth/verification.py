"""One-time sign-in links: Auth.js's verification tokens, kept in the app's store.

A token is 32 random bytes (:func:`secrets.token_urlsafe`), sent in the link and never
stored: the store holds only an HMAC of the address and the token, under a key derived
from the app's first secret, so a store dump yields no link that signs anyone in, and a
token is worth nothing with another address (the address is part of what is hashed).

Each one is:

- one use: using it first wins an atomic ``add`` on a "spent" key (every store does
  ``add`` atomically: a lock in memory, ``INSERT ... ON CONFLICT`` in SQLite, ``SET NX`` in
  Redis), then deletes it; two requests racing with one link sign in once;
- expiring: the value is the expiry by the app's clock (so a test moving the clock moves
  it, whatever the store's own clock), and the entry lives no longer than that in the store.

Rotating ``JWTAUTH_SECRET`` voids the links in flight (at most ``max_age`` old): the user
asks for another.

Also here: the counter that bounds how many links one address and one client are sent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

from .stores import Store
from .throttle import client_key
from .tokens import derive_signing_key

#: The HKDF label of the key that hashes tokens (and, under its own label, addresses).
TOKEN_KEY_LABEL = "flask_jwtauth.email-token"
COUNTER_KEY_LABEL = "flask_jwtauth.email-counter"
#: Auth.js's default lifetime of a sign-in link: 24 hours.
DEFAULT_MAX_AGE = 24 * 3600


class VerificationTokens:
    """Issue and use one-time tokens bound to an identifier (the normalised address)."""

    def __init__(
        self, store: Store, secret: bytes, *, max_age: int, clock: Callable[[], float]
    ) -> None:
        self.store = store
        self.max_age = max_age
        self._clock = clock
        self._key = derive_signing_key(secret, TOKEN_KEY_LABEL)

    def _entry(self, identifier: str, token: str) -> str:
        message = f"{identifier}\0{token}".encode("utf-8", "surrogatepass")
        return "email:token:" + hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def issue(self, identifier: str) -> str:
        """A new token for ``identifier``, stored (hashed) until it expires."""
        token = secrets.token_urlsafe(32)
        expires = self._clock() + self.max_age
        self.store.set(self._entry(identifier, token), repr(expires), self.max_age)
        return token

    def use(self, identifier: str, token: str) -> bool:
        """Spend ``token`` for ``identifier``: True once, if it was issued for it and has
        not expired; False for anything else (unknown, spent, expired, another address's)."""
        if not token or len(token) > 128 or not identifier:
            return False
        entry = self._entry(identifier, token)
        found = self.store.get(entry)
        if found is None:
            return False
        # The one atomic step: of two requests holding the same link, one wins this add.
        if not self.store.add(entry + ":spent", "1", self.max_age):
            return False
        self.store.delete(entry)
        try:
            expires = float(found)
        except ValueError:
            return False
        return self._clock() < expires


class SendLimit:
    """At most ``per_address`` links to one address and ``per_client`` from one client
    (an IPv4 address, an IPv6 network) per ``window`` seconds; counted before sending,
    whether or not the address belongs to anyone."""

    def __init__(
        self,
        store: Store,
        secret: bytes,
        *,
        per_address: int,
        per_client: int,
        window: int,
        ipv6_prefix: int = 64,
    ) -> None:
        self.store = store
        self.per_address = per_address
        self.per_client = per_client
        self.window = window
        self.ipv6_prefix = ipv6_prefix
        self._key = derive_signing_key(secret, COUNTER_KEY_LABEL)

    def allow(self, identifier: str, client: str) -> bool:
        """Count one more link to ``identifier`` asked by ``client``; False past a limit."""
        who = hmac.new(self._key, identifier.encode("utf-8", "surrogatepass"), hashlib.sha256)
        allowed = True
        if self.per_address:
            sent = self.store.incr(f"email:sent:{who.hexdigest()[:32]}", self.window)
            allowed = sent <= self.per_address
        if self.per_client:
            where = client_key(client, self.ipv6_prefix)
            asked = self.store.incr(f"email:asked:{where}", self.window)
            allowed = allowed and asked <= self.per_client
        return allowed
