"""One credential may run only a few board reads at once; the rest get 429 at once, and others are unaffected."""

import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import flask_compress
import pytest

from board.appointments import cards
from board.errors import TooManyRequests
from board.http.limits import RunningReads
from tests.factories import AppointmentFactory, UserFactory, token_for
from tests.helpers import http_json, serving

LIMIT = 2
BOARD = "/api/board?from=2026-03-01&to=2026-03-31"
ONE_DAY_BOARDS = ("/api/board?from=2026-03-01", "/api/board?from=2026-03-01&to=2026-03-01", "/api/board")


class HeldReads:
    """Stands in for the board query: the first `hold` calls wait for release(), the rest run at once."""

    def __init__(self, hold: int):
        self.hold = hold
        self.entered = threading.Semaphore(0)
        self.released = threading.Event()
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, *args):
        with self._lock:
            self.calls += 1
            held = self.calls <= self.hold
        if held:
            self.entered.release()
            assert self.released.wait(timeout=30), "the test never released the held reads"
        return REAL_BOARD_CARDS(*args)

    def wait_until_all_held(self) -> None:
        for _ in range(self.hold):
            assert self.entered.acquire(timeout=30), "a held read never reached the query"


REAL_BOARD_CARDS = cards.board_cards


@pytest.fixture
def limited_app(make_app, app):
    # `app` empties the tables and binds the factories; this one has the limit under test.
    return without_rests(make_app(BOARD_READS_PER_CREDENTIAL=LIMIT))


def without_rests(app):
    """On a clock that stands still every read takes no time, so none rests before the next (tested on its own)."""
    app.extensions["board.running_reads"].clock = lambda: 0.0
    return app


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_credential_past_its_limit_gets_429_at_once_and_another_credential_does_not(limited_app, monkeypatch):
    viewer = UserFactory(role="viewer")
    busy, other_token_same_account = token_for(viewer, label="busy"), token_for(viewer, label="other")
    someone_else = token_for(UserFactory(role="viewer"), label="else")
    held = HeldReads(hold=LIMIT)
    monkeypatch.setattr(cards, "board_cards", held)

    with serving(limited_app) as url, ThreadPoolExecutor(LIMIT) as pool:
        running = [pool.submit(http_json, "GET", url + BOARD, None, 30, bearer(busy)) for _ in range(LIMIT)]
        held.wait_until_all_held()

        refused = http_json("GET", url + BOARD, headers=bearer(busy))
        same_account = http_json("GET", url + BOARD, headers=bearer(other_token_same_account))
        other_account = http_json("GET", url + BOARD, headers=bearer(someone_else))
        held.released.set()
        finished = [future.result(timeout=30) for future in running]
        after = http_json("GET", url + BOARD, headers=bearer(busy))

    status, body, headers = refused
    assert status == 429
    assert body["error"]["code"] == "too_many_requests"
    assert headers["Retry-After"] == "1"
    assert held.calls == LIMIT + 3  # the refused read never reached the query
    assert same_account[0] == 200 and other_account[0] == 200
    assert [answer[0] for answer in finished] == [200] * LIMIT
    assert after[0] == 200


def test_one_day_boards_are_not_counted(make_app, app, monkeypatch):
    limited = make_app(BOARD_READS_PER_CREDENTIAL=1)
    token = token_for(UserFactory(role="viewer"))
    held = HeldReads(hold=1)
    monkeypatch.setattr(cards, "board_cards", held)

    with serving(limited) as url, ThreadPoolExecutor(1) as pool:
        running = pool.submit(http_json, "GET", url + BOARD, None, 30, bearer(token))
        held.wait_until_all_held()
        one_day = [http_json("GET", url + path, headers=bearer(token))[0] for path in ONE_DAY_BOARDS]
        second_range = http_json("GET", url + "/api/board?from=2026-04-01&to=2026-04-02", headers=bearer(token))[0]
        held.released.set()
        first = running.result(timeout=30)[0]

    assert one_day == [200] * len(ONE_DAY_BOARDS)
    assert second_range == 429
    assert first == 200


