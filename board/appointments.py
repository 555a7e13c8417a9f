"""Appointment use cases that do not move cards: create one, read one, its history, a board of days."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Row, bindparam, insert, select

from board.db import one_statement
from board.errors import NotFound
from board.models import Appointment, AppointmentMove

CARD_COLUMNS = (
    Appointment.id,
    Appointment.title,
    Appointment.customer,
    Appointment.scheduled_at,
    Appointment.status,
    Appointment.version,
    Appointment.updated_at,
)


def create_appointment(engine: Engine, title: str, customer: str, scheduled_at: datetime, status: str) -> Row:
    """Insert one appointment at version 1 and return its card."""
    statement = (
        insert(Appointment)
        .values(title=title, customer=customer, scheduled_at=scheduled_at, status=status)
        .returning(*CARD_COLUMNS)
    )
    with engine.begin() as conn:
        return conn.execute(statement).one()


# Built once: a statement made per call costs more Python than the round trip it sends.
READ_CARD = select(*CARD_COLUMNS).where(Appointment.id == bindparam("appointment_id"))


def read_card(conn: Connection, appointment_id: int) -> Row | None:
    return conn.execute(READ_CARD, {"appointment_id": appointment_id}).one_or_none()


def get_appointment(engine: Engine, appointment_id: int) -> Row:
    with one_statement(engine) as conn:
        card = read_card(conn, appointment_id)
    if card is None:
        raise NotFound()
    return card


def get_history(engine: Engine, appointment_id: int) -> list[Row]:
    """Return the moves of one appointment, oldest first."""
    with engine.begin() as conn:
        if read_card(conn, appointment_id) is None:
            raise NotFound()
        return conn.execute(
            select(
                AppointmentMove.from_status,
                AppointmentMove.to_status,
                AppointmentMove.version,
                AppointmentMove.moved_at,
            )
            .where(AppointmentMove.appointment_id == appointment_id)
            .order_by(AppointmentMove.version)
        ).all()


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
        .where(Appointment.scheduled_at >= start, Appointment.scheduled_at < end)
        .order_by(Appointment.scheduled_at, Appointment.id)
    )
    with one_statement(engine) as conn:
        return conn.execute(statement).all()
