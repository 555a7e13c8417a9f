"""Moving cards: one card, or a batch all or nothing, through the one versioned change."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, Connection, Engine, Row, any_, bindparam, case, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from board.appointments import changes
from board.appointments.card_json import card_out
from board.appointments.changes import CARD_COLUMNS, LIVE, Actor
from board.errors import NotFound, VersionConflict, VersionExhausted
from board.models import VERSION_MAX, Appointment
from board.retry import RetryPolicy


@dataclass(frozen=True)
class Move:
    appointment_id: int
    status: str
    version: int


MOVE = changes.versioned_change(
    "moved",
    {
        "status": bindparam("to_status"),
        # A move within its status leaves the card's clock alone.
        "status_since": case(
            (Appointment.status == bindparam("to_status"), Appointment.status_since), else_=func.now()
        ),
    },
    lambda changed: {"from_status": changed.c.old_status, "to_status": changed.c.status},
    before=("status",),
)


def moving_to(status: str) -> changes.Change:
    return changes.Change(MOVE, {"to_status": status})


LOCK_IN_ID_ORDER = (
    select(*CARD_COLUMNS)
    .where(Appointment.id == any_(bindparam("ids", type_=ARRAY(BigInteger))), LIVE)
    .order_by(Appointment.id)
    .with_for_update()
)


def move_card(engine: Engine, retry: RetryPolicy, move: Move, by: Actor) -> Row:
    """Move one card if its version is still `move.version`; return the card at its new version."""
    return changes.change_card(engine, retry, move.appointment_id, move.version, moving_to(move.status), by)


def move_cards(engine: Engine, retry: RetryPolicy, moves: Sequence[Move], by: Actor) -> list[Row]:
    """Apply every move or none; return the moved cards in the order of `moves`.

    Rows are locked in id order whatever the order of `moves`, so two batches wait for
    each other instead of deadlocking.
    """

    def transaction(conn: Connection) -> list[Row]:
        locked = {card.id: card for card in conn.execute(LOCK_IN_ID_ORDER, {"ids": [m.appointment_id for m in moves]})}
        missing = [m.appointment_id for m in moves if m.appointment_id not in locked]
        if missing:
            raise NotFound("Some appointments do not exist; nothing was moved.", missing=missing)
        stale = [locked[m.appointment_id] for m in moves if locked[m.appointment_id].version != m.version]
        if stale:
            raise VersionConflict(
                "Someone else changed some of these appointments first; nothing was moved. "
                "Retry with their current versions.",
                conflicts=[card_out(card) for card in stale],
            )
        exhausted = [card for card in locked.values() if card.version >= VERSION_MAX]
        if exhausted:
            raise VersionExhausted(
                "Some of these appointments cannot be moved any more: their versions are at the top of "
                "their range. Nothing was moved.",
                conflicts=[card_out(card) for card in exhausted],
            )
        # Cannot conflict: the rows are locked and their versions checked. In the batch's order, so
        # its events are numbered in that order (the rows are locked already: no deadlock).
        return [changes.apply(conn, m.appointment_id, m.version, moving_to(m.status), by) for m in moves]

    return changes.run(engine, retry, transaction)
