"""Many people reading a card and moving it with the version they read, and what must hold afterwards."""

import random
import threading
from collections import Counter, defaultdict

from board.models import STATUSES
from tests.helpers import history_rows, http_json, stored_card

THREADS = 16
MOVES_PER_THREAD = 25


def move(rng: random.Random, card_url: str, version: int, headers: dict) -> tuple[int, dict, dict]:
    return http_json("POST", f"{card_url}/move", {"status": rng.choice(STATUSES), "version": version}, headers=headers)


def read_then_move_by_many(servers: list[str], cards: list[int], headers: dict) -> list[tuple]:
    """THREADS people each read a random card and move it, MOVES_PER_THREAD times, each request to a random server.

    Return every answer as (card id, status code, version in the answer).
    """
    return read_then_change_by_many(servers, cards, headers, move)


def read_then_change_by_many(servers: list[str], cards: list[int], headers: dict, change) -> list[tuple]:
    """Like read_then_move_by_many, with change(rng, card_url, version read, headers) as each change."""
    return read_then_change_in_shops(servers, [(cards, headers)], change)


def read_then_change_in_shops(servers: list[str], shops: list[tuple[list[int], dict]], change=move) -> list[tuple]:
    """Like read_then_change_by_many, person n working in shops[n % len(shops)]: (its cards, its credentials)."""
    answers = []
    answers_lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def person(seed: int):
        rng = random.Random(seed)
        cards, headers = shops[seed % len(shops)]
        start.wait()
        for _ in range(MOVES_PER_THREAD):
            card_id = rng.choice(cards)
            _, read, _ = http_json("GET", f"{rng.choice(servers)}/api/appointments/{card_id}", headers=headers)
            card_url = f"{rng.choice(servers)}/api/appointments/{card_id}"
            status, body, _ = change(rng, card_url, read["data"]["version"], headers)
            version = body["data"]["version"] if status == 200 else None
            with answers_lock:
                answers.append((card_id, status, version))

    people = [threading.Thread(target=person, args=(seed,)) for seed in range(THREADS)]
    for thread in people:
        thread.start()
    for thread in people:
        thread.join(timeout=120)
    return answers


def assert_nothing_lost_or_doubled(engine, cards: list[int], answers: list[tuple], people: int = THREADS) -> None:
    """Every 200 is one history row and one version step; every other answer is a 409 that changed nothing.

    `answers` are those of `people` of the THREADS (those who worked on `cards`).
    """
    assert len(answers) == people * MOVES_PER_THREAD
    codes = Counter(status for _, status, _ in answers)
    assert set(codes) <= {200, 409}, f"every answer that is not a move is a conflict: {codes}"
    assert codes[200] > 0 and codes[409] > 0, f"the cards were contended: {codes}"

    new_versions = defaultdict(list)
    for card_id, status, version in answers:
        if status == 200:
            new_versions[card_id].append(version)
    for card_id in cards:
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
