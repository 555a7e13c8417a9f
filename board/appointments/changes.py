"""Every change to a card, in one mechanism: the version-checked UPDATE with its event, and the transaction runner.

A change is one statement: `UPDATE appointments SET ..., version = version + 1 WHERE id = :id
AND version = :version AND deleted_at IS NULL RETURNING ...`, with the event of that version
inserted by the same statement only if the UPDATE matched. Zero rows: one more read tells 404
from 409. Moves, edits and deletes differ only in what they set and what their event says, and
all go through change_card (a batch of moves through apply, inside its one transaction). Every
event row, a card's `created` included, is written by with_event.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    Row,
    Select,
    bindparam,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.sql.selectable import CTE

from board.appointments.card_json import card_out
from board.db import Prepared, one_statement, request_transaction, transaction
from board.errors import NotFound, VersionConflict, VersionExhausted
from board.models import CURRENT_SHOP_SQL, VERSION_MAX, Appointment, AppointmentEvent, Shop, Webhook, WebhookMessage

if TYPE_CHECKING:
    from board.retry import RetryPolicy

T = TypeVar("T")

CARD_COLUMNS = (
    Appointment.id,
    Appointment.title,
    Appointment.customer,
    Appointment.scheduled_at,
    Appointment.notes,
    Appointment.status,
    Appointment.version,
    Appointment.updated_at,
    Appointment.status_since,
)
# Where a change rings: the payload is '<shop_id>:<seq>', never the data (board.live reads that as its shop).
CHANGES_CHANNEL = "board_changes"
LIVE = Appointment.deleted_at.is_(None)

# Built once: a statement made per call costs more Python than the round trip it sends.
READ_CARD = Prepared(select(*CARD_COLUMNS).where(Appointment.id == bindparam("appointment_id"), LIVE))


class Actor(Protocol):
    """Who makes a change: an account, and the API token it came through (None from the page)."""

    user_id: int
    token_id: int | None


def by_params(by: Actor) -> dict:
    return {"by_user_id": by.user_id, "by_token_id": by.token_id}


def card_snapshot(card: CTE) -> ColumnElement:
    """The card as jsonb, times in UTC without an offset (board.live.feed renders it as card_out does)."""
    pairs = []
    for column in CARD_COLUMNS:
        value = card.c[column.key]
        if isinstance(column.type, DateTime):
            value = func.timezone("UTC", value)
        pairs += [literal(column.key), value]
    return func.jsonb_build_object(*pairs)


def with_event(kind: str, card: CTE, event: Mapping[str, ColumnElement] | None = None) -> Select:
    """Select the card that `card` (an INSERT or UPDATE ... RETURNING) wrote, and insert its event of `kind`.

    The one place an event row is written: at the card's new version and time, by the author in
    the statement's by_user_id and by_token_id parameters, with `event`'s columns and the card
    itself at that version. If `card` wrote no row, no event is written either, and no number taken.

    The event's seq is the shop's next (shops.last_seq + 1, taken by the same statement). The
    shop's row stays locked until the change commits, so the shop's changes commit in sequence
    order: a reader never sees n+1 without n, and a rolled-back change gives its number back.
    It is taken after the card's row is locked (the seq CTE waits for `card`), the order every
    change and batch keeps, so the two locks never deadlock. The same statement rings
    CHANGES_CHANNEL with '<shop_id>:<seq>', delivered when (and only if) the change commits.
    """
    seq = (
        update(Shop)
        .where(Shop.id == text(CURRENT_SHOP_SQL), exists(select(card.c.id)))
        .values(last_seq=Shop.last_seq + 1)
        .returning(
            Shop.last_seq,
            func.pg_notify(CHANGES_CHANNEL, func.concat(Shop.id, ":", Shop.last_seq)).label("rung"),
        )
        .cte("seq")
    )
    values = {
        "appointment_id": card.c.id,
        "version": card.c.version,
        "kind": literal(kind),
        "at": card.c.updated_at,
        "by_user_id": bindparam("by_user_id", type_=BigInteger),
        "by_token_id": bindparam("by_token_id", type_=BigInteger),
        "seq": seq.c.last_seq,
        "card": card_snapshot(card),
        **(event or {}),
    }
    numbered = select(*values.values()).select_from(card.join(seq, true()))
    written = (
        insert(AppointmentEvent)
        .from_select(list(values), numbered)
        .returning(AppointmentEvent.seq, AppointmentEvent.kind, AppointmentEvent.to_status)
        .cte("event")
    )
    return (
        select(*(card.c[column.key] for column in CARD_COLUMNS)).add_cte(written).add_cte(queued_for_webhooks(written))
    )


def queued_for_webhooks(event: CTE) -> CTE:
    """Queue `event` for each of the shop's enabled webhooks that wants it, in the change's own statement.

    So a change that rolls back queues nothing, and a committed change is never without its
    messages. A move matches an endpoint's to_statuses (NULL: every status); other kinds ignore it.
    """
    wanted = select(Webhook.id, event.c.seq).where(
        Webhook.enabled,
        event.c.kind == func.any(Webhook.kinds),
        or_(event.c.kind != "moved", Webhook.to_statuses.is_(None), event.c.to_status == func.any(Webhook.to_statuses)),
    )
    return insert(WebhookMessage).from_select(["webhook_id", "event_seq"], wanted).cte("queued")


def versioned_change(
    kind: str,
    values: Mapping[str, ColumnElement],
    event: Callable[[CTE], Mapping[str, ColumnElement]] = lambda changed: {},
    *,
    before: tuple[str, ...] = (),
) -> Prepared:
    """The one statement of a change: the conditional UPDATE and, only if it matched, its event.

    `before` names columns whose values before the UPDATE the event needs (as `old_<name>`).
    They are read from the statement's snapshot in the `previous` CTE. If another transaction
    committed a change in between, the version changed too and the UPDATE matches nothing, so
    whenever a row changes, `previous` saw that very row. (PostgreSQL 14+ has no RETURNING old.*.)
    """
    previous = (
        select(Appointment.id, *(Appointment.__table__.c[name] for name in before))
        .where(Appointment.id == bindparam("appointment_id"))
        .cte("previous")
    )
    changed = (
        update(Appointment)
        .where(
            Appointment.id == previous.c.id,
            Appointment.version == bindparam("expected_version"),
            LIVE,
            # version + 1 would overflow bigint: the statement would fail instead of matching nothing.
            Appointment.version < VERSION_MAX,
        )
        .values(**values, version=Appointment.version + 1, updated_at=func.now())
        .returning(*CARD_COLUMNS, *(previous.c[name].label(f"old_{name}") for name in before))
        .cte("changed")
    )
    return Prepared(with_event(kind, changed, event(changed)))


@dataclass(frozen=True)
class Change:
    """One kind of change to a card: its versioned_change statement, and that statement's own parameters."""

    statement: Prepared
    params: Mapping[str, Any] = field(default_factory=dict)


