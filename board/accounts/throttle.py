"""The sign-in throttle: at most 5 failures per username in 15 minutes, counted in PostgreSQL.

Counted in the database rather than in memory, so every worker process and every restart sees
the same count.
"""

from datetime import timedelta

from sqlalchemy import Connection, delete, func, insert, select

from board.errors import TooManyAttempts
from board.models import SignInFailure

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def username_key(username: str) -> str:
    return username.lower()


def refuse_if_throttled(conn: Connection, username: str) -> None:
    """Raise TooManyAttempts while this username has MAX_FAILURES failures within WINDOW.

    Attempts for one username take turns (a lock held until the transaction ends), so parallel
    guesses cannot all slip in under the limit before any failure is counted.
    """
    conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(username_key(username)))))
    # The oldest failure that still keeps the count at MAX_FAILURES: once it leaves the
    # window, one more attempt is allowed.
    fifth_newest = (
        select(SignInFailure.failed_at)
        .where(SignInFailure.username_key == username_key(username), SignInFailure.failed_at > func.now() - WINDOW)
        .order_by(SignInFailure.failed_at.desc())
        .offset(MAX_FAILURES - 1)
        .limit(1)
        .scalar_subquery()
    )
    seconds_left = conn.scalar(select(func.extract("epoch", fifth_newest + WINDOW - func.now())))
    if seconds_left is not None:
        raise TooManyAttempts(max(1, int(-(-seconds_left // 1))))


def record_failure(conn: Connection, username: str) -> None:
    key = username_key(username)
    # Forget this username's failures that left the window, so the table stays small by itself.
    conn.execute(
        delete(SignInFailure).where(SignInFailure.username_key == key, SignInFailure.failed_at <= func.now() - WINDOW)
    )
    conn.execute(insert(SignInFailure).values(username_key=key))


def forget_failures(conn: Connection, username: str) -> None:
    conn.execute(delete(SignInFailure).where(SignInFailure.username_key == username_key(username)))
