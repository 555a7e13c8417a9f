"""Cards: create, read, edit, delete, and the board of days; every change through board.appointments.changes."""

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Row, bindparam, case, func, insert, literal, select

from board.appointments import changes
from board.appointments.changes import CARD_COLUMNS, LIVE, Actor, read_card
from board.db import one_statement
from board.errors import NotFound
from board.models import Appointment
from board.retry import RetryPolicy


def _create_statement():
    """One statement: the card at version 1 and its `created` event."""
    created = (
        insert(Appointment)
        .values(
            title=bindparam("title"),
            customer=bindparam("customer"),
            scheduled_at=bindparam("scheduled_at"),
            notes=bindparam("notes"),
            status=bindparam("status"),
        )
        .returning(*CARD_COLUMNS)
        .cte("created")
    )
    return changes.with_event("created", created)


CREATE = _create_statement()


class _Nobody:
    """The author of changes made by the service itself (demo cards), recorded as nobody."""

    user_id = None
    token_id = None


NOBODY = _Nobody()


def create_appointment(engine: Engine, retry: RetryPolicy, fields: Mapping[str, Any], by: Actor) -> Row:
    """Insert one appointment at version 1, with its `created` event; return its card.

    `fields` holds all of title, customer, scheduled_at, notes and status.
    """
    params = {**fields, **changes.by_params(by)}

    def insert_card(conn: Connection) -> Row:
        return conn.execute(CREATE, params).one()

    return changes.run(engine, retry, insert_card, single_statement=True)


def _as_json(name: str, value):
    # Times go into the event as UTC without an offset; board.appointments.history gives them back their +00:00.
    return func.to_jsonb(func.timezone("UTC", value) if name == "scheduled_at" else value)


@cache
def _edit_statement(fields: tuple[str, ...]):
    """The versioned change for an edit of `fields`; its event holds {field: {from, to}} for those that changed."""

    def event(changed):
        pairs = []
        for name in fields:
            old, new = changed.c[f"old_{name}"], changed.c[name]
            pairs += [
                literal(name),
                case(
                    (
                        old.is_distinct_from(new),
                        func.jsonb_build_object("from", _as_json(name, old), "to", _as_json(name, new)),
                    ),
                    else_=None,
                ),
            ]
        return {"changes": func.jsonb_strip_nulls(func.jsonb_build_object(*pairs))}

    return changes.versioned_change("edited", {name: bindparam(f"new_{name}") for name in fields}, event, before=fields)


def edit_card(
    engine: Engine, retry: RetryPolicy, appointment_id: int, version: int, fields: Mapping[str, Any], by: Actor
) -> Row:
    """Change some of a card's fields if its version is still `version`; a change of nothing still counts."""
    names = tuple(sorted(fields))
    change = changes.Change(_edit_statement(names), {f"new_{name}": fields[name] for name in names})
    return changes.change_card(engine, retry, appointment_id, version, change, by)


DELETE = changes.Change(changes.versioned_change("deleted", {"deleted_at": func.now()}))


def delete_card(engine: Engine, retry: RetryPolicy, appointment_id: int, version: int, by: Actor) -> Row:
    """Delete a card if its version is still `version`: it leaves the board, its row and history stay."""
    return changes.change_card(engine, retry, appointment_id, version, DELETE, by)


def get_appointment(engine: Engine, appointment_id: int) -> Row:
    with one_statement(engine) as conn:
        card = read_card(conn, appointment_id)
    if card is None:
        raise NotFound()
    return card


def day_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the instants where day `first` begins and day `last` ends, in time zone `zone`."""
    start = datetime.combine(first, time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)
    return start, end


def board_cards(engine: Engine, first: date, last: date, zone: ZoneInfo) -> list[Row]:
    """Return the cards scheduled from day `first` to day `last` inclusive, by time then id."""
    start, end = day_bounds(first, last, zone)
    statement = (
        select(*CARD_COLUMNS)
        .where(Appointment.scheduled_at >= start, Appointment.scheduled_at < end, LIVE)
        .order_by(Appointment.scheduled_at, Appointment.id)
    )
    with one_statement(engine) as conn:
        return conn.execute(statement).all()
