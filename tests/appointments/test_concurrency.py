"""Many people moving the same few cards at once through a real HTTP server: nothing lost, nothing doubled."""

import random
import threading
from collections import Counter

import pytest
from sqlalchemy import text

from board.models import STATUSES
from tests.concurrency import assert_nothing_lost_or_doubled, move, read_then_change_by_many, read_then_move_by_many
from tests.factories import AppointmentFactory
from tests.helpers import history_rows, http_json, stored_card


# Through PgBouncer, tests/operations/test_two_instances.py runs this across two app processes.
def test_concurrent_read_then_move_loses_and_doubles_nothing(live_server, api_headers, engine):
    hot_cards = [card.id for card in AppointmentFactory.create_batch(3)]

    answers = read_then_move_by_many([live_server], hot_cards, headers=api_headers)

    assert_nothing_lost_or_doubled(engine, hot_cards, answers)


@pytest.mark.parametrize("database_route", ["direct", "pgbouncer"], indirect=True)
def test_concurrent_batches_in_opposite_orders_never_deadlock(live_server, api_headers, engine, caplog):
    cards = [card.id for card in AppointmentFactory.create_batch(4)]
    answers = []
    answers_lock = threading.Lock()
    start = threading.Barrier(8)

    def script(seed: int):
        rng = random.Random(seed)
        start.wait()
        for _ in range(10):
            order = cards[::-1] if seed % 2 else list(cards)
            versions = {}
            for card_id in order:
                versions[card_id] = http_json("GET", f"{live_server}/api/appointments/{card_id}", headers=api_headers)[
                    1
                ]["data"]["version"]
            status, body, _ = http_json(
                "POST",
                f"{live_server}/api/moves",
                headers=api_headers,
                body={
                    "moves": [
                        {"id": card_id, "status": rng.choice(STATUSES), "version": versions[card_id]}
                        for card_id in order
                    ]
                },
            )
            with answers_lock:
                answers.append(status)

    scripts = [threading.Thread(target=script, args=(seed,)) for seed in range(8)]
    for thread in scripts:
        thread.start()
    for thread in scripts:
        thread.join(timeout=120)

    codes = Counter(answers)
    assert len(answers) == 80 and set(codes) <= {200, 409}, codes
    assert codes[200] > 0
    assert "40P01" not in caplog.text, "no deadlock, so no retry was needed"
    for card_id in cards:
        assert stored_card(engine, card_id).version == 1 + codes[200] == 1 + len(history_rows(engine, card_id))


def test_concurrent_moves_and_edits_keep_one_event_per_version(live_server, api_headers, engine):
    hot_cards = [card.id for card in AppointmentFactory.create_batch(3)]

    def move_or_edit(rng, card_url, version, headers):
        if rng.random() < 0.5:
            return move(rng, card_url, version, headers)
        return http_json("PATCH", card_url, {"version": version, "notes": f"note {rng.random()}"}, headers=headers)

    answers = read_then_change_by_many([live_server], hot_cards, api_headers, move_or_edit)

    codes = Counter(status for _, status, _ in answers)
    assert set(codes) <= {200, 409}, f"every answer that is not a change is a conflict: {codes}"
    assert codes[409] > 0, f"the cards were contended: {codes}"
    with engine.connect() as conn:
        for card_id in hot_cards:
            _, current = stored_card(engine, card_id)
            versions = conn.scalars(
                text("SELECT version FROM appointment_events WHERE appointment_id = :id ORDER BY version"),
                {"id": card_id},
            ).all()
            acknowledged = sorted(v for c, s, v in answers if c == card_id and s == 200)
            assert versions == list(range(1, current + 1)), "one event per version, none missing"
            assert acknowledged == list(range(2, current + 1)), "each new version acknowledged exactly once"
