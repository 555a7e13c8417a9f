"""SIGTERM stops the served app gracefully: requests in flight finish, none is half done, nothing is left behind."""

import http.client
import json
import signal
import socket
import threading

import psutil
import pytest
from sqlalchemy import text

from board.db import as_operator
from board.serving import GRACEFUL_STOP_S
from tests.factories import AppointmentFactory
from tests.helpers import wait_for
from tests.served import granian, left_after_killing

STATUSES = ("CHECKED_IN", "IN_PROGRESS", "READY")


def move(port: int, card_id: int, version: int, headers: dict) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = json.dumps({"status": STATUSES[version % len(STATUSES)], "version": version})
        connection.request(
            "POST",
            f"/api/appointments/{card_id}/move",
            body=body,
            headers={**headers, "Content-Type": "application/json", "Connection": "close"},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def history_versions(engine) -> set[tuple[int, int]]:
    with engine.connect() as conn:
        return {
            tuple(row)
            for row in conn.execute(text("SELECT appointment_id, version FROM appointment_events WHERE kind = 'moved'"))
        }


def waiting_on_a_lock(engine) -> bool:
    # As the login role: the service's role may not see what other roles' sessions wait on.
    with as_operator(), engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND query LIKE '%UPDATE appointments%'"
                )
            )
        )


CONNECTION_ERRORS = (ConnectionRefusedError, ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected)


def test_sigterm_under_load_answers_the_moves_in_flight_and_loses_none(
    database_url, app, engine, api_headers, tmp_path
):
    held, *cards = [AppointmentFactory() for _ in range(9)]
    answered: set[tuple[int, int]] = set()
    failures: list[BaseException] = []
    unexpected: list[tuple[int, dict]] = []
    held_answer = []
    sigterm_sent = threading.Event()

    def keep_moving(card_id: int, port: int) -> None:
        version = 1
        while True:
            try:
                status, body = move(port, card_id, version, api_headers)
            except OSError as error:
                failures.append(error)
                return
            if status != 200:  # each thread owns its card: not even a conflict can happen
                unexpected.append((status, body))
                return
            version = body["data"]["version"]
            answered.add((card_id, version))
            if sigterm_sent.is_set() and version > 200:
                return

    with granian(database_url, workers=2, threads=4, BOARD_DB_LOCK_TIMEOUT_MS="30000", TMPDIR=str(tmp_path)) as server:
        with engine.connect() as locker:
            # Hold one card's row lock, so its move is surely in flight, waiting in the database, at SIGTERM.
            locker.execute(text("SELECT 1 FROM appointments WHERE id = :id FOR UPDATE"), {"id": held.id})
            held_mover = threading.Thread(target=lambda: held_answer.append(move(server.port, held.id, 1, api_headers)))
            held_mover.start()
            movers = [threading.Thread(target=keep_moving, args=(card.id, server.port)) for card in cards]
            for mover in movers:
                mover.start()
            assert wait_for(lambda: len(answered) >= 80 and waiting_on_a_lock(engine), 30), (
                "80 moves answered, one waiting"
            )

            server.process.send_signal(signal.SIGTERM)
            sigterm_sent.set()
            assert wait_for(lambda: "Stopping worker" in server.log_text(), 10), "the server starting to stop"
            assert server.process.poll() is None, "the server must wait for the move in flight"
            locker.rollback()

        for mover in [held_mover, *movers]:
            mover.join(timeout=GRACEFUL_STOP_S + 10)
        exit_code = server.process.wait(timeout=GRACEFUL_STOP_S + 5)

    assert not any(mover.is_alive() for mover in [held_mover, *movers])
    assert held_answer and held_answer[0][0] == 200, held_answer
    assert held_answer[0][1]["data"]["version"] == 2
    assert unexpected == []
    assert all(isinstance(error, CONNECTION_ERRORS) for error in failures), failures
    # Every move answered 200 is in history, and every move in history was answered.
    assert history_versions(engine) == answered | {(held.id, 2)}
    assert exit_code == 0
    assert list(tmp_path.glob("board-metrics-*")) == [], "the run's metrics folder must go with it"


def test_a_main_process_killed_while_its_workers_start_takes_them_with_it(database_url, tmp_path):
    # Granian's workers are forked with its main process's stop handler, which does nothing in them.
    with granian(database_url, workers=2, threads=2, healthy=False, TMPDIR=str(tmp_path)) as server:
        main = psutil.Process(server.process.pid)
        assert wait_for(lambda: len(main.children()) == 2, 30, every_s=0.01), "two workers forked"

        assert left_after_killing(server) == []


def test_a_killed_main_process_takes_its_workers_and_its_webhook_worker_with_it(database_url, tmp_path):
    # A kill -9 leaves the run's metrics folder behind (README, Stopping): keep it out of /tmp.
    with granian(database_url, workers=2, threads=2, TMPDIR=str(tmp_path), BOARD_WEBHOOK_WORKERS="1") as server:
        children = psutil.Process(server.process.pid).children()
        assert sorted("board.webhooks.worker" in " ".join(child.cmdline()) for child in children) == [
            False,
            False,
            True,
        ]

        assert left_after_killing(server) == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
