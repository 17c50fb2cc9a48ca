"""Failed sign-ins: 429 with Retry-After past the limits, the same whether or not the account
exists, and never a lock-out of the real user by someone else's failures."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import AppFactory
from flask.testing import FlaskClient
from support import csrf_token, session_cookie

from flask_jwtauth import ConfigurationError, sign_in_throttled


def attempt(client: FlaskClient, username: str, password: str, address: str) -> Any:
    return client.post(
        "/auth/sign-in/credentials",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
        headers={"Accept": "application/json"},
    )


@pytest.mark.parametrize("username", ["ann", "nobody-at-all"])
def test_five_failures_then_429_the_same_for_any_account(
    make_app: AppFactory, username: str
) -> None:
    app, _ = make_app()
    client = app.test_client()
    for _ in range(5):
        assert attempt(client, username, "wrong", "10.0.0.1").status_code == 401
    refused = attempt(client, username, "wrong", "10.0.0.1")
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "TooManyRequests"
    assert int(refused.headers["Retry-After"]) == 15 * 60
    # Even the right password waits: the pair is throttled, not the check.
    assert attempt(client, username, "pw-ann", "10.0.0.1").status_code == 429


def test_the_window_ends(make_app: AppFactory, clock: Any) -> None:
    app, _ = make_app(JWTAUTH_THROTTLE_WINDOW=60)
    client = app.test_client()
    for _ in range(5):
        attempt(client, "ann", "wrong", "10.0.0.1")
    assert attempt(client, "ann", "pw-ann", "10.0.0.1").status_code == 429
    clock.advance(61)
    assert attempt(client, "ann", "pw-ann", "10.0.0.1").status_code == 200


def test_a_flood_from_many_addresses_does_not_lock_the_real_user_out(
    make_app: AppFactory,
) -> None:
    app, _ = make_app()
    alerts: list[str] = []
    sign_in_throttled.connect(lambda sender, **kw: alerts.append(kw["address"]), app, weak=False)
    attacker = app.test_client()
    for n in range(120):  # 4 tries each from 30 addresses: under the per-pair limit
        attempt(attacker, "ann", f"guess-{n}", f"198.51.100.{n // 4}")
    # The account is under attack: addresses that failed for it are refused now...
    assert attempt(attacker, "ann", "guess", "198.51.100.1").status_code == 429
    assert "198.51.100.1" in alerts
    # ...but the real user, from an address that never failed, signs in.
    user = app.test_client()
    response = attempt(user, "ann", "pw-ann", "203.0.113.7")
    assert response.status_code == 200 and session_cookie(user) is not None


def test_one_address_guessing_many_accounts(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    for n in range(50):
        attempt(client, f"user{n}", "wrong", "192.0.2.9")
    assert attempt(client, "someone-new", "wrong", "192.0.2.9").status_code == 429
    assert attempt(client, "someone-new", "wrong", "192.0.2.10").status_code == 401


def test_page_mode_429(make_app: AppFactory) -> None:
    app, _ = make_app()
    client = app.test_client()
    for _ in range(5):
        client.post(
            "/auth/sign-in/credentials",
            data={"username": "ann", "password": "x", "csrf_token": csrf_token(client)},
        )
    page = client.post(
        "/auth/sign-in/credentials",
        data={"username": "ann", "password": "x", "csrf_token": csrf_token(client)},
    )
    assert page.status_code == 429 and "Too many failed attempts" in page.get_data(as_text=True)
    assert page.headers["Retry-After"]


def test_throttle_can_be_switched_off(make_app: AppFactory) -> None:
    app, _ = make_app(JWTAUTH_THROTTLE=False)
    client = app.test_client()
    for _ in range(8):
        assert attempt(client, "ann", "wrong", "10.0.0.1").status_code == 401


# -- issue 19, item 2 ---------------------------------------------------------------------


def test_issue19_ipv6_clients_are_counted_by_their_64(make_app: AppFactory) -> None:
    """One /64 is one client (a home or a VM gets a whole /64): 1000 guesses from one /64
    used to reach authorize() one address at a time."""
    app, _ = make_app()
    client = app.test_client()
    for n in range(1, 6):
        assert attempt(client, "ann", "wrong", f"2001:db8:1:2::{n:x}").status_code == 401
    assert attempt(client, "ann", "wrong", "2001:db8:1:2:ffff::99").status_code == 429
    # Another /64 is another client; so is the same /64 written another way.
    assert attempt(client, "ann", "wrong", "2001:db8:1:3::1").status_code == 401
    assert attempt(client, "ann", "pw-ann", "2001:0db8:0001:0002:0::7").status_code == 429


def test_issue19_the_ipv6_prefix_is_a_setting_and_ipv4_stays_per_address(
    make_app: AppFactory,
) -> None:
    app, _ = make_app(JWTAUTH_THROTTLE_IPV6_PREFIX=48)
    client = app.test_client()
    for n in range(5):
        attempt(client, "ann", "wrong", f"2001:db8:1:{n:x}::1")
    assert attempt(client, "ann", "wrong", "2001:db8:1:ffff::1").status_code == 429
    assert attempt(client, "ann", "wrong", "2001:db8:2::1").status_code == 401
    for n in range(5):
        attempt(client, "ann", "wrong", f"10.0.0.{n}")
    assert attempt(client, "ann", "wrong", "10.0.0.9").status_code == 401
    # An IPv4 address mapped into IPv6 is that IPv4 address; a malformed one is its own key.
    for _ in range(5):
        attempt(client, "bob", "wrong", "::ffff:192.0.2.1")
    assert attempt(client, "bob", "wrong", "192.0.2.1").status_code == 429
    for _ in range(5):
        attempt(client, "bob", "wrong", "not-an-address")
    assert attempt(client, "bob", "wrong", "not-an-address").status_code == 429
    assert attempt(client, "bob", "wrong", "also-not-one").status_code == 401


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("JWTAUTH_THROTTLE_IPV6_PREFIX", 0),
        ("JWTAUTH_THROTTLE_IPV6_PREFIX", 129),
        ("JWTAUTH_THROTTLE_IPV6_PREFIX", "64"),
        ("JWTAUTH_THROTTLE_IPV6_PREFIX", True),
        ("JWTAUTH_THROTTLE_IPV6_PREFIX", 7.5),
        ("JWTAUTH_STORE_MEMORY_MAX_ENTRIES", 0),
        ("JWTAUTH_STORE_MEMORY_MAX_ENTRIES", "many"),
        ("JWTAUTH_STORE_MEMORY_MAX_ENTRIES", 99),
    ],
)
def test_issue19_a_bad_throttle_setting_names_the_key(
    make_app: AppFactory, key: str, value: Any
) -> None:
    with pytest.raises(ConfigurationError, match=key):
        make_app(**{key: value})


#: 'admin' in fullwidth small and capital letters, in modifier capitals, and padded.
VARIANTS = [
    "\uff41\uff44\uff4d\uff49\uff4e",
    "\uff21\uff24\uff2d\uff29\uff2e",
    "\u1d2c\u1d30\u1d39\u1d35\u1d3a",
    " Admin ",
]


@pytest.mark.parametrize("variant", VARIANTS)
def test_issue19_unicode_variants_of_a_name_are_one_account(
    make_app: AppFactory, variant: str
) -> None:
    """NFKC and casefold: an app whose user lookup folds fullwidth 'admin' into 'admin' must not
    give each spelling its own budget of guesses."""
    app, _ = make_app()
    client = app.test_client()
    for _ in range(5):
        assert attempt(client, variant, "wrong", "10.0.0.1").status_code == 401
    assert attempt(client, "admin", "wrong", "10.0.0.1").status_code == 429
    for _ in range(4):
        attempt(client, "STRASSE", "wrong", "10.0.0.2")
    assert attempt(client, "straße", "wrong", "10.0.0.2").status_code == 401  # the fifth
    assert attempt(client, "strasse", "wrong", "10.0.0.2").status_code == 429


def test_issue19_the_app_gives_its_own_account_key(make_app: AppFactory) -> None:
    """``@auth.throttle_key``: the app says which names are one account (here, its user
    lookup ignores ``+tags`` in email addresses)."""
    app, auth = make_app()

    @auth.throttle_key
    def key(account: str) -> str:
        local, _, domain = account.strip().lower().partition("@")
        return local.split("+", 1)[0] + "@" + domain

    client = app.test_client()
    for n in range(5):
        assert attempt(client, f"ann+{n}@example.com", "x", "10.0.0.1").status_code == 401
    assert attempt(client, "ann@example.com", "x", "10.0.0.1").status_code == 429
    assert attempt(client, "bob@example.com", "x", "10.0.0.1").status_code == 401


def test_issue19_a_broken_account_key_answers_configuration(make_app: AppFactory) -> None:
    """As any broken callback: Auth.js's ``Configuration`` answer, logged, no sign-in."""
    app, auth = make_app()

    @auth.throttle_key
    def key(account: str) -> Any:
        return None

    client = app.test_client()
    response = attempt(client, "ann", "pw-ann", "10.0.0.1")
    assert response.get_json()["error"] == "Configuration"
    assert session_cookie(client) is None


