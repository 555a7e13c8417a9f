"""A card's history: its events, one per version, oldest first, with who made each."""

from datetime import UTC, datetime

from sqlalchemy import Engine, Row, Select, bindparam, exists, select

from board.appointments.card_json import utc_iso
from board.db import one_statement
from board.errors import NotFound
from board.models import ApiToken, Appointment, AppointmentEvent, User

# Who made an event, as by_out reads it: select these, then join with_authors.
AUTHOR_COLUMNS = (User.username.label("by_username"), User.name.label("by_name"), ApiToken.label.label("by_token"))


def with_authors(statement: Select) -> Select:
    return statement.outerjoin(User, User.id == AppointmentEvent.by_user_id).outerjoin(
        ApiToken, ApiToken.id == AppointmentEvent.by_token_id
    )


HISTORY = (
    with_authors(
        select(
            AppointmentEvent.kind,
            AppointmentEvent.version,
            AppointmentEvent.at,
            AppointmentEvent.from_status,
            AppointmentEvent.to_status,
            AppointmentEvent.changes,
            *AUTHOR_COLUMNS,
        )
    )
    .where(AppointmentEvent.appointment_id == bindparam("appointment_id"))
    .order_by(AppointmentEvent.version)
)
# Deleted cards included: their history is the audit trail that outlives them.
CARD_EXISTS = select(exists().where(Appointment.id == bindparam("appointment_id")))


def get_history(engine: Engine, appointment_id: int) -> list[Row]:
    with one_statement(engine) as conn:
        rows = conn.execute(HISTORY, {"appointment_id": appointment_id}).all()
        if not rows and not conn.scalar(CARD_EXISTS, {"appointment_id": appointment_id}):
            raise NotFound()
    return rows


def _json_value(field: str, value):
    if field == "scheduled_at" and value is not None:
        return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()
    return value


def by_out(row) -> dict | None:
    """Who made an event: the account, and the token's label when it came through one."""
    return (
        None if row.by_username is None else {"username": row.by_username, "name": row.by_name, "token": row.by_token}
    )


def event_out(row) -> dict:
    item = {
        "kind": row.kind,
        "version": row.version,
        "at": utc_iso(row.at),
        "by": by_out(row),
    }
    if row.kind == "moved":
        # The fields a move item had before events existed, so scripts that read history keep working.
        item.update(from_status=row.from_status, to_status=row.to_status, moved_at=item["at"])
    elif row.kind == "edited":
        item["changes"] = {
            field: {"from": _json_value(field, change["from"]), "to": _json_value(field, change["to"])}
            for field, change in (row.changes or {}).items()
        }
    return item
