"""Many people moving the same few cards at once through a real HTTP server: nothing lost, nothing doubled."""

import random
import threading
from collections import Counter, defaultdict

from sqlalchemy import text

from board.models import STATUSES
from tests.factories import AppointmentFactory
from tests.helpers import history_rows, http_json, stored_card

THREADS = 16
MOVES_PER_THREAD = 25


def test_concurrent_read_then_move_loses_and_doubles_nothing(live_server, api_headers, engine):
    hot_cards = [card.id for card in AppointmentFactory.create_batch(3)]
    answers = []  # (card id, status code, version in the answer)
    answers_lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def person(seed: int):
        rng = random.Random(seed)
        start.wait()
        for _ in range(MOVES_PER_THREAD):
            card_id = rng.choice(hot_cards)
            _, read, _ = http_json("GET", f"{live_server}/api/appointments/{card_id}", headers=api_headers)
            status, body, _ = http_json("POST", f"{live_server}/api/appointments/{card_id}/move", headers=api_headers, body=
                                        {"status": rng.choice(STATUSES), "version": read["data"]["version"]})
            version = body["data"]["version"] if status == 200 else None
            with answers_lock:
                answers.append((card_id, status, version))

    people = [threading.Thread(target=person, args=(seed,)) for seed in range(THREADS)]
    for thread in people:
        thread.start()
    for thread in people:
        thread.join(timeout=120)

    assert len(answers) == THREADS * MOVES_PER_THREAD
    codes = Counter(status for _, status, _ in answers)
    assert set(codes) <= {200, 409}, f"every answer that is not a move is a conflict: {codes}"
    assert codes[200] > 0 and codes[409] > 0, f"the cards were contended: {codes}"

    new_versions = defaultdict(list)
    for card_id, status, version in answers:
        if status == 200:
            new_versions[card_id].append(version)
    for card_id in hot_cards:
        _, final_version = stored_card(engine, card_id)
        acknowledged = sorted(new_versions[card_id])
        assert len(acknowledged) == len(set(acknowledged)), "no two moves got the same new version"
        assert final_version == 1 + len(acknowledged) == 1 + len(history_rows(engine, card_id))
        assert acknowledged == list(range(2, final_version + 1))
        history = history_rows(engine, card_id)
        assert [row.version for row in history] == acknowledged
        chain = ["SCHEDULED"] + [row.to_status for row in history]
        assert [row.from_status for row in history] == chain[:-1], "each move started where the last one ended"
        assert stored_card(engine, card_id).status == chain[-1]


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
                versions[card_id] = http_json("GET", f"{live_server}/api/appointments/{card_id}", headers=api_headers)[1]["data"]["version"]
            status, body, _ = http_json("POST", f"{live_server}/api/moves", headers=api_headers, body={"moves": [
                {"id": card_id, "status": rng.choice(STATUSES), "version": versions[card_id]} for card_id in order]})
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
    answers = []  # (card id, status code, version in the answer)
    answers_lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def person(seed: int):
        rng = random.Random(seed)
        start.wait()
        for step in range(MOVES_PER_THREAD):
            card_id = rng.choice(hot_cards)
            url = f"{live_server}/api/appointments/{card_id}"
            _, read, _ = http_json("GET", url, headers=api_headers)
            version = read["data"]["version"]
            if rng.random() < 0.5:
                status, body, _ = http_json("POST", f"{url}/move", headers=api_headers,
                                            body={"status": rng.choice(STATUSES), "version": version})
            else:
                status, body, _ = http_json("PATCH", url, headers=api_headers,
                                            body={"version": version, "notes": f"person {seed} step {step}"})
            with answers_lock:
                answers.append((card_id, status, body["data"]["version"] if status == 200 else None))

    people = [threading.Thread(target=person, args=(seed,)) for seed in range(THREADS)]
    for thread in people:
        thread.start()
    for thread in people:
        thread.join(timeout=120)

    assert len(answers) == THREADS * MOVES_PER_THREAD
    codes = Counter(status for _, status, _ in answers)
    assert set(codes) <= {200, 409}, f"every answer that is not a change is a conflict: {codes}"
    assert codes[409] > 0, f"the cards were contended: {codes}"
    with engine.connect() as conn:
        for card_id in hot_cards:
            _, current = stored_card(engine, card_id)
            versions = conn.scalars(text(
                "SELECT version FROM appointment_events WHERE appointment_id = :id ORDER BY version"), {"id": card_id}
            ).all()
            acknowledged = sorted(v for c, s, v in answers if c == card_id and s == 200)
            assert versions == list(range(1, current + 1)), "one event per version, none missing"
            assert acknowledged == list(range(2, current + 1)), "each new version acknowledged exactly once"
