"""Editing and deleting cards: the same version check, the same retry, and one event per version."""

import pytest
from sqlalchemy import text

from tests.factories import AppointmentFactory
from tests.helpers import counting_statements, table_rows


def create(client, **fields):
    body = {"title": "Oil change", "customer": "Jon", "scheduled_at": "2026-12-02T09:00:00+00:00", **fields}
    return client.post("/api/appointments", json=body).get_json()["data"]


def patch(client, card_id, **body):
    return client.patch(f"/api/appointments/{card_id}", json=body)


def events(engine, card_id) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT version, kind, changes FROM appointment_events WHERE appointment_id = :id ORDER BY version"),
            {"id": card_id},
        ).all()


def test_patch_changes_the_fields_with_one_update_and_records_what_changed(client, engine):
    card = create(client)

    with counting_statements("UPDATE appointments") as updates:
        response = patch(
            client, card["id"], version=1, customer="John", notes="Rattle on the left\nfront wheel", title="Oil change"
        )

    assert response.status_code == 200
    data = response.get_json()["data"]
    assert (data["version"], data["customer"], data["notes"], data["title"]) == (
        2,
        "John",
        "Rattle on the left\nfront wheel",
        "Oil change",
    )
    assert len(updates) == 1
    assert events(engine, card["id"]) == [
        (1, "created", None),
        (
            2,
            "edited",
            {"customer": {"from": "Jon", "to": "John"}, "notes": {"from": "", "to": "Rattle on the left\nfront wheel"}},
        ),
    ]
    item = client.get(f"/api/appointments/{card['id']}/history").get_json()["data"][-1]
    assert item["kind"] == "edited" and item["by"]["username"] == "sam"
    assert item["changes"]["customer"] == {"from": "Jon", "to": "John"}


def test_rescheduling_records_both_times_in_utc(client):
    card = create(client)

    response = patch(client, card["id"], version=1, scheduled_at="2026-12-03T14:30:00+01:00")

    assert response.get_json()["data"]["scheduled_at"] == "2026-12-03T13:30:00+00:00"
    item = client.get(f"/api/appointments/{card['id']}/history").get_json()["data"][-1]
    assert item["changes"] == {"scheduled_at": {"from": "2026-12-02T09:00:00+00:00", "to": "2026-12-03T13:30:00+00:00"}}


def test_a_patch_that_changes_nothing_still_counts_as_a_change(client, engine):
    card = create(client)

    response = patch(client, card["id"], version=1, title="Oil change")

    assert response.status_code == 200 and response.get_json()["data"]["version"] == 2
    assert events(engine, card["id"])[-1] == (2, "edited", {})


def test_stale_patch_is_409_with_the_current_card_and_changes_nothing(client, engine):
    card = create(client)
    patch(client, card["id"], version=1, customer="John")
    before = table_rows(engine)

    response = patch(client, card["id"], version=1, notes="mine")

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "version_conflict"
    assert (error["current"]["customer"], error["current"]["version"]) == ("John", 2)
    assert table_rows(engine) == before


def test_patch_of_a_missing_card_is_404(client):
    assert patch(client, 424242, version=1, notes="x").status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"version": 1, "colour": "red"}, "colour"),
        ({"version": 1}, "_schema"),
        ({"version": 1, "status": "READY"}, "status"),
        ({"version": 1, "notes": "x" * 2001}, "notes"),
        ({"version": 1, "notes": "bell\x07"}, "notes"),
        ({"version": 1, "scheduled_at": "2026-12-02T09:00:00"}, "scheduled_at"),
        ({"version": "1", "notes": "x"}, "version"),
        ({"version": 1.5, "notes": "x"}, "version"),
        ({"notes": "x"}, "version"),
        ({"version": 1, "title": "   "}, "title"),
    ],
    ids=[
        "unknown-field",
        "empty-patch",
        "status",
        "long-notes",
        "control-char",
        "no-offset",
        "string-version",
        "float-version",
        "missing-version",
        "blank-title",
    ],
)
def test_bad_patch_is_422_naming_the_field_and_changes_nothing(client, engine, body, field):
    card = create(client)
    before = table_rows(engine)

    response = patch(client, card["id"], **body)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]
    if field == "status":
        assert "/move" in " ".join(error["details"]["status"])
    assert table_rows(engine) == before


