"""Logs as JSON lines on stderr: one line per request, and board's own warnings and errors beside them."""

import json
import logging
import os
import re
import sys
import time

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_MAX_LENGTH = 64
# A caller's id lands in our logs and headers: keep it to characters that cannot break either.
_NOT_REQUEST_ID = re.compile(r"[^A-Za-z0-9._:@/+=-]")

request_log = logging.getLogger("board.request")


def request_id_from(header: str | None) -> str:
    """Return the caller's request id, sanitised, or a new one when it has none worth keeping."""
    if header:
        cleaned = _NOT_REQUEST_ID.sub("", header)[:REQUEST_ID_MAX_LENGTH]
        if cleaned:
            return cleaned
    return os.urandom(8).hex()


class JsonLines(logging.Formatter):
    """One JSON object per record, with the request id and any SQLSTATE as keys."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": round(record.created, 3), "level": record.levelname.lower(), "logger": record.name}
        line["message"] = record.getMessage()
        if has_request_context() and "request_id" in g:
            line["request_id"] = g.request_id
        line.update(getattr(record, "fields", {}))
        sqlstate = getattr(record, "sqlstate", None)
        if sqlstate is not None:
            line["sqlstate"] = sqlstate
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class StderrHandler(logging.Handler):
    """Write to whatever sys.stderr is at the time, as logging's last resort does (pytest swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def configure() -> None:
    """Send the board loggers' records to stderr as JSON lines, once per process."""
    logger = logging.getLogger("board")
    if any(isinstance(handler, StderrHandler) for handler in logger.handlers):
        return
    handler = StderrHandler()
    handler.setFormatter(JsonLines())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))


def log_request(response: Response) -> Response:
    request_id = g.get("request_id") or request_id_from(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    rule = request.url_rule
    fields = {
        "request_id": request_id,
        "method": request.method,
        "route": rule.rule if rule is not None else None,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 2),
    }
    view_args = request.view_args
    if view_args and "appointment_id" in view_args:
        fields["appointment_id"] = view_args["appointment_id"]
    identity = g.get("identity")
    if identity is not None:
        # Who asked (and through which token, for which shop): with the history's `by`, the audit trail.
        fields["shop"] = identity.shop.slug
        fields["user"] = identity.username
        if identity.token_label is not None:
            fields["token"] = identity.token_label
    outcome = g.get("move_outcome")
    if outcome is not None:
        fields["outcome"] = outcome
    sqlstate = g.get("sqlstate")
    if sqlstate is not None:
        fields["sqlstate"] = sqlstate
    if request_log.isEnabledFor(logging.INFO):
        # Written directly rather than through logging.Logger: a LogRecord per request cost
        # more CPU than the line itself. The board.request logger's level still turns it off.
        sys.stderr.write(json.dumps({"time": round(time.time(), 3), **fields}) + "\n")
    return response


def init_app(app: Flask) -> None:
    configure()
    app.before_request(start_request)
    app.after_request(log_request)
