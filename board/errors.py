"""Domain errors, and the one place that turns any error into the JSON envelope."""

import logging

from flask import Flask, Response, g, jsonify, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, SecurityError

from board.sqlstates import Meaning, meaning_of, sqlstate_of

log = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/healthz", "/metrics")
# The code of the answer to a Host that is not in BOARD_ALLOWED_HOSTS (Flask's TRUSTED_HOSTS).
UNKNOWN_HOST = "unknown_host"


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

    def __init__(self, message: str | None = None, *, current: dict | None = None, conflicts: list[dict] | None = None):
        """`current` and `conflicts` are cards already in the shape the API shows them."""
        super().__init__(message)
        self.current = current
        self.conflicts = conflicts

    def body(self) -> dict:
        body = super().body()
        if self.current is not None:
            body["current"] = self.current
        if self.conflicts is not None:
            body["conflicts"] = [{"id": card["id"], "current": card} for card in self.conflicts]
        return body


class Unauthenticated(BoardError):
    """No credentials, or ones that are wrong, revoked, expired, or of a disabled account."""

    status = 401
    code = "unauthenticated"
    message = "Sign in, or send an API token as Authorization: Bearer <token>."

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="board"'}


class Forbidden(BoardError):
    status = 403
    code = "forbidden"
    message = "Your role does not allow this."


class TooManyAttempts(BoardError):
    """Too many failed sign-ins for this username from this address."""

    status = 429
    code = "too_many_attempts"
    message = "Too many failed sign-ins for this username; try again in {} seconds."

    def __init__(self, retry_after_s: int):
        super().__init__(self.message.format(retry_after_s))
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class TooManyAttemptsFromAddress(TooManyAttempts):
    """Too many failed sign-ins from this address, whatever the usernames."""

    message = "Too many failed sign-ins from your address; try again in {} seconds."


class HashingBusy(TooManyAttempts):
    """Every password-hashing slot of this worker is in use: refused at once, counted as nothing."""

    message = "Too many sign-ins at once; try again in {} seconds."

    def __init__(self):
        super().__init__(1)


class WrongCurrentPassword(ValidationFailed):
    def __init__(self):
        super().__init__({"current_password": ["Is not your current password."]})


class UsernameTaken(BoardError):
    status = 409
    code = "username_taken"
    message = "Someone already has this username (usernames ignore case)."


class SlugTaken(BoardError):
    status = 409
    code = "slug_taken"
    message = "A shop with this slug exists already."


class LastAdmin(BoardError):
    status = 409
    code = "last_admin"
    message = "This would leave the board without an active admin; make someone else admin first."


class TooManyDisplays(BoardError):
    status = 409
    code = "too_many_displays"

    def __init__(self, limit: int):
        super().__init__(f"This shop already has {limit} displays, the most it may have; revoke some first.")


class BadWebhookUrl(ValidationFailed):
    """A webhook URL the service will not send to (board.webhooks.addresses says why)."""

    def __init__(self, reason: str):
        super().__init__({"url": [reason]}, "This webhook URL is refused; see details.")
        self.reason = reason


class TooManyWebhooks(BoardError):
    status = 409
    code = "too_many_webhooks"

    def __init__(self, limit: int):
        super().__init__(f"This shop already has {limit} webhooks, the most it may have; delete some first.")


class TooManyTokens(BoardError):
    status = 409
    code = "too_many_tokens"

    def __init__(self, limit: int):
        super().__init__(
            f"This account already has {limit} active API tokens, the most it may have; revoke some first."
        )


class VersionExhausted(VersionConflict):
    """The card's version is at the top of its range, so no move can give it a next one."""

    code = "version_exhausted"
    message = (
        "This appointment has been changed as many times as its version can count; it cannot be moved any more. "
        "Create a new appointment for it."
    )


class IdempotencyKeyReused(BoardError):
    status = 422
    code = "idempotency_key_reused"
    message = (
        "This Idempotency-Key was sent before with another request (method, path or body); "
        "send a fresh key for each intended change."
    )


class ResendSoon(BoardError):
    """An error whose very request may be resent as it is, a second later (Retry-After)."""

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


class DatabaseError(BoardError):
    """What a caller is told of a database error; its SQLSTATE is kept for the log, never sent."""

    def __init__(self, sqlstate: str | None = None):
        super().__init__()
        self.sqlstate = sqlstate


