"""The board PostgreSQL builds is the board schemas.board_out shapes, value for value, awkward values included."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from board.appointments import cards, schemas
from board.db import as_operator
from board.shops import limits
from tests.factories import AppointmentFactory

DAY = date(2026, 3, 10)
AWKWARD = [
    # (title, customer, notes, microseconds)
    ('Quote " and \\ backslash </script>', "  jean-luc   picard ", "line\nbreak\ttab", 123400),
    ("Ørjan's 🚗 tyres", "ßtraße ǆemal 𝒜da", "", 0),
    ("Zero-width\u200bspace", "émile\u00a0zola\u3000ŉ", "ünïcödé notes", 1),
    ("Plain", "Ada Lovelace", "", 999999),
]


@pytest.mark.parametrize("initials", [False, True], ids=["full names", "initials"])
def test_the_board_postgresql_builds_equals_the_python_shape(app, engine, initials):
    made = [
        AppointmentFactory(
            title=title,
            customer=customer,
            notes=notes,
            scheduled_at=datetime(2026, 3, 10, 9, tzinfo=UTC) + timedelta(microseconds=micros),
        )
        for title, customer, notes, micros in AWKWARD
    ]
    AppointmentFactory(scheduled_at=datetime(2026, 3, 10, 8, tzinfo=UTC), status="READY")
    settings = limits.set_limits(engine, {"SCHEDULED": 30, "READY": 60})
    limits.set_display_initials(engine, True)
    with as_operator(), engine.begin() as conn:  # two waited past their limit, one just short of it
        for card, minutes in ((made[0], 31), (made[2], 29), (made[3], 30)):
            conn.execute(
                text("UPDATE appointments SET status_since = now() - make_interval(mins => :m) WHERE id = :id"),
                {"m": minutes, "id": card.id},
            )
    now = datetime.now(UTC)

    built = cards.board_cards(engine, DAY, DAY, UTC, now, initials)
    body = json.loads(schemas.board_body(DAY, DAY, "UTC", built.columns))
    rows = cards.cards_on_days(engine, DAY, DAY, UTC)
    expected = schemas.board_out(DAY, DAY, "UTC", rows, limits.lateness(settings, now), initials)

    assert body == {"ok": True, "data": expected}
    late = {card["id"]: card["late"] for card in expected["columns"][0]["cards"]}
    assert [late[card.id] for card in made] == [True, False, False, True]
    assert built.late_from == min(row.status_since for row in rows if row.id == made[2].id) + timedelta(minutes=30)


def test_the_board_shows_each_card_as_it_is_after_every_kind_of_write(client):
    def board_card(card_id: int) -> dict | None:
        answer = client.get(f"/api/board?from={DAY}&to={DAY}")
        assert answer.status_code == 200
        found = [card for column in answer.get_json()["data"]["columns"] for card in column["cards"]]
        return next((card for card in found if card["id"] == card_id), None)

    def as_read(card_id: int) -> dict:
        return {**client.get(f"/api/appointments/{card_id}").get_json()["data"], "late": False}

    created = client.post(
        "/api/appointments",
        json={"title": "Brakes", "customer": "Ada", "scheduled_at": f"{DAY}T09:00:00.120000+00:00"},
    ).get_json()["data"]
    card_id = created["id"]
    assert board_card(card_id) == as_read(card_id)

    writes = [
        ("post", "move", {"status": "IN_PROGRESS"}),
        ("patch", "", {"title": 'Brakes "front"'}),
        ("patch", "", {"customer": "Ada Lovelace", "notes": "call first\nthen start"}),
        ("patch", "", {"scheduled_at": f"{DAY}T10:30:00+00:00"}),
        ("post", "move", {"status": "READY"}),
    ]
    for version, (method, path, body) in enumerate(writes, start=1):
        answer = getattr(client, method)(
            f"/api/appointments/{card_id}/{path}".rstrip("/"), json={**body, "version": version}
        )
        assert answer.status_code == 200, answer.get_json()
        assert board_card(card_id) == as_read(card_id)
    assert as_read(card_id)["version"] == 6

    assert client.delete(f"/api/appointments/{card_id}?version=6").status_code == 200
    assert board_card(card_id) is None
