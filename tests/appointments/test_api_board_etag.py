"""The board's ETag: 304 while nothing in the range changed, a new ETag once something did."""

from datetime import UTC, datetime, timedelta

import pytest

from board.appointments import api
from tests.factories import AppointmentFactory
from tests.round_trips import counting_round_trips

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


def test_a_card_leaving_or_entering_the_range_changes_the_etag(client):
    staying = AppointmentFactory(scheduled_at=at(9))
    leaving = AppointmentFactory(scheduled_at=at(10))
    etag = client.get(BOARD).headers["ETag"]

    next_day = (at(10) + timedelta(days=1)).isoformat()
    edited = client.patch(f"/api/appointments/{leaving.id}", json={"version": 1, "scheduled_at": next_day})
    after_leaving = revalidate(client, etag)
    AppointmentFactory(scheduled_at=at(11))
    after_entering = revalidate(client, after_leaving.headers["ETag"])

    assert edited.status_code == 200
    assert after_leaving.status_code == 200
    assert [c["id"] for c in after_leaving.get_json()["data"]["columns"][0]["cards"]] == [staying.id]
    assert after_entering.status_code == 200
    assert len(after_entering.get_json()["data"]["columns"][0]["cards"]) == 2


def test_a_change_on_another_day_answers_200_with_the_same_board(client):
    # The ETag names the shop's change sequence, not the cards of these days: reading them to
    # tell would cost what a 304 saves.
    AppointmentFactory(scheduled_at=at(9))
    first = client.get(BOARD)
    other_day = AppointmentFactory(scheduled_at=at(9) + timedelta(days=1))
    client.post(f"/api/appointments/{other_day.id}/move", json={"status": "READY", "version": 1})
    again = revalidate(client, first.headers["ETag"])

    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert revalidate(client, again.headers["ETag"]).status_code == 304


def test_another_range_has_another_etag_even_when_both_are_empty(client):
    one = client.get(BOARD).headers["ETag"]
    other = client.get("/api/board?from=2026-03-11").headers["ETag"]

    assert one != other
    assert client.get("/api/board?from=2026-03-11", headers={"If-None-Match": one}).status_code == 200


def test_a_304_costs_only_the_credential_lookup_and_a_200_one_statement_more(make_app, client_for, database_url, app):
    AppointmentFactory(scheduled_at=at(9))
    with counting_round_trips(database_url) as trips:
        client = client_for(make_app(DATABASE_URL=trips.url.render_as_string(hide_password=False)))
        assert client.get("/healthz").status_code == 200  # connects, outside the count
        trips.reset()
        first = client.get(BOARD)
        read = trips.count
        trips.reset()
        again = revalidate(client, first.headers["ETag"])
        revalidated = trips.count

    assert (first.status_code, again.status_code) == (200, 304)
    assert (read, revalidated) == (2, 1)


def edit(client, card):
    return client.patch(f"/api/appointments/{card.id}", json={"version": 1, "notes": "rattles"})


def delete(client, card):
    return client.delete(f"/api/appointments/{card.id}?version=1")


def create(client, card):
    return client.post("/api/appointments", json={"title": "t", "customer": "c", "scheduled_at": at(11).isoformat()})


def move_it(client, card):
    return client.post(f"/api/appointments/{card.id}/move", json={"status": "READY", "version": 1})


def limits(client, card):
    return client.put("/api/shop/limits", json={"limits": {"SCHEDULED": 30}})


@pytest.mark.parametrize("change", [create, move_it, edit, delete, limits])
def test_every_kind_of_change_changes_the_etag(admin_client, change):
    card = AppointmentFactory(scheduled_at=at(9))
    etag = admin_client.get(BOARD).headers["ETag"]

    assert change(admin_client, card).status_code in (200, 201)
    after = revalidate(admin_client, etag)

    assert after.status_code == 200 and after.headers["ETag"] != etag


class Clock(datetime):
    """The route's clock, set by the test: the body and the ETag's expiry follow it alike."""

    moment = datetime.now(UTC)

    @classmethod
    def now(cls, tz=None):
        return cls.moment


def test_a_card_turning_late_changes_the_etag_at_that_moment(admin_client, monkeypatch):
    monkeypatch.setattr(api, "datetime", Clock)
    card = AppointmentFactory(scheduled_at=at(9))
    assert admin_client.put("/api/shop/limits", json={"limits": {"SCHEDULED": 30}}).status_code == 200
    since = datetime.fromisoformat(admin_client.get(f"/api/appointments/{card.id}").get_json()["data"]["status_since"])
    Clock.moment = since + timedelta(minutes=29)
    first = admin_client.get(BOARD)

    Clock.moment = since + timedelta(minutes=30) - timedelta(microseconds=1)
    just_before = revalidate(admin_client, first.headers["ETag"])
    Clock.moment = since + timedelta(minutes=30)
    turned = revalidate(admin_client, first.headers["ETag"])
    Clock.moment = since + timedelta(days=3)
    later = revalidate(admin_client, turned.headers["ETag"])

    assert first.get_json()["data"]["columns"][0]["cards"][0]["late"] is False
    assert just_before.status_code == 304
    assert turned.status_code == 200 and turned.get_json()["data"]["columns"][0]["cards"][0]["late"] is True
    assert later.status_code == 304  # late for good: the clock no longer matters
