"""Moving one card and moving a batch: versions, history, conflicts."""

from board.models import STATUSES
from tests.factories import AppointmentFactory
from tests.helpers import counting_statements, history_rows, move, stored_card, table_rows


def test_move_returns_card_with_next_version_and_writes_history(client, engine):
    card = AppointmentFactory()

    response = move(client, card.id, "CHECKED_IN", 1)

    assert response.status_code == 200
    data = response.get_json()["data"]
    assert (data["id"], data["status"], data["version"]) == (card.id, "CHECKED_IN", 2)
    assert stored_card(engine, card.id) == ("CHECKED_IN", 2)
    assert history_rows(engine, card.id) == [("SCHEDULED", "CHECKED_IN", 2)]


def test_move_to_the_same_status_is_still_a_move(client, engine):
    card = AppointmentFactory(status="READY")

    response = move(client, card.id, "READY", 1)

    assert response.status_code == 200
    assert response.get_json()["data"]["version"] == 2
    assert history_rows(engine, card.id) == [("READY", "READY", 2)]


def test_any_status_may_move_to_any_status(client, engine):
    card = AppointmentFactory()
    version = 1
    for status in reversed(STATUSES):
        response = move(client, card.id, status, version)
        assert response.status_code == 200, status
        version = response.get_json()["data"]["version"]

    assert stored_card(engine, card.id) == ("SCHEDULED", len(STATUSES) + 1)


def test_stale_version_gets_409_with_current_card_after_one_update(client, engine):
    card = AppointmentFactory()
    assert move(client, card.id, "CHECKED_IN", 1).status_code == 200
    before = table_rows(engine)

    with counting_statements("UPDATE appointments") as updates:
        response = move(client, card.id, "CANCELLED", 1)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "version_conflict"
    assert error["current"]["id"] == card.id
    assert (error["current"]["status"], error["current"]["version"]) == ("CHECKED_IN", 2)
    assert len(updates) == 1
    assert table_rows(engine) == before


def test_move_of_missing_card_is_404_and_writes_nothing(client, engine):
    before = table_rows(engine)

    response = move(client, 31337, "READY", 1)

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert table_rows(engine) == before


def batch(client, *moves):
    items = [{"id": card_id, "status": status, "version": version} for card_id, status, version in moves]
    return client.post("/api/moves", json={"moves": items})


def test_batch_moves_all_and_answers_in_request_order(client, engine):
    first, second, third = AppointmentFactory.create_batch(3)

    response = batch(client, (third.id, "COMPLETED", 1), (first.id, "READY", 1), (second.id, "CANCELLED", 1))

    assert response.status_code == 200
    cards = response.get_json()["data"]
    assert [(c["id"], c["status"], c["version"]) for c in cards] == [
        (third.id, "COMPLETED", 2),
        (first.id, "READY", 2),
        (second.id, "CANCELLED", 2),
    ]
    assert history_rows(engine, first.id) == [("SCHEDULED", "READY", 2)]
    assert history_rows(engine, third.id) == [("SCHEDULED", "COMPLETED", 2)]


def test_batch_with_a_missing_id_is_404_listing_it_and_moves_nothing(client, engine):
    present = AppointmentFactory()
    before = table_rows(engine)

    response = batch(client, (present.id, "READY", 1), (9001, "READY", 1), (9002, "READY", 5))

    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "not_found"
    assert error["missing"] == [9001, 9002]
    assert table_rows(engine) == before


def test_batch_with_stale_items_is_409_naming_every_one_and_moves_nothing(client, engine):
    fresh, stale_a, stale_b = AppointmentFactory.create_batch(3)
    move(client, stale_a.id, "CHECKED_IN", 1)
    move(client, stale_b.id, "CHECKED_IN", 1)
    move(client, stale_b.id, "IN_PROGRESS", 2)
    before = table_rows(engine)

    response = batch(client, (stale_b.id, "READY", 1), (fresh.id, "READY", 1), (stale_a.id, "READY", 1))

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "version_conflict"
    assert [(c["id"], c["current"]["status"], c["current"]["version"]) for c in error["conflicts"]] == [
        (stale_b.id, "IN_PROGRESS", 3),
        (stale_a.id, "CHECKED_IN", 2),
    ]
    assert table_rows(engine) == before


def test_batch_missing_ids_win_over_stale_versions(client, engine):
    card = AppointmentFactory()

    response = batch(client, (card.id, "READY", 7), (555, "READY", 1))

    assert response.status_code == 404
    assert response.get_json()["error"]["missing"] == [555]
