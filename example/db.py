"""The user table: an embedded SQLite file, created and seeded with demo users on first run.

Each call opens and closes its own connection, so the module is safe under a threaded
server and leaves nothing open behind it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    role          TEXT,
    password_hash TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    name: str
    email: str
    role: str | None = None


#: Printed at start-up and shown on the sign-in page: this is a demo, not a secret.
DEMO_USERS = (
    DemoUser("alice", "alice-password", "Alice Example", "alice@example.com"),
    DemoUser("admin", "admin-password", "Ada Admin", "admin@example.com", role="admin"),
)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str
    email: str
    role: str | None
    password_hash: str = field(repr=False)

    def public(self) -> dict[str, Any]:
        """What authorize() hands to the session: everything but the hash."""
        user: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "name": self.name,
            "email": self.email,
        }
        if self.role:
            user["role"] = self.role
        return user


@contextmanager
def _connect(path: str) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(path)) as conn, conn:  # commit on success, always close
        conn.row_factory = sqlite3.Row
        yield conn


def init_db(path: str, users: tuple[DemoUser, ...] = DEMO_USERS) -> bool:
    """Create the table and the demo users if the table is empty; True when it seeded."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with _connect(path) as conn:
        conn.execute(SCHEMA)
        if conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None:
            return False
        conn.executemany(
            "INSERT INTO users (username, name, email, role, password_hash) VALUES (?,?,?,?,?)",
            [
                (u.username, u.name, u.email, u.role, generate_password_hash(u.password))
                for u in users
            ],
        )
    return True


def _user(row: sqlite3.Row | None) -> User | None:
    return User(**dict(row)) if row is not None else None


def find_user(path: str, username: str) -> User | None:
    with _connect(path) as conn:
        row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    return _user(row)


def get_user(path: str, user_id: str) -> User | None:
    with _connect(path) as conn:
        row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return _user(row)


def delete_user(path: str, username: str) -> None:
    with _connect(path) as conn:
        conn.execute("DELETE FROM users WHERE username = ?", (username,))


@cache
def _dummy_hash() -> str:
    return generate_password_hash("no user has this password")


def authenticate(path: str, username: str, password: str) -> User | None:
    """The user when the password matches, else None.

    An unknown user is checked against a dummy hash of the same kind, so the answer takes
    as long as for a wrong password and timing does not reveal who has an account.
    """
    user = find_user(path, username) if username else None
    matches = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    return user if user is not None and matches else None
