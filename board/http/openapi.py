"""The OpenAPI 3.1 document of the API, built from the routes and the marshmallow schemas they load with.

Bodies and queries are the very schemas the routes validate with (board.schemas,
board.accounts.schemas); who may call a route is read from its @requires or @public mark, path
parameters from its URL rule. What each route answers is said once, in OPERATIONS, in the
shapes below; Schemathesis (tests/test_fuzz.py) holds the code to them.
"""

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import flask_swagger_ui
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, jsonify, send_from_directory
from marshmallow import Schema, fields, validate

from board import errors, schemas
from board.http import headers, idempotency
from board.accounts import schemas as account_schemas
from board.accounts import tokens
from board.accounts.permissions import PUBLIC, WRITE_METHODS, public
from board.accounts.sessions import COOKIE_NAME
from board.models import EVENT_KINDS, IDEMPOTENCY_KEY_MAX_LENGTH, NOTES_MAX_LENGTH, ROLES, STATUSES, TEXT_MAX_LENGTH

DOCUMENTED_PREFIXES = ("/api/", "/metrics", "/healthz")


# What goes out. The routes build these dicts with plain functions (board.schemas.card_out, ...);
# these schemas only describe them, and the fuzz test checks every answer against them.
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


class Error(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    request_id = fields.String(required=True)
    details = fields.Dict(metadata={"description": "validation_error: the messages of each invalid field."})
    current = fields.Nested(Card, metadata={"description": "version_conflict of one card: the card as it is now."})
    conflicts = fields.List(fields.Nested(Conflict), metadata={"description": "version_conflict of a batch."})
    missing = fields.List(fields.Integer(), metadata={"description": "not_found of a batch: the unknown ids."})

    class Meta:
        # Named errors may carry more details in later versions; a client reads code first.
        unknown = "include"


@dataclass(frozen=True)
class Answer:
    """One documented status: what it means, and the data (success) or the error codes it carries."""

    description: str
    data: type[Schema] | list[type[Schema]] | None = None
    codes: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    media_type: str = "application/json"
    # False for the one answer that is not in the envelope: the OpenAPI document itself.
    enveloped: bool = True
    # True for a list answered a page at a time: `next` beside `data`.
    paged: bool = False


@dataclass(frozen=True)
class Operation:
    summary: str
    answers: dict[int, Answer]
    body: Schema | None = None
    query: Schema | None = None
    tag: str = "appointments"
    description: str = ""
    touches_database: bool = True
    extra: dict = field(default_factory=dict)


CONFLICT_CODES = ("version_conflict", "version_exhausted")
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
)

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("api.board", "GET"): Operation(
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
        description=(
            f"Both days default to today in the board's time zone; at most {schemas.MAX_BOARD_DAYS} days. "
            "Compressed (zstd, br or gzip) when Accept-Encoding allows; a compressed body has its own ETag."
        ),
    ),
    ("api.create_appointment", "POST"): Operation(
        "Add an appointment at version 1",
        {201: Answer("The new card.", Card, headers=("Location",))},
        body=schemas.appointment_in,
    ),
    ("api.get_appointment", "GET"): Operation("One card", {200: CARD, 404: NOT_FOUND}),
    ("api.get_history", "GET"): Operation(
        "The story of one card, one event per version, oldest first, with who made each",
        {200: Answer("The events; a deleted card keeps its history.", [Event]), 404: NOT_FOUND},
    ),
    ("api.edit_appointment", "PATCH"): Operation(
        "Edit a card's title, customer, time or notes, if it is still at `version`",
        {
            200: Answer("The card at its new version.", Card),
            404: NOT_FOUND,
            409: STALE_CARD,
        },
        body=schemas.edit_in,
    ),
    ("api.delete_appointment", "DELETE"): Operation(
        "Delete a card, if it is still at `version`: it leaves the board, its history stays",
        {
            200: Answer("The card is deleted at this version.", Deleted),
            404: NOT_FOUND,
            409: STALE_CARD,
        },
        query=schemas.version_query,
    ),
    ("api.move_appointment", "POST"): Operation(
        "Move one card, if it is still at `version`",
        {
            200: Answer("The card at its new version.", Card),
            404: NOT_FOUND,
            409: Answer(
                "Someone else moved it first: `current` is the card as it is now (or its version can count no higher).",
                codes=CONFLICT_CODES,
            ),
        },
        body=schemas.move_in,
    ),
    ("api.move_many", "POST"): Operation(
        "Move several cards: all of them or none",
        {
            200: Answer("The moved cards, in the order sent.", [Card]),
            404: Answer("Some ids do not exist (`missing`); nothing was moved.", codes=("not_found",)),
            409: Answer(
                "Some versions are stale (`conflicts`), or at their top; nothing was moved.", codes=CONFLICT_CODES
            ),
        },
        body=schemas.batch_move_in,
    ),
    ("api.healthz", "GET"): Operation(
        "Whether the service and its database answer", {200: Answer("Both answer.", Health)}, tag="service"
    ),
    ("metrics.metrics", "GET"): Operation(
        "Prometheus metrics",
        {200: Answer("The metrics in Prometheus' text format.", media_type="text/plain")},
        tag="service",
    ),
    ("accounts.sign_in", "POST"): Operation(
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
        "Sign out: end this session", {200: Answer("Whether a session ended.", SignedOut)}, tag="accounts"
    ),
    ("accounts.me", "GET"): Operation("Who is asking", {200: Answer("The account and its shop.", Me)}, tag="accounts"),
    ("accounts.change_password", "POST"): Operation(
        "Change one's own password; every session of the account ends, its API tokens do not",
        {
            200: Answer("The account.", Account),
            422: Answer(
                "Invalid fields, or `current_password` is wrong (counted as a failed sign-in).",
                codes=("validation_error",),
            ),
            429: THROTTLED,
        },
        body=account_schemas.password_change_in,
        tag="accounts",
    ),
    ("accounts.list_tokens", "GET"): Operation(
        "One's API tokens (an admin's: everyone's), newest first, a page at a time",
        {200: Answer("A page of tokens; `next` is the address of the next page, or null.", [Token], paged=True)},
        query=account_schemas.token_page_query,
        tag="tokens",
        description=f"At most {account_schemas.TOKEN_PAGE_MAX} a page; revoked and expired tokens are listed too.",
    ),
    ("accounts.create_token", "POST"): Operation(
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
        "Revoke every active API token of one's own account (a password change does not)",
        {200: Answer("How many were revoked (a token making this call is among them).", RevokedAll)},
        tag="tokens",
    ),
    ("accounts.revoke_token", "DELETE"): Operation(
        "Revoke an API token",
        {200: Answer("The revoked token.", Token), 404: Answer("No such token of yours.", codes=("not_found",))},
        tag="tokens",
    ),
    ("accounts.list_users", "GET"): Operation("Every account", {200: Answer("The accounts.", [UserOut])}, tag="users"),
    ("accounts.create_user", "POST"): Operation(
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
        "This document", {200: Answer("The OpenAPI document.", enveloped=False)}, tag="service", touches_database=False
    ),
    ("openapi.docs", "GET"): Operation(
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
    422: Answer("Some fields are invalid: `details` says which and why.", codes=("validation_error",)),
}
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
    """Every code an error envelope can carry."""
    codes = {cls.code for cls in _subclasses(errors.BoardError)} | {code for code, _ in errors._HTTP_CODES.values()}
    return sorted(codes)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _success(answer: Answer) -> dict:
    data = answer.data
    if isinstance(data, list):
        data_schema = {"type": "array", "items": _ref(data[0])}
    elif data is not None:
        data_schema = _ref(data)
    else:
        data_schema = {"type": "object"}
    envelope = {
        "type": "object",
        "required": ["ok", "data"],
        "properties": {"ok": {"const": True}, "data": data_schema},
    }
    if answer.paged:
        envelope["required"].append("next")
        envelope["properties"]["next"] = {
            "type": ["string", "null"],
            "description": "The next page's address (the same limit, after this page's last id); null on the last.",
        }
    return envelope


