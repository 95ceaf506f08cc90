"""argon2id password hashes (argon2-cffi's defaults: RFC 9106 low-memory profile)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "DUMMY_HASH",
    "MIN_PASSWORD",
    "hash_password",
    "new_password",
    "verify_password",
]

MIN_PASSWORD = 10  # characters of a password chosen by a person

_HASHER = PasswordHasher()
#: verified against when the account does not exist, so a wrong name costs the same time
DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """True when ``password`` matches the argon2 ``stored`` hash (never raises)."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    """A random password to hand out (about 120 bits, no look-alike characters)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))
