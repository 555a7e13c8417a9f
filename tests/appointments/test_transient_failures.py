"""The single retry against real PostgreSQL errors: a real deadlock, and injected failures."""

import dataclasses
import threading

import psycopg
import pytest

from tests.factories import AppointmentFactory
from tests.helpers import counting_statements, history_rows, http_json, stored_card, table_rows, wait_for

# Each test runs directly and through a real PgBouncer in transaction pooling mode.
pytestmark = pytest.mark.parametrize("database_route", ["direct", "pgbouncer"], indirect=True)


@pytest.fixture
def driver_url(database_url) -> str:
    return database_url.set(drivername="postgresql").render_as_string(hide_password=False)


def wait_for_lock_wait(driver_url: str, timeout: float = 10) -> None:
    """Block until some backend of this database is waiting for a row lock."""
    with psycopg.connect(driver_url, autocommit=True) as observer:
        waiting = wait_for(
            lambda: observer.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0],
            timeout,
            every_s=0.01,
        )
    assert waiting, "no backend started waiting for a lock"


def test_real_deadlock_with_a_batch_is_rescued_by_its_one_retry(
    app, live_server, api_headers, engine, driver_url, caplog
):
    first, second = AppointmentFactory.create_batch(2)
    outcome = {}
    # A row lock is not handed to its waiter when the victim lets go: the waiter must wake up and
    # take it. The retry's pause (0-50 ms) normally covers that; on a busy machine the retry could
    # take `first` back before `other` wakes, and deadlock again. So here the pause ends only once
    # `other` has committed, which is what the jitter is for.
    other_committed = threading.Event()
    app.extensions["board.retry"] = dataclasses.replace(
        app.extensions["board.retry"], sleep=lambda seconds: other_committed.wait(30)
    )

    def batch_move():
        outcome["response"] = http_json(
            "POST",
            f"{live_server}/api/moves",
            headers=api_headers,
            body={
                "moves": [
                    {"id": first.id, "status": "READY", "version": 1},
                    {"id": second.id, "status": "COMPLETED", "version": 1},
                ]
            },
        )

    with counting_statements("appointments.id FOR UPDATE") as lock_attempts, psycopg.connect(driver_url) as other:
        # Only the batch may run PostgreSQL's deadlock check (after the default 1 s of waiting), so it
        # is the batch that is aborted, however the two backends are scheduled on a busy machine.
        other.execute("SET deadlock_timeout = '60s'")
        # `other` takes the rows in the opposite order to the batch: second, then first.
        other.execute("SELECT 1 FROM appointments WHERE id = %s FOR UPDATE", (second.id,))
        mover = threading.Thread(target=batch_move)
        mover.start()
        wait_for_lock_wait(driver_url)  # the batch holds `first` and waits for `second`
        # Now `other` waits for `first`: a cycle. The batch's deadlock check finds it and PostgreSQL
        # aborts the batch's transaction with 40P01; `other` then takes `first` and commits.
        other.execute("SELECT 1 FROM appointments WHERE id = %s FOR UPDATE", (first.id,))
        other.commit()
        other_committed.set()
        mover.join(timeout=30)

    status, body, _ = outcome["response"]
    assert status == 200, body
    assert [(c["id"], c["status"], c["version"]) for c in body["data"]] == [
        (first.id, "READY", 2),
        (second.id, "COMPLETED", 2),
    ]
    assert len(lock_attempts) == 2, "one failed attempt, one successful retry"
    assert "retrying transaction after SQLSTATE 40P01" in caplog.text
    assert history_rows(engine, first.id) == [("SCHEDULED", "READY", 2)]
    assert history_rows(engine, second.id) == [("SCHEDULED", "COMPLETED", 2)]


def move_a_card_under_fault(client, engine, install, sqlstate):
    """Make a card, make its history insert fail with `sqlstate`, move it; return the answer and the rows before."""
    card = AppointmentFactory()
    install(sqlstate)
    before = table_rows(engine)
    return client.post(f"/api/appointments/{card.id}/move", json={"status": "READY", "version": 1}), before


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_transient_failure_on_both_attempts_is_503_with_retry_after_and_writes_nothing(
    client, engine, inject_fault, sqlstate
):
    install, attempts = inject_fault

    response, before = move_a_card_under_fault(client, engine, install, sqlstate)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "transient_conflict"
    assert attempts() == 2
    assert table_rows(engine) == before


def test_batch_transient_failure_on_both_attempts_is_503_and_writes_nothing(client, engine, inject_fault):
    install, attempts = inject_fault
    cards = AppointmentFactory.create_batch(3)
    install("40001")
    before = table_rows(engine)

    response = client.post("/api/moves", json={"moves": [{"id": c.id, "status": "READY", "version": 1} for c in cards]})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert attempts() == 2, "the first history insert fails each attempt, so two attempts in all"
    assert table_rows(engine) == before


def test_one_transient_failure_is_rescued_and_the_move_is_written_once(client, engine, inject_fault):
    install, attempts = inject_fault
    card = AppointmentFactory()
    install("40001", times=1)

    response = client.post(f"/api/appointments/{card.id}/move", json={"status": "READY", "version": 1})

    assert response.status_code == 200
    assert response.get_json()["data"]["version"] == 2
    assert attempts() == 2
    assert stored_card(engine, card.id) == ("READY", 2)
    assert history_rows(engine, card.id) == [("SCHEDULED", "READY", 2)]


@pytest.mark.parametrize("sqlstate", ["P0001", "23505", "22P02"])
def test_non_transient_database_error_is_not_retried_and_is_500_without_stack_trace(
    client, engine, inject_fault, sqlstate
):
    install, attempts = inject_fault

    response, before = move_a_card_under_fault(client, engine, install, sqlstate)

    assert response.status_code == 500
    assert response.get_json() == {
        "ok": False,
        "error": {
            "code": "internal_error",
            "message": "Something went wrong on our side; try again later.",
            "request_id": response.headers["X-Request-ID"],
        },
    }
    assert "injected fault" not in response.get_data(as_text=True)
    assert attempts() == 1
    assert table_rows(engine) == before
