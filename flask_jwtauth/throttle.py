"""Failed sign-ins slow an attacker down without locking the real user out.

Counted in the store (memory by default, shared on SQLite or Redis), per window:

- 5 failures for one account from one client: that pair gets 429 until the window ends;
- 50 failures from one client, whatever the accounts: that client gets 429;
- 100 failures for one account from anywhere (an attack spread over many clients): every
  client that has itself failed for that account gets 429, but a client with no failure
  for it does not. The real user, signing in from a clean address, is never locked out by
  someone else's failures; an attacker's clients are each limited.

Whether the account exists changes nothing: the same counters, the same answer.

A client is an IPv4 address, or an IPv6 network (``JWTAUTH_THROTTLE_IPV6_PREFIX`` bits, a
/64 by default: a home or a server is given a whole /64, so counting its addresses one by
one would count nothing). An IPv4 address mapped into IPv6 is that IPv4 address; anything
that does not parse as an address is a client of its own.

An account is what the sign-in form names (its first field that is not secret), folded
with NFKC and casefold and stripped, so that ``admin`` in fullwidth letters (U+FF41...),
``Admin `` and ``admin`` share one budget; an app whose user lookup folds names its own
way says so with ``@auth.throttle_key``. In the store an account is an HMAC under a key
derived from the app's first secret: a store dump tells neither the names nor which
guesses were right.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import unicodedata

from .callbacks import CallbackError, Callbacks
from .stores import Store
from .tokens import derive_signing_key

PAIR_LIMIT = 5
ADDRESS_LIMIT = 50
ACCOUNT_LIMIT = 100
#: The HKDF label of the key that hashes account names.
ACCOUNT_KEY_LABEL = "flask_jwtauth.throttle-account"


def normalise_account(account: str) -> str:
    """The default account key: NFKC, casefold, NFKC again (casefold can leave a string
    that is not NFKC), then stripped of surrounding white space."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", account).casefold())
    return folded.strip()


def client_key(address: str, ipv6_prefix: int = 64) -> str:
    """The client an address belongs to: IPv4 itself, IPv6 its network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"raw:{address[:100]}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        spare = 128 - ipv6_prefix
        network = ipaddress.IPv6Address(int(ip) >> spare << spare)
        return f"{network.compressed}/{ipv6_prefix}"
    return str(ip)


class Throttle:
    def __init__(
        self,
        store: Store,
        window: int,
        *,
        secret: bytes,
        ipv6_prefix: int = 64,
        callbacks: Callbacks | None = None,
    ) -> None:
        self.store = store
        self.window = window
        self.ipv6_prefix = ipv6_prefix
        self._key = derive_signing_key(secret, ACCOUNT_KEY_LABEL)
        #: Read at each sign-in: ``@auth.throttle_key`` may be registered after init_app.
        self._callbacks = callbacks

    def account_key(self, account: str) -> str:
        """The app's key for ``account`` (``@auth.throttle_key``), or the folded name;
        :class:`CallbackError` when the app's function fails or answers a non-string."""
        own = self._callbacks.throttle_key if self._callbacks is not None else None
        if own is None:
            return normalise_account(account)
        try:
            key = own(account)
        except Exception as exc:
            raise CallbackError(f"the throttle_key callback raised {type(exc).__name__}") from exc
        if not isinstance(key, str):
            raise CallbackError(
                f"the throttle_key callback returned {type(key).__name__}, not a str"
            )
        return key

    def _keys(self, account: str, address: str) -> tuple[str, str, str]:
        name = self.account_key(account).encode("utf-8", "surrogatepass")
        who = hmac.new(self._key, name, hashlib.sha256).hexdigest()[:32]
        where = client_key(address, self.ipv6_prefix)
        return (f"throttle:pair:{who}:{where}", f"throttle:addr:{where}", f"throttle:acct:{who}")

    def refused(self, account: str, address: str) -> bool:
        pair, addr, acct = self.store.get_many(list(self._keys(account, address)))
        pairs = int(pair or 0)
        if pairs >= PAIR_LIMIT or int(addr or 0) >= ADDRESS_LIMIT:
            return True
        return int(acct or 0) >= ACCOUNT_LIMIT and pairs > 0

    def failed(self, account: str, address: str) -> None:
        for key in self._keys(account, address):
            self.store.incr(key, self.window)