class IdempotencyInProgress(ResendSoon):
    status = 409
    code = "idempotency_in_progress"
    message = "The first request with this Idempotency-Key is still running; resend the same request in a moment."


class TooManyRequests(ResendSoon):
    """The credential already runs as many expensive reads as it may at once (board.http.limits)."""

    status = 429
    code = "too_many_requests"
    message = "This credential already has as many board reads running as it may at once; try again in a moment."


class TransientConflict(DatabaseError, ResendSoon):
    """The database hit a deadlock or serialization failure twice; resending the same request is safe."""

    status = 503
    code = "transient_conflict"
    message = "The database was busy with conflicting changes; nothing was applied. Resend the same request."


class DatabaseUnavailable(DatabaseError, ResendSoon):
    status = 503
    code = "database_unavailable"
    message = "The database is not answering; try again in a moment."


class DatabaseMisconfigured(DatabaseError):
    """The database refused board's credentials, database name or connection settings: resending will not help."""

    status = 500
    code = "database_misconfigured"
    message = "The service cannot use its database as configured; an operator must fix its settings."


# The answer a caller gets for each meaning of a database error (board.sqlstates classifies them);
# a busy database is answered once board.retry gave up on a deadlock, or at once for a timeout.
DATABASE_ERRORS: dict[Meaning, type[BoardError]] = {
    Meaning.BUSY: TransientConflict,
    Meaning.UNAVAILABLE: DatabaseUnavailable,
    Meaning.MISCONFIGURED: DatabaseMisconfigured,
}


_HTTP_CODES = {
    400: ("bad_request", BadRequest.message),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("payload_too_large", "The request body is larger than 64 KiB."),
    415: ("unsupported_media_type", UnsupportedMediaType.message),
}


def envelope(payload: dict, status: int, headers: dict | None = None) -> Response:
    """A JSON response in the envelope; `payload` holds "ok" and "data" or "error"."""
    response = jsonify(payload)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def error_response(status: int, body: dict, headers: dict | None = None) -> Response:
    request_id = g.get("request_id")
    if request_id is not None:
        body = {**body, "request_id": request_id}
    return envelope({"ok": False, "error": body}, status, headers)


def handle_board_error(error: BoardError) -> Response:
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate is not None:
        g.sqlstate = sqlstate
    return error_response(error.status, error.body(), error.headers())


def handle_http_exception(error: HTTPException) -> Response | HTTPException:
    # OPTIONS is how scripts and preflights probe an address: never answer it with an HTML page.
    if not request.path.startswith(JSON_PREFIXES) and request.method != "OPTIONS":
        return error
    if isinstance(error, SecurityError):  # Flask's TRUSTED_HOSTS check (BOARD_ALLOWED_HOSTS)
        return error_response(400, {"code": UNKNOWN_HOST, "message": "This service does not answer for that Host."})
    code, message = _HTTP_CODES.get(error.code, (None, None))
    if code is None:
        code = "internal_error" if error.code >= 500 else "bad_request"
        message = error.description
    headers = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else None
    return error_response(error.code, {"code": code, "message": message}, headers)


def handle_database_error(error: DBAPIError) -> Response:
    board_error = board_error_for(error)
    if board_error is None:
        return handle_unexpected(error)
    log.error(
        "%s (SQLSTATE %s): %s",
        board_error.code,
        board_error.sqlstate or "none, no connection",
        error.orig,
        extra={"sqlstate": board_error.sqlstate},
    )
    return handle_board_error(board_error)


def board_error_for(error: DBAPIError) -> TransientConflict | DatabaseUnavailable | DatabaseMisconfigured | None:
    """Return the error the caller sees for a database error, or None if it is a bug of ours."""
    meaning = meaning_of(error)
    return DATABASE_ERRORS[meaning](sqlstate_of(error)) if meaning is not None else None


def handle_unexpected(error: Exception) -> Response:
    sqlstate = sqlstate_of(error)
    if sqlstate is not None:
        g.sqlstate = sqlstate
    log.exception("unhandled error on %s %s", request.method, request.path, extra={"sqlstate": sqlstate})
    return error_response(500, BoardError().body())


def register_errorhandlers(app: Flask) -> None:
    app.register_error_handler(BoardError, handle_board_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)
