"""Fixtures: one scratch database per test session on a real PostgreSQL, migrated by Alembic."""

import graphlib
import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from alembic import command
from board import create_app
from board.db import acting_for, as_operator, normalize_url, start_embedded
from tests import factories
from tests.closing_count import EveryCollectedTestReports
from tests.helpers import ROOT, TABLES, alembic_config, serving
from tests.pgbouncer import running_pgbouncer
from tests.served import granian

pytest_plugins = ("pytester",)


def pytest_configure(config):
    config.pluginmanager.register(EveryCollectedTestReports(), "every-collected-test-reports")


def admin_engine(server_url: URL):
    return create_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_scratch_database(server_url: URL) -> URL:
    name = f"board_test_{uuid.uuid4().hex[:12]}"
    engine = admin_engine(server_url)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.set(database=name)


def drop_database(server_url: URL, name: str) -> None:
    engine = admin_engine(server_url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def server_url() -> URL:
    """The server under test: DATABASE_URL's when set, else the embedded one (stopped when pytest exits)."""
    if os.environ.get("DATABASE_URL"):
        return normalize_url(os.environ["DATABASE_URL"])
    return start_embedded(ROOT / "instance" / "pgdata")


@pytest.fixture(scope="session")
def scratch_database(server_url):
    """Make an empty database on the server under test; drop it afterwards."""
    created = []

    def make() -> URL:
        url = create_scratch_database(server_url)
        created.append(url.database)
        return url

    yield make
    for name in created:
        drop_database(server_url, name)


@pytest.fixture(scope="session")
def database_url(scratch_database) -> URL:
    url = scratch_database()
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture(scope="session")
def pgbouncer(server_url, tmp_path_factory):
    """A real PgBouncer in transaction pooling mode in front of the server under test."""
    with running_pgbouncer(server_url, tmp_path_factory.mktemp("pgbouncer")) as bouncer:
        yield bouncer


@pytest.fixture
def database_route(request, database_url) -> dict:
    """The settings that lead the app to the test database: directly, or through PgBouncer.

    Directly unless a test asks otherwise with
    @pytest.mark.parametrize("database_route", ["direct", "pgbouncer"], indirect=True).
    """
    if getattr(request, "param", "direct") == "direct":
        return {"DATABASE_URL": database_url.render_as_string(hide_password=False)}
    bouncer = request.getfixturevalue("pgbouncer")
    url = bouncer.url_for(database_url).render_as_string(hide_password=False)
    return {"DATABASE_URL": url, "BOARD_DB_POOLER": "transaction"}


# The settings an engine is made from (board.db.init_app): apps that agree on them share one.
ENGINE_SETTINGS = (
    "DATABASE_URL",
    "BOARD_DB_POOL_SIZE",
    "BOARD_DB_LOCK_TIMEOUT_MS",
    "BOARD_DB_STATEMENT_TIMEOUT_MS",
    "BOARD_DB_CONNECT_TIMEOUT_S",
    "BOARD_DB_POOLER",
    "BOARD_DB_ROLE",
)


@pytest.fixture(scope="session")
def engines():
    """Engines kept across tests, by their settings: a new connection costs PostgreSQL about 5 ms of CPU."""
    kept = {}
    yield kept
    for engine in kept.values():
        engine.dispose()


@pytest.fixture
def make_app(database_route, engines):
    """Make an app on the test database with some settings overridden; its engine is kept for the next tests.

    An engine left with a connection checked out (a thread still holding one) is disposed of and
    forgotten, so no test inherits another's pool.
    """
    made = []

    def make(**settings):
        config = {**database_route, "TESTING": True, "BOARD_PASSWORD_PROFILE": "CHEAPEST", **settings}
        app = create_app(config)
        key = tuple(app.config[name] for name in ENGINE_SETTINGS)
        if key in engines:
            app.extensions["board.engine"].dispose()
            app.extensions["board.engine"] = engines[key]
        else:
            engines[key] = app.extensions["board.engine"]
        made.append(key)
        return app

    yield make
    for key in made:
        engine = engines.get(key)
        if engine is not None and engine.pool.checkedout():
            engines.pop(key).dispose()


# Children before parents, so that each DELETE leaves no row pointing at a deleted one.
FOREIGN_KEYS = text("""
    SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint
    WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND conrelid <> confrelid""")
IDENTITIES = text("""
    SELECT table_name, column_name FROM information_schema.columns
    WHERE is_identity = 'YES' AND table_schema = 'public'""")
_emptying: list = []


def empty_every_table(conn) -> None:
    """Every table emptied and its ids started again at 1, as TRUNCATE ... RESTART IDENTITY would.

    DELETE and setval instead: TRUNCATE gives each table new files, about 50 ms for the 15 of
    them before every test; these take about 5 (autovacuum clears the dead rows they leave).
    """
    if not _emptying:
        order = graphlib.TopologicalSorter({table: set() for table in TABLES})
        for child, parent in conn.execute(FOREIGN_KEYS):
            order.add(parent, child)
        restarts = [
            f"setval(pg_get_serial_sequence('{table}', '{column}'), 1, false)"
            for table, column in conn.execute(IDENTITIES)
        ]
        deletes = [text(f"DELETE FROM {table}") for table in order.static_order() if table in TABLES]
        _emptying.extend([*deletes, text(f"SELECT {', '.join(restarts)}")])
    for statement in _emptying:
        conn.execute(statement)


@pytest.fixture
def app(make_app):
    """The app on emptied tables with one shop, `main`, which the test's own transactions act for."""
    app = make_app()
    engine = app.extensions["board.engine"]
    with as_operator(), engine.begin() as conn:
        empty_every_table(conn)
        shop_id = conn.scalar(
            text("INSERT INTO shops (slug, name, timezone) VALUES ('main', 'Main shop', 'UTC') RETURNING id")
        )
    factories.Session.configure(bind=engine)
    with acting_for(shop_id):
        yield app
    factories.Session.remove()


@pytest.fixture
def staff(app):
    """The account most tests act as: staff may do every card operation."""
    return factories.UserFactory(username="sam", name="Sam Staff", role="staff")


@pytest.fixture
def staff_token(staff) -> str:
    return factories.token_for(staff, label="tests")


@pytest.fixture
def api_headers(staff_token) -> dict:
    """Headers that authenticate a raw HTTP request to /api as the staff account."""
    return {"Authorization": f"Bearer {staff_token}"}


@pytest.fixture
def client_for(api_headers):
    """Make a test client of `app` that sends the staff account's token with every request."""

    def make(app, headers=None):
        client = app.test_client()
        for name, value in (headers or api_headers).items():
            client.environ_base["HTTP_" + name.upper().replace("-", "_")] = value
        return client

    return make


@pytest.fixture
def admin_client(app, client_for):
    """A test client with an admin's token (Ada, of the test's shop)."""
    admin = factories.UserFactory(username="ada", name="Ada Admin", role="admin")
    return client_for(app, {"Authorization": f"Bearer {factories.token_for(admin)}"})


@pytest.fixture
def client(app, client_for):
    return client_for(app)


@pytest.fixture
def anonymous(app):
    """A test client with no credentials at all."""
    return app.test_client()


@pytest.fixture
def engine(app):
    return app.extensions["board.engine"]


@pytest.fixture(scope="session")
def served(database_url):
    """The app on the test database served as in production: Granian, 2 workers x 4 threads, in a subprocess."""
    with granian(database_url, workers=2, threads=4) as server:
        yield server


@pytest.fixture
def live_server(app):
    """The app behind a real threaded HTTP server on 127.0.0.1; yields its base URL."""
    with serving(app) as url:
        yield url


@pytest.fixture
def inject_fault(engine):
    """Make every event insert raise `sqlstate` inside PostgreSQL (only the first `times`, if given).

    A sequence counts the attempts: sequences are not rolled back with the transaction.
    """

    def install(sqlstate: str, times: int | None = None):
        limit = "TRUE" if times is None else f"n <= {times}"
        with as_operator(), engine.begin() as conn:
            conn.execute(text("CREATE SEQUENCE fault_attempts"))
            # The trigger runs as the service's role, which may use only what it is granted.
            conn.execute(text("GRANT USAGE ON SEQUENCE fault_attempts TO board_app"))
            conn.execute(
                text(f"""
                CREATE FUNCTION inject_fault() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE n bigint := nextval('fault_attempts');
                BEGIN
                    IF {limit} THEN
                        RAISE EXCEPTION 'injected fault' USING ERRCODE = '{sqlstate}';
                    END IF;
                    RETURN NEW;
                END $$""")
            )
            conn.execute(
                text(
                    "CREATE TRIGGER inject_fault BEFORE INSERT ON appointment_events"
                    " FOR EACH ROW EXECUTE FUNCTION inject_fault()"
                )
            )

    def attempts() -> int:
        with as_operator(), engine.connect() as conn:
            return conn.scalar(text("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM fault_attempts"))

    yield install, attempts
    with as_operator(), engine.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS inject_fault ON appointment_events"))
        conn.execute(text("DROP FUNCTION IF EXISTS inject_fault()"))
        conn.execute(text("DROP SEQUENCE IF EXISTS fault_attempts"))
