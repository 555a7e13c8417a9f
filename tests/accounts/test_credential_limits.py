"""How many credentials an account may hold, the token list a page at a time, and revoking all of one's tokens."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from board.accounts.sessions import MAX_SESSIONS
from board.accounts.tokens import MAX_ACTIVE_TOKENS
from tests.factories import PASSWORD, UserFactory, token_for
from tests.helpers import add_tokens, http_json, serving


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def active_tokens(engine, user_id: int) -> int:
    with engine.connect() as conn:
        return conn.scalar(
            text(
                "SELECT count(*) FROM api_tokens WHERE user_id = :u AND revoked_at IS NULL"
                " AND (expires_at IS NULL OR expires_at > now())"
            ),
            {"u": user_id},
        )


def test_the_101st_active_token_is_refused_with_409_too_many_tokens(client, staff, engine):
    add_tokens(engine, staff.id, MAX_ACTIVE_TOKENS - 2)  # with the test client's own: 99

    hundredth = client.post("/api/tokens", json={"label": "the 100th"})
    refused = client.post("/api/tokens", json={"label": "one too many"})

    assert hundredth.status_code == 201
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "too_many_tokens" and str(MAX_ACTIVE_TOKENS) in error["message"]
    assert active_tokens(engine, staff.id) == MAX_ACTIVE_TOKENS


def test_revoked_and_expired_tokens_do_not_count_towards_the_cap(client, staff, engine):
    add_tokens(engine, staff.id, 50, revoked_at=datetime.now(UTC))
    add_tokens(engine, staff.id, 50, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    add_tokens(engine, staff.id, MAX_ACTIVE_TOKENS - 2)

    assert client.post("/api/tokens", json={"label": "the 100th"}).status_code == 201
    assert client.post("/api/tokens", json={"label": "one too many"}).status_code == 409


def test_tokens_made_at_once_never_pass_the_cap_together(live_server, staff, api_headers, engine):
    room = 3
    add_tokens(engine, staff.id, MAX_ACTIVE_TOKENS - 1 - room)
    attempts = 12
    start = threading.Barrier(attempts)
    answers = []

    def make(n: int):
        start.wait()
        status, _, _ = http_json("POST", f"{live_server}/api/tokens", {"label": f"racing {n}"}, headers=api_headers)
        answers.append(status)

    threads = [threading.Thread(target=make, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answers) == [201] * room + [409] * (attempts - room)
    assert active_tokens(engine, staff.id) == MAX_ACTIVE_TOKENS


def test_the_token_list_comes_a_page_at_a_time_newest_first(client, staff, engine):
    add_tokens(engine, staff.id, 7)  # ids 2..8, after the test client's own (1)

    first = client.get("/api/tokens?limit=3").get_json()
    second = client.get(first["next"]).get_json()
    third = client.get(second["next"]).get_json()
    whole = client.get("/api/tokens").get_json()

    assert [token["id"] for token in first["data"]] == [8, 7, 6]
    assert first["next"] == "/api/tokens?after=6&limit=3"
    assert [token["id"] for token in second["data"]] == [5, 4, 3]
    assert [token["id"] for token in third["data"]] == [2, 1] and third["next"] is None
    assert [token["id"] for token in whole["data"]] == list(range(8, 0, -1)) and whole["next"] is None


def test_a_page_holds_at_most_100_tokens_by_default(client, staff, engine):
    add_tokens(engine, staff.id, MAX_ACTIVE_TOKENS)

    page = client.get("/api/tokens").get_json()

    assert len(page["data"]) == 100 and page["next"] == "/api/tokens?after=2&limit=100"
    assert [token["id"] for token in client.get(page["next"]).get_json()["data"]] == [1]


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("limit=1.5", "limit"),
        ("after=0", "after"),
        ("after=-3", "after"),
        ("after=x", "after"),
        ("after=99999999999999999999", "after"),
    ],
)
def test_a_bad_limit_or_after_is_422_naming_the_field(client, query, field):
    response = client.get(f"/api/tokens?{query}")

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and list(error["details"]) == [field]


def test_revoking_all_ones_tokens_ends_every_active_one_and_no_one_elses(app, staff, engine):
    add_tokens(engine, staff.id, 3)
    add_tokens(engine, staff.id, 2, revoked_at=datetime.now(UTC) - timedelta(days=1))
    other = UserFactory(role="staff")
    others = token_for(other)
    browser = app.test_client()
    assert browser.post("/api/session", json={"username": staff.username, "password": PASSWORD}).status_code == 200
    with engine.connect() as conn:
        earlier_revocations = conn.execute(
            text("SELECT id, revoked_at FROM api_tokens WHERE revoked_at IS NOT NULL")
        ).all()

    revoked = browser.post("/api/tokens/revoke-all", headers={"Origin": "http://localhost"})

    assert revoked.status_code == 200 and revoked.get_json()["data"] == {"revoked": 3}
    assert active_tokens(engine, staff.id) == 0
    assert app.test_client().get("/api/me", headers=bearer(others)).status_code == 200
    assert browser.get("/api/me").status_code == 200, "the session is not a token: it stays signed in"
    with engine.connect() as conn:
        for token_id, revoked_at in earlier_revocations:
            assert conn.scalar(text("SELECT revoked_at FROM api_tokens WHERE id = :id"), {"id": token_id}) == revoked_at


def test_a_token_revoking_all_revokes_itself_too(client, staff, engine):
    revoked = client.post("/api/tokens/revoke-all")

    assert revoked.status_code == 200 and revoked.get_json()["data"] == {"revoked": 1}
    assert client.get("/api/me").status_code == 401


def test_a_password_change_leaves_tokens_working_until_revoked(app, staff, staff_token):
    browser = app.test_client()
    browser.post("/api/session", json={"username": staff.username, "password": PASSWORD})
    origin = {"Origin": "http://localhost"}

    changed = browser.post(
        "/api/me/password", json={"current_password": PASSWORD, "new_password": "n" * 20}, headers=origin
    )

    assert changed.status_code == 200
    assert app.test_client().get("/api/me", headers=bearer(staff_token)).status_code == 200
    assert browser.post("/api/tokens/revoke-all", headers=origin).get_json()["data"] == {"revoked": 1}
    assert app.test_client().get("/api/me", headers=bearer(staff_token)).status_code == 401


def sessions_of(engine, user_id: int) -> list[int]:
    with engine.connect() as conn:
        return conn.scalars(text("SELECT id FROM sessions WHERE user_id = :u ORDER BY id"), {"u": user_id}).all()


def test_signing_in_a_21st_time_ends_the_oldest_session(app, staff, engine):
    browsers = [app.test_client() for _ in range(MAX_SESSIONS + 1)]
    for browser in browsers:
        signed_in = browser.post("/api/session", json={"username": staff.username, "password": PASSWORD})
        assert signed_in.status_code == 200

    assert sessions_of(engine, staff.id) == list(range(2, MAX_SESSIONS + 2))
    assert browsers[0].get("/api/me").status_code == 401
    assert all(browser.get("/api/me").status_code == 200 for browser in browsers[1:])


def test_signing_in_clears_the_accounts_expired_sessions_and_no_one_elses(app, staff, engine):
    other = UserFactory(role="staff")
    with engine.begin() as conn:
        for user_id, n in [(staff.id, 1), (staff.id, 2), (other.id, 3)]:
            conn.execute(
                text("INSERT INTO sessions (user_id, secret_hash, expires_at) VALUES (:u, :h, now() - interval '1 s')"),
                {"u": user_id, "h": f"expired {n}"},
            )

    app.test_client().post("/api/session", json={"username": staff.username, "password": PASSWORD})

    assert sessions_of(engine, staff.id) == [4]
    assert sessions_of(engine, other.id) == [3]


def test_sign_ins_at_once_still_leave_at_most_20_sessions(make_app, staff, engine):
    with engine.begin() as conn:
        for n in range(MAX_SESSIONS):
            conn.execute(
                text(
                    "INSERT INTO sessions (user_id, secret_hash, expires_at) VALUES (:u, :h, now() + interval '1 day')"
                ),
                {"u": staff.id, "h": f"earlier {n}"},
            )
    attempts = 6
    # Room to hash every password at once, so all six sign-ins race for the account's sessions.
    roomy = make_app(BOARD_CONCURRENT_HASHES=attempts)
    start = threading.Barrier(attempts)
    answers = []

    def sign_in():
        start.wait()
        body = {"username": staff.username, "password": PASSWORD}
        answers.append(http_json("POST", f"{url}/api/session", body)[0])

    with serving(roomy) as url:
        threads = [threading.Thread(target=sign_in) for _ in range(attempts)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert answers == [200] * attempts
    assert sessions_of(engine, staff.id) == list(range(attempts + 1, MAX_SESSIONS + attempts + 1))
