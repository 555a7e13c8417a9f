"""The page: index.html at /, its modules and styles under /assets/, all under a strict CSP."""

from pathlib import Path

from flask import Blueprint, Response

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Nothing inline and nothing from elsewhere: the page is only our own files and our own API.
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

bp = Blueprint("web", __name__, static_folder=STATIC_DIR, static_url_path="/assets")


@bp.get("/")
def index() -> Response:
    """Serve the board page; the day to show is read from ?date= by the page itself."""
    response = bp.send_static_file("index.html")
    # Revalidate on every load so a deploy is picked up at once; the file's ETag keeps it cheap.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.after_request
def security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
