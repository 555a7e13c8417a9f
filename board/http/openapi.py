"""The OpenAPI 3.1 document of the API, built from the routes and the marshmallow schemas they load with.

Bodies and queries are the very schemas the routes validate with (board.appointments.schemas,
board.accounts.schemas); who may call a route is read from its @requires or @public mark, path
parameters from its URL rule. What each route answers is said once, in OPERATIONS, in the
shapes below; Schemathesis (tests/http/test_fuzz.py) holds the code to them. Every shape, envelope,
error kind and enum is a named component that answers $ref, so a client generated from the document
(tests/http/test_generated_client.py) has one model per shape.
"""

import re
from dataclasses import dataclass, replace
from pathlib import Path

import flask_swagger_ui
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, jsonify, send_from_directory
from marshmallow import Schema, fields, validate

from board import errors
from board.appointments import schemas
from board.http import headers, idempotency
from board.accounts import schemas as account_schemas
from board.accounts import tokens
from board.accounts.permissions import PUBLIC, WRITE_METHODS, public
from board.accounts.sessions import COOKIE_NAME
from board.models import EVENT_KINDS, IDEMPOTENCY_KEY_MAX_LENGTH, NOTES_MAX_LENGTH, ROLES, STATUSES, TEXT_MAX_LENGTH

DOCUMENTED_PREFIXES = ("/api/", "/metrics", "/healthz")


# What goes out. The routes build these dicts with plain functions (board.appointments.card_json.card_out
# and the like); these schemas only describe them, and the fuzz test checks every answer against them.
class Card(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    customer = fields.String(required=True)
    scheduled_at = fields.DateTime(required=True)
    notes = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    version = fields.Integer(required=True)
    updated_at = fields.DateTime(required=True)


class Column(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    cards = fields.List(fields.Nested(Card), required=True)


class Board(Schema):
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    timezone = fields.String(required=True)
    columns = fields.List(fields.Nested(Column), required=True)


class MovedBy(Schema):
    username = fields.String(required=True)
    name = fields.String(required=True)
    token = fields.String(
        required=True, allow_none=True, metadata={"description": "The API token's label; null from the page."}
    )


class FieldChange(Schema):
    from_ = fields.Raw(required=True, data_key="from")
    to = fields.Raw(required=True)


class Event(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    version = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    by = fields.Nested(
        MovedBy,
        required=True,
        allow_none=True,
        metadata={"description": "null for events from before accounts existed."},
    )
    from_status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "moved only."})
    to_status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "moved only."})
    moved_at = fields.DateTime(metadata={"description": "moved only: the same as `at`, for scripts older than events."})
    changes = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(FieldChange),
        metadata={"description": "edited only: each field that changed."},
    )


class Deleted(Schema):
    id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    deleted = fields.Boolean(required=True, validate=validate.Equal(True))


