"""A shop's waiting limits and display settings, and its wall displays: roles, validation, pairing, revoking, isolation."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from board.accounts.secrets import secret_hash
from board.db import acting_for, as_operator
from board.models import STATUSES
from board.shops.displays import COOKIE_NAME
from tests import factories

NO_LIMITS = {status: None for status in STATUSES}


@pytest.fixture
def viewer_client(app, client_for):
    viewer = factories.UserFactory(username="vic", role="viewer")
    return client_for(app, {"Authorization": f"Bearer {factories.token_for(viewer)}"})


def new_shop(engine, slug: str) -> int:
    with as_operator(), engine.begin() as conn:
        return conn.scalar(
            text("INSERT INTO shops (slug, name, timezone) VALUES (:slug, :slug, 'UTC') RETURNING id"), {"slug": slug}
        )


def waited(engine, card_id: int, minutes: int) -> None:
    """Make a card look as if it entered its status `minutes` ago (status_since once it exists, else updated_at)."""
    with as_operator(), engine.begin() as conn:
        columns = set(
            conn.scalars(text("SELECT column_name FROM information_schema.columns WHERE table_name = 'appointments'"))
        )
        since = "status_since" if "status_since" in columns else "updated_at"
        conn.execute(
            text(f"UPDATE appointments SET {since} = now() - make_interval(mins => :minutes) WHERE id = :id"),
            {"minutes": minutes, "id": card_id},
        )


def board_cards(client) -> dict:
    data = client.get("/api/board").get_json()["data"]
    return {card["id"]: card for column in data["columns"] for card in column["cards"]}


def today_card(**fields) -> int:
    card_id = factories.AppointmentFactory(scheduled_at=datetime.now(UTC), **fields).id
    factories.Session.commit()
    return card_id


# ---- limits


def test_limits_are_none_by_default_and_every_role_reads_them(viewer_client):
    answer = viewer_client.get("/api/shop/limits")

    assert answer.status_code == 200
    assert answer.get_json()["data"] == {"limits": NO_LIMITS}


def test_an_admin_sets_limits_and_a_later_put_replaces_them(admin_client, viewer_client):
    first = admin_client.put("/api/shop/limits", json={"limits": {"CHECKED_IN": 30, "READY": 120}})
    second = admin_client.put("/api/shop/limits", json={"limits": {"READY": 90, "CHECKED_IN": None}})

    assert first.status_code == 200
    assert first.get_json()["data"]["limits"] == {**NO_LIMITS, "CHECKED_IN": 30, "READY": 120}
    assert second.get_json()["data"]["limits"] == {**NO_LIMITS, "READY": 90}
    assert viewer_client.get("/api/shop/limits").get_json()["data"]["limits"] == {**NO_LIMITS, "READY": 90}


def test_staff_may_not_set_limits(client, admin_client):
    refused = client.put("/api/shop/limits", json={"limits": {"READY": 5}})

    assert refused.status_code == 403
    assert admin_client.get("/api/shop/limits").get_json()["data"]["limits"] == NO_LIMITS


@pytest.mark.parametrize(
    "body",
    [
        {"limits": {"LATER": 30}},
        {"limits": {"READY": 0}},
        {"limits": {"READY": 10081}},
        {"limits": {"READY": "30"}},
        {"limits": {"READY": True}},
        {"limits": {"READY": 30.5}},
        {"limits": []},
        {},
    ],
    ids=["unknown status", "zero", "over a week", "text", "boolean", "fraction", "not an object", "missing"],
)
def test_bad_limits_are_refused_and_change_nothing(admin_client, body):
    admin_client.put("/api/shop/limits", json={"limits": {"READY": 60}})

    refused = admin_client.put("/api/shop/limits", json=body)

    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "validation_error"
    assert admin_client.get("/api/shop/limits").get_json()["data"]["limits"]["READY"] == 60


def test_a_card_that_waited_past_its_status_limit_is_late_on_the_board(admin_client, engine):
    waiting, fresh, unlimited = (
        today_card(status="CHECKED_IN"),
        today_card(status="CHECKED_IN"),
        today_card(status="READY"),
    )
    for card_id in (waiting, unlimited):
        waited(engine, card_id, 31)
    before = board_cards(admin_client)

    admin_client.put("/api/shop/limits", json={"limits": {"CHECKED_IN": 30}})
    after = board_cards(admin_client)

    assert [before[card]["late"] for card in (waiting, fresh, unlimited)] == [False, False, False]
    assert [after[card]["late"] for card in (waiting, fresh, unlimited)] == [True, False, False]


def test_another_shops_limits_never_apply(app, engine, admin_client, client_for):
    card = today_card(status="CHECKED_IN")
    waited(engine, card, 31)
    other = new_shop(engine, "south")
    with acting_for(other):
        south_admin = factories.token_for(factories.UserFactory(username="sue", role="admin"))
        factories.Session.commit()
    south = client_for(app, {"Authorization": f"Bearer {south_admin}"})

    south.put("/api/shop/limits", json={"limits": {"CHECKED_IN": 1}})

    assert admin_client.get("/api/shop/limits").get_json()["data"]["limits"] == NO_LIMITS
    assert board_cards(admin_client)[card]["late"] is False
    assert south.get("/api/shop/limits").get_json()["data"]["limits"]["CHECKED_IN"] == 1


# ---- how displays show customers


def test_an_admin_turns_initials_on_for_displays_and_others_only_read_it(admin_client, client, viewer_client):
    default = viewer_client.get("/api/shop/display").get_json()["data"]
    refused = client.put("/api/shop/display", json={"initials": True})
    turned_on = admin_client.put("/api/shop/display", json={"initials": True})
    not_a_boolean = admin_client.put("/api/shop/display", json={"initials": "yes"})

    assert default == {"initials": False}
    assert refused.status_code == 403
    assert turned_on.get_json()["data"] == {"initials": True}
    assert not_a_boolean.status_code == 422
    assert viewer_client.get("/api/shop/display").get_json()["data"] == {"initials": True}


def test_setting_initials_keeps_the_limits(admin_client):
    admin_client.put("/api/shop/limits", json={"limits": {"READY": 45}})
    admin_client.put("/api/shop/display", json={"initials": True})

    assert admin_client.get("/api/shop/limits").get_json()["data"]["limits"]["READY"] == 45


# ---- displays


def make_display(admin_client, name="Workshop TV") -> dict:
    made = admin_client.post("/api/displays", json={"name": name})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["data"]


def paired_screen(app, code: str):
    screen = app.test_client()
    answer = screen.post("/api/displays/pair", json={"code": code})
    assert answer.status_code == 200, answer.get_json()
    return screen


def test_a_display_pairs_once_by_its_code_and_reads_the_board_as_a_viewer(app, admin_client, engine):
    card = today_card()
    display = make_display(admin_client)

    screen = paired_screen(app, display["code"])
    again = app.test_client().post("/api/displays/pair", json={"code": display["code"]})
    me = screen.get("/api/me").get_json()["data"]

    assert display["link"] == f"/display#{display['code']}" and display["paired_at"] is None
    assert again.status_code == 401
    assert me["role"] == "viewer" and me["username"] == "ada"
    assert card in board_cards(screen)
    cookie = screen.get_cookie(COOKIE_NAME)
    assert cookie.http_only and cookie.value != display["code"]
    with as_operator(), engine.connect() as conn:
        stored = conn.execute(text("SELECT pairing_code_hash, secret_hash, paired_at FROM displays")).one()
    # Only hashes are kept, and the code is spent.
    assert stored.pairing_code_hash is None and stored.secret_hash == secret_hash(cookie.value)
    assert stored.paired_at is not None


def test_a_display_never_acts_above_a_viewer(app, admin_client):
    card = today_card()
    screen = paired_screen(app, make_display(admin_client)["code"])

    attempts = {
        "move": screen.post(f"/api/appointments/{card}/move", json={"status": "READY", "version": 1}),
        "token": screen.post("/api/tokens", json={"label": "escape"}),
        "password": screen.post(
            "/api/me/password", json={"current_password": "x", "new_password": "a long new passphrase"}
        ),
        "people": screen.get("/api/users"),
        "limits": screen.put("/api/shop/limits", json={"limits": {}}),
        "displays": screen.post("/api/displays", json={"name": "another"}),
    }

    assert {what: answer.status_code for what, answer in attempts.items()} == {what: 403 for what in attempts}


def test_an_unknown_or_expired_code_does_not_pair(app, admin_client, engine):
    display = make_display(admin_client)
    with as_operator(), engine.begin() as conn:
        conn.execute(text("UPDATE displays SET pairing_expires_at = now() - interval '1 second'"))

    expired = app.test_client().post("/api/displays/pair", json={"code": display["code"]})
    unknown = app.test_client().post("/api/displays/pair", json={"code": "board_guess"})

    assert expired.status_code == 401 and unknown.status_code == 401
    assert expired.get_json()["error"]["code"] == "unauthenticated"


def test_revoking_a_display_signs_its_screen_out_at_once(app, admin_client):
    display = make_display(admin_client)
    screen = paired_screen(app, display["code"])
    listed = admin_client.get("/api/displays").get_json()["data"]

    revoked = admin_client.delete(f"/api/displays/{display['id']}")

    assert [(row["id"], row["name"], row["paired_at"] is not None) for row in listed] == [
        (display["id"], "Workshop TV", True)
    ]
    assert "code" not in listed[0]
    assert revoked.status_code == 200
    assert screen.get("/api/board").status_code == 401
    assert admin_client.get("/api/displays").get_json()["data"] == []
    assert admin_client.delete(f"/api/displays/{display['id']}").status_code == 404


def test_only_admins_with_a_full_credential_manage_displays(app, client, client_for, admin_client):
    admin = factories.UserFactory(username="al", role="admin")
    limited = client_for(app, {"Authorization": f"Bearer {factories.token_for(admin, role='staff')}"})

    assert client.post("/api/displays", json={"name": "TV"}).status_code == 403
    assert client.get("/api/displays").status_code == 403
    assert limited.post("/api/displays", json={"name": "TV"}).status_code == 403
    assert admin_client.get("/api/displays").get_json()["data"] == []


def test_a_display_of_one_shop_never_sees_another_shops_cards_or_displays(app, engine, admin_client, client_for):
    own = today_card()
    other = new_shop(engine, "south")
    with acting_for(other):
        foreign = today_card()
        south_admin = factories.token_for(factories.UserFactory(username="sue", role="admin"))
        factories.Session.commit()
    south = client_for(app, {"Authorization": f"Bearer {south_admin}"})
    screen = paired_screen(app, make_display(admin_client)["code"])
    make_display(south, "South TV")

    assert set(board_cards(screen)) == {own}
    # A display reads no single card at all (test_display_initials), so none of another shop's either.
    assert screen.get(f"/api/appointments/{foreign}").status_code == 403
    assert [row["name"] for row in admin_client.get("/api/displays").get_json()["data"]] == ["Workshop TV"]
    south_display = south.get("/api/displays").get_json()["data"][0]
    assert admin_client.delete(f"/api/displays/{south_display['id']}").status_code == 404
    assert screen.get("/api/me").get_json()["data"]["shop"]["slug"] == "main"


def test_a_display_name_is_required_text(admin_client):
    assert admin_client.post("/api/displays", json={"name": "  "}).status_code == 422
    assert admin_client.post("/api/displays", json={}).status_code == 422
