"""The board's ETag: 304 while nothing in the range changed, a new ETag once something did."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.factories import AppointmentFactory

DAY = "2026-03-10"
BOARD = f"/api/board?from={DAY}&to={DAY}"


def at(hour: int) -> datetime:
    return datetime(2026, 3, 10, hour, tzinfo=UTC)


def revalidate(client, etag):
    return client.get(BOARD, headers={"If-None-Match": etag})


def test_board_has_an_etag_and_answers_304_with_it_when_unchanged(client):
    AppointmentFactory(scheduled_at=at(9))
    first = client.get(BOARD)
    etag = first.headers["ETag"]

    again = revalidate(client, etag)

    assert first.status_code == 200
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["Cache-Control"] == "no-cache, private"
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert again.data == b""


def test_a_move_changes_the_etag_and_the_old_one_gets_200(client):
    card = AppointmentFactory(scheduled_at=at(9))
    etag = client.get(BOARD).headers["ETag"]

    assert client.post(f"/api/appointments/{card.id}/move", json={"status": "READY", "version": 1}).status_code == 200
    after = revalidate(client, etag)

    assert after.status_code == 200
    assert after.headers["ETag"] != etag
    assert after.get_json()["data"]["columns"][3]["cards"][0]["version"] == 2
    assert revalidate(client, after.headers["ETag"]).status_code == 304


def test_a_card_leaving_or_entering_the_range_changes_the_etag(client, engine):
    staying = AppointmentFactory(scheduled_at=at(9))
    leaving = AppointmentFactory(scheduled_at=at(10))
    etag = client.get(BOARD).headers["ETag"]

    with engine.begin() as conn:  # rescheduled behind the API's back, to the next day
        conn.execute(
            text("UPDATE appointments SET scheduled_at = scheduled_at + interval '1 day' WHERE id = :id"),
            {"id": leaving.id},
        )
    after_leaving = revalidate(client, etag)
    AppointmentFactory(scheduled_at=at(11))
    after_entering = revalidate(client, after_leaving.headers["ETag"])

    assert after_leaving.status_code == 200
    assert [c["id"] for c in after_leaving.get_json()["data"]["columns"][0]["cards"]] == [staying.id]
    assert after_entering.status_code == 200
    assert len(after_entering.get_json()["data"]["columns"][0]["cards"]) == 2


def test_changes_outside_the_range_keep_the_etag(client):
    AppointmentFactory(scheduled_at=at(9))
    etag = client.get(BOARD).headers["ETag"]
    other_day = AppointmentFactory(scheduled_at=at(9) + timedelta(days=1))
    client.post(f"/api/appointments/{other_day.id}/move", json={"status": "READY", "version": 1})

    assert revalidate(client, etag).status_code == 304


def test_another_range_has_another_etag_even_when_both_are_empty(client):
    one = client.get(BOARD).headers["ETag"]
    other = client.get("/api/board?from=2026-03-11").headers["ETag"]

    assert one != other
    assert client.get("/api/board?from=2026-03-11", headers={"If-None-Match": one}).status_code == 200
