"""A NUL or a lone surrogate in any accounts field: 422 naming the field, nothing changed, nothing in the error log."""

import json
import logging

import pytest
from sqlalchemy import text

from board.accounts import passwords
from tests.factories import PASSWORD, UserFactory, token_for

ACCOUNT_TABLES = ("users", "api_tokens", "sessions", "sign_in_failures")
NEW_PASSWORD = "a new password of enough length"

# (route, field): the valid body the field is planted in, and who sends it.
ROUTES = {
    ("POST /api/session", "username"): ({"username": "sam", "password": PASSWORD}, None),
    ("POST /api/session", "password"): ({"username": "sam", "password": PASSWORD}, None),
    ("POST /api/me/password", "current_password"): (
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        "sam",
    ),
    ("POST /api/me/password", "new_password"): ({"current_password": PASSWORD, "new_password": NEW_PASSWORD}, "sam"),
    ("POST /api/users", "username"): (
        {"username": "robin", "name": "Robin", "role": "staff", "password": NEW_PASSWORD},
        "ada",
    ),
    ("POST /api/users", "name"): (
        {"username": "robin", "name": "Robin", "role": "staff", "password": NEW_PASSWORD},
        "ada",
    ),
    ("POST /api/users", "password"): (
        {"username": "robin", "name": "Robin", "role": "staff", "password": NEW_PASSWORD},
        "ada",
    ),
    ("PATCH /api/users/{sam}", "name"): ({"name": "Sam S."}, "ada"),
    ("PATCH /api/users/{sam}", "password"): ({"password": NEW_PASSWORD}, "ada"),
    ("PATCH /api/users/{sam}", "role"): ({"role": "viewer"}, "ada"),
    ("POST /api/tokens", "label"): ({"label": "a script"}, "sam"),
    ("POST /api/tokens", "role"): ({"label": "a script", "role": "viewer"}, "sam"),
    ("POST /api/tokens", "expires_at"): ({"label": "a script", "expires_at": "2100-01-01T00:00:00+00:00"}, "sam"),
}

# Planted in the middle and at the end of a valid value, where a stripped or truncated copy would hide it.
INVALID = {
    "nul-inside": lambda valid: valid[:2] + "\x00" + valid[2:],
    "nul-at-end": lambda valid: valid + "\x00",
    "lone-surrogates": lambda valid: valid[:2] + "\ud800" + valid[2:] + "\udfff",
}


@pytest.fixture
def accounts(app):
    """Sam (staff) and Ada (admin), each with a token that has been used once already."""
    sam = UserFactory(username="sam", name="Sam Staff", role="staff")
    ada = UserFactory(username="ada", name="Ada Admin", role="admin")
    headers = {
        name: {"Authorization": f"Bearer {token_for(user, label='tests')}"}
        for name, user in (("sam", sam), ("ada", ada))
    }
    for credential in headers.values():
        # The first use notes last_used_at; later ones within the minute change nothing.
        assert app.test_client().get("/api/me", headers=credential).status_code == 200
    return {"sam": sam, "headers": headers}


def account_rows(engine) -> dict:
    with engine.connect() as conn:
        return {table: conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all() for table in ACCOUNT_TABLES}


def argon2_calls(monkeypatch) -> list:
    calls = []
    real = passwords._hasher

    class CountingHasher:
        def hash(self, password):
            calls.append("hash")
            return real.hash(password)

        def verify(self, password_hash, password):
            calls.append("verify")
            return real.verify(password_hash, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    return calls


@pytest.mark.parametrize("plant", INVALID.values(), ids=INVALID.keys())
@pytest.mark.parametrize(("route", "field"), ROUTES.keys(), ids=[f"{r} {f}" for r, f in ROUTES])
def test_a_nul_or_lone_surrogate_in_an_accounts_field_is_422_naming_it_and_changes_nothing(
    app, engine, accounts, caplog, monkeypatch, route, field, plant
):
    valid_body, sender = ROUTES[route, field]
    method, path = route.split(" ")
    body = {**valid_body, field: plant(valid_body[field])}
    client = app.test_client()
    before = account_rows(engine)
    hashed = argon2_calls(monkeypatch)
    caplog.set_level(logging.INFO, logger="board")

    # json.dumps writes "\ud800" and "\u0000" as escapes: the bytes a JSON client sends for them.
    response = client.open(
        path.format(sam=accounts["sam"].id),
        method=method,
        data=json.dumps(body),
        content_type="application/json",
        headers=accounts["headers"].get(sender, {}),
    )

    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["details"]) == [field]
    assert account_rows(engine) == before, "nothing stored, and a refused sign-in is no throttle failure"
    assert hashed == [], "refused before any Argon2 work"
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING or record.exc_info]


@pytest.mark.parametrize("password", [" spaces at both ends ", "tab\tinside a password", "é and 🦀 are fine too"])
def test_a_password_keeps_every_other_character_exactly(app, anonymous, accounts, password):
    admin = app.test_client()
    created = admin.post(
        "/api/users",
        headers=accounts["headers"]["ada"],
        json={"username": "robin", "name": "Robin", "role": "staff", "password": password},
    )
    assert created.status_code == 201, created.get_json()

    assert anonymous.post("/api/session", json={"username": "robin", "password": password}).status_code == 200
    stripped = anonymous.post("/api/session", json={"username": "robin", "password": password.strip() + "!"})
    assert stripped.status_code == 401


def test_a_username_with_a_trailing_newline_is_refused_not_stored(app, engine, accounts):
    # Python's `$` matches before a final newline: the username pattern alone let "robin\n" through.
    response = app.test_client().post(
        "/api/users",
        headers=accounts["headers"]["ada"],
        json={"username": "robin\n", "name": "Robin", "role": "staff", "password": NEW_PASSWORD},
    )

    assert response.status_code == 422
    assert list(response.get_json()["error"]["details"]) == ["username"]
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM users WHERE username LIKE 'robin%'")) == 0
