"""The OpenAPI 3.1 document of the API, built from the routes, their marks and the marshmallow schemas.

Bodies and queries are the very schemas the routes validate with (board.appointments.schemas,
board.accounts.schemas); who may call a route is read from its @requires or @public mark, what it
answers from its @documented mark (board.http.documented), in the shapes of board.http.shapes, and
its path parameters from its URL rule. Schemathesis (tests/http/test_fuzz.py) holds the code to the
document. Every shape, envelope, error kind and enum is a named component that answers $ref, so a
client generated from the document (tests/http/test_generated_client.py) has one model per shape.
The page that shows it is board.http.api_docs.
"""

import re
from dataclasses import replace

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app
from marshmallow import Schema, validate

from board import errors
from board.accounts.permissions import PUBLIC, WRITE_METHODS
from board.accounts.sessions import COOKIE_NAME
from board.appointments import schemas
from board.http import idempotency
from board.http.documented import Answer, Operation
from board.http.shapes import (
    ENUMS,
    ERROR_KINDS,
    Account,
    Board,
    Card,
    Deleted,
    Delivery,
    DisplayOut,
    DisplaySettings,
    Error,
    Event,
    Health,
    Limits,
    Me,
    NewDisplay,
    NewToken,
    NewWebhook,
    Paired,
    Redelivery,
    RevokedAll,
    ShopOut,
    SignedOut,
    StatusLink,
    Token,
    UserOut,
    ValidationError,
    WebhookOut,
)
from board.models import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    ROLES,
    TEXT_MAX_LENGTH,
)

DOCUMENTED_PREFIXES = ("/api/", "/metrics", "/healthz")


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
INTERNAL_ERROR = Answer("Something went wrong on our side (the log has the request id).", codes=("internal_error",))
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


class Envelopes:
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


def _response(status: int, answer: Answer, envelopes: Envelopes) -> dict:
    response: dict = {"description": answer.description}
    if answer.headers:
        response["headers"] = {name: HEADERS[name] for name in answer.headers}
    if answer.media_type == "application/json" and not answer.enveloped:
        response["content"] = {"application/json": {"schema": {"type": "object", "required": ["openapi", "paths"]}}}
    elif answer.media_type == "application/json":
        shape = envelopes.success(answer) if status < 400 else envelopes.failure(answer)
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


def _respond(status: int, answer: Answer, envelopes: Envelopes) -> dict:
    for name, (_, shared) in SHARED_RESPONSES.items():
        if answer is shared:
            return {"$ref": f"#/components/responses/{name}"}
    return _response(status, answer, envelopes)


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


def _operation(operation: Operation, rule, method: str, view, keyed: bool, envelopes: Envelopes) -> dict:
    role = getattr(view, "required_role", None)
    full_credential = getattr(view, "needs_full_credential", False)
    for_displays = getattr(view, "for_displays", False)
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
    if (protected and (role != ROLES[0] or full_credential or not for_displays)) or (
        method in WRITE_METHODS and rule.rule.startswith("/api/")
    ):
        answers.setdefault(
            403,
            Answer(
                "The role does not allow this, the token is limited below its owner's role, the caller is a wall"
                " display, or a cookie-signed write came from another Origin.",
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
        if not for_displays:
            needs += "; a wall display is refused"
        described = f"{needs}. {described}".strip()
    spec_operation = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": [operation.tag],
        "security": [{"bearerToken": []}, {"sessionCookie": []}] if protected else [],
        "responses": {str(status): _respond(status, answers[status], envelopes) for status in sorted(answers)},
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
    """The OpenAPI document of every route of `app` whose view is @documented."""
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
        Card,
        Board,
        Event,
        Deleted,
        Account,
        ShopOut,
        Me,
        UserOut,
        Token,
        NewToken,
        RevokedAll,
        SignedOut,
        Health,
        Limits,
        DisplaySettings,
        DisplayOut,
        NewDisplay,
        Paired,
        StatusLink,
        WebhookOut,
        NewWebhook,
        Delivery,
        Redelivery,
    ):
        spec.components.schema(_schema_name(schema), schema=schema)
    for kind in ERROR_KINDS:
        spec.components.schema(_schema_name(kind), schema=kind)

    envelopes = Envelopes()
    for name, (status, answer) in SHARED_RESPONSES.items():
        spec.components.response(name, _response(status, answer, envelopes))
    keyed = set(idempotency.keyed_endpoints(app))
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            view = app.view_functions[rule.endpoint]
            operation = getattr(view, "operation", None)
            if operation is None:
                continue
            paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = _operation(
                operation, rule, method, view, rule.endpoint in keyed and method in WRITE_METHODS, envelopes
            )
    for name, component in envelopes.schemas.items():
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


def operations(app: Flask) -> dict[tuple[str, str], Operation]:
    """The declared operation of each (endpoint, method) of `app`."""
    return {
        (rule.endpoint, method): app.view_functions[rule.endpoint].operation
        for rule in app.url_map.iter_rules()
        if hasattr(app.view_functions[rule.endpoint], "operation")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
