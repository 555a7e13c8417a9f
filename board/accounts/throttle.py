"""The sign-in throttle: failures counted per username and client address, in PostgreSQL.

From one address, 5 failures for one username within 15 minutes refuse that username to that
address, and 20 failures for any usernames refuse every username to it, each until the oldest of
those failures leaves the window. Failures from other addresses never refuse an address that has
not failed: guessing one password from many addresses is bounded by the per-address limit and the
hashing slots (board.accounts.passwords), not by locking the owner out.

Counted in the database rather than in memory, so every worker process and every restart sees
the same count. An IPv6 client is counted by its /64, the block one subscriber usually holds.
"""

import ipaddress
from datetime import timedelta

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select

from board.errors import TooManyAttempts, TooManyAttemptsFromAddress
from board.models import SignInFailure

MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 20
WINDOW = timedelta(minutes=15)
IPV6_PREFIX = 64
# Each counted failure deletes at most this many expired ones (of any username): the table stays
# small without a job, and no sign-in pays for a large backlog at once.
PURGE_BATCH = 100

_expired = SignInFailure.failed_at <= func.now() - WINDOW
# SKIP LOCKED: two sign-ins purging at once split the expired rows instead of waiting on each other.
PURGE_EXPIRED = delete(SignInFailure).where(
    SignInFailure.id.in_(
        select(SignInFailure.id)
        .where(_expired)
        .order_by(SignInFailure.failed_at)
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
)


def username_key(username: str) -> str:
    return username.lower()


def address_key(address: str) -> str:
    """The address as failures are counted: an IPv4 address as it is, an IPv6 one by its /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


def refuse_if_throttled(conn: Connection, username: str, address: str) -> None:
    """Raise TooManyAttempts(FromAddress) while this address is over either limit.

    Attempts from one address take turns (a lock held until the transaction ends), so parallel
    guesses cannot all slip in under a limit before any failure is counted.
    """
    address = address_key(address)
    conn.execute(select(func.pg_advisory_xact_lock(func.hashtext("sign-in from " + address))))
    from_address = SignInFailure.client_address == address
    seconds_left = _seconds_until_under(conn, from_address & (SignInFailure.username_key == username_key(username)),
                                        MAX_FAILURES)  # fmt: skip
    if seconds_left is not None:
        raise TooManyAttempts(seconds_left)
    seconds_left = _seconds_until_under(conn, from_address, MAX_ADDRESS_FAILURES)
    if seconds_left is not None:
        raise TooManyAttemptsFromAddress(seconds_left)


def _seconds_until_under(conn: Connection, counted: ColumnElement[bool], limit: int) -> int | None:
    """Seconds until fewer than `limit` of the failures `counted` are in the window; None if they are now."""
    # The oldest failure that still keeps the count at the limit: once it leaves the window, one
    # more attempt is allowed.
    oldest_of_the_last = (
        select(SignInFailure.failed_at)
        .where(counted, SignInFailure.failed_at > func.now() - WINDOW)
        .order_by(SignInFailure.failed_at.desc())
        .offset(limit - 1)
        .limit(1)
        .scalar_subquery()
    )
    seconds_left = conn.scalar(select(func.extract("epoch", oldest_of_the_last + WINDOW - func.now())))
    return None if seconds_left is None else max(1, int(-(-seconds_left // 1)))


def record_failure(conn: Connection, username: str, address: str) -> None:
    conn.execute(PURGE_EXPIRED)
    conn.execute(insert(SignInFailure).values(username_key=username_key(username), client_address=address_key(address)))


def forget_failures(conn: Connection, username: str, address: str) -> None:
    """Forget this username's failures from this address (the right password came from it)."""
    conn.execute(
        delete(SignInFailure).where(
            SignInFailure.username_key == username_key(username),
            SignInFailure.client_address == address_key(address),
        )
    )
