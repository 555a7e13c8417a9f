"""Request bodies of any framing held to MAX_CONTENT_LENGTH, by the one check Werkzeug makes (413)."""

import io
from collections.abc import Callable, Iterable

from werkzeug.http import parse_set_header


class CountedBody:
    """WSGI middleware: give a chunked body a Content-Length.

    Werkzeug refuses a body whose Content-Length is over the limit, but a chunked body it reads
    up to the limit and then stops, silently: a move in its first 64 KiB was applied. Read here,
    at most one byte past the limit, it becomes a counted body: its real size when it fits, one
    byte too many when it does not, which the usual check answers with 413.
    """

    def __init__(self, app: Callable, limit: int):
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if "chunked" in parse_set_header(environ.get("HTTP_TRANSFER_ENCODING")):
            body = read_at_most(environ["wsgi.input"], self.limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            # The app now gets a counted body; Werkzeug would still treat it as a stream.
            del environ["HTTP_TRANSFER_ENCODING"]
        return self.app(environ, start_response)


def read_at_most(stream, size: int) -> bytes:
    """Read from `stream` until it ends or `size` bytes have come, whichever is first."""
    chunks, remaining = [], size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
