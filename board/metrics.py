"""Prometheus metrics at GET /metrics: moves by outcome, retries, move latency, HTTP requests by route, failed sign-ins.

Under Granian, board.serving sets PROMETHEUS_MULTIPROC_DIR before any worker imports
prometheus-client, which then keeps each process's values in a file of that folder; /metrics
adds up the files of all workers, live and dead (only counters and histograms are used, so a
dead worker's files need no marking). Without it (tests, flask run) a plain
in-process registry is used.
"""

import os
import time
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from board.accounts.permissions import requires
from board.errors import (
    BadRequest,
    HashingBusy,
    NotFound,
    TooManyAttempts,
    TooManyAttemptsFromAddress,
    TransientConflict,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
    VersionConflict,
    WrongCurrentPassword,
)
from board.http.documented import Answer, documented
from board.sqlstates import Meaning, meaning_of
from board.webhooks.metrics import QueueCollector

KINDS = ("single", "batch")
# Label values come from closed sets, so no request can add a series: a made-up method is "other".
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OUTCOMES = ("ok", "conflict", "not_found", "invalid", "transient", "error")
# Why a sign-in (or a password change's check of the current password) failed or was refused.
SIGN_IN_FAILURE_REASONS = ("wrong_password", "throttled", "address_throttled", "busy")

# Fine enough to read a p95 anywhere from 1 ms to 1 s within a bucket's width.
MOVE_BUCKETS = (
    0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05,
    0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0,
)  # fmt: skip

MOVES = Counter("board_moves", "Moves answered, by kind (single, batch) and outcome.", ["kind", "outcome"])
MOVE_SECONDS = Histogram(
    "board_move_duration_seconds",
    "Time to answer a move request, parsing to response, by kind.",
    ["kind"],
    buckets=MOVE_BUCKETS,
)
RETRIES = Counter("board_move_retries", "Move transactions run a second time after a transient SQLSTATE.", ["sqlstate"])
RETRIES_FAILED = Counter(
    "board_move_retries_failed",
    "Retries whose second attempt failed transiently too (answered 503 transient_conflict).",
    ["sqlstate"],
)
HTTP_REQUESTS = Counter(
    "board_http_requests",
    "HTTP requests answered, by route (the URL rule), method, status and status class.",
    ["route", "method", "status", "status_class"],
)
SIGN_IN_FAILURES = Counter(
    "board_sign_in_failures",
    "Sign-ins and current-password checks that failed (wrong_password) or were refused: throttled for the"
    " username from that address, address_throttled for every username, busy for want of a hashing slot.",
    ["reason"],
)

# Label lookups take a lock and build a tuple; the label sets are few, so keep their children.
_move_children = {
    (kind, outcome): (MOVES.labels(kind, outcome), MOVE_SECONDS.labels(kind)) for kind in KINDS for outcome in OUTCOMES
}
_http_children: dict[tuple, Counter] = {}
_sign_in_children = {reason: SIGN_IN_FAILURES.labels(reason) for reason in SIGN_IN_FAILURE_REASONS}


def outcome_of(error: BaseException) -> str:
    """Name what a failed move came to, the way /metrics and the request log report it."""
    if isinstance(error, VersionConflict):
        return "conflict"
    if isinstance(error, NotFound):
        return "not_found"
    if isinstance(error, (BadRequest, UnsupportedMediaType, ValidationFailed)):
        return "invalid"
    if isinstance(error, HTTPException) and error.code is not None and error.code < 500:
        return "invalid"
    if isinstance(error, TransientConflict):
        return "transient"
    if isinstance(error, DBAPIError) and meaning_of(error) is Meaning.BUSY:
        return "transient"
    return "error"


def measure_move(kind: str) -> Callable:
    """Count a move view's outcome and time it; leave the outcome in g for the request log."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def measured(*args, **kwargs):
            started = time.perf_counter()
            outcome = "error"
            try:
                response = view(*args, **kwargs)
                outcome = "ok"
                return response
            except Exception as error:
                outcome = outcome_of(error)
                raise
            finally:
                counter, histogram = _move_children[kind, outcome]
                counter.inc()
                histogram.observe(time.perf_counter() - started)
                g.move_outcome = outcome

        return measured

    return decorate


def sign_in_failure_reason(error: BaseException) -> str | None:
    """Name why a sign-in failed, or None for an error that is not a failed or refused sign-in."""
    if isinstance(error, HashingBusy):
        return "busy"
    if isinstance(error, TooManyAttemptsFromAddress):
        return "address_throttled"
    if isinstance(error, TooManyAttempts):
        return "throttled"
    if isinstance(error, (Unauthenticated, WrongCurrentPassword)):
        return "wrong_password"
    return None


def count_sign_in_failures(view: Callable) -> Callable:
    """Count the failed and refused password checks of a view that checks one."""

    @wraps(view)
    def counted(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Exception as error:
            reason = sign_in_failure_reason(error)
            if reason is not None:
                _sign_in_children[reason].inc()
            raise

    return counted


def count_retry(sqlstate: str | None) -> None:
    RETRIES.labels(sqlstate or "unknown").inc()


def count_retry_gave_up(sqlstate: str | None) -> None:
    RETRIES_FAILED.labels(sqlstate or "unknown").inc()


def count_request(response: Response) -> Response:
    rule = request.url_rule
    method = request.method if request.method in HTTP_METHODS else "other"
    key = (rule.rule if rule is not None else "unmatched", method, response.status_code)
    child = _http_children.get(key)
    if child is None:
        child = _http_children[key] = HTTP_REQUESTS.labels(*key[:2], str(key[2]), f"{key[2] // 100}xx")
    child.inc()
    return response


bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@documented(
    "get_metrics",
    "Prometheus metrics",
    {200: Answer("The metrics in Prometheus' text format.", media_type="text/plain")},
    tag="service",
)
@requires("viewer")
def metrics() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    now = CollectorRegistry()
    now.register(QueueCollector())
    body = generate_latest(registry) + generate_latest(now)
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(count_request)
