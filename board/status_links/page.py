"""The customer's page at /s/<token>: the shop, the appointment's title and time, its status in words; nothing else.

No sign-in: the token is the credential. A link that does not work (unknown, replaced, expired,
or not a token's shape) answers one fixed page, byte for byte the same, so nothing tells them
apart; an address that asked for too many of them gets that page with 429, before any lookup.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template

from board.db import get_engine
from board.http import headers
from board.http.client_address import client_address
from board.status_links import links, throttle

# How the page says each status, with the time the card entered it: "Ready for pickup since 14:20".
STATUS_WORDS = {
    "SCHEDULED": "Booked since {}",
    "CHECKED_IN": "Checked in since {}",
    "IN_PROGRESS": "Being worked on since {}",
    "READY": "Ready for pickup since {}",
    "COMPLETED": "Completed at {}",
    "CANCELLED": "Cancelled at {}",
}
# A deleted card, with the time it was deleted.
DELETED_WORDS = "Cancelled: removed from the shop's schedule at {}"
REFRESH_EVERY_S = 30

NO_SUCH_LINK = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Link not working</title>
<link rel="stylesheet" href="/assets/status.css">
</head>
<body>
<main class="status-page">
<h1>This link does not work</h1>
<p>It may have been mistyped or replaced, or it has expired. Ask the shop for a current link.</p>
</main>
</body>
</html>
"""

bp = Blueprint("status_links_page", __name__, template_folder="templates")
bp.after_request(headers.add_page_headers)


@bp.after_request
def keep_private(response: Response) -> Response:
    # The link is the credential: no cache keeps the page, no search engine lists it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/s/<token>")
def status_page(token: str) -> Response:
    """Show the appointment's status to whoever holds its link."""
    engine = get_engine()
    address = client_address()
    seconds_left = throttle.seconds_refused(engine, address)
    if seconds_left is not None:
        return no_such_link(429, {"Retry-After": str(seconds_left)})
    found = links.status_of_link(engine, token)
    if found is None:
        throttle.record_miss(engine, address)
        return no_such_link(404)
    zone = ZoneInfo(found.shop_timezone)
    now = datetime.now(UTC).astimezone(zone)
    if found.deleted_at is not None:
        words, since, state = DELETED_WORDS, found.deleted_at, "deleted"
    else:
        words, since, state = STATUS_WORDS[found.status], found.status_since, found.status.lower()
    page = render_template(
        "status_page.html",
        shop_name=found.shop_name,
        title=found.title,
        scheduled=full_time(found.scheduled_at.astimezone(zone)),
        status_line=words.format(time_since(since.astimezone(zone), now)),
        state=state,
        refresh_every_s=REFRESH_EVERY_S,
    )
    return Response(page, mimetype="text/html")


def no_such_link(status: int, extra_headers: dict | None = None) -> Response:
    return Response(NO_SUCH_LINK, status, extra_headers, mimetype="text/html")


def full_time(at: datetime) -> str:
    """Tuesday 14 January 2027, 09:30"""
    return f"{at:%A} {at.day} {at:%B} {at.year}, {at:%H:%M}"


def time_since(at: datetime, now: datetime) -> str:
    """14:20 today; 12 January, 14:20 earlier this year; 28 December 2026, 14:20 before."""
    if at.date() == now.date():
        return f"{at:%H:%M}"
    year = f" {at.year}" if at.year != now.year else ""
    return f"{at.day} {at:%B}{year}, {at:%H:%M}"
