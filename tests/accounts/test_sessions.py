"""Signing in for the page: the cookie, cross-site writes, the throttle across processes, who moved a card."""

import http.client
import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from board.accounts import passwords
from tests.factories import PASSWORD, AppointmentFactory, UserFactory, token_for
from tests.helpers import history_rows, serving, table_rows


def request(base: str, method: str, path: str, body=None, headers=None) -> tuple[int, dict, http.client.HTTPMessage]:
    """One real HTTP request with exactly these headers (urllib would add its own)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        data = None if body is None else json.dumps(body)
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, json.loads(response.read()), response.headers
    finally:
        conn.close()


def session_cookie(headers: http.client.HTTPMessage) -> str:
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("board_session=")
    return cookie.split(";", 1)[0]


def test_sign_in_sets_an_httponly_lax_cookie_and_answers_the_account(anonymous, staff):
    response = anonymous.post("/api/session", json={"username": "SAM", "password": PASSWORD})

    assert response.status_code == 200
    assert response.get_json()["data"] == {"id": staff.id, "username": "sam", "name": "Sam Staff", "role": "staff"}
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie
    assert anonymous.get("/api/me").get_json()["data"]["username"] == "sam"


def test_secure_cookies_when_board_secure_cookies_is_set(make_app, staff):
    client = make_app(BOARD_SECURE_COOKIES="1").test_client()

    response = client.post("/api/session", json={"username": "sam", "password": PASSWORD})

    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("secure", ["1", "0"])
def test_the_cookie_that_clears_the_session_on_sign_out_is_secure_like_the_session_cookie(make_app, staff, secure):
    client = make_app(BOARD_SECURE_COOKIES=secure).test_client()
    set_on_sign_in = client.post("/api/session", json={"username": "sam", "password": PASSWORD}).headers["Set-Cookie"]

    cleared = client.delete("/api/session", headers={"Origin": "http://localhost"})

    assert cleared.status_code == 200, cleared.get_json()
    cookie = cleared.headers["Set-Cookie"]
    assert cookie.startswith("board_session=;") and "Max-Age=0" in cookie
    assert ("Secure" in cookie) == ("Secure" in set_on_sign_in) == (secure == "1")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie


def test_wrong_password_and_unknown_username_get_the_same_answer_and_the_same_work(anonymous, staff, monkeypatch):
    verified = []

    class CountingHasher:
        def __init__(self, real):
            self.real = real

        def verify(self, password_hash, password):
            verified.append(password_hash)
            return self.real.verify(password_hash, password)

        def __getattr__(self, name):
            return getattr(self.real, name)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher(passwords._hasher))

    wrong = anonymous.post("/api/session", json={"username": "sam", "password": "not the password"})
    unknown = anonymous.post("/api/session", json={"username": "nobody", "password": "not the password"})

    assert wrong.status_code == unknown.status_code == 401
    body = lambda r: {k: v for k, v in r.get_json()["error"].items() if k != "request_id"}  # noqa: E731
    assert body(wrong) == body(unknown)
    assert len(verified) == 2, "an unknown username is checked against a hash too, costing the same time"
    assert "Set-Cookie" not in wrong.headers and "Set-Cookie" not in unknown.headers


def test_sign_out_ends_the_session_everywhere(app, staff):
    page, other_tab = app.test_client(), app.test_client()
    page.post("/api/session", json={"username": "sam", "password": PASSWORD})
    cookie = page.get_cookie("board_session").value
    other_tab.set_cookie("board_session", cookie)

    signed_out = page.delete("/api/session", headers={"Origin": "http://localhost"})

    assert signed_out.status_code == 200
    assert other_tab.get("/api/me").status_code == 401
    assert page.get("/api/me").status_code == 401


def test_a_password_change_ends_other_sessions_and_keeps_this_page_signed_in(app, staff, engine):
    page, elsewhere = app.test_client(), app.test_client()
    for client in (page, elsewhere):
        client.post("/api/session", json={"username": "sam", "password": PASSWORD})
    origin = {"Origin": "http://localhost"}

    wrong = page.post(
        "/api/me/password", json={"current_password": "nope nope nope", "new_password": "x" * 12}, headers=origin
    )
    changed = page.post(
        "/api/me/password", json={"current_password": PASSWORD, "new_password": "a new passphrase"}, headers=origin
    )

    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["error"]["details"]
    assert changed.status_code == 200
    assert elsewhere.get("/api/me").status_code == 401
    assert page.get("/api/me").status_code == 200
    fresh = app.test_client()
    assert fresh.post("/api/session", json={"username": "sam", "password": PASSWORD}).status_code == 401
    assert fresh.post("/api/session", json={"username": "sam", "password": "a new passphrase"}).status_code == 200


@pytest.fixture
def signed_in(live_server, staff):
    status, _, headers = request(live_server, "POST", "/api/session", {"username": "sam", "password": PASSWORD})
    assert status == 200
    return {"Cookie": session_cookie(headers)}


def test_cookie_write_from_another_origin_is_403_and_changes_nothing(live_server, signed_in, engine):
    card = AppointmentFactory()
    before = table_rows(engine)
    move = {"status": "READY", "version": 1}
    path = f"/api/appointments/{card.id}/move"

    foreign = request(live_server, "POST", path, move, {**signed_in, "Origin": "https://evil.example"})
    missing = request(live_server, "POST", path, move, signed_in)
    after_refusals = table_rows(engine)
    own = request(live_server, "POST", path, move, {**signed_in, "Origin": live_server})

    for status, body, _ in (foreign, missing):
        assert status == 403 and body["error"]["code"] == "forbidden"
    assert after_refusals == before
    assert own[0] == 200 and own[1]["data"]["version"] == 2


def test_bearer_write_with_a_foreign_origin_succeeds(live_server, api_headers):
    card = AppointmentFactory()

    status, body, _ = request(
        live_server,
        "POST",
        f"/api/appointments/{card.id}/move",
        {"status": "READY", "version": 1},
        {**api_headers, "Origin": "https://elsewhere.example"},
    )

    assert status == 200 and body["data"]["version"] == 2


def test_board_public_url_is_the_origin_cookie_writes_must_come_from(make_app, staff):
    client = make_app(BOARD_PUBLIC_URL="https://board.example/").test_client()
    client.post("/api/session", json={"username": "sam", "password": PASSWORD})
    card = AppointmentFactory()
    move = {"status": "READY", "version": 1}

    own_host = client.post(f"/api/appointments/{card.id}/move", json=move, headers={"Origin": "http://localhost"})
    public = client.post(f"/api/appointments/{card.id}/move", json=move, headers={"Origin": "https://board.example"})

    assert own_host.status_code == 403
    assert public.status_code == 200


def test_sixth_wrong_password_is_429_across_two_app_instances(make_app, staff, engine):
    first, second = make_app(), make_app()
    wrong = {"username": "Sam", "password": "wrong password"}
    with serving(first) as one, serving(second) as two:
        answers = [request(one if n % 2 else two, "POST", "/api/session", wrong)[0] for n in range(5)]
        throttled, body, headers = request(two, "POST", "/api/session", {"username": "sam", "password": PASSWORD})
        other_user = request(one, "POST", "/api/session", {"username": "nobody", "password": "wrong password"})

    assert answers == [401] * 5
    assert throttled == 429 and body["error"]["code"] == "too_many_attempts"
    assert 0 < int(headers["Retry-After"]) <= 15 * 60
    assert other_user[0] == 401, "the throttle counts per username"
    with engine.begin() as conn:
        # Fifteen minutes later (the failures aged by hand), the right password works again.
        conn.execute(text("UPDATE sign_in_failures SET failed_at = failed_at - interval '15 minutes'"))
    assert (
        make_app().test_client().post("/api/session", json={"username": "sam", "password": PASSWORD}).status_code == 200
    )


def test_the_database_holds_no_plaintext_password_or_token(app, client, engine):
    admin = app.test_client()
    admin.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(UserFactory(role='admin'))}"
    password = "a very particular passphrase"
    admin.post("/api/users", json={"username": "ana", "name": "Ana", "role": "staff", "password": password})
    browser = app.test_client()
    browser.post("/api/session", json={"username": "ana", "password": password})
    made = client.post("/api/tokens", json={"label": "import script"}).get_json()["data"]

    with engine.connect() as conn:
        dump = (
            conn.execute(
                text(
                    "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM users) t UNION ALL "
                    "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM api_tokens) t UNION ALL "
                    "SELECT string_agg(t::text, ' ') FROM (SELECT * FROM sessions) t"
                )
            )
            .scalars()
            .all()
        )
    everything = " ".join(part for part in dump if part)
    assert made["secret"].startswith("board_") and len(made["secret"]) >= len("board_") + 43
    for secret in (
        password,
        made["secret"],
        made["secret"].removeprefix("board_"),
        browser.get_cookie("board_session").value,
    ):
        assert secret not in everything
    listed = client.get("/api/tokens").get_json()["data"]
    assert listed and all("secret" not in token for token in listed), "the secret is shown only when made"


def test_history_says_who_moved_a_card_through_the_page_and_through_a_token(live_server, signed_in, api_headers):
    card = AppointmentFactory()
    page_move = request(
        live_server,
        "POST",
        f"/api/appointments/{card.id}/move",
        {"status": "CHECKED_IN", "version": 1},
        {**signed_in, "Origin": live_server},
    )
    token_move = request(
        live_server, "POST", f"/api/appointments/{card.id}/move", {"status": "READY", "version": 2}, api_headers
    )

    assert page_move[0] == token_move[0] == 200
    _, history, _ = request(live_server, "GET", f"/api/appointments/{card.id}/history", headers=api_headers)
    assert [item["by"] for item in history["data"]][1:] == [
        {"username": "sam", "name": "Sam Staff", "token": None},
        {"username": "sam", "name": "Sam Staff", "token": "tests"},
    ]


def test_moves_from_before_accounts_show_by_null(client, engine):
    card = AppointmentFactory(status="READY", version=2)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO appointment_events (appointment_id, kind, from_status, to_status, version, seq)"
                " VALUES (:id, 'moved', 'SCHEDULED', 'READY', 2, 2)"
            ),
            {"id": card.id},
        )

    history = client.get(f"/api/appointments/{card.id}/history").get_json()["data"]

    assert [(item["kind"], item["by"]) for item in history] == [("created", None), ("moved", None)]
    assert history_rows(engine, card.id) == [("SCHEDULED", "READY", 2)]


def test_a_token_notes_when_it_was_last_used(client, engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT last_used_at FROM api_tokens")).scalar() is None
    client.get("/api/me")
    with engine.connect() as conn:
        first = conn.execute(text("SELECT last_used_at FROM api_tokens")).scalar()
    client.get("/api/me")
    with engine.connect() as conn:
        second = conn.execute(text("SELECT last_used_at FROM api_tokens")).scalar()

    assert first is not None
    assert second == first, "noted at most once a minute, not written on every request"
