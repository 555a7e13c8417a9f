"""Domain errors, and the one place that turns any error into the JSON envelope."""

import logging

import psycopg
from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from board.schemas import card_out

log = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/healthz")


class BoardError(Exception):
    """An error the caller can act on: it carries its HTTP status, code and message."""

    status = 500
    code = "internal_error"
    message = "Something went wrong on our side; try again later."

    def __init__(self, message: str | None = None, **details):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details

    def headers(self) -> dict[str, str]:
        return {}

    def body(self) -> dict:
        return {"code": self.code, "message": self.message, **self.details}


class BadRequest(BoardError):
    status = 400
    code = "bad_request"
    message = "The request body is not a valid JSON object."


class UnsupportedMediaType(BoardError):
    status = 415
    code = "unsupported_media_type"
    message = "Send the body as JSON with Content-Type: application/json."


class ValidationFailed(BoardError):
    status = 422
    code = "validation_error"
    message = "Some fields are invalid; see details."

    def __init__(self, details: dict, message: str | None = None):
        super().__init__(message, details=details)


class NotFound(BoardError):
    status = 404
    code = "not_found"
    message = "No such appointment."


class VersionConflict(BoardError):
    """The caller's version is stale: someone else moved the card (or cards) first."""

    status = 409
    code = "version_conflict"
    message = "Someone else changed this appointment first; reload it and try again with its current version."

    def __init__(self, message: str | None = None, *, current=None, conflicts=None):
        super().__init__(message)
        self.current = current
        self.conflicts = conflicts

    def body(self) -> dict:
        body = super().body()
        if self.current is not None:
            body["current"] = card_out(self.current)
        if self.conflicts is not None:
            body["conflicts"] = [{"id": card.id, "current": card_out(card)} for card in self.conflicts]
        return body


class TransientConflict(BoardError):
    """The database hit a deadlock or serialization failure twice; resending the same request is safe."""

    status = 503
    code = "transient_conflict"
    message = "The database was busy with conflicting changes; nothing was applied. Resend the same request."

    def __init__(self, sqlstate: str | None = None):
        super().__init__()
        self.sqlstate = sqlstate

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


class DatabaseUnavailable(BoardError):
    status = 503
    code = "database_unavailable"
    message = "The database is not answering; try again in a moment."

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


_HTTP_CODES = {
    400: ("bad_request", BadRequest.message),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("payload_too_large", "The request body is larger than 64 KiB."),
    415: ("unsupported_media_type", UnsupportedMediaType.message),
}


def error_response(status: int, body: dict, headers: dict | None = None) -> Response:
    response = jsonify({"ok": False, "error": body})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def handle_board_error(error: BoardError) -> Response:
    return error_response(error.status, error.body(), error.headers())


def handle_http_exception(error: HTTPException) -> Response | HTTPException:
    if not request.path.startswith(JSON_PREFIXES):
        return error
    code, message = _HTTP_CODES.get(error.code, (None, None))
    if code is None:
        code = "internal_error" if error.code >= 500 else "bad_request"
        message = error.description
    headers = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else None
    return error_response(error.code, {"code": code, "message": message}, headers)


def handle_database_error(error: DBAPIError) -> Response:
    if error.connection_invalidated or _is_connection_failure(error):
        log.error("database unavailable: %s", error.orig)
        return handle_board_error(DatabaseUnavailable())
    return handle_unexpected(error)


def sqlstate_of(exc: BaseException) -> str | None:
    """Return the SQLSTATE of a database error, whether raised by psycopg or wrapped by SQLAlchemy."""
    driver_error = getattr(exc, "orig", None) or exc
    return getattr(driver_error, "sqlstate", None)


def _is_connection_failure(error: DBAPIError) -> bool:
    sqlstate = sqlstate_of(error)
    if sqlstate is None:
        # psycopg raises OperationalError without a SQLSTATE when it cannot reach the server at all.
        return isinstance(error.orig, psycopg.OperationalError)
    return sqlstate.startswith(("08", "57P"))  # connection exceptions; server shutting down or starting


def handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, BoardError().body())


def register_errorhandlers(app: Flask) -> None:
    app.register_error_handler(BoardError, handle_board_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
