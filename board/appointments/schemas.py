"""What comes in for cards, moves and the board (marshmallow schemas), and the board that goes out.

Output is built by plain functions rather than schema.dump: the shapes are fixed, so a dict per
row is all that is needed; the board's cards, thousands per request, are JSON built by PostgreSQL
(board.appointments.cards.board_cards) in the shape board_out describes. A card's
own shape is in board.appointments.card_json, since a 409 from a use case carries it too.
"""

import json
from datetime import date

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from board.appointments.card_json import card_out, with_customer_initials
from board.fields import EARLIEST_TIME, LATEST_TIME, Text, refuse_invalid_characters
from board.models import ID_MAX, INITIAL_STATUS, NOTES_MAX_LENGTH, STATUSES, VERSION_MAX

MAX_BATCH_MOVES = 100
MAX_BOARD_DAYS = 31
# The board's days span the same calendar as appointments; past its edges no day bounds exist.
EARLIEST_DAY = EARLIEST_TIME.date()
LATEST_DAY = date(9998, 12, 31)


class Notes(fields.String):
    """Free text for the mechanic: empty by default, at most 2,000 characters, newlines and tabs allowed."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        refuse_invalid_characters(text, "Must not contain control characters other than newline and tab.", "\n\t")
        text = text.strip()
        if len(text) > NOTES_MAX_LENGTH:
            raise ValidationError(f"Must be at most {NOTES_MAX_LENGTH} characters.")
        return text


def _status(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(STATUSES, error="Must be one of: {choices}."), **kwargs)


def _version() -> fields.Integer:
    return fields.Integer(strict=True, required=True, validate=validate.Range(1, VERSION_MAX))


def _scheduled_at(**kwargs) -> fields.AwareDateTime:
    return fields.AwareDateTime(
        validate=validate.Range(EARLIEST_TIME, LATEST_TIME, max_inclusive=False),
        error_messages={
            "invalid_awareness": "Must be an ISO 8601 time with an offset, such as 2026-11-22T09:30:00+01:00."
        },
        **kwargs,
    )


class AppointmentIn(Schema):
    title = Text(required=True)
    customer = Text(required=True)
    scheduled_at = _scheduled_at(required=True)
    notes = Notes(load_default="")
    status = _status(load_default=INITIAL_STATUS)


def _moves_go_elsewhere(value):
    raise ValidationError("A patch cannot move a card: send moves to POST /api/appointments/<id>/move.")


class EditIn(Schema):
    version = _version()
    title = Text()
    customer = Text()
    scheduled_at = _scheduled_at()
    notes = Notes()
    status = fields.Raw(validate=_moves_go_elsewhere)

    @validates_schema
    def changes_something(self, data, **kwargs):
        if set(data) == {"version"}:
            raise ValidationError("Send at least one of: title, customer, scheduled_at, notes.", "_schema")


class VersionQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    version = fields.Integer(required=True, validate=validate.Range(1, VERSION_MAX))


class MoveIn(Schema):
    status = _status(required=True)
    version = _version()


class BatchMoveItemIn(MoveIn):
    id = fields.Integer(strict=True, required=True, validate=validate.Range(1, ID_MAX))


class BatchMoveIn(Schema):
    moves = fields.List(
        fields.Nested(BatchMoveItemIn),
        required=True,
        validate=validate.Length(1, MAX_BATCH_MOVES, error="Must hold between {min} and {max} moves."),
    )

    @validates_schema
    def ids_are_unique(self, data, **kwargs):
        ids = [move["id"] for move in data["moves"]]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValidationError(f"Each id may appear once; repeated: {duplicates}.", "moves")


def _on_the_calendar() -> validate.Range:
    return validate.Range(EARLIEST_DAY, LATEST_DAY, error="Must be a day from {min} to {max}.")


class BoardQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    from_ = fields.Date(data_key="from", format="%Y-%m-%d", validate=_on_the_calendar())
    to = fields.Date(format="%Y-%m-%d", validate=_on_the_calendar())

    @validates_schema
    def range_is_sane(self, data, **kwargs):
        first, last = data.get("from_"), data.get("to")
        if first and last:
            if last < first:
                raise ValidationError("Must not be before from.", "to")
            if (last - first).days + 1 > MAX_BOARD_DAYS:
                raise ValidationError(f"The range may span at most {MAX_BOARD_DAYS} days.", "to")


appointment_in = AppointmentIn()
edit_in = EditIn()
version_query = VersionQuery()
move_in = MoveIn()
batch_move_in = BatchMoveIn()
board_query = BoardQuery()


def board_body(first: date, last: date, timezone: str, columns: bytes) -> bytes:
    """The board's answer in its envelope, around the columns PostgreSQL built (cards.board_cards), as board_out shapes it."""
    head = json.dumps({"from": first.isoformat(), "to": last.isoformat(), "timezone": timezone}, separators=(",", ":"))
    # One copy of the columns (a 31-day board's are 2.4 MB): `+` would copy them at every step.
    return b"".join((b'{"ok":true,"data":', head[:-1].encode(), b',"columns":', columns, b"}}\n"))


def board_out(first: date, last: date, timezone: str, rows, late=lambda row: False, initials: bool = False) -> dict:
    """The board's shape, which cards.board_cards builds in SQL (tests hold it to this one).

    `late(row)` says whether a card has waited past its status's limit (board.shops.limits.lateness);
    with `initials`, customers are shown by their initials (a wall display's, when its shop asks)."""
    columns = {status: [] for status in STATUSES}
    shown = with_customer_initials if initials else dict
    for row in rows:
        columns[row.status].append(shown({**card_out(row), "late": late(row)}))
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": timezone,
        "columns": [{"status": status, "cards": cards} for status, cards in columns.items()],
    }
