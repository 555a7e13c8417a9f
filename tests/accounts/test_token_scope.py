"""A token limited to a lower role than its owner's acts with that role on every route, and never above it.

Such tokens are made for wall screens and Prometheus: one that leaks must not lead to its owner's
full role. They may use the board within their role; they may not create or revoke tokens,
change the password or manage people at all.
"""

import pytest
from sqlalchemy import text

from board.accounts import tokens
from board.accounts.roles import at_least
from board.errors import ValidationFailed
from tests.factories import PASSWORD, AppointmentFactory, UserFactory, token_for
from tests.helpers import table_rows

# (owner's role, token's role): every token limited below its owner.
SCOPED = [("staff", "viewer"), ("admin", "viewer"), ("admin", "staff")]


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


# Each table's columns but those that note a credential's use (last_used_at, last_seen_at).
ACCOUNT_TABLES = {
    "users": "id, username, name, role, password_hash, disabled",
    "api_tokens": "id, user_id, label, role, secret_hash, expires_at, revoked_at",
    "sessions": "id, user_id, secret_hash",
}


def account_rows(engine) -> dict:
    """Every account, token and session: what a refused request must leave as it was."""
    with engine.connect() as conn:
        return {
            table: [tuple(row) for row in conn.execute(text(f"SELECT {columns} FROM {table} ORDER BY id"))]
            for table, columns in ACCOUNT_TABLES.items()
        }


@pytest.fixture(params=SCOPED, ids=lambda pair: f"{pair[1]}-token-of-{pair[0]}")
def scoped(request, app):
    """A token limited below its owner, its owner, and another token of the same owner."""
    owner_role, token_role = request.param
    owner = UserFactory(role=owner_role)
    secret = token_for(owner, label="wall screen", role=token_role)
    token_for(owner, label="nightly import")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client, owner, token_role


def assert_refused_as_scoped(response):
    assert response.status_code == 403, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "forbidden"


def test_a_viewer_token_of_an_admin_cannot_make_an_admin_token_nor_add_an_admin(app, engine):
    admin = UserFactory(role="admin")
    screen = app.test_client()
    screen.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(admin, label='wall screen', role='viewer')}"
    before = account_rows(engine)

    escalated = screen.post("/api/tokens", json={"label": "escalated", "role": "admin"})
    unnamed_role = screen.post("/api/tokens", json={"label": "escalated"})
    added = screen.post("/api/users", json={"username": "mallory", "name": "M", "role": "admin", "password": PASSWORD})

    for response in (escalated, unnamed_role, added):
        assert_refused_as_scoped(response)
    assert "lower role than its owner" in escalated.get_json()["error"]["message"]
    assert account_rows(engine) == before


def test_a_viewer_token_of_a_staff_account_cannot_make_a_staff_token(app, engine):
    staff = UserFactory(role="staff")
    screen = app.test_client()
    screen.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(staff, role='viewer')}"
    before = account_rows(engine)

    assert_refused_as_scoped(screen.post("/api/tokens", json={"label": "escalated"}))
    assert account_rows(engine) == before


@pytest.mark.parametrize("role", [None, "viewer", "staff", "admin"])
def test_a_scoped_token_cannot_create_a_token_of_any_role(scoped, engine, role):
    client, _, _ = scoped
    before = account_rows(engine)
    body = {"label": "another"} | ({"role": role} if role else {})

    assert_refused_as_scoped(client.post("/api/tokens", json=body))
    assert account_rows(engine) == before


def test_a_scoped_token_cannot_revoke_a_token_not_even_itself(scoped, engine):
    client, owner, _ = scoped
    with engine.connect() as conn:
        ids = conn.scalars(text("SELECT id FROM api_tokens WHERE user_id = :u ORDER BY id"), {"u": owner.id}).all()
    before = account_rows(engine)

    for token_id in ids:
        assert_refused_as_scoped(client.delete(f"/api/tokens/{token_id}"))
    assert_refused_as_scoped(client.post("/api/tokens/revoke-all"))
    assert account_rows(engine) == before