class Account(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class ShopOut(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    timezone = fields.String(required=True, metadata={"description": "IANA zone the shop's board days are in."})


class Me(Account):
    shop = fields.Nested(ShopOut, required=True, metadata={"description": "The account's shop."})


class UserOut(Account):
    disabled = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class TokenOwner(Schema):
    username = fields.String(required=True)
    name = fields.String(required=True)


class Token(Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    owner = fields.Nested(TokenOwner, required=True)
    created_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(required=True, allow_none=True)
    expires_at = fields.DateTime(required=True, allow_none=True)
    revoked_at = fields.DateTime(required=True, allow_none=True)


class NewToken(Token):
    secret = fields.String(required=True, metadata={"description": "Shown this once; only its hash is kept."})


class RevokedAll(Schema):
    revoked = fields.Integer(required=True, metadata={"description": "How many active tokens were revoked."})


class SignedOut(Schema):
    signed_out = fields.Boolean(required=True, metadata={"description": "false when the caller used an API token."})


class Health(Schema):
    database = fields.String(required=True, validate=validate.OneOf(["ok"]))


class Conflict(Schema):
    id = fields.Integer(required=True)
    current = fields.Nested(Card, required=True)


# The error kinds: every error carries a code, a message and the request's id; some carry more.
# Each kind is one named schema with its own named envelope, so a generated client has one model
# per kind, and an answer that may be of several kinds lists them (`anyOf`), richest first.
class Error(Schema):
    code = fields.String(required=True, metadata={"description": "What went wrong; a client reads it first."})
    message = fields.String(required=True)
    request_id = fields.String(required=True)

    class Meta:
        # Errors may carry more details in later versions.
        unknown = "include"


class ValidationError(Error):
    details = fields.Dict(required=True, metadata={"description": "The messages of each invalid field."})


class CardConflict(Error):
    current = fields.Nested(Card, required=True, metadata={"description": "The card as it is now."})


class BatchConflict(Error):
    conflicts = fields.List(
        fields.Nested(Conflict), required=True, metadata={"description": "Each stale card as it is now."}
    )


class BatchNotFound(Error):
    missing = fields.List(fields.Integer(), required=True, metadata={"description": "The unknown ids."})


ERROR_KINDS = (Error, ValidationError, CardConflict, BatchConflict, BatchNotFound)
ENUMS = {"Status": STATUSES, "Role": ROLES, "EventKind": EVENT_KINDS}


@dataclass(frozen=True)
class Answer:
    """One documented status: what it means, and the data (success) or the error codes it carries."""

    description: str
    data: type[Schema] | list[type[Schema]] | None = None
    codes: tuple[str, ...] = ()
    # The error schemas its codes come in, richest first (a plain Error last).
    kinds: tuple[type[Schema], ...] = (Error,)
    headers: tuple[str, ...] = ()
    media_type: str = "application/json"
    # False for the one answer that is not in the envelope: the OpenAPI document itself.
    enveloped: bool = True
    # True for a list answered a page at a time: `next` beside `data`.
    paged: bool = False


@dataclass(frozen=True)
class Operation:
    # What it does, in snake_case: the name a generated client gives its function.
    operation_id: str
    summary: str
    answers: dict[int, Answer]
    body: Schema | None = None
    query: Schema | None = None
    tag: str = "appointments"
    description: str = ""
    touches_database: bool = True
    headers_in: tuple[dict, ...] = ()


CONFLICT_CODES = ("version_conflict", "version_exhausted")
IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "description": "The ETag of a board read before: an unchanged board answers 304 with no body.",
    "schema": {"type": "string"},
}
NOT_FOUND = Answer("No such appointment (or nothing at this address).", codes=("not_found",))
CARD = Answer("The card.", Card)
THROTTLED = Answer(
    "Too many failed sign-ins for this username from this address, or from this address for any username,"
    " or too many passwords being checked at once: resend after Retry-After.",
    codes=("too_many_attempts",),
    headers=("Retry-After",),
)
HASHING_BUSY = Answer(
    "Too many passwords being hashed at once: resend after Retry-After.",
    codes=("too_many_attempts",),
    headers=("Retry-After",),
)
STALE_CARD = Answer(
    "Someone else changed it first: `current` is the card as it is now (or its version can count no higher).",
    codes=CONFLICT_CODES,
    kinds=(CardConflict,),
)

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("api.board", "GET"): Operation(
        "get_board",
        "The board: every card scheduled on the days from..to, one column per status",
        {
            200: Answer("The board.", Board, headers=("ETag", "Cache-Control")),
            304: Answer("Unchanged since the ETag sent in If-None-Match.", media_type=""),
            429: Answer(
                "This token or session already has BOARD_READS_PER_CREDENTIAL reads of more than one day running (per worker).",
                codes=("too_many_requests",),
                headers=("Retry-After",),
            ),
        },
        query=schemas.board_query,
        headers_in=(IF_NONE_MATCH,),
        description=(
            f"Both days default to today in the board's time zone; at most {schemas.MAX_BOARD_DAYS} days. "
            "Compressed (zstd, br or gzip) when Accept-Encoding allows; a compressed body has its own ETag."
        ),
    ),
    ("api.create_appointment", "POST"): Operation(
        "create_appointment",
        "Add an appointment at version 1",
        {201: Answer("The new card.", Card, headers=("Location",))},
        body=schemas.appointment_in,
    ),
    ("api.get_appointment", "GET"): Operation("get_appointment", "One card", {200: CARD, 404: NOT_FOUND}),
    ("api.get_history", "GET"): Operation(
        "get_history",
        "The story of one card, one event per version, oldest first, with who made each",
        {200: Answer("The events; a deleted card keeps its history.", [Event]), 404: NOT_FOUND},
    ),
    ("api.edit_appointment", "PATCH"): Operation(
        "edit_appointment",
        "Edit a card's title, customer, time or notes, if it is still at `version`",
        {
            200: Answer("The card at its new version.", Card),
            404: NOT_FOUND,
            409: STALE_CARD,
        },
        body=schemas.edit_in,
    ),
    ("api.delete_appointment", "DELETE"): Operation(
        "delete_appointment",
        "Delete a card, if it is still at `version`: it leaves the board, its history stays",
        {
            200: Answer("The card is deleted at this version.", Deleted),
            404: NOT_FOUND,
            409: STALE_CARD,
        },
        query=schemas.version_query,
    ),
    ("api.move_appointment", "POST"): Operation(
        "move_appointment",
        "Move one card, if it is still at `version`",
        {
            200: Answer("The card at its new version.", Card),
            404: NOT_FOUND,
            409: Answer(
                "Someone else moved it first: `current` is the card as it is now (or its version can count no higher).",
                codes=CONFLICT_CODES,
                kinds=(CardConflict,),
            ),
        },
        body=schemas.move_in,
    ),
    ("api.move_many", "POST"): Operation(
        "move_appointments",
        "Move several cards: all of them or none",
        {
            200: Answer("The moved cards, in the order sent.", [Card]),
            404: Answer(
                "Some ids do not exist (`missing`); nothing was moved.", codes=("not_found",), kinds=(BatchNotFound,)
            ),
            409: Answer(
                "Some versions are stale (`conflicts`), or at their top; nothing was moved.",
                codes=CONFLICT_CODES,
                kinds=(BatchConflict,),
            ),
        },
        body=schemas.batch_move_in,
    ),
    ("api.healthz", "GET"): Operation(
        "get_health",
        "Whether the service and its database answer", {200: Answer("Both answer.", Health)}, tag="service"
    ),
    ("metrics.metrics", "GET"): Operation(
        "get_metrics",
        "Prometheus metrics",
        {200: Answer("The metrics in Prometheus' text format.", media_type="text/plain")},
        tag="service",
    ),
    ("accounts.sign_in", "POST"): Operation(
        "sign_in",
        "Sign in: open a session for the page (sets the session cookie)",
        {
            200: Answer("The account; the session cookie is set.", Account, headers=("Set-Cookie",)),
            401: Answer("Wrong username or password.", codes=("unauthenticated",)),
            429: THROTTLED,
        },
        body=account_schemas.sign_in_in,
        tag="accounts",
    ),
    ("accounts.sign_out", "DELETE"): Operation(
        "sign_out",
        "Sign out: end this session", {200: Answer("Whether a session ended.", SignedOut)}, tag="accounts"
    ),
    ("accounts.me", "GET"): Operation(
        "get_me", "Who is asking", {200: Answer("The account and its shop.", Me)}, tag="accounts"
    ),
    ("accounts.change_password", "POST"): Operation(
        "change_password",
        "Change one's own password; every session of the account ends, its API tokens do not",
        {
            200: Answer("The account.", Account),
            422: Answer(
                "Invalid fields, or `current_password` is wrong (counted as a failed sign-in).",
                codes=("validation_error",),
                kinds=(ValidationError,),
            ),
            429: THROTTLED,
        },
        body=account_schemas.password_change_in,
        tag="accounts",
    ),
    ("accounts.list_tokens", "GET"): Operation(
        "list_tokens",
        "One's API tokens (an admin's: everyone's), newest first, a page at a time",
        {200: Answer("A page of tokens; `next` is the address of the next page, or null.", [Token], paged=True)},
        query=account_schemas.token_page_query,
        tag="tokens",
        description=f"At most {account_schemas.TOKEN_PAGE_MAX} a page; revoked and expired tokens are listed too.",
    ),
    ("accounts.create_token", "POST"): Operation(
        "create_token",
        "Make an API token for a script",
        {
            201: Answer("The token and its secret, shown once.", NewToken),
            409: Answer(
                f"The account already has {tokens.MAX_ACTIVE_TOKENS} active tokens: revoke some first.",
                codes=("too_many_tokens",),
            ),
        },
        body=account_schemas.token_in,
        tag="tokens",
        description=(
            "Its role is at most the caller's: without `role`, a token with the owner's role. "
            f"At most {tokens.MAX_ACTIVE_TOKENS} active (neither revoked nor expired) tokens per account."
        ),
    ),
    ("accounts.revoke_all_tokens", "POST"): Operation(
        "revoke_all_tokens",
        "Revoke every active API token of one's own account (a password change does not)",
        {200: Answer("How many were revoked (a token making this call is among them).", RevokedAll)},
        tag="tokens",
    ),
    ("accounts.revoke_token", "DELETE"): Operation(
        "revoke_token",
        "Revoke an API token",
        {200: Answer("The revoked token.", Token), 404: Answer("No such token of yours.", codes=("not_found",))},
        tag="tokens",
    ),
    ("accounts.list_users", "GET"): Operation(
        "list_users", "Every account", {200: Answer("The accounts.", [UserOut])}, tag="users"
    ),
    ("accounts.create_user", "POST"): Operation(
        "create_user",
        "Add an account",
        {
            201: Answer("The new account.", UserOut),
            409: Answer("The username is taken (ignoring case).", codes=("username_taken",)),
            429: HASHING_BUSY,
        },
        body=account_schemas.user_in,
        tag="users",
    ),
    ("accounts.update_user", "PATCH"): Operation(
        "update_user",
        "Change an account's name, role or password, or disable it",
        {
            200: Answer("The account.", UserOut),
            404: Answer("No such account.", codes=("not_found",)),
            409: Answer("It would leave no active admin.", codes=("last_admin",)),
            429: HASHING_BUSY,
        },
        body=account_schemas.user_patch_in,
        tag="users",
    ),
    ("openapi.document_json", "GET"): Operation(
        "get_openapi",
        "This document", {200: Answer("The OpenAPI document.", enveloped=False)}, tag="service", touches_database=False
    ),
    ("openapi.docs", "GET"): Operation(
        "get_docs",
        "This document, for people",
        {200: Answer("A page.", media_type="text/html")},
        tag="service",
        touches_database=False,
    ),
}

HEADERS = {
    "ETag": {"description": "A hash of the body: send it back in If-None-Match.", "schema": {"type": "string"}},
    "Cache-Control": {"description": "no-cache: revalidate every time.", "schema": {"type": "string"}},
    "Location": {"description": "The new card's address.", "schema": {"type": "string"}},
    "Set-Cookie": {"description": f"{COOKIE_NAME}: HttpOnly, SameSite=Lax.", "schema": {"type": "string"}},
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "Idempotent-Replayed": {
        "description": "true when this is the stored answer of an earlier request with the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": idempotency.HEADER,
    "required": False,
    "description": (
        "1 to 255 printable ASCII characters, fresh for each intended change. Resend the same request "
        "with the same key after a timeout or a dropped connection: it is applied once, and a repeat "
        "within 24 hours answers what the first got."
    ),
    "schema": {"type": "string", "pattern": f"^[\\x20-\\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}$"},
}
IDEMPOTENCY_ANSWERS = {
    400: Answer("The Idempotency-Key is not 1 to 255 printable ASCII characters.", codes=("bad_request",)),
    409: Answer(
        "The first request with this Idempotency-Key is still running: resend after Retry-After.",
        codes=("idempotency_in_progress",),
        headers=("Retry-After",),
    ),
    422: Answer("This Idempotency-Key was used for another request.", codes=("idempotency_key_reused",)),
}

BODY_ERRORS = {
    400: Answer("The body is not a JSON object.", codes=("bad_request",)),
    413: Answer("The body is larger than 64 KiB.", codes=("payload_too_large",)),
    415: Answer("The body is not sent as application/json.", codes=("unsupported_media_type",)),
    422: Answer(
        "Some fields are invalid: `details` says which and why.", codes=("validation_error",), kinds=(ValidationError,)
    ),
}
# Every route: Flask's host check runs before any route, and any route may fail on our side.
UNKNOWN_HOST = Answer("The Host header is not one of BOARD_ALLOWED_HOSTS.", codes=("unknown_host",))
INTERNAL_ERROR = Answer(
    "Something went wrong on our side (the log has the request id).", codes=("internal_error",)
)
SERVER_ERROR = Answer(
    "Something went wrong on our side (`internal_error`), or the database refuses the service's credentials or"
    " settings (`database_misconfigured`: do not retry, tell an operator).",
    codes=("internal_error", "database_misconfigured"),
)
UNAVAILABLE = Answer(
    "The database is busy with conflicting changes or not answering; nothing was applied: resend the same request.",
    codes=("transient_conflict", "database_unavailable"),
    headers=("Retry-After",),
)

SECURITY_SCHEMES = {
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (POST /api/tokens), for scripts.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": COOKIE_NAME,
        "description": "The page's session (POST /api/session). Writes must come with the board's own Origin.",
    },
}


def openapi_path(rule: str) -> str:
    """/api/appointments/<appointment_id:appointment_id> -> /api/appointments/{appointment_id}"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def path_parameters(rule) -> list[dict]:
    parameters = []
    for name in rule.arguments:
        converter = rule._converters[name]
        schema = {"type": "integer", "minimum": converter.min, "maximum": converter.max}
        parameters.append({"in": "path", "name": name, "required": True, "schema": schema})
    return parameters


def error_codes() -> list[str]:
    """Every code an error envelope can carry: of each error class, each HTTP error, and the host check."""
    codes = {cls.code for cls in (errors.BoardError, *_subclasses(errors.BoardError))}
    codes |= {code for code, _ in errors._HTTP_CODES.values()} | {errors.UNKNOWN_HOST}
    return sorted(codes)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


class Shapes:
    """The named envelopes, made once each the first time an answer needs them."""

    def __init__(self):
        self.schemas: dict[str, dict] = {}

    def ref(self, name: str, make) -> dict:
        if name not in self.schemas:
            self.schemas[name] = make()
        return {"$ref": f"#/components/schemas/{name}"}

    def success(self, answer: Answer) -> dict:
        data = answer.data
        if isinstance(data, list):
            name = _schema_name(data[0]) + ("Page" if answer.paged else "List")
            data_schema = {"type": "array", "items": _ref(data[0])}
        else:
            name = _schema_name(data)
            data_schema = _ref(data)

        def make() -> dict:
            envelope = {
                "type": "object",
                "required": ["ok", "data"],
                "properties": {"ok": {"const": True}, "data": data_schema},
            }
            if answer.paged:
                envelope["required"].append("next")
                envelope["properties"]["next"] = {
                    "type": ["string", "null"],
                    "description": (
                        "The next page's address (the same limit, after this page's last id); null on the last."
                    ),
                }
            return envelope

        return self.ref(f"{name}Answer", make)

    def failure(self, answer: Answer) -> dict:
        def envelope(kind) -> dict:
            def make() -> dict:
                return {
                    "type": "object",
                    "required": ["ok", "error"],
                    "properties": {"ok": {"const": False}, "error": _ref(kind)},
                }

            return self.ref(f"{_schema_name(kind)}Answer", make)

        kinds = sorted(answer.kinds, key=lambda kind: kind is Error)
        if len(kinds) == 1:
            return envelope(kinds[0])
        # anyOf, not oneOf: a richer error is a plain Error too. A generated client tries them in order.
        return {"anyOf": [envelope(kind) for kind in kinds]}


def _ref(schema: type[Schema]) -> dict:
    return {"$ref": f"#/components/schemas/{_schema_name(schema)}"}


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return {"UserOut": "User"}.get(cls.__name__, cls.__name__)


def _response(status: int, answer: Answer, shapes: Shapes) -> dict:
    response: dict = {"description": answer.description}
    if answer.headers:
        response["headers"] = {name: HEADERS[name] for name in answer.headers}
    if answer.media_type == "application/json" and not answer.enveloped:
        response["content"] = {"application/json": {"schema": {"type": "object", "required": ["openapi", "paths"]}}}
    elif answer.media_type == "application/json":
        shape = shapes.success(answer) if status < 400 else shapes.failure(answer)
        response["content"] = {"application/json": {"schema": shape}}
    elif answer.media_type:
        response["content"] = {answer.media_type: {"schema": {"type": "string"}}}
    if answer.codes:
        response["description"] += " Codes: " + ", ".join(f"`{code}`" for code in answer.codes) + "."
    return response


# Answers every route (or every route on the database) gives alike, said once in components/responses.
SHARED_RESPONSES = {
    "UnknownHost": (400, UNKNOWN_HOST),
    "InternalError": (500, INTERNAL_ERROR),
    "ServerError": (500, SERVER_ERROR),
    "Unavailable": (503, UNAVAILABLE),
}


def _respond(status: int, answer: Answer, shapes: Shapes) -> dict:
    for name, (_, shared) in SHARED_RESPONSES.items():
        if answer is shared:
            return {"$ref": f"#/components/responses/{name}"}
    return _response(status, answer, shapes)


def _merged(first: Answer, second: Answer) -> Answer:
    """Two meanings of one status: both descriptions, codes and headers."""
    return Answer(
        f"{first.description} Or: {second.description}",
        first.data,
        first.codes + tuple(code for code in second.codes if code not in first.codes),
        first.kinds + tuple(kind for kind in second.kinds if kind not in first.kinds),
        first.headers + tuple(header for header in second.headers if header not in first.headers),
        first.media_type,
        first.enveloped,
    )


def _operation(operation: Operation, rule, method: str, view, keyed: bool, shapes: Shapes) -> dict:
    role = getattr(view, "required_role", None)
    full_credential = getattr(view, "needs_full_credential", False)
    answers = dict(operation.answers)
    if operation.body is not None:
        answers = {**BODY_ERRORS, **answers}
    if operation.query is not None:
        answers.setdefault(
            422,
            Answer(
                "Some query parameters are invalid: see `details`.",
                codes=("validation_error",),
                kinds=(ValidationError,),
            ),
        )
    if rule.arguments:
        answers.setdefault(404, Answer("Nothing at this address.", codes=("not_found",)))
    protected = rule.rule.startswith(("/api/", "/metrics")) and role != PUBLIC
    if protected:
        answers.setdefault(401, Answer("No credentials, or unusable ones.", codes=("unauthenticated",)))
    if (protected and (role != ROLES[0] or full_credential)) or (
        method in WRITE_METHODS and rule.rule.startswith("/api/")
    ):
        answers.setdefault(
            403,
            Answer(
                "The role does not allow this, the token is limited below its owner's role, or a cookie-signed write"
                " came from another Origin.",
                codes=("forbidden",),
            ),
        )
    if operation.touches_database or protected:
        answers.setdefault(503, UNAVAILABLE)
        answers.setdefault(500, SERVER_ERROR)
    answers.setdefault(500, INTERNAL_ERROR)
    answers[400] = _merged(answers[400], UNKNOWN_HOST) if 400 in answers else UNKNOWN_HOST
    if keyed:
        for status, answer in IDEMPOTENCY_ANSWERS.items():
            answers[status] = _merged(answers[status], answer) if status in answers else answer
        answers = {
            status: replace(answer, headers=(*answer.headers, "Idempotent-Replayed")) if status < 500 else answer
            for status, answer in answers.items()
        }

    described = operation.description
    if protected:
        needs = f"Needs the role {role} or above"
        if full_credential:
            needs += ", from a session or a token with its owner's full role (a token limited lower is refused)"
        described = f"{needs}. {described}".strip()
    spec_operation = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": [operation.tag],
        "security": [{"bearerToken": []}, {"sessionCookie": []}] if protected else [],
        "responses": {str(status): _respond(status, answers[status], shapes) for status in sorted(answers)},
    }
    if described:
        spec_operation["description"] = described
    parameters = path_parameters(rule) + list(operation.headers_in)
    if keyed:
        parameters.append(IDEMPOTENCY_KEY)
    if operation.query is not None:
        parameters.append({"in": "query", "schema": operation.query})
    if parameters:
        spec_operation["parameters"] = parameters
    if operation.body is not None:
        spec_operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": operation.body}},
        }
    return spec_operation


def _text_lengths(self, field, **kwargs) -> dict:
    """What the Text and Notes fields check in code, said in the document."""
    if isinstance(field, schemas.Text):
        return {"minLength": 1, "maxLength": TEXT_MAX_LENGTH}
    if isinstance(field, schemas.Notes):
        return {"maxLength": NOTES_MAX_LENGTH}
    return {}


def _named_enums(self, field, ret: dict, **kwargs) -> dict:
    """A status, role or event kind is a $ref to its one named enum, in bodies, queries and answers alike."""
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            for name, values in ENUMS.items():
                if list(validator.choices) == list(values):
                    ret.pop("type", None)
                    ret.pop("enum", None)
                    return {"$ref": f"#/components/schemas/{name}"}
    return {}


def _ranges_in_words(self, field, ret: dict, **kwargs) -> dict:
    """apispec writes the range of a day or a time as x-minimum/x-maximum, which no tool reads: say it instead."""
    low, high = ret.pop("x-minimum", None), ret.pop("x-maximum", None)
    if low is None and high is None:
        return {}
    validator = next(v for v in field.validators if isinstance(v, validate.Range))
    words = f"From {low} ({'inclusive' if validator.min_inclusive else 'exclusive'})"
    words += f" to {high} ({'inclusive' if validator.max_inclusive else 'exclusive'})."
    return {"description": f"{ret['description']} {words}" if "description" in ret else words}


def build_document(app: Flask) -> dict:
    """The OpenAPI document of every route of `app` that OPERATIONS describes."""
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="board",
        version="1",
        openapi_version="3.1.0",
        plugins=[plugin],
        info={
            "description": (
                "An appointment status board whose moves are never silently lost. Every answer is an "
                'envelope: `{"ok": true, "data": ...}` or `{"ok": false, "error": {"code", "message", ...}}`, '
                "`/metrics`' 200 and this document aside. A method an address does not take answers 405 "
                "`method_not_allowed` with `Allow`."
            )
        },
    )
    for attribute_function in (_text_lengths, _named_enums, _ranges_in_words):
        plugin.converter.add_attribute_function(attribute_function)
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    for name, values in ENUMS.items():
        spec.components.schema(name, component={"type": "string", "enum": list(values)})
    spec.components.schema(
        "ErrorCode",
        component={"type": "string", "enum": error_codes(), "description": "Every code an error can carry."},
    )
    for schema in (
        Card, Board, Event, Deleted, Account, ShopOut, Me, UserOut, Token, NewToken, RevokedAll, SignedOut, Health
    ):
        spec.components.schema(_schema_name(schema), schema=schema)
    for kind in ERROR_KINDS:
        spec.components.schema(_schema_name(kind), schema=kind)

    shapes = Shapes()
    for name, (status, answer) in SHARED_RESPONSES.items():
        spec.components.response(name, _response(status, answer, shapes))
    keyed = set(idempotency.keyed_endpoints(app))
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = OPERATIONS.get((rule.endpoint, method))
            if operation is None:
                continue
            view = app.view_functions[rule.endpoint]
            paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = _operation(
                operation, rule, method, view, rule.endpoint in keyed and method in WRITE_METHODS, shapes
            )
    for name, component in shapes.schemas.items():
        spec.components.schema(name, component=component)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    components = document["components"]["schemas"]
    for kind in ERROR_KINDS:
        components[_schema_name(kind)]["properties"]["code"] = {"$ref": "#/components/schemas/ErrorCode"}
    # A patch refuses `status` (moves go through /move); additionalProperties: false says so, and a
    # property whose every value is refused would only make a client offer it.
    del components["EditIn"]["properties"]["status"]
    return document


def document() -> dict:
    """The document of the current app, built on first use."""
    extensions = current_app.extensions
    if "board.openapi" not in extensions:
        extensions["board.openapi"] = build_document(current_app)
    return extensions["board.openapi"]


bp = Blueprint("openapi", __name__)
# The board page's own strict policy holds here too: Swagger UI needs nothing inline.
bp.after_request(headers.add_page_headers)

# Swagger UI's files, served from the package that ships them (flask-swagger-ui), not copied.
SWAGGER_UI_DIR = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
SWAGGER_UI_FILES = ("swagger-ui-bundle.js", "swagger-ui.css")


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>board API</title>
  <link rel="stylesheet" href="/assets/swagger-ui/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-url="/api/openapi.json"></div>
  <script src="/assets/swagger-ui/swagger-ui-bundle.js"></script>
  <script src="/assets/api-docs.js"></script>
</body>
</html>
"""


# Public: the document holds no data and no secret, only what the README says too, and scripts
# and tools (code generators, Schemathesis) must be able to read it before they have a token.
@bp.get("/api/openapi.json")
@public
def document_json() -> Response:
    return jsonify(document())


@bp.get("/api/docs")
@public
def docs() -> Response:
    return Response(DOCS_PAGE, mimetype="text/html")


@bp.get("/assets/swagger-ui/<any(%s):filename>" % ", ".join(f'"{name}"' for name in SWAGGER_UI_FILES))
def swagger_ui(filename: str) -> Response:
    return send_from_directory(SWAGGER_UI_DIR, filename)

