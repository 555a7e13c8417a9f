"""Idle and trickling connections cannot stall the served app: Granian holds them in Rust and drops them."""

import http.client
import json
import resource
import select
import socket
import time

import psutil
import pytest

from board.serving import HEADER_READ_TIMEOUT_MS
from tests.factories import AppointmentFactory
from tests.helpers import wait_for

IDLE = 500
PARTIAL = 500
PARTIAL_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@pytest.fixture
def server(served):
    return served


@pytest.fixture
def enough_file_descriptors():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = IDLE + PARTIAL + 256
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.fail(f"this test needs {needed} open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def timed(call) -> tuple[float, tuple]:
    started = time.monotonic()
    result = call()
    return time.monotonic() - started, result


def request(port: int, method: str, path: str, headers: dict, body: dict | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        data = None if body is None else json.dumps(body)
        connection.request(method, path, body=data, headers={**headers, "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def open_slow_connections(port: int) -> tuple[list[socket.socket], list[socket.socket]]:
    idle, partial = [], []
    try:
        for _ in range(IDLE):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        for _ in range(PARTIAL):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(PARTIAL_HEAD)
            partial.append(sock)
    except BaseException:
        for sock in idle + partial:
            sock.close()
        raise
    return idle, partial


def answered_or_closed(sockets: list[socket.socket]) -> list[socket.socket]:
    """The sockets the server has written to or closed: nothing is expected on them but their end."""
    poller = select.poll()  # select() cannot watch descriptors numbered past 1024
    by_fd = {sock.fileno(): sock for sock in sockets}
    for fd in by_fd:
        poller.register(fd, select.POLLIN)
    return [by_fd[fd] for fd, _ in poller.poll(0)]


def server_connections(server) -> int:
    """Established TCP connections the server's processes hold on its port."""
    master = psutil.Process(server.process.pid)
    count = 0
    for process in [master, *master.children(recursive=True)]:
        for conn in process.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_ESTABLISHED and conn.laddr.port == server.port:
                count += 1
    return count


def test_health_and_moves_answer_within_a_second_while_a_thousand_connections_idle_or_trickle(
    server, app, enough_file_descriptors, api_headers
):
    card = AppointmentFactory()
    idle, partial = open_slow_connections(server.port)
    opened = time.monotonic()
    try:
        health_times, move_times = [], []
        for version in (1, 2, 3):
            for sock in partial:  # one more byte of a header that never ends
                sock.sendall(b"x")
            health_seconds, (health_status, _) = timed(lambda: request(server.port, "GET", "/healthz", api_headers))
            move_seconds, (move_status, moved) = timed(
                lambda v=version: request(
                    server.port,
                    "POST",
                    f"/api/appointments/{card.id}/move",
                    api_headers,
                    {"status": ("READY", "CHECKED_IN")[v % 2], "version": v},
                )
            )
            assert (health_status, move_status) == (200, 200), moved
            assert moved["data"]["version"] == version + 1
            health_times.append(health_seconds)
            move_times.append(move_seconds)
        assert answered_or_closed(idle + partial) == [], "the slow connections must still be open while measured"
        assert time.monotonic() - opened < HEADER_READ_TIMEOUT_MS / 1000
        assert max(health_times) < 1.0, health_times
        assert max(move_times) < 1.0, move_times

        # The server itself drops every connection that sent no complete head in time.
        remaining = set(idle + partial)

        def all_dropped() -> bool:
            remaining.difference_update(answered_or_closed(list(remaining)))
            return not remaining

        wait_for(all_dropped, opened + HEADER_READ_TIMEOUT_MS / 1000 + 5 - time.monotonic(), every_s=0.1)
        assert not remaining, f"{len(remaining)} slow connections were still open after the header timeout"
    finally:
        for sock in idle + partial:
            sock.close()

    wait_for(lambda: not server_connections(server), 10, every_s=0.1)
    assert server_connections(server) == 0