def _failure(codes: tuple[str, ...]) -> dict:
    return {
        "type": "object",
        "required": ["ok", "error"],
        "properties": {
            "ok": {"const": False},
            "error": {
                "allOf": [_ref(Error), {"properties": {"code": {"enum": list(codes)}}}],
            },
        },
    }


def _ref(schema: type[Schema]) -> dict:
    return {"$ref": f"#/components/schemas/{_schema_name(schema)}"}


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return {"UserOut": "User"}.get(cls.__name__, cls.__name__)


def _response(status: int, answer: Answer) -> dict:
    response: dict = {"description": answer.description}
    if answer.headers:
        response["headers"] = {name: HEADERS[name] for name in answer.headers}
    if answer.media_type == "application/json" and not answer.enveloped:
        response["content"] = {"application/json": {"schema": {"type": "object", "required": ["openapi", "paths"]}}}
    elif answer.media_type == "application/json":
        shape = _success(answer) if status < 400 else _failure(answer.codes)
        response["content"] = {"application/json": {"schema": shape}}
    elif answer.media_type:
        response["content"] = {answer.media_type: {"schema": {"type": "string"}}}
    if answer.codes:
        response["description"] += " Codes: " + ", ".join(f"`{code}`" for code in answer.codes) + "."
    return response


def _merged(first: Answer, second: Answer) -> Answer:
    """Two meanings of one status: both descriptions, codes and headers."""
    return Answer(
        f"{first.description} Or: {second.description}",
        first.data,
        first.codes + tuple(code for code in second.codes if code not in first.codes),
        first.headers + tuple(header for header in second.headers if header not in first.headers),
        first.media_type,
        first.enveloped,
    )


def _operation(operation: Operation, rule, method: str, view, keyed: bool) -> dict:
    role = getattr(view, "required_role", None)
    full_credential = getattr(view, "needs_full_credential", False)
    answers = dict(operation.answers)
    if operation.body is not None:
        answers = {**BODY_ERRORS, **answers}
    if operation.query is not None:
        answers.setdefault(
            422, Answer("Some query parameters are invalid: see `details`.", codes=("validation_error",))
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
        "operationId": rule.endpoint.replace(".", "_"),
        "summary": operation.summary,
        "tags": [operation.tag],
        "security": [{"bearerToken": []}, {"sessionCookie": []}] if protected else [],
        "responses": {str(status): _response(status, answers[status]) for status in sorted(answers)},
    }
    if described:
        spec_operation["description"] = described
    parameters = path_parameters(rule)
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
                'envelope: `{"ok": true, "data": ...}` or `{"ok": false, "error": {"code", "message", ...}}`.'
            )
        },
    )
    plugin.converter.add_attribute_function(_text_lengths)
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    for schema in (Card, Board, Event, Deleted, Account, ShopOut, Me, UserOut, Token, NewToken, RevokedAll, SignedOut, Health):
        spec.components.schema(_schema_name(schema), schema=schema)
    spec.components.schema("Error", schema=Error)

    keyed = set(idempotency.keyed_endpoints(app))
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = OPERATIONS.get((rule.endpoint, method))
            if operation is None:
                continue
            view = app.view_functions[rule.endpoint]
            paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = _operation(
                operation, rule, method, view, rule.endpoint in keyed and method in WRITE_METHODS
            )
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["components"]["schemas"]["Error"]["properties"]["code"]["enum"] = error_codes()
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

