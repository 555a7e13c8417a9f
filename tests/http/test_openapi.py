"""The OpenAPI document: valid, complete (every route of the app), built from the schemas the routes load with."""

import pytest
from openapi_spec_validator import validate

from board.http.openapi import DOCUMENTED_PREFIXES, OPERATIONS, build_document, openapi_path
from board.schemas import TEXT_MAX_LENGTH
from board.http.headers import CONTENT_SECURITY_POLICY

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


def test_a_route_missing_from_the_table_fails_the_completeness_check(app, monkeypatch):
    monkeypatch.delitem(OPERATIONS, ("api.move_many", "POST"))

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


def test_error_answers_name_their_codes_in_the_envelope(document):
    conflict = document["paths"]["/api/appointments/{appointment_id}/move"]["post"]["responses"]["409"]
    schema = conflict["content"]["application/json"]["schema"]
    codes = document["components"]["schemas"]["Error"]["properties"]["code"]["enum"]

    assert schema["properties"]["ok"] == {"const": False}
    assert schema["properties"]["error"]["allOf"][1] == {
        "properties": {"code": {"enum": ["version_conflict", "version_exhausted", "idempotency_in_progress"]}}
    }
    assert {"version_conflict", "validation_error", "unauthenticated", "transient_conflict"} <= set(codes)


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
    writes = {(path, method) for path, method in documented_routes(app) if method in ("post", "patch", "delete")}
    secret_answers = {("/api/session", "post"), ("/api/tokens", "post"), ("/api/me/password", "post")}
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
