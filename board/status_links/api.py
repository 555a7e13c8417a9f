"""Routes for a card's status link (staff): read it, made on first need, and replace it."""

from flask import Blueprint, current_app, request

from board.accounts.permissions import requires
from board.appointments.card_json import utc_iso
from board.db import get_engine
from board.http.documented import Answer, documented
from board.http.route_io import ok
from board.http.shapes import StatusLink
from board.status_links import links

bp = Blueprint("status_links", __name__)

NOT_FOUND = Answer("No such appointment, or it is deleted.", codes=("not_found",))


def public_url() -> str:
    """Where customers open links: BOARD_PUBLIC_URL, else the address this request came to."""
    return current_app.config["BOARD_PUBLIC_URL"] or request.host_url


def link_out(link: links.Link) -> dict:
    return {"url": link.url, "expires_at": utc_iso(link.expires_at) if link.expires_at else None}


@bp.get("/api/appointments/<appointment_id:appointment_id>/status-link")
@documented(
    "get_status_link",
    "The card's status link for its customer, made the first time it is asked for",
    {200: Answer("The link; the same each time until it is replaced.", StatusLink), 404: NOT_FOUND},
    description="Anyone holding the link sees the shop's name, the title, the time and the status, and nothing else.",
)
@requires("staff")
def get_status_link(appointment_id: int):
    return ok(link_out(links.link_of(get_engine(), appointment_id, public_url())))


@bp.post("/api/appointments/<appointment_id:appointment_id>/status-link/replace")
@documented(
    "replace_status_link",
    "Give the card a new status link: the old one stops working at once",
    {200: Answer("The new link.", StatusLink), 404: NOT_FOUND},
    description="Takes no Idempotency-Key: the answer carries the link, which is never stored.",
)
@requires("staff")
def replace_status_link(appointment_id: int):
    return ok(link_out(links.replace_link(get_engine(), appointment_id, public_url())))