def test_issue19_store_keys_for_accounts_are_a_keyed_hash(
    make_app: AppFactory, tmp_path: Any
) -> None:
    """Not a bare SHA-256 of the name, which anyone with the store can confirm a guess
    against: an HMAC under a key derived from the secret."""
    import hashlib
    import sqlite3

    db = tmp_path / "store.db"
    app, _ = make_app(JWTAUTH_STORE_URL=f"sqlite:///{db}")
    attempt(app.test_client(), "ann@example.com", "wrong", "10.0.0.1")
    keys = [k for (k,) in sqlite3.connect(db).execute("SELECT key FROM jwtauth_store")]
    assert len(keys) == 3, keys
    for name in ("ann@example.com", "ann@example.com".casefold()):
        bare = hashlib.sha256(name.encode()).hexdigest()
        assert not any(bare[:16] in k for k in keys), keys
    assert not any("ann" in k for k in keys)


def test_issue19_the_memory_store_stays_bounded_under_a_flood(make_app: AppFactory) -> None:
    """100,000 failures, each from a new address for a new account (3 counters each): the
    memory store used to keep every one for the whole window (about 0.6 GB per million per
    worker); it now keeps at most its bound, and still refuses a fresh attack."""
    import tracemalloc

    app, _ = make_app()
    throttle = app.extensions["jwtauth"].throttle
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(100_000):
            throttle.failed(f"user{n}", f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 40 * 2**20, f"{grown / 2**20:.0f} MiB"
    store = throttle.store
    while not hasattr(store, "_data"):
        store = store.inner
    assert len(store._data) <= 100_000
    client = app.test_client()
    for _ in range(5):
        assert attempt(client, "ann", "wrong", "192.0.2.1").status_code == 401
    assert attempt(client, "ann", "pw-ann", "192.0.2.1").status_code == 429