def read_card(conn: Connection, appointment_id: int) -> Row | None:
    return READ_CARD.one_or_none(conn, {"appointment_id": appointment_id})


def apply(conn: Connection, appointment_id: int, version: int, change: Change, by: Actor) -> Row:
    """Run a change in `conn`; return the card at its new version, else raise NotFound or VersionConflict."""
    card = change.statement.one_or_none(
        conn, {"appointment_id": appointment_id, "expected_version": version, **by_params(by), **change.params}
    )
    if card is not None:
        return card
    current = read_card(conn, appointment_id)
    if current is None:
        raise NotFound()
    if current.version >= VERSION_MAX:
        raise VersionExhausted(current=card_out(current))
    raise VersionConflict(current=card_out(current))


def change_card(
    engine: Engine, retry: "RetryPolicy", appointment_id: int, version: int, change: Change, by: Actor
) -> Row:
    """Change one card if its version is still `version`: the one way a move, an edit or a delete is made."""

    def change_at_version(conn: Connection) -> Row:
        return apply(conn, appointment_id, version, change, by)

    return run(engine, retry, change_at_version, single_statement=True)


def run(engine: Engine, retry: "RetryPolicy", work: Callable[[Connection], T], *, single_statement: bool = False) -> T:
    """Run work(conn) as one transaction under the single transient retry; every use case that writes runs in it.

    `single_statement` says the change itself is one statement (plus, when it matched nothing,
    a read), so autocommit may stand in for BEGIN/COMMIT.
    """

    def attempt() -> T:
        if single_statement and request_transaction() is None:
            with one_statement(engine) as conn:
                return work(conn)
        with transaction(engine) as conn:
            return work(conn)

    return retry.run(attempt)
