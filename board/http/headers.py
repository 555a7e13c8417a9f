"""Headers every response carries: no MIME sniffing anywhere, and no stored copies of customer data."""

from flask import Flask, Response, request

from board.errors import JSON_PREFIXES


def add_headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Cards carry customer names: no browser or proxy cache may keep them. A view that can be
    # revalidated says so itself (the board: no-cache, private, with its ETag).
    if request.path.startswith(JSON_PREFIXES):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