def test_a_scoped_token_lists_only_its_owners_tokens_even_when_the_owner_is_an_admin(scoped):
    client, owner, _ = scoped
    token_for(UserFactory(role="staff"), label="someone else's")

    listed = client.get("/api/tokens")

    assert listed.status_code == 200
    assert {token["owner"]["username"] for token in listed.get_json()["data"]} == {owner.username}
    assert "secret" not in listed.get_data(as_text=True)


def test_a_scoped_token_cannot_change_its_owners_password(scoped, engine):
    client, _, _ = scoped
    before = account_rows(engine)

    changed = client.post("/api/me/password", json={"current_password": PASSWORD, "new_password": "x" * 20})

    assert_refused_as_scoped(changed)
    assert account_rows(engine) == before


def test_a_scoped_token_cannot_list_add_or_change_people(scoped, engine):
    client, owner, _ = scoped
    before = account_rows(engine)

    responses = [
        client.get("/api/users"),
        client.post("/api/users", json={"username": "eve", "name": "Eve", "role": "admin", "password": PASSWORD}),
        client.patch(f"/api/users/{owner.id}", json={"role": "admin"}),
        client.patch(f"/api/users/{owner.id}", json={"password": "y" * 20}),
    ]

    for response in responses:
        assert_refused_as_scoped(response)
    assert account_rows(engine) == before


def test_a_scoped_token_says_its_own_role_as_the_callers(scoped):
    client, owner, token_role = scoped

    me = client.get("/api/me").get_json()["data"]

    assert (me["username"], me["role"]) == (owner.username, token_role)


def test_a_scoped_token_reads_the_board_and_metrics(scoped):
    client, _, _ = scoped
    card = AppointmentFactory()

    for path in ("/api/board", f"/api/appointments/{card.id}", f"/api/appointments/{card.id}/history", "/metrics"):
        assert client.get(path).status_code == 200, path


def test_a_scoped_token_changes_cards_only_if_its_own_role_allows(scoped, engine):
    client, _, token_role = scoped
    card = AppointmentFactory()
    before = table_rows(engine)
    writes = [
        ("POST", f"/api/appointments/{card.id}/move", {"status": "CHECKED_IN", "version": 1}, None),
        ("POST", "/api/moves", {"moves": [{"id": card.id, "status": "READY", "version": 2}]}, None),
        ("PATCH", f"/api/appointments/{card.id}", {"title": "Brakes", "version": 3}, None),
        ("DELETE", f"/api/appointments/{card.id}", None, {"version": 4}),
        ("POST", "/api/appointments", {"title": "T", "customer": "C", "scheduled_at": "2026-12-02T09:00:00Z"}, None),
    ]

    answers = [
        client.open(path, method=method, json=body, query_string=query).status_code
        for method, path, body, query in writes
    ]

    if at_least(token_role, "staff"):
        assert answers == [200, 200, 200, 200, 201]
    else:
        assert answers == [403] * len(writes)
        assert table_rows(engine) == before


@pytest.mark.parametrize("owner_role", ["viewer", "staff", "admin"])
def test_a_token_with_its_owners_full_role_still_manages_its_owners_tokens(app, owner_role):
    owner = UserFactory(role=owner_role)
    explicit = app.test_client()
    explicit.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(owner, role=owner_role)}"
    unnamed = app.test_client()
    unnamed.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(owner)}"

    for client in (explicit, unnamed):
        made = client.post("/api/tokens", json={"label": "script"})
        assert made.status_code == 201 and made.get_json()["data"]["role"] == owner_role
        assert client.delete(f"/api/tokens/{made.get_json()['data']['id']}").status_code == 200


def test_a_token_made_by_a_lower_credential_is_stored_with_that_role_not_the_owners(app, engine):
    admin = UserFactory(role="admin")

    made, _ = tokens.create_token(engine, user_id=admin.id, label="from a staff credential", at_most="staff")
    with pytest.raises(ValidationFailed) as too_strong:
        tokens.create_token(engine, user_id=admin.id, label="escalated", role="admin", at_most="staff")

    assert made.role == "staff"
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT role FROM api_tokens WHERE id = :id"), {"id": made.id}) == "staff"
    assert "role" in too_strong.value.details["details"]
