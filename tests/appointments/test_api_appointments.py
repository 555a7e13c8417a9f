"""Creating, reading and listing appointments."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from board.db import as_operator
from board.models import STATUSES
from tests.factories import AppointmentFactory


def create(client, **overrides):
    body = {"title": "Oil change", "customer": "Ada Lovelace", "scheduled_at": "2026-11-22T09:30:00+01:00"}
    body.update(overrides)
    return client.post("/api/appointments", json=body)


def test_create_returns_201_card_and_location(client):
    response = create(client)

    assert response.status_code == 201
    card = response.get_json()["data"]
    assert response.headers["Location"] == f"/api/appointments/{card['id']}"
    assert card["title"] == "Oil change"
    assert card["customer"] == "Ada Lovelace"
    assert card["scheduled_at"] == "2026-11-22T08:30:00+00:00"
    assert card["status"] == "SCHEDULED"
    assert card["version"] == 1
    assert datetime.fromisoformat(card["updated_at"]).utcoffset() == timedelta(0)
    assert card["notes"] == ""
    assert set(card) == {
        "id",
        "title",
        "customer",
        "scheduled_at",
        "notes",
        "status",
        "version",
        "updated_at",
        "status_since",
    }


def test_create_accepts_an_initial_status_and_trims_text(client):
    response = create(client, status="CHECKED_IN", title="  Tyre swap  ")

    assert response.status_code == 201
    assert response.get_json()["data"]["status"] == "CHECKED_IN"
    assert response.get_json()["data"]["title"] == "Tyre swap"


def test_created_card_can_be_read_back(client):
    created = create(client).get_json()["data"]

    response = client.get(f"/api/appointments/{created['id']}")

    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "data": created}


def test_unknown_appointment_is_404_in_envelope(client):
    response = client.get("/api/appointments/987654")

    assert response.status_code == 404
    assert response.get_json()["ok"] is False
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/api/appointments/abc",
        "/api/appointments/-1",
        "/api/appointments/0",
        "/api/appointments/9223372036854775808",
        "/api/appointments/99999999999999999999999",
    ],
)
def test_impossible_id_in_path_is_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_history_of_a_new_card_is_its_creation_and_of_a_missing_card_404(client):
    created = create(client).get_json()["data"]

    items = client.get(f"/api/appointments/{created['id']}/history").get_json()["data"]

    assert items == [
        {
            "kind": "created",
            "version": 1,
            "at": created["updated_at"],
            "by": {"username": "sam", "name": "Sam Staff", "token": "tests"},
        }
    ]
    assert client.get("/api/appointments/424242/history").status_code == 404


def test_history_lists_moves_oldest_first(client):
    card = AppointmentFactory()
    client.post(f"/api/appointments/{card.id}/move", json={"status": "CHECKED_IN", "version": 1})
    client.post(f"/api/appointments/{card.id}/move", json={"status": "IN_PROGRESS", "version": 2})

    items = client.get(f"/api/appointments/{card.id}/history").get_json()["data"]

    assert [i["kind"] for i in items] == ["created", "moved", "moved"]
    moved = items[1:]
    assert [(i["from_status"], i["to_status"], i["version"]) for i in moved] == [
        ("SCHEDULED", "CHECKED_IN", 2),
        ("CHECKED_IN", "IN_PROGRESS", 3),
    ]
    assert all(datetime.fromisoformat(i["moved_at"]).utcoffset() == timedelta(0) for i in moved)
    assert all(i["moved_at"] == i["at"] for i in moved), "a move item keeps moved_at for older scripts"


def cards_by_column(board):
    return {column["status"]: [card["id"] for card in column["cards"]] for column in board["columns"]}


def test_board_has_all_columns_in_order_with_cards_by_time_then_id(client):
    day = date(2026, 3, 10)
    at = lambda hour: datetime(2026, 3, 10, hour, tzinfo=UTC)  # noqa: E731
    late = AppointmentFactory(scheduled_at=at(15))
    early = AppointmentFactory(scheduled_at=at(9))
    same_time_later_id = AppointmentFactory(scheduled_at=at(9))
    ready = AppointmentFactory(scheduled_at=at(11), status="READY")
    AppointmentFactory(scheduled_at=at(9) + timedelta(days=1))

    response = client.get(f"/api/board?from={day}&to={day}")

    assert response.status_code == 200
    board = response.get_json()["data"]
    assert (board["from"], board["to"]) == ("2026-03-10", "2026-03-10")
    assert [column["status"] for column in board["columns"]] == list(STATUSES)
    columns = cards_by_column(board)
    assert columns["SCHEDULED"] == [early.id, same_time_later_id.id, late.id]
    assert columns["READY"] == [ready.id]
    assert sum(len(ids) for ids in columns.values()) == 4


def test_board_without_dates_is_today_and_one_date_means_that_day(client):
    today = datetime.now(UTC).date()
    todays = AppointmentFactory(scheduled_at=datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=12))
    AppointmentFactory(scheduled_at=datetime(2026, 1, 5, 12, tzinfo=UTC))

    board = client.get("/api/board").get_json()["data"]
    assert (board["from"], board["to"]) == (today.isoformat(), today.isoformat())
    assert cards_by_column(board)["SCHEDULED"] == [todays.id]

    only_to = client.get("/api/board?to=2026-01-05").get_json()["data"]
    assert (only_to["from"], only_to["to"]) == ("2026-01-05", "2026-01-05")
    assert len(cards_by_column(only_to)["SCHEDULED"]) == 1


def test_board_days_are_counted_in_the_shops_timezone(engine, client):
    # 23:30 UTC on the 9th is 08:30 on the 10th in Tokyo.
    card = AppointmentFactory(scheduled_at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC))

    utc_board = client.get("/api/board?from=2026-03-10").get_json()["data"]
    with as_operator(), engine.begin() as conn:
        conn.execute(text("UPDATE shops SET timezone = 'Asia/Tokyo'"))
    board = client.get("/api/board?from=2026-03-10").get_json()["data"]

    assert cards_by_column(board)["SCHEDULED"] == [card.id]
    assert board["timezone"] == "Asia/Tokyo"
    assert cards_by_column(utc_board)["SCHEDULED"] == []


def test_board_accepts_31_days_inclusive(client):
    response = client.get("/api/board?from=2026-01-01&to=2026-01-31")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "query, field",
    [
        ("from=2026-01-10&to=2026-01-09", "to"),
        ("from=2026-01-01&to=2026-02-01", "to"),
        ("from=2026-02-30", "from"),
        ("to=2026-13-01", "to"),
        ("from=yesterday", "from"),
    ],
)
def test_bad_board_range_is_422_naming_the_field(client, query, field):
    response = client.get(f"/api/board?{query}")

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize("appointment_id", ["0", "9223372036854775808", "007"])
def test_an_id_out_of_range_is_not_found_whatever_the_method(client, method, appointment_id):
    # Found by Schemathesis: werkzeug answered 405 when the GET rule matched the path's shape.
    response = client.open(f"/api/appointments/{appointment_id}?version=1", method=method, json={"version": 1})

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
