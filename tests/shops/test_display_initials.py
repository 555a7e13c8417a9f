"""A display whose shop shows initials never receives a customer's full name: not on the board, its stream, or any route."""

import json
import re
from datetime import UTC, datetime

import pytest

from board.appointments.card_json import initials
from board.shops.displays import COOKIE_NAME
from tests import factories
from tests.helpers import EventStream, api_data, http_json
from tests.served import granian

FULL_NAME = "Grace Hopper"
SHOWN = "G. H."


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Ada Lovelace", "A. L."),
        ("  jean-luc   picard ", "J. P."),
        ("Ørjan", "Ø."),
        ("𝒜bc def", "𝒜. D."),
        ("émile\tzola", "É. Z."),
    ],
)
def test_initials_keep_the_first_letter_of_each_word_uppercased(name, shown):
    assert initials(name) == shown


def today_card() -> int:
    card_id = factories.AppointmentFactory(scheduled_at=datetime.now(UTC), customer=FULL_NAME).id
    factories.Session.commit()
    return card_id


def screen_of(app, admin_client):
    code = admin_client.post("/api/displays", json={"name": "Waiting room"}).get_json()["data"]["code"]
    screen = app.test_client()
    assert screen.post("/api/displays/pair", json={"code": code}).status_code == 200
    return screen


def initials_on(admin_client, on: bool = True) -> None:
    assert admin_client.put("/api/shop/display", json={"initials": on}).status_code == 200


def customers(client) -> list[str]:
    board = client.get("/api/board").get_json()["data"]
    return [card["customer"] for column in board["columns"] for card in column["cards"]]


def test_a_display_gets_initials_on_the_board_only_when_its_shop_asks(app, admin_client):
    today_card()
    screen = screen_of(app, admin_client)

    before = customers(screen)
    initials_on(admin_client)
    after = customers(screen)
    initials_on(admin_client, False)

    assert (before, after, customers(screen)) == ([FULL_NAME], [SHOWN], [FULL_NAME])


def test_people_keep_full_names_when_displays_show_initials(app, admin_client, client, anonymous):
    today_card()
    initials_on(admin_client)
    signed_in = anonymous.post("/api/session", json={"username": "ada", "password": factories.PASSWORD})
    assert signed_in.status_code == 200, signed_in.get_json()

    assert customers(admin_client) == customers(client) == customers(anonymous) == [FULL_NAME]


def test_the_boards_etag_differs_between_initials_and_full_names(app, admin_client):
    today_card()
    screen = screen_of(app, admin_client)
    full = screen.get("/api/board")

    initials_on(admin_client)
    revalidated = screen.get("/api/board", headers={"If-None-Match": full.headers["ETag"]})
    person = admin_client.get("/api/board")

    assert revalidated.status_code == 200 and revalidated.headers["ETag"] != full.headers["ETag"]
    assert SHOWN in revalidated.get_data(as_text=True)
    assert FULL_NAME in person.get_data(as_text=True) and person.headers["ETag"] != revalidated.headers["ETag"]


def display_routes(app) -> list:
    return [
        rule for rule in app.url_map.iter_rules() if getattr(app.view_functions[rule.endpoint], "for_displays", False)
    ]


def test_no_route_a_display_may_call_answers_a_full_name(app, admin_client):
    card = today_card()
    initials_on(admin_client)
    screen = screen_of(app, admin_client)

    answers = {
        rule.rule: screen.get(rule.build({"appointment_id": card}, append_unknown=False)[1])
        for rule in display_routes(app)
    }

    assert set(answers) == {"/api/board", "/api/events", "/api/me", "/api/shop/limits", "/api/shop/display"}
    assert {path: answer.status_code for path, answer in answers.items()} == {path: 200 for path in answers}
    assert [path for path, answer in answers.items() if FULL_NAME in answer.get_data(as_text=True)] == []


