"""GET /api/events: the stream's opening, checked by Flask like every other /api request.

Flask authenticates the request (token or session, any role), checks its Host and logs it, and
answers the stream's headers and its first line. Under `make run` (board.rsgi) the stream then
stays open on the worker's event loop, holding no app thread; under any other WSGI server the
answer ends after that line and the browser reconnects after `retry`.
"""

from flask import Blueprint, Response, request

from board.accounts.permissions import current_identity, requires

bp = Blueprint("live", __name__)

# Where the opening hands the caller to the stream that follows it (board.rsgi reads it).
IDENTITY_KEY = "board.live.identity"
# How long a browser waits before it reconnects a dropped stream.
RECONNECT_MS = 3000
OPENING = f"retry: {RECONNECT_MS}\n\n"
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@bp.get("/api/events")
@requires("viewer")
def open_stream():
    request.environ[IDENTITY_KEY] = current_identity()
    return Response(OPENING, mimetype="text/event-stream", headers=STREAM_HEADERS)
