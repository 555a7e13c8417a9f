"""A shop's change events as the stream sends them, read from the event log as that shop (row security)."""

from dataclasses import dataclass, replace

from sqlalchemy import Engine, bindparam, func, select

from board.accounts.identity import Identity
from board.appointments.card_json import card_from_snapshot, utc_iso, with_customer_initials
from board.appointments.history import AUTHOR_COLUMNS, by_out, with_authors
from board.db import acting_for, one_statement
from board.live.events import Event
from board.models import AppointmentEvent, Shop, ShopSettings

# Events read at once, by a replay or by a shop's live reader; more are read page by page.
PAGE = 500

# An event as a change is sent anywhere: the stream here, a webhook (board.webhooks.payload).
CHANGE_COLUMNS = (
    AppointmentEvent.seq,
    AppointmentEvent.kind,
    AppointmentEvent.at,
    AppointmentEvent.appointment_id,
    AppointmentEvent.version,
    AppointmentEvent.from_status,
    AppointmentEvent.to_status,
    AppointmentEvent.card,
    *AUTHOR_COLUMNS,
)
EVENTS_AFTER = (
    with_authors(
        select(
            *CHANGE_COLUMNS,
            # Read with the events, so a display's stream follows the setting from its next change on.
            select(ShopSettings.display_initials)
            .where(ShopSettings.shop_id == AppointmentEvent.shop_id)
            .scalar_subquery()
            .label("initials_on_displays"),
        )
    )
    .where(AppointmentEvent.seq > bindparam("after"))
    .order_by(AppointmentEvent.seq)
    .limit(PAGE)
)
# Row security leaves one row: the shop's own.
LAST_SEQ = select(Shop.last_seq)
# Events from before migration 0008 have no card to send: replay starts after them.
FIRST_KEPT = select(func.min(AppointmentEvent.seq)).where(AppointmentEvent.card.is_not(None))


@dataclass(frozen=True)
class Position:
    """Where a stream starts: after `start`, and whether the client must start over (reset)."""

    start: int
    reset: bool


def read_after(engine: Engine, shop_id: int, after: int) -> list[Event]:
    """Shop `shop_id`'s change events after seq `after`, in order, at most PAGE of them."""
    with acting_for(shop_id), one_statement(engine) as conn:
        return [change_event(row) for row in conn.execute(EVENTS_AFTER, {"after": after})]


def position(engine: Engine, shop_id: int, after: str | None) -> Position:
    """Where a stream that last saw `after` (None: nothing) starts, as shop `shop_id`.

    Live from now without an id; from `after` when it is a seq this shop has kept; else a reset
    at the last change (not a number, beyond the last, or older than the events that carry a card).
    """
    with acting_for(shop_id), one_statement(engine) as conn:
        last = conn.scalar(LAST_SEQ) or 0
        first_kept = conn.scalar(FIRST_KEPT)
    if after is None:
        return Position(last, reset=False)
    if not (after.isascii() and after.isdigit()) or int(after) > last:
        return Position(last, reset=True)
    oldest_replayable = (last if first_kept is None else first_kept) - 1
    if int(after) < oldest_replayable:
        return Position(last, reset=True)
    return Position(int(after), reset=False)


def reset_event(last: int) -> Event:
    return Event(last, "reset", {"seq": last})


def change_event(row) -> Event:
    data = {"seq": row.seq, "kind": row.kind, "at": utc_iso(row.at), "by": by_out(row), "card": card_at(row)}
    if row.kind == "moved":
        data.update(from_status=row.from_status, to_status=row.to_status)
    return Event(row.seq, "change", data, initials_on_displays=bool(row.initials_on_displays))


def as_seen_by(identity: Identity, event: Event) -> Event:
    """The event as `identity` may receive it: a display's, with the customer as initials when its shop says so."""
    if event.name != "change" or not identity.sees_customer_initials(event.initials_on_displays):
        return event
    return replace(event, data={**event.data, "card": with_customer_initials(event.data["card"])})


def card_at(row) -> dict:
    """The card at the event's version, as GET /api/appointments/<id> answered it then."""
    if row.kind == "deleted":
        return {"id": row.appointment_id, "version": row.version, "deleted": True}
    return card_from_snapshot(row.card)
