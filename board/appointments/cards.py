"""Cards: create, read, edit, delete, and the board of days; every change through board.appointments.changes."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Row, bindparam, case, func, insert, literal, select, text

from board.appointments import changes
from board.appointments.changes import CARD_COLUMNS, LIVE, Actor, read_card
from board.db import Prepared, one_statement
from board.errors import NotFound
from board.models import CURRENT_SHOP_SQL, STATUSES, Appointment
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
    return Prepared(changes.with_event("created", created))


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
        return CREATE.one(conn, params)

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


def cards_on_days(engine: Engine, first: date, last: date, zone: ZoneInfo) -> list[Row]:
    """Return the cards scheduled from day `first` to day `last` inclusive, by time then id."""
    start, end = day_bounds(first, last, zone)
    statement = (
        select(*CARD_COLUMNS)
        .where(Appointment.scheduled_at >= start, Appointment.scheduled_at < end, LIVE)
        .order_by(Appointment.scheduled_at, Appointment.id)
    )
    with one_statement(engine) as conn:
        return conn.execute(statement).all()


# card_json.initials: each word's first character, uppercased, then ".", joined by spaces. The
# builtin pg_unicode_fast collation (PostgreSQL 18) uppercases as Python does (full case mapping:
# "ß" -> "SS") and its \s is Unicode's White_Space, the characters str.split() splits on in a
# customer (control characters are refused on the way in). Older servers use the database's own
# collation: the same for most names under a UTF-8 locale, ASCII letters only under C.
_INITIALS = (
    r"rtrim(upper(regexp_replace(regexp_replace(a.customer {collate}, '^\s+', ''),"
    r" '(\S)\S*\s*', '\1. ', 'g')), ' ')"
)


def _column(status: str) -> str:
    # string_agg skips the NULLs; unlike six FILTERs, which each sorted their own cards, these six
    # share one presorted input (the inner query's ORDER BY).
    cards = f"string_agg(CASE WHEN status = '{status}' THEN card END, ',' ORDER BY scheduled_at, id)"
    return f"""'{{"status":"{status}","cards":[', coalesce({cards}, ''), ']}}'"""


# concat() writes the columns once; a chain of || copied the growing text at each step (~10 ms of
# 2.4 MB for 31 days).
_COLUMNS = "concat('[', " + ", ',', ".join(_column(status) for status in STATUSES) + ", ']')"

# The board's cards as JSON text in schemas.board_out's shape, in one statement: each card is the
# text its row keeps (card_head, card_mid and card_tail, written with the card by migration 0014's
# trigger in card_json.card_out's order) around its customer and notes, then "late"
# (limits.lateness at :now); each column its cards by time then id (the index's order). The
# statement also tells the next instant a card turns late (late_from), and the shop's last_seq and
# settings version as this statement saw them, which is what the body was built from.
# OFFSET 0 keeps the inner query a query of its own: late_at, computed once per card there, is read
# twice above it, which the planner would otherwise copy and compute again. Its ORDER BY is the
# index's order once row security fixed shop_id: the six string_aggs read it presorted.


def _board_statement(collate: str):
    initials = _INITIALS.format(collate=collate)
    return text(f"""
WITH settings AS (
    SELECT status_limits, display_initials, version FROM shop_settings
), cards AS (
    SELECT a.id, a.status, a.scheduled_at, a.late_at,
           concat(a.card_head,
                  to_json(CASE WHEN :initials_when_asked AND a.display_initials THEN {initials} ELSE a.customer END),
                  a.card_mid, coalesce(to_json(a.notes)::text, 'null'),
                  a.card_tail, CASE WHEN a.late_at <= :now THEN 'true' ELSE 'false' END, '}}') AS card
    FROM (
        SELECT a.id, a.customer, a.notes, a.card_head, a.card_mid, a.card_tail, a.status, a.scheduled_at, s.display_initials,
               a.status_since + (s.status_limits ->> a.status)::int * interval '1 minute' AS late_at
        FROM appointments a LEFT JOIN settings s ON true
        WHERE a.scheduled_at >= :start AND a.scheduled_at < :end AND a.deleted_at IS NULL
        ORDER BY a.scheduled_at, a.id
        OFFSET 0
    ) a
)
SELECT (SELECT last_seq FROM shops WHERE id = {CURRENT_SHOP_SQL}) AS last_seq,
       coalesce((SELECT version FROM settings), 0) AS settings_version,
       min(late_at) FILTER (WHERE late_at > :now) AS late_from,
       textsend({_COLUMNS}) AS columns
FROM cards
""")


# Prepared: SQLAlchemy's result handling alone cost about 1.5 ms of a 31-day board's 2.4 MB. The
# columns come as bytea (textsend: the text's own UTF-8 bytes) in binary format: as text, psycopg
# decoded the 2.4 MB and the body encoded them again (about 1.5 ms more).
BOARD_STATEMENTS = {
    True: Prepared(_board_statement("COLLATE pg_unicode_fast"), binary=True),
    False: Prepared(_board_statement(""), binary=True),
}


@dataclass(frozen=True)
class BoardCards:
    """The board's columns as JSON (UTF-8), and what they were built from (board.appointments.board_tag)."""

    columns: bytes
    last_seq: int
    settings_version: int
    # The next instant at which a card on it turns late, if any will: until then the body holds.
    late_from: datetime | None


def board_cards(
    engine: Engine, first: date, last: date, zone: ZoneInfo, now: datetime, initials_when_asked: bool
) -> BoardCards:
    """The cards scheduled from day `first` to day `last` inclusive, by time then id, as JSON columns.

    `now` decides which cards are late; `initials_when_asked` shows customers as initials when
    the shop's settings say so (a display's view).
    """
    start, end = day_bounds(first, last, zone)
    params = {"start": start, "end": end, "now": now, "initials_when_asked": initials_when_asked}
    with one_statement(engine) as conn:
        statement = BOARD_STATEMENTS[conn.dialect.server_version_info >= (18,)]
        row = statement.one(conn, params)
    return BoardCards(row.columns, row.last_seq, row.settings_version, row.late_from)