def test_a_failed_read_gives_its_place_back(make_app, app, monkeypatch):
    limited = without_rests(make_app(BOARD_READS_PER_CREDENTIAL=1))
    client = limited.test_client()
    headers = bearer(token_for(UserFactory(role="viewer")))
    failing = True

    def board_cards(*args):
        if failing:
            raise RuntimeError("the query broke")
        return REAL_BOARD_CARDS(*args)

    monkeypatch.setattr(cards, "board_cards", board_cards)
    broken = client.get(BOARD, headers=headers)
    invalid = client.get("/api/board?from=yesterday", headers=headers)
    failing = False
    fine = client.get(BOARD, headers=headers)

    assert broken.status_code == 500
    assert invalid.status_code == 422
    assert fine.status_code == 200


def test_reads_per_credential_must_be_at_least_one(make_app):
    from board.config import ConfigError

    with pytest.raises(ConfigError, match="BOARD_READS_PER_CREDENTIAL"):
        make_app(BOARD_READS_PER_CREDENTIAL=0)


def test_a_read_keeps_its_place_until_its_answer_is_compressed(make_app, app, monkeypatch):
    limited = without_rests(make_app(BOARD_READS_PER_CREDENTIAL=1))
    for day in range(1, 11):
        AppointmentFactory(scheduled_at=datetime(2026, 3, day, 9, tzinfo=UTC), notes="brake pads " * 20)
    token = token_for(UserFactory(role="viewer"), label="reader")
    compressing, finish = threading.Event(), threading.Event()

    def held_compress(app, data, algorithm):
        compressing.set()
        assert finish.wait(timeout=30), "the test never let the compression finish"
        return REAL_COMPRESS(app, data, algorithm)

    monkeypatch.setattr(flask_compress.flask_compress, "_compress_data", held_compress)
    gzip = {**bearer(token), "Accept-Encoding": "gzip"}
    with serving(limited) as url, ThreadPoolExecutor(1) as pool:
        first = pool.submit(http_raw, url + BOARD, gzip)
        assert compressing.wait(timeout=30), "the first read was never compressed"
        while_compressing = http_json("GET", url + BOARD, headers=bearer(token))
        finish.set()
        assert first.result(timeout=30)[0] == 200
        after = http_json("GET", url + BOARD, headers=bearer(token))

    assert while_compressing[0] == 429
    assert after[0] == 200


REAL_COMPRESS = flask_compress.flask_compress._compress_data


def http_raw(url: str, headers: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def test_a_credential_refused_while_reading_then_rests_as_long_as_its_read_took_holding_its_place():
    now = [100.0]
    reads = RunningReads(limit=1, clock=lambda: now[0])
    pushing, sequential = ("token", 1), ("token", 2)

    assert reads.enter(sequential) == 0.0
    now[0] = 100.5
    reads.leave(sequential, 100.0)
    assert reads.enter(sequential) == 0.0  # never refused: never rests
    reads.leave(sequential, 100.5)

    assert reads.enter(pushing) == 0.0
    with pytest.raises(TooManyRequests):
        reads.enter(pushing)  # asked for a second at once
    now[0] = 101.0
    reads.leave(pushing, 100.5)  # took 0.5 s: rests until 101.5
    now[0] = 101.4
    rest = reads.enter(pushing)
    with pytest.raises(TooManyRequests):
        reads.enter(pushing)  # its place is held while it rests
    now[0] = 102.0
    reads.leave(pushing, 101.5)  # refused at 101.4: rests until 102.5
    now[0] = 102.1
    second_rest = reads.enter(pushing)
    now[0] = 112.0
    reads.leave(pushing, 102.5)  # last refused at 101.4, more than PUSHING_S ago: no more rests

    assert (rest, second_rest) == (pytest.approx(0.1), pytest.approx(0.4))
    assert reads.enter(pushing) == 0.0
