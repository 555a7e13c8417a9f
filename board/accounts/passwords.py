"""Password hashing behind one pair of functions: Argon2id from argon2-cffi, never anything reversible.

Each hash takes 64 MiB and several cores for a noticeable time, so a process runs at most a few at
once (BOARD_CONCURRENT_HASHES): one more finds no free slot and is refused at once with
HashingBusy, rather than queueing request threads behind the hashes.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from board.errors import HashingBusy

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024

_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
_slots = threading.BoundedSemaphore(1)
_holding = threading.local()


def use_profile(name: str) -> None:
    """Switch the hasher to another argon2-cffi profile (tests use CHEAPEST: the suite hashes a lot)."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(getattr(profiles, name))
    _dummy_hash.cache_clear()


def limit_concurrent_hashes(slots: int) -> None:
    """Let this process run at most `slots` hashes at once."""
    global _slots
    _slots = threading.BoundedSemaphore(slots)


@contextmanager
def hashing_slot() -> Iterator[None]:
    """Hold a hashing slot, or raise HashingBusy at once; a thread already holding one keeps it.

    A use case takes the slot before its first statement, so a refusal costs no database work
    and is never counted as a failed sign-in; the hashes inside it then reuse the slot.
    """
    if getattr(_holding, "slot", False):
        yield
        return
    slots = _slots
    if not slots.acquire(blocking=False):
        raise HashingBusy()
    _holding.slot = True
    try:
        yield
    finally:
        _holding.slot = False
        slots.release()


def hash_password(password: str) -> str:
    with hashing_slot():
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check `password`; with no hash (unknown user) spend the same time and answer False."""
    with hashing_slot():
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
