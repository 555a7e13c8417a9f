"""Who may do what: credentials on every /api route, roles, revocation at once, and no cross-site writes."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from board.accounts.permissions import PUBLIC, unmarked_routes
from tests.factories import PASSWORD, AppointmentFactory, UserFactory, token_for
from tests.helpers import table_rows

BEARER_REALM = 'Bearer realm="board"'


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def every_protected_route(app):
    """(method, path) for every route under /api and /metrics, with 1 for each path argument."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/metrics")):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{rule._converters[argument].__class__.__name__}:{argument}>", "1")
        path = "/".join("1" if part.startswith("<") else part for part in path.split("/"))
        if getattr(app.view_functions[rule.endpoint], "required_role", None) == PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


def test_only_signing_in_and_the_api_description_are_public(app):
    public = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "required_role", None) == PUBLIC
    }

    # Pairing a display is signing in with a one-time code.
    assert public == {"accounts.sign_in", "shops.pair_display", "openapi.document_json", "openapi.docs"}


def assert_unauthenticated(response):
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"] == BEARER_REALM


def test_every_route_under_api_says_which_role_it_needs(app):
    assert unmarked_routes(app) == []


def test_every_route_without_credentials_is_401_and_changes_nothing(app, anonymous, engine):
    AppointmentFactory()
    before = table_rows(engine)
    routes = list(every_protected_route(app))
    assert len(routes) >= 15, routes

    for method, path in routes:
        response = anonymous.open(path, method=method, json={"status": "READY", "version": 1})
        assert_unauthenticated(response)
    assert table_rows(engine) == before


@pytest.mark.parametrize("kind", ["unknown", "revoked", "expired", "not bearer", "empty"])
def test_bad_revoked_or_expired_token_is_401(app, anonymous, staff, kind):
    if kind == "unknown":
        headers = bearer("board_" + "x" * 43)
    elif kind == "revoked":
        headers = bearer(token_for(staff, revoked_at=datetime.now(UTC)))
    elif kind == "expired":
        headers = bearer(token_for(staff, expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    elif kind == "not bearer":
        headers = {"Authorization": "Basic c2FtOnNlY3JldA=="}
    else:
        headers = {"Authorization": "Bearer "}

    assert_unauthenticated(anonymous.get("/api/board", headers=headers))


def test_a_token_that_has_not_expired_yet_works(anonymous, staff):
    secret = token_for(staff, expires_at=datetime.now(UTC) + timedelta(minutes=5))

    assert anonymous.get("/api/board", headers=bearer(secret)).status_code == 200


def sign_in(client, username, password=PASSWORD):
    return client.post("/api/session", json={"username": username, "password": password})


def test_revoking_a_token_or_disabling_an_account_refuses_it_on_the_next_request(app, client, anonymous, staff):
    admin = UserFactory(role="admin")
    admin_client = app.test_client()
    admin_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(admin)}"
    other = UserFactory(role="staff")
    other_token = token_for(other)
    browser = app.test_client()
    assert sign_in(browser, other.username).status_code == 200
    assert anonymous.get("/api/me", headers=bearer(other_token)).status_code == 200
    assert browser.get("/api/me").status_code == 200

    disabled = admin_client.patch(f"/api/users/{other.id}", json={"disabled": True})

    assert disabled.status_code == 200 and disabled.get_json()["data"]["disabled"] is True
    assert_unauthenticated(anonymous.get("/api/me", headers=bearer(other_token)))
    assert_unauthenticated(browser.get("/api/me"))
    assert_unauthenticated(sign_in(app.test_client(), other.username))

    own = client.get("/api/tokens").get_json()["data"]
    assert client.delete(f"/api/tokens/{own[0]['id']}").status_code == 200
    assert_unauthenticated(client.get("/api/board"))


def test_viewer_reads_but_every_write_is_403_and_changes_nothing(anonymous, engine):
    card = AppointmentFactory()
    viewer = bearer(token_for(UserFactory(role="viewer")))
    before = table_rows(engine)
    writes = [
        ("POST", "/api/appointments", {"title": "T", "customer": "C", "scheduled_at": "2026-12-02T09:00:00+00:00"}),
        ("POST", f"/api/appointments/{card.id}/move", {"status": "READY", "version": 1}),
        ("POST", "/api/moves", {"moves": [{"id": card.id, "status": "READY", "version": 1}]}),
        ("GET", "/api/users", None),
        ("POST", "/api/users", {"username": "x", "name": "X", "role": "admin", "password": PASSWORD}),
    ]

    assert anonymous.get("/api/board", headers=viewer).status_code == 200
    assert anonymous.get(f"/api/appointments/{card.id}", headers=viewer).status_code == 200
    assert anonymous.get(f"/api/appointments/{card.id}/history", headers=viewer).status_code == 200
    for method, path, body in writes:
        response = anonymous.open(path, method=method, json=body, headers=viewer)
        assert response.status_code == 403, (method, path)
        assert response.get_json()["error"]["code"] == "forbidden"
    assert table_rows(engine) == before


def test_staff_can_do_every_card_operation(client):
    created = client.post(
        "/api/appointments", json={"title": "Oil change", "customer": "Ada", "scheduled_at": "2026-12-02T09:00:00Z"}
    )
    card_id = created.get_json()["data"]["id"]

    assert created.status_code == 201
    assert client.get(f"/api/appointments/{card_id}").status_code == 200
    assert client.post(f"/api/appointments/{card_id}/move", json={"status": "READY", "version": 1}).status_code == 200
    batch = client.post("/api/moves", json={"moves": [{"id": card_id, "status": "COMPLETED", "version": 2}]})
    assert batch.status_code == 200
    assert len(client.get(f"/api/appointments/{card_id}/history").get_json()["data"]) == 3
    assert client.get("/api/board?from=2026-12-02").status_code == 200


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/api/users", None),
        ("POST", "/api/users", {"username": "eve", "name": "Eve", "role": "admin", "password": PASSWORD}),
        ("PATCH", "/api/users/1", {"role": "admin"}),
    ],
)
def test_admin_only_routes_refuse_staff(client, engine, method, path, body):
    before = table_rows(engine)

    response = client.open(path, method=method, json=body)

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert table_rows(engine) == before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT username, role FROM users")).all() == [("sam", "staff")]


