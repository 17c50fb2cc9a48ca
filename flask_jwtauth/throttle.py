"""Failed sign-ins slow an attacker down without locking the real user out.

Counted in the store (memory by default, shared on SQLite or Redis), per window:

- 5 failures for one account from one client address: that pair gets 429 until the window
  ends;
- 50 failures from one address, whatever the accounts: that address gets 429;
- 100 failures for one account from anywhere (an attack spread over many addresses): every
  address that has itself failed for that account gets 429, but an address with no failure
  for it does not. The real user, signing in from a clean address, is never locked out by
  someone else's failures; an attacker's addresses are each limited.

Whether the account exists changes nothing: the same counters, the same answer.
"""

from __future__ import annotations

import hashlib

from .stores import Store

PAIR_LIMIT = 5
ADDRESS_LIMIT = 50
ACCOUNT_LIMIT = 100


def _keys(account: str, address: str) -> tuple[str, str, str]:
    # Hashed: usernames (maybe email addresses) are not stored in clear.
    who = hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]
    return (f"throttle:pair:{who}:{address}", f"throttle:addr:{address}", f"throttle:acct:{who}")


class Throttle:
    def __init__(self, store: Store, window: int) -> None:
        self.store = store
        self.window = window

    def refused(self, account: str, address: str) -> bool:
        pair, addr, acct = self.store.get_many(list(_keys(account, address)))
        pairs = int(pair or 0)
        if pairs >= PAIR_LIMIT or int(addr or 0) >= ADDRESS_LIMIT:
            return True
        return int(acct or 0) >= ACCOUNT_LIMIT and pairs > 0

    def failed(self, account: str, address: str) -> None:
        for key in _keys(account, address):
            self.store.incr(key, self.window)
