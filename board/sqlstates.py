"""What a database error means, read from its SQLSTATE: the one place that classifies database errors.

board.retry asks which errors to retry, board.errors which answer a caller gets, board.metrics
which outcome a move came to, board.db whether the database refused board's settings.
"""

import enum
import re

import psycopg
from sqlalchemy.exc import DBAPIError

DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout ran out, or NOWAIT found the row locked
QUERY_CANCELED = "57014"  # statement_timeout ran out

# Retried once (board.retry): another transaction won a race, and the same work may well pass now.
TRANSIENT_SQLSTATES = frozenset({DEADLOCK_DETECTED, SERIALIZATION_FAILURE})


class Meaning(enum.Enum):
    """What a database error means to the caller; board.errors names the answer for each."""

    # Conflicting work got in the way: a transient failure twice, or a lock or statement timeout.
    # Resending the same request is safe. Timeouts are not retried: the lock holder is likely
    # still there, and a retry would double the time a request thread is stuck.
    BUSY = "busy"
    UNAVAILABLE = "unavailable"  # the server is not answering; it may be back in a moment
    MISCONFIGURED = "misconfigured"  # the server refused board's settings; resending will not help


# By SQLSTATE: the exact code, else its class prefix (three characters, then two).
SQLSTATE_MEANINGS: dict[str, Meaning] = {
    DEADLOCK_DETECTED: Meaning.BUSY,
    SERIALIZATION_FAILURE: Meaning.BUSY,
    LOCK_NOT_AVAILABLE: Meaning.BUSY,
    QUERY_CANCELED: Meaning.BUSY,
    "28P01": Meaning.MISCONFIGURED,  # invalid_password
    "28000": Meaning.MISCONFIGURED,  # invalid_authorization_specification: no such role, pg_hba.conf says no
    "3D000": Meaning.MISCONFIGURED,  # invalid_catalog_name: no such database
    "08P01": Meaning.MISCONFIGURED,  # protocol_violation: e.g. PgBouncer refusing a startup parameter
    "57P": Meaning.UNAVAILABLE,  # the server is shutting down, crashed, or is starting
    "08": Meaning.UNAVAILABLE,  # connection exceptions
}

# libpq keeps the SQLSTATE of a refused connection to itself (psycopg/psycopg#1188): psycopg's
# error has only the server's FATAL message. These are the messages PostgreSQL and PgBouncer
# send for the refusals that are configuration errors, with the SQLSTATE PostgreSQL gives them.
REFUSED_AT_CONNECT = (
    (re.compile(r"password authentication failed|no password supplied"), "28P01"),
    (re.compile(r'role ".*" does not exist|no pg_hba\.conf entry|pg_hba\.conf rejects'), "28000"),
    (re.compile(r'database ".*" does not exist|no such database'), "3D000"),
    (re.compile(r"unsupported startup parameter"), "08P01"),
)


def sqlstate_of(exc: BaseException) -> str | None:
    """Return the SQLSTATE of a database error, whether raised by psycopg or wrapped by SQLAlchemy."""
    driver_error = getattr(exc, "orig", None) or exc
    sqlstate = getattr(driver_error, "sqlstate", None)
    if sqlstate is None and isinstance(driver_error, psycopg.OperationalError):
        return refused_at_connect(str(driver_error))
    return sqlstate


def refused_at_connect(message: str) -> str | None:
    """Return the SQLSTATE of a connection refused for its configuration, or None for any other failure."""
    for pattern, sqlstate in REFUSED_AT_CONNECT:
        if pattern.search(message):
            return sqlstate
    return None


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is a deadlock or serialization failure: the only errors worth one retry."""
    return sqlstate_of(exc) in TRANSIENT_SQLSTATES


def meaning_of(error: DBAPIError) -> Meaning | None:
    """Return what a database error means to the caller, or None if it is a bug of ours."""
    sqlstate = sqlstate_of(error)
    meaning = None
    if sqlstate is not None:
        meaning = (
            SQLSTATE_MEANINGS.get(sqlstate)
            or SQLSTATE_MEANINGS.get(sqlstate[:3])
            or SQLSTATE_MEANINGS.get(sqlstate[:2])
        )
    # psycopg raises OperationalError without a SQLSTATE when it cannot reach the server at all.
    unreachable = sqlstate is None and isinstance(error.orig, psycopg.OperationalError)
    if meaning is None and (error.connection_invalidated or unreachable):
        meaning = Meaning.UNAVAILABLE
    return meaning
