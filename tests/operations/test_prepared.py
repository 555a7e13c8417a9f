"""board.db.Prepared: the hot statements run without SQLAlchemy's execution layer, and nothing else changes."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DataError, DBAPIError

from board.accounts.identity import SESSION_LOOKUP, TOKEN_LOOKUP
from board.appointments.cards import BOARD_STATEMENTS, CREATE, DELETE, _edit_statement
from board.appointments.changes import READ_CARD
from board.appointments.moves import MOVE
from board.db import Prepared, acting_for, one_statement
from board.sqlstates import sqlstate_of
from tests.factories import AppointmentFactory

EVERY_EDIT = _edit_statement(("customer", "notes", "scheduled_at", "title"))
HOT = {
    "token lookup": TOKEN_LOOKUP,
    "session lookup": SESSION_LOOKUP,
    "read card": READ_CARD,
    "create": CREATE,
    "move": MOVE,
    "edit": EVERY_EDIT,
    "delete": DELETE.statement,
    "board": BOARD_STATEMENTS[True],
    "board before PostgreSQL 18": BOARD_STATEMENTS[False],
}


@pytest.mark.parametrize("name", HOT)
def test_a_hot_statement_sends_exactly_what_sqlalchemy_would_send_and_needs_no_conversion(name, engine):
    prepared = HOT[name]
    compiled = prepared.statement.compile(dialect=engine.dialect)

    assert prepared.sql == compiled.string
    assert prepared.params == compiled.params
    # Prepared hands parameters to psycopg and rows back as psycopg gives them: right only when
    # SQLAlchemy would convert neither.
    assert not compiled._bind_processors
    assert [column.type._cached_result_processor(engine.dialect, None) for column in compiled._result_columns] == [
        None for column in compiled._result_columns
    ]


def test_a_prepared_read_answers_the_row_sqlalchemy_answers(app, engine):
    card = AppointmentFactory(title="Brakes", customer="Ada")

    with acting_for(card.shop_id), one_statement(engine) as conn:
        prepared = READ_CARD.one_or_none(conn, {"appointment_id": card.id})
        through_sqlalchemy = conn.execute(READ_CARD.statement, {"appointment_id": card.id}).one()
        missing = READ_CARD.one_or_none(conn, {"appointment_id": card.id + 1000})

    assert tuple(prepared) == tuple(through_sqlalchemy)
    assert (prepared.id, prepared.title, prepared.customer, prepared.version) == (card.id, "Brakes", "Ada", 1)
    assert missing is None


def test_a_prepared_statement_that_fails_raises_sqlalchemys_error_with_its_sqlstate(app, engine):
    divide = Prepared(text("SELECT 1 / CAST(:by AS int)"))

    with pytest.raises(DataError) as raised, engine.begin() as conn:
        divide.rows(conn, {"by": 0})

    assert sqlstate_of(raised.value) == "22012"  # division_by_zero
    assert not raised.value.connection_invalidated


def test_a_prepared_statement_on_a_connection_the_server_closed_invalidates_it_and_the_next_one_works(
    app, engine, database_url
):
    card = AppointmentFactory()
    owner = create_engine(database_url)
    with acting_for(card.shop_id), one_statement(engine) as conn:
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with owner.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": backend})
        owner.dispose()
        with pytest.raises(DBAPIError) as raised:
            READ_CARD.one_or_none(conn, {"appointment_id": card.id})
    assert raised.value.connection_invalidated

    with acting_for(card.shop_id), one_statement(engine) as conn:
        assert READ_CARD.one_or_none(conn, {"appointment_id": card.id}).id == card.id
