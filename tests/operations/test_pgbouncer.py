"""Behind PgBouncer in transaction pooling mode: the timeouts hold in every transaction, nothing leaks, and the gate."""

import psycopg
import pytest
from sqlalchemy import text

from board.db import one_statement
from tests.pgbouncer import missing_pgbouncer


@pytest.mark.parametrize("database_route", ["pgbouncer"], indirect=True)
def test_every_transaction_carries_the_timeouts_and_leaves_none_behind(make_app, pgbouncer, database_url):
    engine = make_app(BOARD_DB_LOCK_TIMEOUT_MS=1234, BOARD_DB_STATEMENT_TIMEOUT_MS=4321).extensions["board.engine"]
    show = text("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")

    with one_statement(engine) as conn:
        in_one_statement = conn.execute(show).one()
    with engine.begin() as conn:
        in_a_transaction = conn.execute(show).one()
    # Another client of the same PgBouncer, lent the same few server connections.
    plain = pgbouncer.url_for(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as other:
        seen_by_others = {other.execute(show.text).fetchone() for _ in range(20)}

    assert tuple(in_one_statement) == tuple(in_a_transaction) == ("1234ms", "4321ms")
    assert seen_by_others == {("0", "0")}, "SET LOCAL ends with its transaction"


def test_without_board_db_pooler_pgbouncer_refuses_and_the_answer_is_500_misconfigured(
    make_app, pgbouncer, database_url, caplog
):
    client = make_app(DATABASE_URL=pgbouncer.url_for(database_url).render_as_string(hide_password=False)).test_client()

    # Any token: checking it is the first thing that needs the database.
    response = client.post(
        "/api/appointments/1/move",
        json={"status": "READY", "version": 1},
        headers={"Authorization": "Bearer board_anything"},
    )

    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert response.get_json()["error"]["code"] == "database_misconfigured"
    assert "unsupported startup parameter: options" in caplog.text


def test_missing_pgbouncer_skips_with_how_to_install(monkeypatch):
    monkeypatch.delenv("BOARD_REQUIRE_PGBOUNCER", raising=False)
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="apt-get install pgbouncer"):
        missing_pgbouncer()


@pytest.mark.parametrize("variable, value", [("BOARD_REQUIRE_PGBOUNCER", "1"), ("CI", "true")])
def test_missing_pgbouncer_fails_when_required(monkeypatch, variable, value):
    monkeypatch.delenv("BOARD_REQUIRE_PGBOUNCER", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(variable, value)

    with pytest.raises(pytest.fail.Exception, match="must run"):
        missing_pgbouncer()
