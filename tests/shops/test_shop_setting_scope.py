"""The shop sent with a statement holds for that statement alone; the role is the service's in every statement."""

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from board.db import SENDS_BEHIND_SETTINGS, as_operator, cursor_in_shop, one_statement
from board.sqlstates import sqlstate_of

SEEN = "SELECT coalesce(current_setting('board.shop_id', true), ''), current_user, session_user"


@pytest.mark.parametrize("database_route", ["direct", "pgbouncer"], indirect=True)
def test_a_statement_runs_in_the_shop_and_leaves_no_shop_on_its_connection(app, engine, database_route):
    with one_statement(engine) as conn:
        in_the_statement = tuple(conn.execute(text(SEEN)).one())
        # The same connection, with nothing sent before the statement (psycopg's own cursor).
        afterwards = psycopg.Cursor(conn.connection.driver_connection).execute(SEEN).fetchone()

    login_role = in_the_statement[2]
    assert in_the_statement[:2] == ("1", "board_app") and login_role != "board_app"
    assert afterwards[0] == ""
    # Directly, a connection acts as the service's role from its first statement to its last;
    # behind PgBouncer a server connection is shared, so the role lasts one transaction there.
    pooled = "BOARD_DB_POOLER" in database_route
    assert afterwards[1] == (login_role if pooled else "board_app")


@pytest.mark.parametrize("database_route", ["direct", "pgbouncer"], indirect=True)
def test_an_operators_statement_runs_as_the_login_role_and_the_next_as_the_service_again(app, engine):
    with as_operator(), one_statement(engine) as conn:
        as_operator_ = conn.execute(text(SEEN)).one()
    with one_statement(engine) as conn:
        next_one = conn.execute(text(SEEN)).one()

    assert as_operator_[1] == as_operator_[2] != "board_app"
    assert tuple(next_one[:2]) == ("1", "board_app")


def test_the_settings_go_out_in_one_write_with_the_statement_built_of_psycopgs_own_pieces():
    # board.db relies on private psycopg methods for this; a psycopg without them would only be slower.
    assert SENDS_BEHIND_SETTINGS


@pytest.mark.parametrize("in_a_transaction", [False, True], ids=["autocommit", "transaction"])
def test_a_first_statement_that_fails_raises_its_own_error_and_leaves_the_connection_usable(engine, in_a_transaction):
    with engine.connect() if in_a_transaction else one_statement(engine) as conn:
        with pytest.raises(DBAPIError) as refused:
            conn.execute(text("SELECT 1 / 0"))
        if in_a_transaction:
            conn.rollback()
        after = tuple(conn.execute(text(SEEN)).one())

    assert sqlstate_of(refused.value) == "22012"
    assert after[:2] == ("1", "board_app")


def test_a_statement_run_often_is_prepared_on_the_server_as_psycopg_prepares_it(engine):
    statement = text("SELECT CAST(:n AS int) * 7")
    with one_statement(engine) as conn:
        threshold = conn.connection.driver_connection.prepare_threshold
        answers = [conn.execute(statement, {"n": n}).scalar() for n in range(threshold + 2)]
        prepared = conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()

    assert answers == [7 * n for n in range(threshold + 2)]
    assert [found for found in prepared if "* 7" in found] == ["SELECT CAST($1 AS int) * 7"]


def test_settings_the_server_refuses_raise_their_error_and_the_statement_behind_them_does_not_run(database_url):
    conninfo = database_url.set(drivername="postgresql").render_as_string(hide_password=False)
    refused_role = cursor_in_shop("no_such_role", pooled=True, lock_timeout_ms=1000, statement_timeout_ms=1000)
    with psycopg.connect(conninfo, autocommit=True, cursor_factory=refused_role) as conn:
        psycopg.Cursor(conn).execute("CREATE TEMPORARY SEQUENCE probe")
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("SELECT nextval('probe')")
        drawn = psycopg.Cursor(conn).execute("SELECT is_called FROM probe").fetchone()

    assert drawn == (False,)


@pytest.mark.parametrize("in_a_transaction", [False, True], ids=["autocommit", "transaction"])
def test_executemany_first_in_its_transaction_runs_each_statement_in_the_shop(engine, in_a_transaction):
    with engine.connect() if in_a_transaction else one_statement(engine) as conn:
        with conn.connection.driver_connection.cursor() as cursor:
            cursor.executemany(
                "SELECT %s::int, current_setting('board.shop_id', true), current_user", [(1,), (2,)], returning=True
            )
            seen = [cursor.fetchone()]
            while cursor.nextset():
                seen.append(cursor.fetchone())

    assert seen == [(1, "1", "board_app"), (2, "1", "board_app")]


@pytest.mark.parametrize("in_a_transaction", [False, True], ids=["autocommit", "transaction"])
def test_without_psycopgs_private_pieces_the_settings_still_go_with_the_statement(
    engine, monkeypatch, in_a_transaction
):
    monkeypatch.setattr("board.db.SENDS_BEHIND_SETTINGS", False)
    with engine.connect() if in_a_transaction else one_statement(engine) as conn:
        in_the_statement = tuple(conn.execute(text(SEEN)).one())
        if in_a_transaction:
            conn.commit()
        afterwards = psycopg.Cursor(conn.connection.driver_connection).execute(SEEN).fetchone()

    assert in_the_statement[:2] == ("1", "board_app")
    assert afterwards[0] == ""
