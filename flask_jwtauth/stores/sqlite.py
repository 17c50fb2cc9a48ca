"""The embedded store: one SQLite file shared by the worker processes of one machine.

WAL mode and a busy timeout let processes read while one writes; each thread has its own
connection, closed when the thread ends; expired rows are swept every so often, so the
table stays bounded.

A file this store creates is readable and writable by its owner only (0600, whatever the
umask): it holds revoked session ids, user ids and throttle counts. SQLite gives the WAL and
shared-memory files beside it the same mode. An existing file keeps the mode it has.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .base import StoreUnavailable

Clock = Callable[[], float]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS jwtauth_store "
    "(key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS jwtauth_store_expires ON jwtauth_store (expires)",
    # Change feeds (revocations): rows with an increasing id, read on from the last seen.
    "CREATE TABLE IF NOT EXISTS jwtauth_log (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "log TEXT NOT NULL, entry TEXT NOT NULL, expires REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS jwtauth_log_read ON jwtauth_log (log, id)",
    "CREATE INDEX IF NOT EXISTS jwtauth_log_expires ON jwtauth_log (expires)",
)
_SWEEP_EVERY = 100


class SQLiteStore:
    def __init__(self, path: str, *, timeout: float = 0.5, clock: Clock | None = None) -> None:
        self.path = path
        self._timeout = timeout
        self._clock = clock or time.time
        self._local = threading.local()
        self._writes = 0
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            _create_private(path)
        with self._guard():
            connection = self._connection()
            connection.execute("PRAGMA journal_mode=WAL")
            for statement in _SCHEMA:
                connection.execute(statement)

    def _connection(self) -> sqlite3.Connection:
        held: _Held | None = getattr(self._local, "held", None)
        if held is None:
            # Used by this thread only (it is thread-local); check_same_thread is off so
            # that the finaliser, which may run on another thread, can close it.
            connection = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
            connection.execute("PRAGMA synchronous=NORMAL")
            held = self._local.held = _Held(connection)
        return held.connection

    def _guard(self) -> _Guard:
        return _Guard()

    def get(self, key: str) -> str | None:
        return self.get_many([key])[0]

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        marks = ",".join("?" * len(keys))
        with self._guard():
            rows = self._connection().execute(
                f"SELECT key, value FROM jwtauth_store WHERE key IN ({marks}) AND expires > ?",
                (*keys, self._clock()),
            ).fetchall()
        found = dict(rows)
        return [found.get(key) for key in keys]

    def _wrote(self, connection: sqlite3.Connection, now: float) -> None:
        self._writes += 1
        if self._writes % _SWEEP_EVERY == 0:
            connection.execute("DELETE FROM jwtauth_store WHERE expires <= ?", (now,))

    def set(self, key: str, value: str, ttl: float) -> None:
        now = self._clock()
        with self._guard():
            connection = self._connection()
            connection.execute(
                "INSERT INTO jwtauth_store (key, value, expires) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
                (key, value, now + ttl),
            )
            self._wrote(connection, now)

    def delete(self, key: str) -> None:
        with self._guard():
            self._connection().execute("DELETE FROM jwtauth_store WHERE key = ?", (key,))

    def add(self, key: str, value: str, ttl: float) -> bool:
        now = self._clock()
        with self._guard():
            connection = self._connection()
            cursor = connection.execute(
                "INSERT INTO jwtauth_store (key, value, expires) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires "
                "WHERE jwtauth_store.expires <= ?",
                (key, value, now + ttl, now),
            )
            self._wrote(connection, now)
            return cursor.rowcount == 1

    def incr(self, key: str, ttl: float) -> int:
        now = self._clock()
        with self._guard():
            connection = self._connection()
            row = connection.execute(
                "INSERT INTO jwtauth_store (key, value, expires) VALUES (?, '1', ?) "
                "ON CONFLICT(key) DO UPDATE SET "
                "value = CASE WHEN jwtauth_store.expires <= ? THEN '1' "
                "ELSE CAST(CAST(jwtauth_store.value AS INTEGER) + 1 AS TEXT) END, "
                "expires = CASE WHEN jwtauth_store.expires <= ? THEN excluded.expires "
                "ELSE jwtauth_store.expires END "
                "RETURNING value",
                (key, now + ttl, now, now),
            ).fetchone()
            self._wrote(connection, now)
            return int(row[0])

    def append(self, log: str, entry: str, ttl: float) -> None:
        now = self._clock()
        with self._guard():
            connection = self._connection()
            connection.execute("DELETE FROM jwtauth_log WHERE expires <= ?", (now,))
            connection.execute(
                "INSERT INTO jwtauth_log (log, entry, expires) VALUES (?, ?, ?)",
                (log, entry, now + ttl),
            )

    def since(self, log: str, cursor: str | None) -> tuple[list[str], str]:
        """Writers are serialised and every statement commits alone, so ids appear in
        order: nothing is committed later under an id below one already read."""
        with self._guard():
            connection = self._connection()
            if cursor is None:
                last = connection.execute("SELECT max(id) FROM jwtauth_log").fetchone()[0] or 0
                rows = connection.execute(
                    "SELECT id, entry FROM jwtauth_log WHERE log = ? AND id <= ? AND expires > ? "
                    "ORDER BY id",
                    (log, last, self._clock()),
                ).fetchall()
                return [entry for _, entry in rows], str(last)
            rows = connection.execute(
                "SELECT id, entry FROM jwtauth_log WHERE log = ? AND id > ? ORDER BY id",
                (log, int(cursor)),
            ).fetchall()
        return [entry for _, entry in rows], str(rows[-1][0]) if rows else cursor

    def close(self) -> None:
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None:
            held.connection.close()
            self._local.held = None


def _create_private(path: str) -> None:
    """Create the file 0600 before SQLite would create it with the umask's mode (0644)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreUnavailable(f"sqlite: cannot create {path}: {exc}") from exc
    try:
        os.fchmod(fd, 0o600)  # a umask that takes owner bits away does not weaken it either
    finally:
        os.close(fd)


class _Held:
    """A thread's connection, closed when the thread ends and its thread-local data goes:
    a server that starts a thread per request (Werkzeug's threaded server) would otherwise
    leave one open connection (and its WAL files) per request."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __del__(self) -> None:
        self.connection.close()


class _Guard:
    """Turns SQLite's own errors (locked past the busy timeout, unreadable file) into
    :class:`StoreUnavailable`."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, sqlite3.Error):
            raise StoreUnavailable(f"sqlite: {exc}") from exc
