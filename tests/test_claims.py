"""The claim arithmetic as pure functions: no app, no clock but the one passed in."""

from __future__ import annotations

import math
from typing import Any

import pytest

from flask_jwtauth.claims import (
    MAX_TIME,
    due_to_roll,
    expired,
    fresh,
    keep_reserved,
    mint,
    not_yet_valid,
    own_copy,
    protect,
    session_end,
    timestamps,
    valid,
)
from flask_jwtauth.config import SessionSettings

NOW = 1_700_000_000


def settings(**changes: Any) -> SessionSettings:
    base: dict[str, Any] = {
        "max_age": 60,
        "update_age": 10,
        "jwt_max_age": 60,
        "absolute_max_age": None,
        "leeway": 0,
        "expiry_notice": 86400,
        "memo_size": 16,
    }
    base.update(changes)
    return SessionSettings(**base)


def test_mint_makes_a_new_session() -> None:
    one, two = mint({"sub": "1"}, NOW + 0.7), mint({"sub": "1"}, NOW)
    # To the millisecond: a session starts when it starts, not at the second before.
    assert one["iat"] == one["auth_time"] == NOW + 0.7
    assert two["iat"] == NOW and isinstance(two["iat"], int)
    assert one["jti"] != two["jti"]
    assert one["sub"] == "1"


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "1", "exp": NOW, "iat": NOW},
        {"sub": "1", "exp": NOW + 0.5, "iat": NOW, "auth_time": NOW, "nbf": NOW},
        {"sub": "1", "exp": MAX_TIME, "iat": NOW},
    ],
)
def test_valid_claims(claims: dict[str, Any]) -> None:
    assert valid(claims)


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"exp": NOW, "iat": NOW},
        {"sub": "", "exp": NOW, "iat": NOW},
        {"sub": None, "exp": NOW, "iat": NOW},
        {"sub": 1, "exp": NOW, "iat": NOW},
        {"sub": "1", "exp": NOW},
        {"sub": "1", "exp": NOW, "iat": None},
        {"sub": "1", "exp": math.nan, "iat": NOW},
        {"sub": "1", "exp": math.inf, "iat": NOW},
        {"sub": "1", "exp": 1e308, "iat": NOW},
        {"sub": "1", "exp": True, "iat": NOW},
        {"sub": "1", "exp": "1700000000", "iat": NOW},
        {"sub": "1", "exp": -1, "iat": NOW},
        {"sub": "1", "exp": NOW, "iat": NOW, "auth_time": math.nan},
        {"sub": "1", "exp": NOW, "iat": 1e308},
        {"sub": "1", "exp": NOW, "iat": False},
        {"sub": "1", "exp": NOW, "iat": NOW, "nbf": "now"},
    ],
    ids=repr,
)
def test_invalid_claims(claims: dict[str, Any]) -> None:
    assert not valid(claims)


def test_a_token_about_to_be_written_needs_no_exp_yet() -> None:
    assert valid({"sub": "1"}, issued=False)
    assert not valid({"sub": "1", "iat": NOW, "exp": math.nan}, issued=False)


def test_expiry_rules() -> None:
    s = settings(absolute_max_age=100, leeway=2)
    token = {"exp": NOW + 60, "iat": NOW, "auth_time": NOW - 90}
    assert not expired(token, NOW + 9, s)
    assert expired(token, NOW + 12, s)  # auth_time + 100 + leeway 2
    idle = {"exp": NOW + 600, "iat": NOW}
    assert not expired(idle, NOW + 61, s)
    assert expired(idle, NOW + 62, s)  # iat + max age + leeway


def test_not_before() -> None:
    s = settings(leeway=5)
    assert not_yet_valid({"nbf": NOW + 10}, NOW, s)
    assert not not_yet_valid({"nbf": NOW + 5}, NOW, s)
    assert not not_yet_valid({}, NOW, s)


def test_roll_cadence() -> None:
    assert not due_to_roll({"iat": NOW}, NOW + 9, settings())
    assert due_to_roll({"iat": NOW}, NOW + 10, settings())
    assert due_to_roll({"iat": NOW}, NOW, settings(update_age=0))
    assert not due_to_roll({"iat": NOW}, NOW + 10**6, settings(update_age=None))


def test_timestamps_respect_the_absolute_cap() -> None:
    s = settings(absolute_max_age=100)
    assert timestamps({"auth_time": NOW}, NOW, s) == (NOW + 60, 60)
    assert timestamps({"auth_time": NOW}, NOW + 70, s) == (NOW + 100, 30)
    assert timestamps({"auth_time": NOW}, NOW + 120, s) == (NOW + 100, 0)


def test_session_end_is_the_earlier_of_exp_and_idle_life() -> None:
    s = settings(max_age=30, jwt_max_age=60)
    assert session_end({"exp": NOW + 60, "iat": NOW}, NOW, s) == NOW + 30
    assert session_end({"auth_time": NOW}, NOW, s) == NOW + 30  # not written yet


def test_fresh_keeps_the_session_id_and_start() -> None:
    previous = {"jti": "a", "auth_time": NOW - 5}
    out = fresh({"sub": "1", "exp": NOW}, NOW, previous)
    assert out == {"sub": "1", "jti": "a", "auth_time": NOW - 5}
    made = fresh({"sub": "1"}, NOW)
    assert made["auth_time"] == NOW and made["jti"]


def test_keep_reserved_and_protect() -> None:
    current = {"sub": "1", "jti": "a", "auth_time": NOW, "iat": NOW, "exp": NOW + 9}
    assert keep_reserved({"sub": "1"}, current)["jti"] == "a"
    forged = {"sub": "1", "jti": "b", "auth_time": NOW + 999, "nbf": NOW + 5, "name": "x"}
    kept = protect(forged, current)
    assert kept["jti"] == "a" and kept["auth_time"] == NOW and "nbf" not in kept
    assert kept["name"] == "x"


def test_own_copy_shares_nothing() -> None:
    original = {"roles": ["user"], "profile": {"tags": ["a"]}}
    copy = own_copy(original)
    copy["roles"].append("admin")
    copy["profile"]["tags"].append("b")
    assert original == {"roles": ["user"], "profile": {"tags": ["a"]}}
