"""GET /api/events: the stream's opening, checked by Flask like every other /api request.

Flask authenticates the request (token or session, any role), checks its Host and logs it, and
answers the stream's headers and its first line. Under `make run` (board.rsgi) the stream then
stays open on the worker's event loop, holding no app thread; under any other WSGI server the
answer ends after that line and the browser reconnects after `retry`.
"""

from flask import Blueprint, Response, request

from board.accounts.permissions import current_identity, requires
from board.db import get_engine, one_statement
from board.live.feed import LAST_SEQ

bp = Blueprint("live", __name__)

# Where the opening hands the caller to the stream that follows it (board.rsgi reads it).
IDENTITY_KEY = "board.live.identity"
# The last change before the headers went out: a stream opened without an id is live from there.
START_KEY = "board.live.start"
# How long a browser waits before it reconnects a dropped stream.
RECONNECT_MS = 3000
OPENING = f"retry: {RECONNECT_MS}\n\n"
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@bp.get("/api/events")
@requires("viewer")
def open_stream():
    request.environ[IDENTITY_KEY] = current_identity()
    if "Last-Event-ID" not in request.headers and "after" not in request.args:
        with one_statement(get_engine()) as conn:
            request.environ[START_KEY] = str(conn.scalar(LAST_SEQ) or 0)
    return Response(OPENING, mimetype="text/event-stream", headers=STREAM_HEADERS)