def test_a_display_is_refused_every_other_route_such_as_a_card_its_history_and_tokens(app, admin_client):
    card = today_card()
    screen = screen_of(app, admin_client)
    refused = {
        "card": screen.get(f"/api/appointments/{card}"),
        "history": screen.get(f"/api/appointments/{card}/history"),
        "tokens": screen.get("/api/tokens"),
        "metrics": screen.get("/metrics"),
    }

    assert {what: answer.status_code for what, answer in refused.items()} == {what: 403 for what in refused}
    assert refused["card"].get_json()["error"]["code"] == "forbidden"
    assert all(FULL_NAME not in answer.get_data(as_text=True) for answer in refused.values())
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule in display_routes(app) or getattr(view, "required_role", "public") == "public":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            path = rule.build(
                {
                    "appointment_id": card,
                    "token_id": 1,
                    "user_id": 1,
                    "display_id": 1,
                    "webhook_id": 1,
                    "delivery_id": 1,
                },
                append_unknown=False,
            )[1]
            answer = screen.open(path, method=method, headers={"Origin": "http://localhost"})
            assert answer.status_code == 403, (method, rule.rule, answer.get_json())


# ---- the live stream, served by Granian as in production


@pytest.fixture(scope="module")
def live(database_url):
    with granian(database_url, workers=1, threads=4) as server:
        yield server


@pytest.fixture
def admin_headers(app):
    admin = factories.UserFactory(username="ada", name="Ada Admin", role="admin")
    return {"Authorization": f"Bearer {factories.token_for(admin)}"}


@pytest.fixture
def screen_headers(live, admin_headers) -> dict:
    code = api_data(live, "POST", "/api/displays", admin_headers, {"name": "Waiting room"})["code"]
    _, _, headers = http_json("POST", f"{live.url}/api/displays/pair", {"code": code})
    set_cookie = next(value for name, value in headers.items() if name.lower() == "set-cookie")
    secret = re.search(rf"{COOKIE_NAME}=([^;]+)", set_cookie).group(1)
    return {"Cookie": f"{COOKIE_NAME}={secret}"}


def set_initials(server, admin_headers, on: bool) -> None:
    api_data(server, "PUT", "/api/shop/display", admin_headers, {"initials": on})


def new_card(server, headers) -> dict:
    body = {"title": "Check-up", "customer": FULL_NAME, "scheduled_at": "2026-12-24T09:00:00Z"}
    return api_data(server, "POST", "/api/appointments", headers, body)


def move(server, headers, card: dict, status: str) -> dict:
    return api_data(
        server, "POST", f"/api/appointments/{card['id']}/move", headers, {"status": status, "version": card["version"]}
    )


def test_a_displays_stream_carries_initials_in_replay_and_live_while_a_persons_carries_names(
    live, app, api_headers, admin_headers, screen_headers
):
    set_initials(live, admin_headers, True)
    card = new_card(live, api_headers)
    with EventStream(live.port, screen_headers, after="0") as screen, EventStream(live.port, api_headers) as person:
        replayed = screen.read()
        moved = move(live, api_headers, card, "CHECKED_IN")
        live_event, persons = screen.read(), person.read()

    assert [e["data"]["card"]["customer"] for e in (replayed, live_event)] == [SHOWN, SHOWN]
    assert FULL_NAME not in json.dumps([replayed, live_event])
    assert live_event["data"]["card"] == {**moved, "customer": SHOWN}
    assert persons["data"]["card"] == moved and persons["id"] == live_event["id"]


def test_a_displays_open_stream_follows_the_setting_from_the_next_change(
    live, app, api_headers, admin_headers, screen_headers
):
    card = new_card(live, api_headers)
    with EventStream(live.port, screen_headers) as screen:
        card = move(live, api_headers, card, "CHECKED_IN")
        while_off = screen.read()
        set_initials(live, admin_headers, True)
        move(live, api_headers, card, "READY")
        while_on = screen.read()

    assert while_off["data"]["card"]["customer"] == FULL_NAME
    assert while_on["data"]["card"]["customer"] == SHOWN
    assert FULL_NAME not in json.dumps(while_on)
