"""Routes for cards, moves and the board (and /healthz): parse the request, call one use case, render the envelope.

The blueprint keeps its first name, "api": endpoint names such as "api.board" are how the
OpenAPI document and url_for know these routes.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, request, url_for
from sqlalchemy import text

from board import metrics
from board.accounts.permissions import current_identity, requires
from board.appointments import cards, history, moves, schemas
from board.appointments.card_json import card_out
from board.db import get_engine
from board.http import compression
from board.http.limits import few_at_once
from board.http.route_io import load_body, load_query, ok
from board.retry import current_policy

bp = Blueprint("api", __name__)


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
    return ok(card_out(card), 201, {"Location": location})


@bp.get("/api/appointments/<appointment_id:appointment_id>")
@requires("viewer")
def get_appointment(appointment_id: int):
    return ok(card_out(cards.get_appointment(get_engine(), appointment_id)))


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
    return ok(card_out(card))


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
    return ok(card_out(moves.move_card(get_engine(), current_policy(), move, current_identity())))


@bp.post("/api/moves")
@requires("staff")
@metrics.measure_move("batch")
def move_many():
    fields = load_body(schemas.batch_move_in)
    batch = [moves.Move(item["id"], item["status"], item["version"]) for item in fields["moves"]]
    moved = moves.move_cards(get_engine(), current_policy(), batch, current_identity())
    return ok([card_out(card) for card in moved])


@bp.get("/healthz")
def healthz():
    # A database error here is answered and logged, with its reason, like any other (board.errors).
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
    return ok({"database": "ok"})
