"""The JSON API: parse the request, call one use case, render the envelope."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, request, url_for
from marshmallow import Schema, ValidationError
from sqlalchemy import text
from werkzeug.routing import IntegerConverter

from board import metrics, schemas
from board.appointments import cards, history, moves
from board.http import compression
from board.http.limits import few_at_once
from board.accounts.permissions import current_identity, requires
from board.db import get_engine
from board.errors import BadRequest, UnsupportedMediaType, ValidationFailed, envelope
from board.models import ID_MAX
from board.retry import current_policy

bp = Blueprint("api", __name__)


def decimal_up_to(limit: int) -> str:
    """A regular expression for the decimal numbers 1..limit, without leading zeros."""
    digits = str(limit)
    shorter = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same_length = [
        f"{digits[:i]}[{'1' if i == 0 else '0'}-{int(digit) - 1}][0-9]{{{len(digits) - i - 1}}}"
        for i, digit in enumerate(digits)
        if int(digit) > (1 if i == 0 else 0)
    ]
    return "(?:" + "|".join([*shorter, *same_length, digits]) + ")"


class AppointmentIdConverter(IntegerConverter):
    """A positive bigint; anything else in the path is simply not found.

    The range is in the regex, not only in to_python: werkzeug answers 405 rather than 404 when
    a path matches another method's rule and this one's conversion fails (PATCH /api/appointments/0).
    """

    regex = decimal_up_to(ID_MAX)

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=ID_MAX)


def ok(data, status: int = 200, headers: dict | None = None) -> Response:
    return envelope({"ok": True, "data": data}, status, headers)


def load_body(schema: Schema) -> dict:
    """Return the request's JSON object, validated by `schema`."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    try:
        body = json.loads(request.get_data())
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    except RecursionError:
        raise BadRequest("The request body nests arrays or objects too deeply to be read.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    try:
        return schema.load(body)
    except ValidationError as error:
        raise ValidationFailed(error.normalized_messages()) from None


def load_query(schema: Schema) -> dict:
    """Return the query string's parameters, validated by `schema`."""
    try:
        return schema.load(request.args)
    except ValidationError as error:
        raise ValidationFailed(error.normalized_messages()) from None


def shop_zone() -> ZoneInfo:
    """The zone the caller's shop counts its board days in."""
    return ZoneInfo(current_identity().shop.timezone)


def today() -> date:
    return datetime.now(shop_zone()).date()


def spans_days() -> bool:
    """A board over more than one day. The page reads one day at a time and is never limited;
    ranges of up to 31 days are what scripts read, at up to 31 times the cost."""
    first, last = request.args.get("from"), request.args.get("to")
    return (first or last) != (last or first)


@bp.get("/api/board")
@requires("viewer")
@few_at_once(when=spans_days)
def board():
    query = load_query(schemas.board_query)
    first = query.get("from_") or query.get("to") or today()
    last = query.get("to") or first
    zone = shop_zone()
    rows = cards.board_cards(get_engine(), first, last, zone)
    response = ok(schemas.board_out(first, last, current_identity().shop.timezone, rows))
    # The ETag is a hash of the body itself, so it changes exactly when the board does: a move
    # (status, version, updated_at), a card entering or leaving the range, another day or zone.
    # The query still runs; what a 304 saves is the transfer and the page's re-render.
    response.add_etag()
    # Kept by the browser alone, and only to revalidate: customer names are on it.
    response.headers["Cache-Control"] = "no-cache, private"
    return compression.make_conditional(response)


@bp.post("/api/appointments")
@requires("staff")
def create_appointment():
    fields = load_body(schemas.appointment_in)
    card = cards.create_appointment(get_engine(), current_policy(), fields, current_identity())
    location = url_for("api.get_appointment", appointment_id=card.id)
    return ok(schemas.card_out(card), 201, {"Location": location})


@bp.get("/api/appointments/<appointment_id:appointment_id>")
@requires("viewer")
def get_appointment(appointment_id: int):
    return ok(schemas.card_out(cards.get_appointment(get_engine(), appointment_id)))


@bp.get("/api/appointments/<appointment_id:appointment_id>/history")
@requires("viewer")
def get_history(appointment_id: int):
    return ok([history.event_out(row) for row in history.get_history(get_engine(), appointment_id)])


@bp.patch("/api/appointments/<appointment_id:appointment_id>")
@requires("staff")
def edit_appointment(appointment_id: int):
    fields = load_body(schemas.edit_in)
    version = fields.pop("version")
    card = cards.edit_card(get_engine(), current_policy(), appointment_id, version, fields, current_identity())
    return ok(schemas.card_out(card))


@bp.delete("/api/appointments/<appointment_id:appointment_id>")
@requires("staff")
def delete_appointment(appointment_id: int):
    version = load_query(schemas.version_query)["version"]
    card = cards.delete_card(get_engine(), current_policy(), appointment_id, version, current_identity())
    return ok({"id": card.id, "version": card.version, "deleted": True})


@bp.post("/api/appointments/<appointment_id:appointment_id>/move")
@requires("staff")
@metrics.measure_move("single")
def move_appointment(appointment_id: int):
    fields = load_body(schemas.move_in)
    move = moves.Move(appointment_id, fields["status"], fields["version"])
    return ok(schemas.card_out(moves.move_card(get_engine(), current_policy(), move, current_identity())))


@bp.post("/api/moves")
@requires("staff")
@metrics.measure_move("batch")
def move_many():
    fields = load_body(schemas.batch_move_in)
    batch = [moves.Move(item["id"], item["status"], item["version"]) for item in fields["moves"]]
    moved = moves.move_cards(get_engine(), current_policy(), batch, current_identity())
    return ok([schemas.card_out(card) for card in moved])


@bp.get("/healthz")
def healthz():
    # A database error here is answered and logged, with its reason, like any other (board.errors).
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
    return ok({"database": "ok"})
