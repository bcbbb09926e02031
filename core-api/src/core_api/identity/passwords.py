"""Password hashing with argon2id at the OWASP parameters (19 MiB, 2 passes, 1 lane)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """An encoded argon2id hash carrying its own salt and parameters."""
    return _hasher.hash(password)


def verify_password(encoded: str | None, password: str) -> bool:
    """True when `password` matches; with no stored hash it still spends the same time."""
    try:
        return _hasher.verify(encoded or _decoy_hash(), password) and encoded is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _decoy_hash() -> str:
    # Unknown emails verify against this, so they cost as much as a wrong password.
    return _hasher.hash("decoy password that matches nothing")
