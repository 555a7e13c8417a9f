"""GET /api/events carries the shop's changes: each kind, replay after an id, reset, shops apart, no gap under load."""

import random
import threading

import pytest
from sqlalchemy import text

from board.db import acting_for, as_operator
from tests import factories
from tests.factories import UserFactory, token_for
from tests.helpers import EventStream, api_data
from tests.served import granian


@pytest.fixture(scope="module")
def live(database_url):
    with granian(database_url, workers=1, threads=4) as server:
        yield server


def new_card(server, headers, **fields):
    body = {"title": "Brakes", "customer": "Ada", "scheduled_at": "2026-12-24T09:00:00Z", **fields}
    return api_data(server, "POST", "/api/appointments", headers, body)


def test_each_kind_of_change_arrives_with_its_card_at_that_version(live, app, api_headers):
    with EventStream(live.port, api_headers) as stream:
        card = new_card(live, api_headers)
        moved = api_data(
            live, "POST", f"/api/appointments/{card['id']}/move", api_headers, {"status": "READY", "version": 1}
        )
        edited = api_data(
            live, "PATCH", f"/api/appointments/{card['id']}", api_headers, {"notes": "pads", "version": 2}
        )
        api_data(live, "DELETE", f"/api/appointments/{card['id']}?version=3", api_headers)
        events = [stream.read() for _ in range(4)]

    assert [(e["event"], e["id"], e["data"]["seq"], e["data"]["kind"]) for e in events] == [
        ("change", "1", 1, "created"), ("change", "2", 2, "moved"), ("change", "3", 3, "edited"), ("change", "4", 4, "deleted"),
    ]  # fmt: skip
    created, move, edit, deleted = (e["data"] for e in events)
    assert created["card"] == card and move["card"] == moved and edit["card"] == edited
    assert (move["from_status"], move["to_status"]) == ("SCHEDULED", "READY")
    assert "from_status" not in edit
    assert deleted["card"] == {"id": card["id"], "version": 4, "deleted": True}
    assert created["by"] == {"username": "sam", "name": "Sam Staff", "token": "tests"}
    assert moved["status_since"] == moved["updated_at"] != card["status_since"]
    assert edited["status_since"] == moved["status_since"]


def test_a_stream_opened_after_an_id_replays_every_later_change_then_goes_live(live, app, api_headers):
    cards = [new_card(live, api_headers, title=f"Card {n}") for n in range(3)]
    with EventStream(live.port, api_headers, after="1") as stream:
        replayed = [stream.read() for _ in range(2)]
        later = new_card(live, api_headers, title="Later")
        live_event = stream.read()

    assert [e["data"]["card"]["id"] for e in replayed] == [cards[1]["id"], cards[2]["id"]]
    assert (live_event["id"], live_event["data"]["card"]) == ("4", later)


@pytest.mark.parametrize("after", ["99", "abc", "-1"])
def test_an_id_beyond_the_last_or_not_a_number_gets_a_reset_at_the_last_change(live, app, api_headers, after):
    new_card(live, api_headers)
    with EventStream(live.port, api_headers, after=after) as stream:
        reset = stream.read()
        later = new_card(live, api_headers)
        following = stream.read()

    assert reset == {"id": "1", "event": "reset", "data": {"seq": 1}}
    assert following["data"]["seq"] == 2 and following["data"]["card"] == later


def test_a_change_in_another_shop_reaches_neither_the_stream_nor_its_replay(live, app, engine, api_headers):
    with as_operator(), engine.begin() as conn:
        other = conn.scalar(
            text("INSERT INTO shops (slug, name, timezone) VALUES ('south', 'South', 'UTC') RETURNING id")
        )
    with acting_for(other):
        other_headers = {"Authorization": f"Bearer {token_for(UserFactory(username='bo', role='staff'))}"}
        factories.Session.commit()
    with EventStream(live.port, api_headers) as stream:
        theirs = new_card(live, other_headers, title="Theirs")
        ours = new_card(live, api_headers, title="Ours")
        first = stream.read()
    with EventStream(live.port, api_headers, after="0") as replay:
        replayed = replay.read()

    assert first["data"]["card"] == ours and first["id"] == "1"
    assert replayed["data"]["card"] == ours
    with EventStream(live.port, other_headers, after="0") as theirs_stream:
        assert theirs_stream.read()["data"]["card"] == theirs


WRITERS = 16
READERS = 20
CHANGES_PER_WRITER = 15


def test_readers_that_drop_and_reconnect_get_every_change_once_in_order_while_16_writers_change_cards(
    live, app, api_headers
):
    cards = [new_card(live, api_headers, title=f"Card {n}") for n in range(WRITERS)]
    first_seq = len(cards)

    def write(card):
        version = card["version"]
        for n in range(CHANGES_PER_WRITER):
            if n % 2:
                version = api_data(
                    live, "PATCH", f"/api/appointments/{card['id']}", api_headers, {"notes": str(n), "version": version}
                )["version"]
            else:
                status = ("READY", "CHECKED_IN")[n // 2 % 2]
                version = api_data(
                    live,
                    "POST",
                    f"/api/appointments/{card['id']}/move",
                    api_headers,
                    {"status": status, "version": version},
                )["version"]

    total = first_seq + WRITERS * CHANGES_PER_WRITER
    received = {reader: [] for reader in range(READERS)}
    failures = []

    def read(reader):
        rng = random.Random(reader)
        last = str(first_seq)
        try:
            while not received[reader] or received[reader][-1]["seq"] < total:
                with EventStream(live.port, api_headers, after=last) as stream:
                    for _ in range(rng.randint(1, 40)):
                        event = stream.read(within_s=10)
                        received[reader].append(event["data"])
                        last = event["id"]
                        if event["data"]["seq"] == total:
                            break
        except Exception as error:  # reported below, with the reader's number
            failures.append((reader, error))

    threads = [threading.Thread(target=read, args=(r,)) for r in range(READERS)]
    threads += [threading.Thread(target=write, args=(card,)) for card in cards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, failures
    for reader, events in received.items():
        assert [e["seq"] for e in events] == list(range(first_seq + 1, total + 1)), f"reader {reader}"
        for card in cards:
            versions = [e["card"]["version"] for e in events if e["card"]["id"] == card["id"]]
            assert versions == list(range(2, CHANGES_PER_WRITER + 2)), f"reader {reader}, card {card['id']}"


def test_a_change_through_one_instance_reaches_a_stream_on_another(live, app, database_url, api_headers):
    with granian(database_url, workers=1, threads=2) as other:
        with EventStream(other.port, api_headers) as stream:
            card = new_card(live, api_headers)
            assert stream.read()["data"]["card"] == card


def test_behind_pgbouncer_in_transaction_mode_the_listener_connects_directly(app, database_url, pgbouncer, api_headers):
    pooled = pgbouncer.url_for(database_url).render_as_string(hide_password=False)
    direct = database_url.render_as_string(hide_password=False)
    with granian(database_url, workers=1, threads=2, DATABASE_URL=pooled, BOARD_DB_POOLER="transaction",
                 BOARD_LISTEN_URL=direct) as server:  # fmt: skip
        with EventStream(server.port, api_headers) as stream:
            card = new_card(server, api_headers)
            assert stream.read()["data"]["card"] == card
