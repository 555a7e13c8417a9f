"""The shop sent with a statement holds for that statement alone; the role is the service's in every statement."""

import psycopg
import pytest
from sqlalchemy import text

from board.db import QUEUES_COMMANDS, as_operator, one_statement

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


def test_the_settings_go_out_queued_behind_the_statement_as_psycopg_queues_its_own_commands():
    # board.db relies on a private psycopg method for this; a psycopg without it would only be slower.
    assert QUEUES_COMMANDS
