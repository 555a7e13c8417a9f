"""The OpenAPI document: valid, complete (every route of the app), built from the schemas the routes load with."""

import json
import re
from pathlib import Path

import pytest
from openapi_spec_validator import validate

import board
from board import errors
from board.http.headers import CONTENT_SECURITY_POLICY
from board.http.openapi import DOCUMENTED_PREFIXES, build_document, openapi_path
from board.models import EVENT_KINDS, ROLES, STATUSES, TEXT_MAX_LENGTH

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(anonymous):
    response = anonymous.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def documented_routes(app) -> set[tuple[str, str]]:
    return {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(DOCUMENTED_PREFIXES)
        for method in rule.methods - IGNORED_METHODS
    }


def test_document_is_valid_openapi_3_1_and_public(document):
    validate(document)
    assert document["openapi"] == "3.1.0"


def test_every_route_of_the_app_is_in_the_document(app, document):
    in_document = {(path, method) for path, operations in document["paths"].items() for method in operations}

    assert documented_routes(app) - in_document == set()
    assert in_document - documented_routes(app) == set()


def test_a_route_without_its_declaration_fails_the_completeness_check(app, monkeypatch):
    monkeypatch.delattr(app.view_functions["api.move_many"], "operation")

    paths = build_document(app)["paths"]

    assert "/api/moves" not in paths
    assert ("/api/moves", "post") in documented_routes(app)


