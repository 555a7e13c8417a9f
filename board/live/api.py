"""GET /api/events: the stream's opening, checked by Flask like every other /api request.

Flask authenticates the request (token or session, any role), checks its Host and logs it, and
answers the stream's headers and its first line. Under `make run` (board.rsgi) the stream then
stays open on the worker's event loop, holding no app thread; under any other WSGI server the
answer ends after that line and the browser reconnects after `retry`.
"""

from flask import Blueprint, Response, request

from board.accounts.permissions import current_identity, requires
from board.db import get_engine, one_statement
from board.http.documented import Answer, documented
from board.live.events import IDENTITY_KEY, START_KEY
from board.live.feed import LAST_SEQ

bp = Blueprint("live", __name__)

# How long a browser waits before it reconnects a dropped stream.
RECONNECT_MS = 3000
OPENING = f"retry: {RECONNECT_MS}\n\n"
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


LAST_EVENT_ID = {
    "in": "header",
    "name": "Last-Event-ID",
    "required": False,
    "description": "The id of the last event received: the stream sends every change after it, then the live ones.",
    "schema": {"type": "string"},
}
AFTER = {
    "in": "query",
    "name": "after",
    "required": False,
    "description": "As Last-Event-ID, for a client that cannot set headers (a browser's EventSource on first connect).",
    "schema": {"type": "string"},
}


@bp.get("/api/events")
@documented(
    "stream_events",
    "The shop's changes, live (Server-Sent Events)",
    {
        200: Answer(
            "An endless text/event-stream: `retry:` at once, then `event: change` (id = the shop's change"
            " sequence) for each change, `event: reset` when the given id cannot be resumed from, and a"
            ' comment at least every 15 s. See README, "The live stream".',
            media_type="text/event-stream",
        )
    },
    tag="live",
    headers_in=(LAST_EVENT_ID, AFTER),
)
@requires("viewer", for_displays=True)
def open_stream():
    request.environ[IDENTITY_KEY] = current_identity()
    if "Last-Event-ID" not in request.headers and "after" not in request.args:
        with one_statement(get_engine()) as conn:
            request.environ[START_KEY] = str(conn.scalar(LAST_SEQ) or 0)
    return Response(OPENING, mimetype="text/event-stream", headers=STREAM_HEADERS)
