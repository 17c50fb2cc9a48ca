"""Pure functions on session claims: mint, validate, expire, roll, cap.

No Flask, no clock of its own: every function takes ``now`` and the session settings, so
the arithmetic is tested on its own and the request lifecycle only decides when to call it.

``iat`` is when the token was last issued; ``auth_time`` when the user signed in (it never
moves while the session lives, and the absolute cap counts from it); ``jti`` is the
session's id, new at every sign-in and kept across re-issues.
"""

from __future__ import annotations

import uuid
from typing import Any

from .clock import stamp
from .config import SessionSettings

Claims = dict[str, Any]

#: Claims the session owns; a jwt callback that leaves them out keeps the current values,
#: and a session update cannot change them (see :func:`protect`).
RESERVED = ("iat", "exp", "auth_time", "jti", "sid", "nbf")

#: 9999-12-31T23:59:59Z: later times are not dates any clock or library can represent.
MAX_TIME = 253_402_300_799


#: Per-session limits a jwt callback may set (seed 001: admins' sessions shorter, and an
#: update age per role, which NextAuth cannot do): seconds, only ever shorter than the
#: app's JWTAUTH_SESSION_MAX_AGE / JWTAUTH_SESSION_UPDATE_AGE.
MAX_AGE = "session_max_age"
UPDATE_AGE = "session_update_age"


def _is_time(value: Any) -> bool:
    """A finite number of seconds in range; not a bool (a subclass of int), not NaN."""
    return type(value) in (int, float) and 0 <= value <= MAX_TIME


def valid(claims: Claims, *, issued: bool = True) -> bool:
    """The shape every session must have, whoever wrote it (us, a jwt callback, an Auth.js
    peer or next-auth v4 with the same secret): ``sub`` a non-empty string (a token without
    one is not a session: next-auth v4 sealed its OAuth state cookies under the same key),
    ``exp`` and ``iat`` times, and ``auth_time``/``nbf`` times when present. ``issued=False``:
    a token about to be written, whose ``exp`` and ``iat`` are still to be set."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        return False
    for name in ("exp", "iat"):
        value = claims.get(name)
        if (issued or value is not None) and not _is_time(value):
            return False
    for name in ("auth_time", "nbf", MAX_AGE, UPDATE_AGE):
        value = claims.get(name)
        if value is not None and not _is_time(value):
            return False
    return True


def max_age_of(claims: Claims, s: SessionSettings) -> float:
    """The session's idle lifetime: the app's, or the session's own when shorter."""
    own = claims.get(MAX_AGE)
    return s.max_age if own is None or own >= s.max_age else own


def update_age_of(claims: Claims, s: SessionSettings) -> float | None:
    """How often the session is re-issued: the app's, or the session's own when sooner."""
    own = claims.get(UPDATE_AGE)
    if own is None:
        return s.update_age
    return own if s.update_age is None or own < s.update_age else s.update_age


def expired(claims: Claims, now: float, s: SessionSettings) -> bool:
    """Past the token's exp, the idle lifetime since it was issued, or the absolute cap."""
    if now >= claims["exp"] + s.leeway:
        return True
    iat = claims.get("iat")
    if iat is not None and now >= iat + max_age_of(claims, s) + s.leeway:
        return True
    auth_time = claims.get("auth_time")
    return (
        s.absolute_max_age is not None
        and auth_time is not None
        and now >= auth_time + s.absolute_max_age + s.leeway
    )


def not_yet_valid(claims: Claims, now: float, s: SessionSettings) -> bool:
    nbf = claims.get("nbf")
    return nbf is not None and now + s.leeway < nbf


def due_to_roll(claims: Claims, now: float, s: SessionSettings) -> bool:
    update_age = s.update_age if UPDATE_AGE not in claims else update_age_of(claims, s)
    return update_age is not None and now - claims["iat"] >= update_age


def mint(claims: Claims, now: float) -> Claims:
    """Fresh session claims at sign-in: a new ``jti`` and ``sid`` (the session's id that
    survives re-issues, Auth.js's too); ``auth_time`` and ``iat`` now."""
    token = dict(claims)
    at = stamp(now)
    token.update(iat=at, auth_time=at, jti=str(uuid.uuid4()), sid=str(uuid.uuid4()))
    return token


def keep_reserved(updated: Claims, current: Claims) -> Claims:
    """A jwt callback's output with the session's own claims filled back in where it left
    them out (it built a new dict)."""
    for key in RESERVED:
        if key not in updated and key in current:
            updated[key] = current[key]
    return updated


def protect(updated: Claims, current: Claims) -> Claims:
    """On a session update: the reserved claims keep their current values whatever the
    callback returned, so client data merged into the token cannot move ``auth_time``
    (escaping the absolute cap) or forge ``jti``. ``exp``/``iat`` are set on writing."""
    out = dict(updated)
    for key in RESERVED:
        if key in current:
            out[key] = current[key]
        else:
            out.pop(key, None)
    return out


def fresh(token: Claims, now: float, previous: Claims | None = None) -> Claims:
    """``token`` without ``exp`` (it is set when written), with the session's id and start
    kept from ``previous`` or made now."""
    out = {k: v for k, v in token.items() if k != "exp"}
    if "auth_time" not in out or "jti" not in out:
        previous = previous or {}
        out.setdefault("auth_time", previous.get("auth_time", out.get("iat", stamp(now))))
        out.setdefault("jti", previous.get("jti") or str(uuid.uuid4()))
    return out


def timestamps(token: Claims, now: float, s: SessionSettings) -> tuple[float, float]:
    """(exp, seconds the session may live idle) for a token (re)issued at ``now``, within
    the absolute cap."""
    max_age = max_age_of(token, s)
    exp = now + (s.jwt_max_age if max_age >= s.max_age else min(s.jwt_max_age, max_age))
    auth_time = token.get("auth_time")
    if s.absolute_max_age is not None and auth_time is not None and _is_time(auth_time):
        cap = auth_time + s.absolute_max_age
        exp = min(exp, cap)
        max_age = min(max_age, cap - now)
    return stamp(exp), max(max_age, 0)


def session_end(token: Claims, now: float, s: SessionSettings) -> float:
    """When the session ends if idle: the earlier of the token's exp and iat + idle life."""
    if "exp" not in token:
        # (Re)issued by this request (sign-in, update): it will be written with iat = now.
        exp, _ = timestamps(token, stamp(now), s)
        return float(min(exp, stamp(now) + max_age_of(token, s)))
    iat = token.get("iat")
    idle_end = (iat + max_age_of(token, s)) if iat is not None else token["exp"]
    return float(min(token["exp"], idle_end))


def copy_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_value(v) for v in value]
    return value


def own_copy(claims: Claims) -> Claims:
    """A deep copy app code may change freely: verified claims are shared with the memo of
    decoded tokens, and a change there would reach every later request with that cookie."""
    out = claims.copy()
    for key, value in out.items():
        if isinstance(value, (dict, list)):
            out[key] = copy_value(value)
    return out
