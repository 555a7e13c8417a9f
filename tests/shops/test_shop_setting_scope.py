"""The shop and the role sent with a one_statement statement hold for that statement alone, never for the session."""

import pytest
from sqlalchemy import text

from board.db import one_statement

SEEN = "SELECT coalesce(current_setting('board.shop_id', true), ''), current_user"


@pytest.mark.parametrize("database_route", ["direct", "pgbouncer"], indirect=True)
def test_a_statement_runs_in_the_shop_and_leaves_nothing_on_its_connection(app, engine):
    login_role = engine.url.username
    with one_statement(engine) as conn:
        in_the_statement = tuple(conn.execute(text(SEEN)).one())
        # The same connection, with nothing sent before the statement (straight to psycopg).
        afterwards = conn.connection.driver_connection.execute(SEEN).fetchone()

    assert in_the_statement == ("1", "board_app")
    assert afterwards[0] == ""
    assert afterwards[1] != "board_app" or login_role == "board_app"