def test_notes_at_the_limit_are_kept_with_newlines_and_tabs(client):
    notes = ("a\tb\n" * 500)[:2000].strip()

    response = patch(client, create(client)["id"], version=1, notes=notes)

    assert response.status_code == 200 and response.get_json()["data"]["notes"] == notes


def test_delete_takes_the_card_off_everything_but_keeps_its_history(client, engine):
    card = create(client)
    other = create(client, title="Tyre swap")

    response = client.delete(f"/api/appointments/{card['id']}?version=1")

    assert response.status_code == 200
    assert response.get_json()["data"] == {"id": card["id"], "version": 2, "deleted": True}
    assert client.get(f"/api/appointments/{card['id']}").status_code == 404
    assert patch(client, card["id"], version=2, notes="x").status_code == 404
    assert (
        client.post(f"/api/appointments/{card['id']}/move", json={"status": "READY", "version": 2}).status_code == 404
    )
    batch = client.post(
        "/api/moves",
        json={
            "moves": [
                {"id": card["id"], "status": "READY", "version": 2},
                {"id": other["id"], "status": "READY", "version": 1},
            ]
        },
    )
    assert batch.status_code == 404 and batch.get_json()["error"]["missing"] == [card["id"]]
    assert client.delete(f"/api/appointments/{card['id']}?version=2").status_code == 404
    board = client.get("/api/board?from=2026-12-02").get_json()["data"]
    assert [c["id"] for column in board["columns"] for c in column["cards"]] == [other["id"]]
    history = client.get(f"/api/appointments/{card['id']}/history").get_json()["data"]
    assert [(item["kind"], item["version"]) for item in history] == [("created", 1), ("deleted", 2)]


def test_stale_delete_is_409_with_current_and_changes_nothing(client, engine):
    card = create(client)
    patch(client, card["id"], version=1, notes="moved bay")
    before = table_rows(engine)

    response = client.delete(f"/api/appointments/{card['id']}?version=1")

    assert response.status_code == 409
    assert response.get_json()["error"]["current"]["version"] == 2
    assert table_rows(engine) == before


@pytest.mark.parametrize("query", ["", "?version=abc", "?version=0", "?version=1.5", "?version="])
def test_delete_without_an_integer_version_is_422_and_changes_nothing(client, engine, query):
    card = create(client)
    before = table_rows(engine)

    response = client.delete(f"/api/appointments/{card['id']}{query}")

    assert response.status_code == 422
    assert "version" in response.get_json()["error"]["details"]
    assert table_rows(engine) == before


def test_delete_of_a_missing_card_is_404(client):
    assert client.delete("/api/appointments/424242?version=1").status_code == 404


@pytest.mark.parametrize("change", ["patch", "delete"])
def test_one_transient_failure_of_an_edit_or_delete_is_rescued_by_the_same_retry(client, engine, inject_fault, change):
    install, attempts = inject_fault
    card = AppointmentFactory()
    install("40P01", times=1)

    if change == "patch":
        response = patch(client, card.id, version=1, notes="retried")
    else:
        response = client.delete(f"/api/appointments/{card.id}?version=1")

    assert response.status_code == 200 and response.get_json()["data"]["version"] == 2
    assert attempts() == 2
    assert [row[:2] for row in events(engine, card.id)] == [
        (1, "created"),
        (2, "edited" if change == "patch" else "deleted"),
    ]


def test_an_edit_failing_transiently_twice_is_503_and_changes_nothing(client, engine, inject_fault):
    install, attempts = inject_fault
    card = AppointmentFactory()
    install("40001")
    before = table_rows(engine)

    response = patch(client, card.id, version=1, notes="never")

    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert attempts() == 2
    assert table_rows(engine) == before


def test_an_edit_conflict_is_never_retried(client, engine):
    card = create(client)
    patch(client, card["id"], version=1, notes="first")

    with counting_statements("UPDATE appointments") as updates:
        assert patch(client, card["id"], version=1, notes="second").status_code == 409

    assert len(updates) == 1
