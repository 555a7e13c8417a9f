"""The page: index.html at /, its modules and styles under /assets/, all under a strict CSP."""

from pathlib import Path

from flask import Blueprint, Response

from board.http import headers

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

bp = Blueprint("web", __name__, static_folder=STATIC_DIR, static_url_path="/assets")
bp.after_request(headers.add_page_headers)


@bp.get("/")
def index() -> Response:
    """Serve the board page; the day to show is read from ?date= by the page itself."""
    response = bp.send_static_file("index.html")
    # Revalidate on every load so a deploy is picked up at once; the file's ETag keeps it cheap.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/display")
def display() -> Response:
    """Serve the wall display's page; a pairing code comes in the fragment, which no server sees."""
    response = bp.send_static_file("display.html")
    response.headers["Cache-Control"] = "no-cache"
    return response
