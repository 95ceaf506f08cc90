"""The dashboard's accounts and sessions (tables ``web_users`` and ``web_sessions`` of server.db).

Passwords are stored as argon2id PHC strings (hashed by :mod:`rempart.web.passwords`, never
here); sessions as the SHA-256 of their cookie token. Every statement is parameterised.
``rempart user`` writes this table directly (SQLite serialises it with the running server);
the dashboard writes it through the server's writer thread.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal, cast

from rempart.store.db import Database

__all__ = ["ROLES", "Role", "SqliteUserStore", "StoredSession", "StoredUser", "token_hash"]

Role = Literal["admin", "reader"]
ROLES: tuple[Role, ...] = ("admin", "reader")


@dataclass(frozen=True, slots=True)
class StoredUser:
    name: str
    role: Role
    password_hash: str
    language: str | None  # "en", "fr", or None (the browser's)
    created: float
    password_changed: float
    last_login: float | None


@dataclass(frozen=True, slots=True)
class StoredSession:
    user: StoredUser
    csrf: str
    created: float
    seen: float
    address: str


def token_hash(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_USER_COLUMNS = "name, role, password_hash, language, created, password_changed, last_login"


def _user(row: tuple[object, ...]) -> StoredUser:
    name, role, password_hash, language, created, changed, last_login = row
    return StoredUser(
        name=cast("str", name),
        role=cast("Role", role),
        password_hash=cast("str", password_hash),
        language=cast("str | None", language),
        created=cast("float", created),
        password_changed=cast("float", changed),
        last_login=cast("float | None", last_login),
    )


class SqliteUserStore:
    """Accounts and sessions in server.db."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ accounts

    def users(self) -> list[StoredUser]:
        rows = self.db.tuples(f"SELECT {_USER_COLUMNS} FROM web_users ORDER BY name")  # noqa: S608
        return [_user(r) for r in rows]

    def user(self, name: str) -> StoredUser | None:
        rows = self.db.tuples(
            f"SELECT {_USER_COLUMNS} FROM web_users WHERE name = ?",  # noqa: S608
            (name,),
        )
        return _user(rows[0]) if rows else None

    def add(self, name: str, role: Role, password_hash: str, now: float) -> bool:
        """Add an account; False when the name is taken."""
        with self.db.transaction() as c:
            cursor = c.execute(
                "INSERT INTO web_users (name, role, password_hash, created, password_changed) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                (name, role, password_hash, now, now),
            )
            return cursor.rowcount == 1

    def set_password(self, name: str, password_hash: str, now: float) -> bool:
        """Replace the password and end the account's sessions; False for an unknown name."""
        with self.db.transaction() as c:
            cursor = c.execute(
                "UPDATE web_users SET password_hash = ?, password_changed = ? WHERE name = ?",
                (password_hash, now, name),
            )
            c.execute("DELETE FROM web_sessions WHERE user = ?", (name,))
            return cursor.rowcount == 1

    def set_role(self, name: str, role: Role) -> bool:
        with self.db.transaction() as c:
            return (
                c.execute("UPDATE web_users SET role = ? WHERE name = ?", (role, name)).rowcount
                == 1
            )

    def set_language(self, name: str, language: str | None) -> bool:
        with self.db.transaction() as c:
            cursor = c.execute("UPDATE web_users SET language = ? WHERE name = ?", (language, name))
            return cursor.rowcount == 1

    def remove(self, name: str) -> bool:
        """Remove an account and its sessions; False for an unknown name."""
        with self.db.transaction() as c:
            return c.execute("DELETE FROM web_users WHERE name = ?", (name,)).rowcount == 1

    # ------------------------------------------------------------------ sessions

    def open_session(self, name: str, token: str, csrf: str, now: float, address: str) -> None:
        with self.db.transaction() as c:
            c.execute(
                "INSERT INTO web_sessions (token_hash, user, csrf, created, seen, address) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (token_hash(token), name, csrf, now, now, address[:64]),
            )
            c.execute("UPDATE web_users SET last_login = ? WHERE name = ?", (now, name))

    def session(self, token: str) -> StoredSession | None:
        """The session of a cookie token (whatever its age: the caller checks expiry)."""
        rows = self.db.tuples(
            "SELECT u.name, u.role, u.password_hash, u.language, u.created, u.password_changed, "
            "u.last_login, s.csrf, s.created, s.seen, s.address FROM web_sessions s "
            "JOIN web_users u ON u.name = s.user WHERE s.token_hash = ?",
            (token_hash(token),),
        )
        if not rows:
            return None
        row = rows[0]
        return StoredSession(
            user=_user(row[:7]),
            csrf=cast("str", row[7]),
            created=cast("float", row[8]),
            seen=cast("float", row[9]),
            address=cast("str", row[10]),
        )

    def touch_session(self, token: str, now: float) -> None:
        with self.db.transaction() as c:
            c.execute(
                "UPDATE web_sessions SET seen = ? WHERE token_hash = ?", (now, token_hash(token))
            )

    def close_session(self, token: str) -> None:
        with self.db.transaction() as c:
            c.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash(token),))

    def expire_sessions(self, idle_before: float, created_before: float) -> int:
        """Drop sessions idle since ``idle_before`` or opened before ``created_before``."""
        with self.db.transaction() as c:
            cursor = c.execute(
                "DELETE FROM web_sessions WHERE seen < ? OR created < ?",
                (idle_before, created_before),
            )
            return cursor.rowcount
