"""Prometheus metrics: moves by outcome, retries that rescued a move and retries that did not."""

import pytest
from sqlalchemy import text

from board.errors import TransientConflict
from tests.factories import AppointmentFactory
from tests.helpers import metric_sample, move

RAISE_DEADLOCK = text("DO $$ BEGIN RAISE EXCEPTION 'simulated deadlock' USING ERRCODE = 'deadlock_detected'; END $$")


def test_a_stale_move_counts_as_a_conflict_not_as_ok(client):
    card = AppointmentFactory()
    assert move(client, card.id, "READY", 1).status_code == 200
    ok_before = metric_sample("board_moves_total", kind="single", outcome="ok")
    conflicts_before = metric_sample("board_moves_total", kind="single", outcome="conflict")

    assert move(client, card.id, "CANCELLED", 1).status_code == 409

    assert metric_sample("board_moves_total", kind="single", outcome="conflict") == conflicts_before + 1
    assert metric_sample("board_moves_total", kind="single", outcome="ok") == ok_before


def test_each_move_outcome_is_counted_and_timed(client):
    card = AppointmentFactory()
    expected = {("single", "ok"): 1, ("single", "not_found"): 1, ("single", "invalid"): 1, ("batch", "invalid"): 1}
    before = {key: metric_sample("board_moves_total", kind=key[0], outcome=key[1]) for key in expected}
    timed_before = metric_sample("board_move_duration_seconds_count", kind="single")

    move(client, card.id, "READY", 1)
    move(client, 424242, "READY", 1)
    move(client, card.id, "NOT_A_STATUS", 2)
    client.post("/api/moves", json={"moves": []})

    after = {key: metric_sample("board_moves_total", kind=key[0], outcome=key[1]) for key in expected}
    assert {key: after[key] - before[key] for key in expected} == expected
    assert metric_sample("board_move_duration_seconds_count", kind="single") == timed_before + 3


def test_requests_are_counted_by_url_rule_and_status_class(client):
    card = AppointmentFactory()
    labels = {"route": "/api/appointments/<appointment_id:appointment_id>/move", "method": "POST"}
    before_409 = metric_sample("board_http_requests_total", status="409", status_class="4xx", **labels)

    move(client, card.id, "READY", 1)
    move(client, card.id, "READY", 1)

    assert metric_sample("board_http_requests_total", status="409", status_class="4xx", **labels) == before_409 + 1


def test_metrics_endpoint_answers_the_operator_questions(client):
    card = AppointmentFactory()
    move(client, card.id, "READY", 1)
    move(client, card.id, "READY", 1)

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    for line in (
        'board_moves_total{kind="single",outcome="conflict"}',
        'board_moves_total{kind="batch",outcome="transient"}',
        'board_move_duration_seconds_bucket{kind="single",le="0.001"}',
        'board_move_duration_seconds_bucket{kind="single",le="1.0"}',
        'status="409",status_class="4xx"',
    ):
        assert line in body


def test_a_rescued_deadlock_counts_one_retry_and_no_failed_retry(app, engine, capsys):
    policy = app.extensions["board.retry"]
    retries_before = metric_sample("board_move_retries_total", sqlstate="40P01")
    failed_before = metric_sample("board_move_retries_failed_total", sqlstate="40P01")
    attempts = []

    def transaction():
        attempts.append(1)
        with engine.begin() as conn:
            if len(attempts) == 1:
                conn.execute(RAISE_DEADLOCK)
            return conn.scalar(text("SELECT 'moved'"))

    assert policy.run(transaction) == "moved"

    assert len(attempts) == 2
    assert metric_sample("board_move_retries_total", sqlstate="40P01") == retries_before + 1
    assert metric_sample("board_move_retries_failed_total", sqlstate="40P01") == failed_before
    assert '"sqlstate": "40P01"' in capsys.readouterr().err


def test_a_retry_that_deadlocks_again_counts_as_failed(app, engine):
    policy = app.extensions["board.retry"]
    retries_before = metric_sample("board_move_retries_total", sqlstate="40P01")
    failed_before = metric_sample("board_move_retries_failed_total", sqlstate="40P01")

    def transaction():
        with engine.begin() as conn:
            conn.execute(RAISE_DEADLOCK)

    with pytest.raises(TransientConflict):
        policy.run(transaction)

    assert metric_sample("board_move_retries_total", sqlstate="40P01") == retries_before + 1
    assert metric_sample("board_move_retries_failed_total", sqlstate="40P01") == failed_before + 1
