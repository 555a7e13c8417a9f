"""Compressed answers (flask-compress) for clients that accept them, and the board's 304 before any compressing.

Granian does not compress what a WSGI app answers, so the app does: zstd, brotli or gzip, as the
Accept-Encoding header prefers, for bodies of COMPRESS_MIN_SIZE bytes and more, with
`Vary: Accept-Encoding` on every answer. The levels are the cheap ones: CPU is what one heavy
reader takes from everyone else. On a 3.9 MB board of 2,014 cards (measured in this process):
zstd 3 took 9 ms for 20% of the size, brotli 1 12 ms for 23%, gzip 1 23 ms for 24% (gzip 5:
54 ms for 20%, gzip 6: 151 ms for 17%). gzip 1 is also nginx's default level.
"""

from flask import Flask, Response, request
from flask_compress import Compress

ALGORITHMS = ("zstd", "br", "gzip")

SETTINGS = {
    "COMPRESS_ALGORITHM": list(ALGORITHMS),
    "COMPRESS_ZSTD_LEVEL": 3,
    "COMPRESS_BR_LEVEL": 1,
    "COMPRESS_LEVEL": 1,  # gzip
    "COMPRESS_MIN_SIZE": 1024,
    "COMPRESS_MIMETYPES": ["application/json", "text/html", "text/plain", "text/css", "text/javascript"],
    # Whole bodies only: a streamed answer (a static file) keeps its own conditional and range handling.
    "COMPRESS_STREAMS": False,
    # The board answers its own 304s before anything is compressed (make_conditional below).
    "COMPRESS_EVALUATE_CONDITIONAL_REQUEST": False,
}


def held_etags() -> dict[str, str]:
    """The ETags the caller sent in If-None-Match, each under the ETag of the body it names.

    A compressed body's "<etag>:<algorithm>" (see make_conditional) is under "<etag>".
    """
    held = {}
    for etag in request.if_none_match.as_set(include_weak=True):
        if not etag:  # what werkzeug makes of a malformed header
            continue
        body_etag, colon, algorithm = etag.rpartition(":")
        held.setdefault(body_etag if colon and algorithm in ALGORITHMS else etag, etag)
    return held


def not_modified(held: str, headers: dict[str, str]) -> Response:
    """A 304 naming the validator the caller has, answered before any body exists."""
    response = Response(status=304, headers=headers)
    response.set_etag(held)
    return response


def make_conditional(response: Response) -> Response:
    """Answer 304 if the caller holds this body, whether it was sent compressed or not.

    flask-compress gives a compressed body its own strong ETag, "<etag>:<algorithm>", as a strong
    validator must differ per content coding. A caller revalidating with that one holds the same
    board, so it gets its 304 here, without the body being compressed first only to be dropped.
    """
    etag, _ = response.get_etag()
    if etag is not None:
        for held in (etag, *(f"{etag}:{algorithm}" for algorithm in ALGORITHMS)):
            if request.if_none_match.contains_weak(held):
                response.set_etag(held)  # the 304 names the validator the caller has
                break
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    for name, value in SETTINGS.items():
        app.config.setdefault(name, value)
    Compress(app)
