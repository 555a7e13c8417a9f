"""Routes for cards, moves and the board (and /healthz): parse the request, call one use case, render the envelope.

The blueprint keeps its first name, "api": endpoint names such as "api.board" are how the
OpenAPI document and url_for know these routes.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, request, url_for
from sqlalchemy import text

from board import metrics
from board.accounts.permissions import current_identity, requires
from board.appointments import board_tag, cards, history, moves, schemas
from board.appointments.card_json import card_out
from board.db import get_engine
from board.http import compression
from board.http.documented import Answer, documented
from board.http.limits import few_at_once
from board.http.route_io import load_body, load_query, ok
from board.http.shapes import BatchConflict, BatchNotFound, Board, Card, CardConflict, Deleted, Event, Health
from board.retry import current_policy

bp = Blueprint("api", __name__)

# What several of these routes answer alike (board.http.documented).
CONFLICT_CODES = ("version_conflict", "version_exhausted")
IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "description": "The ETag of a board read before: an unchanged board answers 304 with no body.",
    "schema": {"type": "string"},
}
NOT_FOUND = Answer("No such appointment (or nothing at this address).", codes=("not_found",))
CARD = Answer("The card.", Card)
STALE_CARD = Answer(
    "Someone else changed it first: `current` is the card as it is now (or its version can count no higher).",
    codes=CONFLICT_CODES,
    kinds=(CardConflict,),
)


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
@documented(
    "get_board",
    "The board: every card scheduled on the days from..to, one column per status",
    {
        200: Answer("The board.", Board, headers=("ETag", "Cache-Control")),
        304: Answer("Unchanged since the ETag sent in If-None-Match.", media_type=""),
        429: Answer(
            "This token or session already has BOARD_READS_PER_CREDENTIAL reads of more than one day running (per worker).",
            codes=("too_many_requests",),
            headers=("Retry-After",),
        ),
    },
    query=schemas.board_query,
    headers_in=(IF_NONE_MATCH,),
    description=(
        f"Both days default to today in the board's time zone; at most {schemas.MAX_BOARD_DAYS} days. "
        "Compressed (zstd, br or gzip) when Accept-Encoding allows; a compressed body has its own ETag."
    ),
)
@requires("viewer", for_displays=True)
@few_at_once(when=spans_days)
def board():
    query = load_query(schemas.board_query)
    first = query.get("from_") or query.get("to") or today()
    last = query.get("to") or first
    identity = current_identity()
    shop = identity.shop
    view = board_tag.BoardView(shop.id, first, last, shop.timezone, identity.sees_customer_initials(True))
    # Kept by the browser alone, and only to revalidate: customer names are on it.
    headers = {"Cache-Control": "no-cache, private"}
    now = datetime.now(UTC)
    # The credential's lookup brought the shop's last_seq and settings version: an unchanged
    # board is answered without reading it (board.appointments.board_tag).
    held = compression.held_etags()
    etag = held and view.still_held(list(held), shop.last_seq, shop.settings_version, now)
    if etag:
        return compression.not_modified(held[etag], headers)
    found = cards.board_cards(get_engine(), first, last, shop_zone(), now, view.initials_when_asked)
    response = Response(schemas.board_body(first, last, shop.timezone, found.columns), headers=headers)
    response.mimetype = "application/json"
    response.set_etag(view.etag(found.last_seq, found.settings_version, found.late_from))
    return compression.make_conditional(response)


@bp.post("/api/appointments")
@documented(
    "create_appointment",
    "Add an appointment at version 1",
    {201: Answer("The new card.", Card, headers=("Location",))},
    body=schemas.appointment_in,
)
@requires("staff")
def create_appointment():
    fields = load_body(schemas.appointment_in)
    card = cards.create_appointment(get_engine(), current_policy(), fields, current_identity())
    location = url_for("api.get_appointment", appointment_id=card.id)
    return ok(card_out(card), 201, {"Location": location})


@bp.get("/api/appointments/<appointment_id:appointment_id>")
@documented("get_appointment", "One card", {200: CARD, 404: NOT_FOUND})
@requires("viewer")
def get_appointment(appointment_id: int):
    return ok(card_out(cards.get_appointment(get_engine(), appointment_id)))


@bp.get("/api/appointments/<appointment_id:appointment_id>/history")
@documented(
    "get_history",
    "The story of one card, one event per version, oldest first, with who made each",
    {200: Answer("The events; a deleted card keeps its history.", [Event]), 404: NOT_FOUND},
)
@requires("viewer")
def get_history(appointment_id: int):
    return ok([history.event_out(row) for row in history.get_history(get_engine(), appointment_id)])


@bp.patch("/api/appointments/<appointment_id:appointment_id>")
@documented(
    "edit_appointment",
    "Edit a card's title, customer, time or notes, if it is still at `version`",
    {
        200: Answer("The card at its new version.", Card),
        404: NOT_FOUND,
        409: STALE_CARD,
    },
    body=schemas.edit_in,
)
@requires("staff")
def edit_appointment(appointment_id: int):
    fields = load_body(schemas.edit_in)
    version = fields.pop("version")
    card = cards.edit_card(get_engine(), current_policy(), appointment_id, version, fields, current_identity())
    return ok(card_out(card))


@bp.delete("/api/appointments/<appointment_id:appointment_id>")
@documented(
    "delete_appointment",
    "Delete a card, if it is still at `version`: it leaves the board, its history stays",
    {
        200: Answer("The card is deleted at this version.", Deleted),
        404: NOT_FOUND,
        409: STALE_CARD,
    },
    query=schemas.version_query,
)
@requires("staff")
def delete_appointment(appointment_id: int):
    version = load_query(schemas.version_query)["version"]
    card = cards.delete_card(get_engine(), current_policy(), appointment_id, version, current_identity())
    return ok({"id": card.id, "version": card.version, "deleted": True})


@bp.post("/api/appointments/<appointment_id:appointment_id>/move")
@documented(
    "move_appointment",
    "Move one card, if it is still at `version`",
    {
        200: Answer("The card at its new version.", Card),
        404: NOT_FOUND,
        409: Answer(
            "Someone else moved it first: `current` is the card as it is now (or its version can count no higher).",
            codes=CONFLICT_CODES,
            kinds=(CardConflict,),
        ),
    },
    body=schemas.move_in,
)
@requires("staff")
@metrics.measure_move("single")
def move_appointment(appointment_id: int):
    fields = load_body(schemas.move_in)
    move = moves.Move(appointment_id, fields["status"], fields["version"])
    return ok(card_out(moves.move_card(get_engine(), current_policy(), move, current_identity())))


@bp.post("/api/moves")
@documented(
    "move_appointments",
    "Move several cards: all of them or none",
    {
        200: Answer("The moved cards, in the order sent.", [Card]),
        404: Answer(
            "Some ids do not exist (`missing`); nothing was moved.", codes=("not_found",), kinds=(BatchNotFound,)
        ),
        409: Answer(
            "Some versions are stale (`conflicts`), or at their top; nothing was moved.",
            codes=CONFLICT_CODES,
            kinds=(BatchConflict,),
        ),
    },
    body=schemas.batch_move_in,
)
@requires("staff")
@metrics.measure_move("batch")
def move_many():
    fields = load_body(schemas.batch_move_in)
    batch = [moves.Move(item["id"], item["status"], item["version"]) for item in fields["moves"]]
    moved = moves.move_cards(get_engine(), current_policy(), batch, current_identity())
    return ok([card_out(card) for card in moved])


@bp.get("/healthz")
@documented(
    "get_health", "Whether the service and its database answer", {200: Answer("Both answer.", Health)}, tag="service"
)
def healthz():
    # A database error here is answered and logged, with its reason, like any other (board.errors).
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
    return ok({"database": "ok"})