def test_a_token_acts_with_the_lower_role_chosen_for_it(client, anonymous, staff, engine):
    made = client.post("/api/tokens", json={"label": "wall screen", "role": "viewer"})
    too_strong = client.post("/api/tokens", json={"label": "power", "role": "admin"})
    card = AppointmentFactory()

    assert made.status_code == 201 and made.get_json()["data"]["role"] == "viewer"
    screen = bearer(made.get_json()["data"]["secret"])
    assert anonymous.get("/api/board", headers=screen).status_code == 200
    assert (
        anonymous.post(
            f"/api/appointments/{card.id}/move", json={"status": "READY", "version": 1}, headers=screen
        ).status_code
        == 403
    )
    assert too_strong.status_code == 422 and "role" in too_strong.get_json()["error"]["details"]


def test_the_last_active_admin_cannot_be_demoted_or_disabled(app, engine):
    admin = UserFactory(role="admin")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(admin)}"

    for change in ({"role": "staff"}, {"disabled": True}):
        response = client.patch(f"/api/users/{admin.id}", json=change)
        assert response.status_code == 409
        error = response.get_json()["error"]
        assert error["code"] == "last_admin" and "admin" in error["message"]

    second = client.post("/api/users", json={"username": "bo", "name": "Bo", "role": "admin", "password": PASSWORD})
    assert second.status_code == 201
    assert client.patch(f"/api/users/{admin.id}", json={"role": "staff"}).status_code == 200
    with engine.connect() as conn:
        assert conn.execute(text("SELECT role FROM users WHERE id = :id"), {"id": admin.id}).scalar() == "staff"


def test_admin_manages_accounts(app):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(UserFactory(role='admin'))}"

    made = client.post("/api/users", json={"username": "Ana.K", "name": "Ana", "role": "staff", "password": PASSWORD})
    taken = client.post(
        "/api/users", json={"username": "ana.k", "name": "Ana 2", "role": "staff", "password": PASSWORD}
    )
    short = client.post("/api/users", json={"username": "x", "name": "X", "role": "staff", "password": "short"})
    bad_name = client.post("/api/users", json={"username": "a b", "name": "X", "role": "staff", "password": PASSWORD})
    empty_patch = client.patch(f"/api/users/{made.get_json()['data']['id']}", json={})
    listed = client.get("/api/users").get_json()["data"]

    assert made.status_code == 201 and "password" not in made.get_json()["data"]
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "username_taken"
    assert short.status_code == 422 and "password" in short.get_json()["error"]["details"]
    assert bad_name.status_code == 422 and "username" in bad_name.get_json()["error"]["details"]
    assert empty_patch.status_code == 422
    assert len(listed) == 2 and "Ana.K" in {user["username"] for user in listed}
    assert all("password" not in user and "password_hash" not in user for user in listed)
    assert sign_in(app.test_client(), "ANA.K").status_code == 200, "usernames ignore case"
