"""The retry policy: the single jittered retry of a transient failure (board.sqlstates says which are)."""

import psycopg
import pytest
from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError

from board.errors import NotFound, TransientConflict, VersionConflict
from board.retry import RetryPolicy


def wrapped(driver_error: Exception) -> DBAPIError:
    """A psycopg error as SQLAlchemy hands it to us."""
    return DBAPIError.instance("UPDATE appointments ...", {}, driver_error, psycopg.Error)


class Attempts:
    """A transaction that fails with the given errors in turn, then succeeds."""

    def __init__(self, *failures):
        self.failures = list(failures)
        self.count = 0

    def __call__(self):
        self.count += 1
        if self.failures:
            raise self.failures.pop(0)
        return "moved"


def policy(pauses, max_delay_ms=50, retries=None):
    return RetryPolicy(
        max_delay_ms=max_delay_ms, sleep=pauses.append, on_retry=None if retries is None else retries.append
    )


def test_success_needs_no_retry():
    pauses = []
    attempts = Attempts()

    assert policy(pauses).run(attempts) == "moved"
    assert attempts.count == 1 and pauses == []


@pytest.mark.parametrize("failure", [pg_errors.DeadlockDetected(), pg_errors.SerializationFailure()])
def test_one_transient_failure_is_retried_once_after_a_pause_within_the_limit(failure):
    pauses, retries = [], []
    attempts = Attempts(wrapped(failure))

    assert policy(pauses, retries=retries).run(attempts) == "moved"
    assert attempts.count == 2
    assert len(pauses) == 1 and 0 <= pauses[0] <= 0.050
    assert retries == [failure.sqlstate]


def test_pauses_are_random_not_fixed():
    pauses = []
    for _ in range(20):
        policy(pauses, max_delay_ms=1000).run(Attempts(wrapped(pg_errors.DeadlockDetected())))

    assert all(0 <= p <= 1.0 for p in pauses)
    assert len(set(pauses)) > 1


def test_two_transient_failures_give_transient_conflict_after_two_attempts():
    pauses = []
    attempts = Attempts(wrapped(pg_errors.DeadlockDetected()), wrapped(pg_errors.SerializationFailure()))

    with pytest.raises(TransientConflict) as raised:
        policy(pauses).run(attempts)

    assert attempts.count == 2 and len(pauses) == 1
    assert raised.value.sqlstate == "40001"
    assert raised.value.headers() == {"Retry-After": "1"}


@pytest.mark.parametrize(
    "failure",
    [
        VersionConflict(),
        NotFound(),
        wrapped(pg_errors.UniqueViolation()),
        wrapped(pg_errors.LockNotAvailable()),
        wrapped(psycopg.OperationalError("server closed the connection")),
        RuntimeError("bug"),
    ],
)
def test_anything_else_is_raised_at_once_without_retry(failure):
    pauses = []
    attempts = Attempts(failure)

    with pytest.raises(type(failure)):
        policy(pauses).run(attempts)

    assert attempts.count == 1 and pauses == []


def test_a_transient_failure_then_a_conflict_gives_the_conflict():
    pauses = []
    attempts = Attempts(wrapped(pg_errors.DeadlockDetected()), VersionConflict())

    with pytest.raises(VersionConflict):
        policy(pauses).run(attempts)

    assert attempts.count == 2
