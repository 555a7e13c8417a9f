"""The security headers, set here only: on every response no MIME sniffing and no stored copies of
customer data; on the pages (the board, the API docs) a strict CSP and no Referer."""

from flask import Flask, Response, request

from board.errors import JSON_PREFIXES

# Nothing inline and nothing from elsewhere: a page is only our own files and our own API.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Cards carry customer names: no browser or proxy cache may keep them. A view that can be
    # revalidated says so itself (the board: no-cache, private, with its ETag).
    if request.path.startswith(JSON_PREFIXES):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def add_page_headers(response: Response) -> Response:
    """The headers of a blueprint that serves pages; register it with `bp.after_request`."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
