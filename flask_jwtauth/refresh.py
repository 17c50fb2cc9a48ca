"""Renew the upstream access token once per refresh token, however many requests race.

A rotating refresh token may be spent once: a second use is "reuse", and the upstream then
revokes the whole family. So every renewal is single-flight, keyed by a digest of the refresh
token being spent:

- within a process, one lock per key; requests that queue behind it take its result;
- across processes (and machines), through the configured store: a lock (``add``), then the
  result stashed under the same key for ``JWTAUTH_REFRESH_STASH`` seconds, encrypted with a
  key derived from the spent refresh token (only its holders can read it). A request that
  arrives late with the previous cookie finds the stash and gets the new tokens instead of
  spending the old refresh token again;
- a refusal is stashed too, so the racers end their sessions instead of retrying;
- a transient failure backs off (2, 4, 8... seconds, in the store too), answering 503 with
  ``Retry-After`` meanwhile, so a down upstream is not hammered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager, suppress
from typing import Any

from . import errors, log, signals, upstream
from .claims import Claims
from .config import RefreshSettings
from .errors import ErrorCode, JWTAuthError
from .providers.base import Provider, RefreshOutcomeUnknown, RefreshRefused, RefreshUnavailable
from .refresh_stash import digest, seal, store_key, unseal
from .stores import Store, StoreUnavailable

Clock = Callable[[], float]

#: The code a session ends with when its tokens cannot be renewed (Auth.js's guides' name).
ENDED = ErrorCode.REFRESH_ACCESS_TOKEN_ERROR
#: A store lock outlives any sane refresh; it is deleted as soon as the refresh is over.
LOCK_TTL = 60.0
#: How often a request waiting on another process's refresh looks for its result.
POLL = 0.02
_LOCAL_STASH_LIMIT = 10_000


class RefreshEnded(JWTAuthError):
    """The tokens cannot be renewed: the session ends with ``error``."""

    def __init__(self, error: ErrorCode = ENDED) -> None:
        super().__init__(error.value)
        self.error = error


class RefreshDeferred(JWTAuthError):
    """The upstream (or the store) cannot answer now: 503, try again in ``retry_after``."""

    error = ErrorCode.SERVICE_UNAVAILABLE

    def __init__(self, retry_after: int, reason: str) -> None:
        super().__init__(reason)
        self.retry_after = max(int(retry_after), 1)


class Refresher:
    """One app's renewals: the providers that can refresh, the store shared with the other
    processes (None: this process only), and the clock sessions are timed with."""

    def __init__(
        self,
        providers: Mapping[str, Provider],
        settings: RefreshSettings,
        store: Store | None,
        *,
        fail_open: bool,
        clock: Clock,
    ) -> None:
        self.providers = providers
        self.settings = settings
        self.store = store
        self.fail_open = fail_open
        self.clock = clock
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}
        #: key -> (until, outcome): results this process made or read, for late requests.
        self._stash: dict[str, tuple[float, dict[str, Any]]] = {}
        #: key -> (until, failures): refreshes not to try again before ``until``.
        self._backoff: dict[str, tuple[float, int]] = {}
        #: key -> when a refresh with that token first went unanswered.
        self._unknown: dict[str, float] = {}

    def due(self, token: Claims, now: float) -> bool:
        return upstream.due(token, now, self.settings.margin)

    def renew(self, token: Claims) -> Claims:
        """``token`` with fresh upstream tokens, from the upstream or from a racer's result.
        Raises :class:`RefreshEnded` or :class:`RefreshDeferred`."""
        current = upstream.of(token)
        assert current is not None
        now = self.clock()
        end = upstream.refresh_end(token)
        if end is not None and now >= end:
            raise RefreshEnded()
        refresh_token = current.get("refresh_token")
        provider = self.providers.get(str(current.get("provider")))
        if provider is None:
            # Another app's tokens (a sibling on a shared cookie that has the provider):
            # not ours to renew, nor to strip. access_token() hides an expired one.
            return token
        if not isinstance(refresh_token, str) or not refresh_token:
            return self._without_refresh(token, current, now)
        key = digest(refresh_token)
        outcome = self._settled(key, now)
        if outcome is None:
            self._check_backoff(key, now)
            with self._local_lock(key):
                outcome = self._settled(key, self.clock()) or self._across(
                    key, refresh_token, provider, current
                )
        return self._apply(token, outcome)

    # -- the pieces ----------------------------------------------------------------------

    def _without_refresh(self, token: Claims, current: dict[str, Any], now: float) -> Claims:
        """Nothing to renew with (our provider, no refresh token): an access token that has
        expired is dropped, so no view sees it; the session itself goes on."""
        if now < current.get("expires_at", now + 1):
            return token
        log.event("TOKENS_DROPPED", "the access token expired and cannot be refreshed")
        return {k: v for k, v in token.items() if k != upstream.CLAIM}

    def _apply(self, token: Claims, outcome: dict[str, Any]) -> Claims:
        if "ended" in outcome:
            raise RefreshEnded(errors.known(str(outcome["ended"])))
        return {**token, upstream.CLAIM: outcome["tokens"]}

    def _settled(self, key: str, now: float) -> dict[str, Any] | None:
        found = self._stash.get(key)
        if found is None:
            return None
        if found[0] <= now:
            self._stash.pop(key, None)
            return None
        return found[1]

    def _check_backoff(self, key: str, now: float) -> None:
        found = self._backoff.get(key)
        if found is not None and now < found[0]:
            raise RefreshDeferred(int(found[0] - now) + 1, "backing off after a failure")

    @contextmanager
    def _local_lock(self, key: str) -> Any:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            if not lock.acquire(timeout=self.settings.wait):
                raise RefreshDeferred(self.settings.wait, "another refresh is taking too long")
            try:
                yield
            finally:
                lock.release()
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)

    def _across(
        self, key: str, refresh_token: str, provider: Provider, current: dict[str, Any]
    ) -> dict[str, Any]:
        """The outcome, with the other processes: read their stash, or take the store's lock
        and refresh, or wait (bounded) for the one holding it."""
        store = self.store
        if store is None:
            return self._refresh(key, refresh_token, provider, current)
        try:
            deadline = time.monotonic() + self.settings.wait
            while True:
                stashed, backoff = store.get_many(
                    [store_key("refresh", key), store_key("refresh-backoff", key)]
                )
                if stashed is not None:
                    found = unseal(refresh_token, stashed)
                    if found is not None:
                        return self._keep(key, found)
                if backoff is not None:
                    self._remember_backoff(key, backoff)
                    self._check_backoff(key, self.clock())
                if store.add(store_key("refresh-lock", key), "1", LOCK_TTL):
                    # The holder before us may have stashed and let go in between.
                    stashed = store.get(store_key("refresh", key))
                    found = unseal(refresh_token, stashed) if stashed is not None else None
                    if found is not None:
                        store.delete(store_key("refresh-lock", key))
                        return self._keep(key, found)
                    break
                if time.monotonic() >= deadline:
                    raise RefreshDeferred(self.settings.wait, "another process's refresh is slow")
                time.sleep(POLL)
        except StoreUnavailable as exc:
            if not self.fail_open:
                raise RefreshDeferred(5, f"store unavailable: {exc}") from None
            log.event(
                "STORE_UNAVAILABLE", "refreshing without the other processes", reason=str(exc)
            )
            return self._refresh(key, refresh_token, provider, current)
        try:
            return self._refresh(key, refresh_token, provider, current)
        finally:
            try:
                store.delete(store_key("refresh-lock", key))
            except StoreUnavailable:
                log.event(
                    "STORE_UNAVAILABLE", "could not release the refresh lock: it expires by itself"
                )

    def _refresh(
        self, key: str, refresh_token: str, provider: Provider, current: dict[str, Any]
    ) -> dict[str, Any]:
        """Spend the refresh token, once; stash what came of it."""
        try:
            answer = provider.refresh(current)
        except RefreshRefused as exc:
            log.emit(
                "REFRESH_REFUSED",
                "the upstream refused: the session ends",
                signals.upstream_refresh_failed,
                logged={"provider": provider.id, "reason": type(exc).__name__},
                provider=provider.id,
                permanent=True,
            )
            return self._share(key, refresh_token, {"ended": ENDED})
        except RefreshOutcomeUnknown as exc:
            return self._unanswered(key, refresh_token, provider, str(exc) or "no answer")
        except RefreshUnavailable as exc:
            raise self._failed(key, str(exc) or type(exc).__name__, provider) from None
        except Exception:
            log.event("REFRESH_ERROR", "the refresh raised", exc_info=True, provider=provider.id)
            raise self._failed(key, "the refresh raised", provider) from None
        tokens = answer if isinstance(answer, upstream.Tokens) else upstream.from_account(answer)
        if tokens is None:
            log.event("REFRESH_ERROR", "the refresh answered no access token", provider=provider.id)
            raise self._failed(key, "no access token in the answer", provider)
        claim = tokens.claim(provider.id, current)
        self._backoff.pop(key, None)
        log.emit(
            "TOKENS_REFRESHED",
            "the access token was renewed",
            signals.upstream_refreshed,
            provider=provider.id,
        )
        return self._share(key, refresh_token, {"tokens": claim})

    def _unanswered(
        self, key: str, refresh_token: str, provider: Provider, reason: str
    ) -> dict[str, Any]:
        """The refresh was sent and never answered: the upstream may have spent the token,
        and a rotating one revokes the whole family at its second use. Used again only
        within ``JWTAUTH_REFRESH_REUSE_GRACE`` of the first try (the upstream's own reuse
        interval); past it, the session ends rather than reuse the token blindly."""
        now = self.clock()
        first = self._first_unanswered(key, now)
        if now - first < self.settings.reuse_grace:
            raise self._failed(key, f"{reason} (retried within the reuse grace)", provider)
        log.emit(
            "REFRESH_UNANSWERED",
            "the refresh went unanswered: the session ends rather than reuse the token",
            signals.upstream_refresh_failed,
            logged={"provider": provider.id, "reason": reason},
            provider=provider.id,
            permanent=True,
        )
        return self._share(key, refresh_token, {"ended": ENDED})

    def _first_unanswered(self, key: str, now: float) -> float:
        """When this refresh token first went unanswered, here or in another process."""
        first = self._unknown.setdefault(key, now)
        if len(self._unknown) > _LOCAL_STASH_LIMIT:
            self._unknown = {key: first}
        if self.store is None:
            return first
        ttl = float(self.settings.reuse_grace + self.settings.stash)
        try:
            if not self.store.add(store_key("refresh-unanswered", key), repr(first), ttl):
                found = self.store.get(store_key("refresh-unanswered", key))
                first = min(first, float(found)) if found is not None else first
        except (StoreUnavailable, ValueError):
            pass  # this process's own memory of it is what there is
        return first

    def _share(self, key: str, refresh_token: str, outcome: dict[str, Any]) -> dict[str, Any]:
        if self.store is not None:
            try:
                sealed = seal(refresh_token, outcome)
                self.store.set(store_key("refresh", key), sealed, self.settings.stash)
            except StoreUnavailable as exc:
                log.event(
                    "STORE_UNAVAILABLE",
                    "could not stash the refresh for other processes",
                    reason=str(exc),
                )
        return self._keep(key, outcome)

    def _keep(self, key: str, outcome: dict[str, Any]) -> dict[str, Any]:
        now = self.clock()
        with self._guard:
            if len(self._stash) >= _LOCAL_STASH_LIMIT:
                for stale in [k for k, (until, _) in self._stash.items() if until <= now]:
                    del self._stash[stale]
                if len(self._stash) >= _LOCAL_STASH_LIMIT:
                    self._stash.clear()
            self._stash[key] = (now + self.settings.stash, outcome)
        return outcome

    def _failed(self, key: str, reason: str, provider: Provider) -> RefreshDeferred:
        """A transient failure: back off (here and in the store); the 503 to raise."""
        now = self.clock()
        failures = self._backoff.get(key, (0.0, 0))[1] + 1
        delay = min(2**failures, self.settings.backoff_max)
        self._backoff[key] = (now + delay, failures)
        if len(self._backoff) > _LOCAL_STASH_LIMIT:
            self._backoff = {k: v for k, v in self._backoff.items() if v[0] > now}
        if self.store is not None:
            with suppress(StoreUnavailable):
                backoff = store_key("refresh-backoff", key)
                self.store.set(backoff, f"{failures}:{now + delay}", delay)
        log.emit(
            "REFRESH_UNAVAILABLE",
            "the upstream could not refresh",
            signals.upstream_refresh_failed,
            logged={"provider": provider.id, "reason": reason, "retry_after": delay},
            provider=provider.id,
            permanent=False,
        )
        return RefreshDeferred(delay, reason)

    def _remember_backoff(self, key: str, value: str) -> None:
        try:
            failures, until = value.split(":", 1)
            self._backoff[key] = (float(until), int(failures))
        except ValueError:
            return