def test_bodies_are_the_schemas_the_routes_load_with(document):
    schemas = document["components"]["schemas"]
    create = document["paths"]["/api/appointments"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    appointment_in = schemas["AppointmentIn"]

    assert create == {"$ref": "#/components/schemas/AppointmentIn"}
    assert sorted(appointment_in["required"]) == ["customer", "scheduled_at", "title"]
    assert appointment_in["properties"]["title"]["maxLength"] == TEXT_MAX_LENGTH
    assert appointment_in["additionalProperties"] is False
    assert schemas["MoveIn"]["properties"]["version"]["minimum"] == 1
    assert schemas["BatchMoveIn"]["properties"]["moves"]["maxItems"] == 100


def test_security_schemes_and_who_may_call_each_route(document):
    schemes = document["components"]["securitySchemes"]
    move = document["paths"]["/api/appointments/{appointment_id}/move"]["post"]
    sign_in = document["paths"]["/api/session"]["post"]

    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert move["security"] == [{"bearerToken": []}, {"sessionCookie": []}]
    assert move["description"].startswith("Needs the role staff")
    assert {"401", "403", "404", "409", "422", "503"} <= move["responses"].keys()
    assert sign_in["security"] == []


def test_error_answers_are_named_envelopes_of_named_error_kinds(document):
    responses = document["paths"]["/api/appointments/{appointment_id}/move"]["post"]["responses"]
    batch = document["paths"]["/api/moves"]["post"]["responses"]
    schemas = document["components"]["schemas"]

    assert responses["409"]["content"]["application/json"]["schema"] == {
        "anyOf": [{"$ref": "#/components/schemas/CardConflictAnswer"}, {"$ref": "#/components/schemas/ErrorAnswer"}]
    }
    assert "idempotency_in_progress" in responses["409"]["description"]
    assert batch["409"]["content"]["application/json"]["schema"]["anyOf"][0] == {
        "$ref": "#/components/schemas/BatchConflictAnswer"
    }
    assert batch["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/BatchNotFoundAnswer"}
    assert schemas["CardConflictAnswer"]["properties"] == {
        "ok": {"const": False},
        "error": {"$ref": "#/components/schemas/CardConflict"},
    }
    assert {"current", "code", "message", "request_id"} <= set(schemas["CardConflict"]["required"])
    assert "conflicts" in schemas["BatchConflict"]["required"]
    assert "missing" in schemas["BatchNotFound"]["required"]
    assert "details" in schemas["ValidationError"]["required"]
    assert schemas["Error"]["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}


def response_schemas(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                response = resolved(document, response)
                for media_type, content in response.get("content", {}).items():
                    yield (path, method, status, media_type), content["schema"]


def resolved(document, item: dict) -> dict:
    if "$ref" not in item:
        return item
    section, name = item["$ref"].split("/")[-2:]
    return document["components"][section][name]


def test_every_json_answer_is_a_named_envelope(document):
    inline = {
        where: schema
        for where, schema in response_schemas(document)
        if where[3] == "application/json"
        and where[:2] != ("/api/openapi.json", "get")
        and not ("$ref" in schema or all(set(item) == {"$ref"} for item in schema.get("anyOf", [{}])))
    }

    assert inline == {}


def codes_in_source() -> set[str]:
    """Every error code board/ can send: a `code = "..."` of an error class, or a literal "code" in a body."""
    codes = set()
    for module in Path(board.__file__).parent.rglob("*.py"):
        source = module.read_text()
        codes |= set(re.findall(r'^\s+code = "(\w+)"', source, re.MULTILINE))
        codes |= set(re.findall(r'"code": "(\w+)"', source))
    return codes | {code for code, _ in errors._HTTP_CODES.values()} | {errors.UNKNOWN_HOST}


def test_every_error_code_the_server_sends_is_in_the_document(document):
    declared = set(document["components"]["schemas"]["ErrorCode"]["enum"])
    answered = {
        code
        for path, operations in document["paths"].items()
        for operation in operations.values()
        for response in operation["responses"].values()
        for code in re.findall(r"`(\w+)`", resolved(document, response)["description"].partition("Codes:")[2])
    }

    assert {"internal_error", "database_misconfigured", "unknown_host", "too_many_tokens"} <= codes_in_source()
    assert codes_in_source() - declared == set()
    # A wrong method is no operation of the document: the document's description says how it is answered.
    # slug_taken is the operator's `flask shops create`; no route makes shops.
    assert codes_in_source() - answered == {"method_not_allowed", "slug_taken"}
    assert "method_not_allowed" in document["info"]["description"]


def test_every_operation_answers_unknown_host_and_server_errors(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = {status: resolved(document, r)["description"] for status, r in operation["responses"].items()}
            assert "`unknown_host`" in responses["400"], (path, method)
            assert "`internal_error`" in responses["500"], (path, method)
            if "503" in responses:
                assert "`database_misconfigured`" in responses["500"], (path, method)


def test_statuses_roles_and_event_kinds_are_one_named_enum_each(document):
    named = {name: document["components"]["schemas"][name]["enum"] for name in ("Status", "Role", "EventKind")}
    places = []

    def walk(item, where):
        if isinstance(item, dict):
            if item.get("enum") in named.values():
                places.append("/".join(where))
            for key, value in item.items():
                walk(value, (*where, key))
        elif isinstance(item, list):
            for value in item:
                walk(value, where)

    walk(document, ())

    assert named == {"Status": list(STATUSES), "Role": list(ROLES), "EventKind": list(EVENT_KINDS)}
    assert sorted(places) == ["components/schemas/EventKind", "components/schemas/Role", "components/schemas/Status"]
    schemas = document["components"]["schemas"]
    assert schemas["Card"]["properties"]["status"] == {"$ref": "#/components/schemas/Status"}
    assert schemas["MoveIn"]["properties"]["status"] == {"$ref": "#/components/schemas/Status"}
    assert schemas["UserIn"]["properties"]["role"] == {"$ref": "#/components/schemas/Role"}


def test_the_document_says_nothing_only_apispec_reads(document):
    extensions = re.findall(r'"(x-[\w-]+)"', json.dumps(document))
    day = document["paths"]["/api/board"]["get"]["parameters"]
    from_ = next(p for p in day if p["name"] == "from")

    assert extensions == []
    assert "From 1900-01-01 (inclusive) to 9998-12-31 (inclusive)." in from_["description"]
    assert "status" not in document["components"]["schemas"]["EditIn"]["properties"]
    assert document["components"]["schemas"]["EditIn"]["additionalProperties"] is False


def test_the_board_takes_if_none_match(document):
    parameters = document["paths"]["/api/board"]["get"]["parameters"]

    assert {"in": "header", "name": "If-None-Match"}.items() <= next(
        p for p in parameters if p["name"] == "If-None-Match"
    ).items()


def test_operation_ids_are_unique_snake_case_names_of_what_they_do(document):
    ids = [operation["operationId"] for operations in document["paths"].values() for operation in operations.values()]

    assert len(ids) == len(set(ids))
    assert [i for i in ids if not re.fullmatch(r"[a-z]+(_[a-z]+)*", i)] == []
    assert [i for i in ids if i.startswith(("api_", "accounts_", "metrics_", "openapi_"))] == []
    assert {"get_board", "move_appointment", "move_appointments", "get_health", "get_metrics"} <= set(ids)


def test_every_documented_address_answers_a_wrong_method_in_the_envelope(app, document, client_for):
    client = client_for(app)
    for path, operations in document["paths"].items():
        address = re.sub(r"\{[^}]+\}", "1", path)
        wrong = next(method for method in ("put", "patch", "post") if method not in operations)
        response = client.open(address, method=wrong.upper())

        assert response.status_code == 405, address
        assert response.get_json()["error"]["code"] == "method_not_allowed", address
        assert response.headers["Allow"], address


def test_docs_page_loads_swagger_ui_from_its_package_under_the_strict_csp(anonymous):
    with anonymous.get("/api/docs") as page, anonymous.get("/assets/swagger-ui/swagger-ui-bundle.js") as script:
        html, code = page.get_data(as_text=True), script.get_data()
    with anonymous.get("/assets/swagger-ui/index.html") as unknown:
        assert unknown.status_code == 404

    assert page.status_code == 200 and page.mimetype == "text/html"
    assert 'data-url="/api/openapi.json"' in html
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert script.status_code == 200 and b"SwaggerUIBundle" in code


def test_every_write_that_takes_an_idempotency_key_documents_it_and_its_answers(app, document):
    keyed = {
        (path, method)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    writes = {(path, method) for path, method in documented_routes(app) if method in ("post", "put", "patch", "delete")}
    secret_answers = {
        ("/api/session", "post"),
        ("/api/tokens", "post"),
        ("/api/me/password", "post"),
        ("/api/displays", "post"),
        ("/api/displays/pair", "post"),
        ("/api/appointments/{appointment_id}/status-link/replace", "post"),
    }
    move = document["paths"]["/api/appointments/{appointment_id}/move"]["post"]["responses"]

    assert keyed == writes - secret_answers
    assert "idempotency_in_progress" in move["409"]["description"] and "Retry-After" in move["409"]["headers"]
    assert "idempotency_key_reused" in move["422"]["description"]
    assert "Idempotent-Replayed" in move["200"]["headers"]


def test_routes_that_refuse_a_token_limited_below_its_owner_say_so(document):
    for path, method in [("/api/tokens", "post"), ("/api/me/password", "post"), ("/api/users", "get")]:
        operation = document["paths"][path][method]
        assert "owner's full role" in operation["description"], (path, method)
        assert "403" in operation["responses"], (path, method)
    assert "owner's full role" not in document["paths"]["/api/board"]["get"]["description"]
