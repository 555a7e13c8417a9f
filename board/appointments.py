"""Appointment use cases that do not move cards: create one, read one, its history, a board of days."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Row, bindparam, insert, select

from board.errors import NotFound
from board.models import ApiToken, Appointment, AppointmentMove, User

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


def one_statement(engine: Engine) -> Connection:
    """A connection for a use case that is a single statement, which is then its own transaction.

    In autocommit, PostgreSQL runs the statement atomically all the same, and the BEGIN and
    COMMIT (or ROLLBACK) round trips around it are saved: half of a read-then-move cycle's.
    """
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def read_card(conn: Connection, appointment_id: int) -> Row | None:
    return conn.execute(READ_CARD, {"appointment_id": appointment_id}).one_or_none()


def get_appointment(engine: Engine, appointment_id: int) -> Row:
    with one_statement(engine) as conn:
        card = read_card(conn, appointment_id)
    if card is None:
        raise NotFound()
    return card


def get_history(engine: Engine, appointment_id: int) -> list[Row]:
    """Return the moves of one appointment, oldest first, with who made each."""
    with engine.begin() as conn:
        if read_card(conn, appointment_id) is None:
            raise NotFound()
        return conn.execute(
            select(
                AppointmentMove.from_status,
                AppointmentMove.to_status,
                AppointmentMove.version,
                AppointmentMove.moved_at,
                User.username.label("by_username"),
                User.name.label("by_name"),
                ApiToken.label.label("by_token"),
            )
            .outerjoin(User, User.id == AppointmentMove.by_user_id)
            .outerjoin(ApiToken, ApiToken.id == AppointmentMove.by_token_id)
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
