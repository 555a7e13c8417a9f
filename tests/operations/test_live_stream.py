"""GET /api/events as `make run` serves it: opened like every /api request, then held on the event loop, not a thread."""

import http.client
import json
import signal
import time

import pytest

from board.serving import GRACEFUL_STOP_S
from tests.factories import PASSWORD, AppointmentFactory, UserFactory, token_for
from tests.served import granian

HEARTBEAT_S = 0.5  # BOARD_LIVE_HEARTBEAT_S for these tests; the default is 15 s
OPEN_STREAMS = 50


@pytest.fixture(scope="module")
def live(database_url):
    """The app served as `make run` serves it, with heartbeats every HEARTBEAT_S."""
    with granian(database_url, workers=1, threads=2, BOARD_LIVE_HEARTBEAT_S=str(HEARTBEAT_S)) as server:
        yield server


def open_stream(port: int, headers: dict) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/api/events", headers=headers)
    return connection, connection.getresponse()


def close(connection: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
    response.close()
    connection.close()


def read_until(response: http.client.HTTPResponse, wanted: bytes, within_s: float) -> bytes:
    """What the stream sent until `wanted` arrived; fails if it has not within `within_s`."""
    response.fp.raw._sock.settimeout(within_s)
    received = b""
    deadline = time.monotonic() + within_s
    while wanted not in received:
        assert time.monotonic() < deadline, f"no {wanted!r} within {within_s} s; got {received!r}"
        line = response.readline()
        assert line, f"the stream ended before {wanted!r}; got {received!r}"
        received += line
    return received


def signed_in_cookie(port: int, username: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"username": username, "password": PASSWORD})
    connection.request("POST", "/api/session", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200
    return response.getheader("Set-Cookie").split(";", 1)[0]


def test_a_stream_without_credentials_gets_401_in_the_envelope(live):
    connection, response = open_stream(live.port, {})
    body = json.loads(response.read())
    connection.close()

    assert response.status == 401
    assert response.getheader("WWW-Authenticate") == 'Bearer realm="board"'
    assert body["ok"] is False and body["error"]["code"] == "unauthenticated"


def test_a_stream_with_an_unknown_token_gets_401(live):
    connection, response = open_stream(live.port, {"Authorization": "Bearer board_" + "x" * 43})
    response.read()
    connection.close()

    assert response.status == 401


def test_a_token_opens_a_stream_whose_retry_line_comes_at_once(live, app):
    viewer = UserFactory(username="wall", role="viewer")
    connection, response = open_stream(live.port, {"Authorization": f"Bearer {token_for(viewer)}"})
    try:
        assert response.status == 200
        assert response.getheader("Content-Type").startswith("text/event-stream")
        assert response.getheader("Cache-Control") == "no-cache"
        assert response.getheader("X-Accel-Buffering") == "no"
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        # Before any heartbeat could be due: the first bytes do not wait for a change.
        assert response.readline() == b"retry: 3000\n"
    finally:
        close(connection, response)


def test_a_session_cookie_opens_a_stream(live, app):
    UserFactory(username="desk", role="staff")
    cookie = signed_in_cookie(live.port, "desk")
    connection, response = open_stream(live.port, {"Cookie": cookie})
    try:
        assert response.status == 200
        assert read_until(response, b"retry: 3000\n", within_s=5).startswith(b"retry: 3000\n")
    finally:
        close(connection, response)


def test_an_idle_stream_sends_a_comment_every_heartbeat(live, app, api_headers):
    connection, response = open_stream(live.port, api_headers)
    try:
        read_until(response, b"retry: 3000\n\n", within_s=5)
        started = time.monotonic()
        for _ in range(2):
            read_until(response, b": keep-alive\n", within_s=5 * HEARTBEAT_S)
        # Two heartbeats take about two intervals, not the 15 s default.
        assert time.monotonic() - started < 5 * HEARTBEAT_S
    finally:
        close(connection, response)


def test_open_streams_hold_no_app_thread_so_moves_and_healthz_still_answer(live, app, api_headers):
    card = AppointmentFactory()
    streams = [open_stream(live.port, api_headers) for _ in range(OPEN_STREAMS)]  # 25 times the worker's threads
    try:
        for _, response in streams:
            assert response.status == 200
            read_until(response, b"retry: 3000\n", within_s=5)

        started = time.monotonic()
        mover = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
        body = json.dumps({"status": "CHECKED_IN", "version": card.version})
        mover.request("POST", f"/api/appointments/{card.id}/move", body=body,
                      headers={**api_headers, "Content-Type": "application/json"})  # fmt: skip
        moved = mover.getresponse()
        moved.read()
        mover.request("GET", "/healthz")
        healthz = mover.getresponse()
        healthz.read()
        took = time.monotonic() - started
        mover.close()
    finally:
        for connection, _ in streams:
            close(connection, response)

    assert (moved.status, healthz.status) == (200, 200)
    print(f"with {OPEN_STREAMS} streams open on 2 app threads, a move and /healthz took {took * 1000:.0f} ms")


def test_a_graceful_stop_closes_open_streams_instead_of_waiting_for_them(database_url, api_headers):
    with granian(database_url, workers=1, threads=1) as server:
        connection, response = open_stream(server.port, api_headers)
        read_until(response, b"retry: 3000\n\n", within_s=5)

        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=GRACEFUL_STOP_S + 5)
        stopped_in = time.monotonic() - started
        # The stream ends cleanly: the rest of its answer arrives, then the end of it.
        rest = response.read()
        close(connection, response)

    assert stopped_in < GRACEFUL_STOP_S / 3, f"the stop waited {stopped_in:.1f} s for an open stream"
    assert server.process.returncode == 0
    assert rest == b""
