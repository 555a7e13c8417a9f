"""Password hashing behind one pair of functions: Argon2id from argon2-cffi, never anything reversible."""

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024

_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def use_profile(name: str) -> None:
    """Switch the hasher to another argon2-cffi profile (tests use CHEAPEST: the suite hashes a lot)."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(getattr(profiles, name))
    _dummy_hash.cache_clear()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check `password`; with no hash (unknown user) spend the same time and answer False."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def _dummy_hash() -> str:
    # Verified for unknown usernames, so they cost what a wrong password costs.
    return _hasher.hash("not the password of anyone")
