"""Classifying database errors by SQLSTATE: which are retried, what each means, what the caller is answered."""

import psycopg
import pytest
from psycopg import errors as pg_errors
from sqlalchemy.exc import DBAPIError, OperationalError

from board.errors import VersionConflict, board_error_for
from board.sqlstates import Meaning, is_transient, meaning_of, refused_at_connect


def wrapped(driver_error: Exception, **kwargs) -> DBAPIError:
    """A psycopg error as SQLAlchemy hands it to us."""
    return DBAPIError.instance("UPDATE appointments ...", {}, driver_error, psycopg.Error, **kwargs)


@pytest.mark.parametrize(
    "error, transient",
    [
        (wrapped(pg_errors.DeadlockDetected()), True),  # 40P01
        (wrapped(pg_errors.SerializationFailure()), True),  # 40001
        (pg_errors.DeadlockDetected(), True),
        (wrapped(pg_errors.LockNotAvailable()), False),  # 55P03
        (wrapped(pg_errors.QueryCanceled()), False),  # 57014
        (wrapped(pg_errors.UniqueViolation()), False),  # 23505
        (wrapped(pg_errors.TransactionRollback()), False),  # 40000: the class, not a transient member
        (wrapped(psycopg.OperationalError("connection refused")), False),  # no SQLSTATE
        (OperationalError("SELECT 1", {}, Exception("deadlock detected")), False),  # text is not evidence
        (VersionConflict(), False),
        (ValueError("40P01"), False),
    ],
)
def test_only_deadlocks_and_serialization_failures_are_transient(error, transient):
    assert is_transient(error) is transient


@pytest.mark.parametrize(
    "error, meaning, answer",
    [
        (wrapped(pg_errors.DeadlockDetected()), Meaning.BUSY, "transient_conflict"),  # 40P01, once retried
        (wrapped(pg_errors.SerializationFailure()), Meaning.BUSY, "transient_conflict"),  # 40001, once retried
        (wrapped(pg_errors.LockNotAvailable()), Meaning.BUSY, "transient_conflict"),  # 55P03: lock_timeout
        (wrapped(pg_errors.QueryCanceled()), Meaning.BUSY, "transient_conflict"),  # 57014: statement_timeout
        (wrapped(pg_errors.InvalidPassword()), Meaning.MISCONFIGURED, "database_misconfigured"),  # 28P01
        (wrapped(pg_errors.InvalidAuthorizationSpecification()), Meaning.MISCONFIGURED, "database_misconfigured"),
        (wrapped(pg_errors.InvalidCatalogName()), Meaning.MISCONFIGURED, "database_misconfigured"),  # 3D000
        (wrapped(pg_errors.ProtocolViolation()), Meaning.MISCONFIGURED, "database_misconfigured"),  # 08P01, not 08
        (
            wrapped(psycopg.OperationalError('FATAL:  database "nope" does not exist')),
            Meaning.MISCONFIGURED,
            "database_misconfigured",
        ),  # refused at connect: no SQLSTATE from libpq
        (wrapped(pg_errors.AdminShutdown()), Meaning.UNAVAILABLE, "database_unavailable"),  # 57P01
        (wrapped(pg_errors.CannotConnectNow()), Meaning.UNAVAILABLE, "database_unavailable"),  # 57P03
        (wrapped(pg_errors.ConnectionFailure()), Meaning.UNAVAILABLE, "database_unavailable"),  # 08006
        (wrapped(psycopg.OperationalError("connection refused")), Meaning.UNAVAILABLE, "database_unavailable"),
        (
            wrapped(psycopg.InterfaceError("the connection is closed"), connection_invalidated=True),
            Meaning.UNAVAILABLE,
            "database_unavailable",
        ),
        (wrapped(pg_errors.UniqueViolation()), None, None),  # 23505: a bug of ours, answered 500
        (wrapped(pg_errors.TransactionRollback()), None, None),  # 40000: not a member the table names
        (wrapped(pg_errors.OperatorIntervention()), None, None),  # 57000: class 57 is not all an outage
        (wrapped(psycopg.InterfaceError("the connection is closed")), None, None),
    ],
)
def test_each_database_error_has_one_meaning_and_one_answer(error, meaning, answer):
    board_error = board_error_for(error)

    assert meaning_of(error) is meaning
    assert (board_error.code if board_error is not None else None) == answer


@pytest.mark.parametrize(
    "message, sqlstate",
    [
        ('FATAL:  password authentication failed for user "board"', "28P01"),
        ("FATAL:  password authentication failed", "28P01"),  # PgBouncer's
        ("fe_sendauth: no password supplied", "28P01"),
        ('FATAL:  role "ghost" does not exist', "28000"),
        ('FATAL:  no pg_hba.conf entry for host "10.0.0.7", user "board", database "board", no encryption', "28000"),
        ('FATAL:  database "nope" does not exist', "3D000"),
        ("FATAL:  unsupported startup parameter: options", "08P01"),
        ('connection to server at "127.0.0.1", port 1 failed: Connection refused', None),
        ("connection timeout expired", None),
        ("FATAL:  the database system is starting up", None),
    ],
)
def test_refusals_at_connect_are_told_apart_from_outages(message, sqlstate):
    assert refused_at_connect(message) == sqlstate
