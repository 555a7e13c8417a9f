"""Moving cards: one transaction per use case, the version-checked UPDATE, and its history row."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, Connection, Engine, Row, any_, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from board.appointments import CARD_COLUMNS, one_statement, read_card
from board.errors import NotFound, VersionConflict, VersionExhausted
from board.models import VERSION_MAX, Appointment, AppointmentMove
from board.retry import RetryPolicy


@dataclass(frozen=True)
class Move:
    appointment_id: int
    status: str
    version: int


def _move_statement():
    """One statement: the conditional UPDATE and, only if it matched, the history row.

    `previous` reads the status before the UPDATE from the statement's snapshot. If another
    transaction committed a move in between, the version changed too, so the UPDATE matches
    nothing: whenever a row is moved, `previous` saw that very row. This keeps the statement
    valid on PostgreSQL 14+, which lacks RETURNING old.*.
    """
    previous = (
        select(Appointment.id, Appointment.status)
        .where(Appointment.id == bindparam("appointment_id"))
        .cte("previous")
    )
    moved = (
        update(Appointment)
        .where(
            Appointment.id == previous.c.id,
            Appointment.version == bindparam("expected_version"),
            # version + 1 would overflow bigint: the statement would fail instead of matching nothing.
            Appointment.version < VERSION_MAX,
        )
        .values(status=bindparam("to_status"), version=Appointment.version + 1, updated_at=func.now())
        .returning(*CARD_COLUMNS, previous.c.status.label("from_status"))
        .cte("moved")
    )
    history = (
        insert(AppointmentMove)
        .from_select(
            ["appointment_id", "from_status", "to_status", "version", "moved_at"],
            select(moved.c.id, moved.c.from_status, moved.c.status, moved.c.version, moved.c.updated_at),
        )
        .cte("history")
    )
    return select(*(moved.c[column.key] for column in CARD_COLUMNS)).add_cte(history)


MOVE = _move_statement()

LOCK_IN_ID_ORDER = (
    select(*CARD_COLUMNS)
    .where(Appointment.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
    .order_by(Appointment.id)
    .with_for_update()
)


def _apply(conn: Connection, move: Move) -> Row | None:
    return conn.execute(
        MOVE,
        {"appointment_id": move.appointment_id, "expected_version": move.version, "to_status": move.status},
    ).one_or_none()


def move_card(engine: Engine, retry: RetryPolicy, move: Move) -> Row:
    """Move one card if its version is still `move.version`; return the card at its new version.

    The move is one statement, so it runs in autocommit: the statement is the transaction. Only
    when it matched no row does a second statement read the card, to tell 404 from 409.
    """

    def transaction() -> Row:
        with one_statement(engine) as conn:
            card = _apply(conn, move)
            if card is not None:
                return card
            current = read_card(conn, move.appointment_id)
        if current is None:
            raise NotFound()
        if current.version >= VERSION_MAX:
            raise VersionExhausted(current=current)
        raise VersionConflict(current=current)

    return retry.run(transaction)


def move_cards(engine: Engine, retry: RetryPolicy, moves: Sequence[Move]) -> list[Row]:
    """Apply every move or none; return the moved cards in the order of `moves`.

    Rows are locked in id order whatever the order of `moves`, so two batches wait for
    each other instead of deadlocking.
    """

    def transaction() -> list[Row]:
        with engine.begin() as conn:
            locked = {
                card.id: card
                for card in conn.execute(LOCK_IN_ID_ORDER, {"ids": [m.appointment_id for m in moves]})
            }
            missing = [m.appointment_id for m in moves if m.appointment_id not in locked]
            if missing:
                raise NotFound("Some appointments do not exist; nothing was moved.", missing=missing)
            stale = [locked[m.appointment_id] for m in moves if locked[m.appointment_id].version != m.version]
            if stale:
                raise VersionConflict(
                    "Someone else changed some of these appointments first; nothing was moved. "
                    "Retry with their current versions.",
                    conflicts=stale,
                )
            exhausted = [card for card in locked.values() if card.version >= VERSION_MAX]
            if exhausted:
                raise VersionExhausted(
                    "Some of these appointments cannot be moved any more: their versions are at the top of "
                    "their range. Nothing was moved.",
                    conflicts=exhausted,
                )
            moved = {}
            for move in sorted(moves, key=lambda m: m.appointment_id):
                card = _apply(conn, move)
                if card is None:  # cannot happen while we hold the row locks
                    raise RuntimeError(f"appointment {move.appointment_id} changed while locked")
                moved[card.id] = card
            return [moved[m.appointment_id] for m in moves]

    return retry.run(transaction)
