"""Idempotency-Key: a resent write replays its stored answer and changes nothing; the answer commits with the change."""

import socket
import threading
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from board.db import as_operator
from tests import factories
from tests.factories import AppointmentFactory
from tests.helpers import http_json, table_rows, wait_for

# Directly and through PgBouncer in transaction pooling mode, as production may run.
THROUGH_BOTH = pytest.mark.parametrize("database_route", ["direct", "pgbouncer"], indirect=True)


NEW_CARD = {"title": "Oil change", "customer": "Jon", "scheduled_at": "2026-12-02T09:00:00+00:00"}


def count(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.scalar(text(sql), params)


def events_of(engine, card_id: int) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT version, kind FROM appointment_events WHERE appointment_id = :id ORDER BY version"),
            {"id": card_id},
        ).all()


def send(client, method, path, body=None, key="key-1"):
    headers = {} if key is None else {"Idempotency-Key": key}
    if body is None:
        return client.open(path, method=method, headers=headers)
    return client.open(path, method=method, json=body, headers=headers)


# (name, method, path for a card, body for a card): every kind of change to cards.
CARD_WRITES = [
    ("move", "POST", "/api/appointments/{id}/move", lambda card: {"status": "READY", "version": 1}),
    ("batch", "POST", "/api/moves", lambda card: {"moves": [{"id": card.id, "status": "READY", "version": 1}]}),
    ("patch", "PATCH", "/api/appointments/{id}", lambda card: {"version": 1, "notes": "Rattle"}),
    ("delete", "DELETE", "/api/appointments/{id}?version=1", lambda card: None),
]


@pytest.mark.parametrize("name, method, path, body", CARD_WRITES, ids=[w[0] for w in CARD_WRITES])
def test_same_key_twice_changes_once_and_replays_the_same_answer(client, engine, name, method, path, body):
    card = AppointmentFactory()
    path = path.format(id=card.id)

    first = send(client, method, path, body(card))
    after_first = table_rows(engine)
    second = send(client, method, path, body(card))

    assert first.status_code == 200
    assert (second.status_code, second.get_data()) == (first.status_code, first.get_data())
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert table_rows(engine) == after_first
    assert [version for version, _ in events_of(engine, card.id)] == [1, 2]


def test_same_key_twice_on_create_makes_one_appointment(client, engine):
    first = send(client, "POST", "/api/appointments", NEW_CARD)
    second = send(client, "POST", "/api/appointments", NEW_CARD)

    assert first.status_code == 201
    assert (second.status_code, second.get_data()) == (201, first.get_data())
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count(engine, "SELECT count(*) FROM appointments") == 1


def test_same_key_twice_on_account_writes_changes_once(app, client_for, engine):
    admin = factories.UserFactory(username="ada", role="admin")
    as_admin = client_for(app, {"Authorization": f"Bearer {factories.token_for(admin)}"})
    user = {"username": "bob", "name": "Bob", "role": "viewer", "password": "long enough password"}

    created = [send(as_admin, "POST", "/api/users", user, key="u") for _ in range(2)]
    renamed = [
        send(as_admin, "PATCH", f"/api/users/{created[0].get_json()['data']['id']}", {"name": "Rob"}, key="p")
        for _ in range(2)
    ]

    assert [r.status_code for r in created] == [201, 201] and created[1].get_data() == created[0].get_data()
    assert [r.status_code for r in renamed] == [200, 200] and renamed[1].get_data() == renamed[0].get_data()
    assert renamed[1].headers["Idempotent-Replayed"] == "true"
    assert count(engine, "SELECT count(*) FROM users WHERE username = 'bob'") == 1


def test_an_answer_that_changed_nothing_replays_as_such(client, engine):
    card = AppointmentFactory()
    client.post(f"/api/appointments/{card.id}/move", json={"status": "READY", "version": 1})

    first = send(client, "POST", f"/api/appointments/{card.id}/move", {"status": "COMPLETED", "version": 1})
    # The card is now at version 2, but the key's answer stays the 409 it got.
    second = send(client, "POST", f"/api/appointments/{card.id}/move", {"status": "COMPLETED", "version": 1})

    assert first.status_code == 409 and first.get_json()["error"]["code"] == "version_conflict"
    assert (second.status_code, second.get_data()) == (409, first.get_data())
    assert second.headers["Idempotent-Replayed"] == "true"
    assert [version for version, _ in events_of(engine, card.id)] == [1, 2]


def test_a_used_key_with_another_body_is_refused_and_changes_nothing(client, engine):
    card = AppointmentFactory()
    send(client, "POST", f"/api/appointments/{card.id}/move", {"status": "READY", "version": 1})
    before = table_rows(engine)

    other_body = send(client, "POST", f"/api/appointments/{card.id}/move", {"status": "COMPLETED", "version": 2})
    other_path = send(client, "POST", "/api/moves", {"moves": [{"id": card.id, "status": "READY", "version": 1}]})

    for response in (other_body, other_path):
        assert response.status_code == 422
        assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert table_rows(engine) == before


def test_keys_of_two_accounts_do_not_collide(app, client, client_for, engine):
    other = factories.UserFactory(username="kim", role="staff")
    as_other = client_for(app, {"Authorization": f"Bearer {factories.token_for(other)}"})

    mine = send(client, "POST", "/api/appointments", NEW_CARD, key="same")
    theirs = send(as_other, "POST", "/api/appointments", NEW_CARD, key="same")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.get_json()["data"]["id"] != theirs.get_json()["data"]["id"]
    assert count(engine, "SELECT count(*) FROM appointments") == 2


def test_a_503_is_not_stored_and_the_resend_applies_the_change(client, engine, inject_fault):
    install, attempts = inject_fault
    card = AppointmentFactory()
    install("40001", times=2)

    failed = send(client, "POST", f"/api/appointments/{card.id}/move", {"status": "READY", "version": 1})
    resent = send(client, "POST", f"/api/appointments/{card.id}/move", {"status": "READY", "version": 1})

    assert failed.status_code == 503 and failed.get_json()["error"]["code"] == "transient_conflict"
    assert attempts() == 3, "two failed attempts, then the resend"
    assert resent.status_code == 200 and resent.get_json()["data"]["version"] == 2
    assert "Idempotent-Replayed" not in resent.headers
    assert events_of(engine, card.id) == [(1, "created"), (2, "moved")]


def test_the_change_and_its_answer_commit_together(client, engine):
    card = AppointmentFactory()

    send(client, "POST", f"/api/appointments/{card.id}/move", {"status": "READY", "version": 1})

    with engine.connect() as conn:
        stored = conn.execute(text("SELECT status, body FROM idempotency_keys")).one()
    assert stored.status == 200 and '"version":2' in stored.body.replace(" ", "")


@THROUGH_BOTH
def test_a_repeat_while_the_first_holds_the_key_answers_409_in_progress(make_app, client_for, engine, staff):
    app = make_app(BOARD_DB_LOCK_TIMEOUT_MS=200)
    client = client_for(app)
    card = AppointmentFactory()
    body = {"status": "READY", "version": 1}
    with engine.connect() as holder:
        holder.execute(
            text("INSERT INTO idempotency_keys (user_id, key, fingerprint) VALUES (:user, 'key-1', 'first')"),
            {"user": staff.id},
        )

        waiting = send(client, "POST", f"/api/appointments/{card.id}/move", body)

        holder.rollback()
    after_rollback = send(client, "POST", f"/api/appointments/{card.id}/move", body)

    assert waiting.status_code == 409
    assert waiting.get_json()["error"]["code"] == "idempotency_in_progress"
    assert waiting.headers["Retry-After"] == "1"
    assert after_rollback.status_code == 200, "the first never committed, so the key was free again"
    app.extensions["board.engine"].dispose()


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "tab\there"])
def test_a_key_that_is_not_1_to_255_printable_ascii_is_400(client, engine, key):
    card = AppointmentFactory()
    before = table_rows(engine)

    response = send(client, "POST", f"/api/appointments/{card.id}/move", {"status": "READY", "version": 1}, key=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["error"]["message"]
    assert table_rows(engine) == before


def test_a_key_of_255_characters_is_taken(client):
    response = send(client, "POST", "/api/appointments", NEW_CARD, key="k" * 255)

    assert response.status_code == 201


def test_without_a_key_nothing_is_stored(client, engine):
    client.post("/api/appointments", json=NEW_CARD)

    assert count(engine, "SELECT count(*) FROM idempotency_keys") == 0


def test_writes_whose_answer_carries_a_secret_refuse_a_key(client, engine):
    response = send(client, "POST", "/api/tokens", {"label": "cron"})

    assert response.status_code == 400
    assert "secret" in response.get_json()["error"]["message"]
    assert count(engine, "SELECT count(*) FROM api_tokens WHERE label = 'cron'") == 0


def age_keys(engine, user_id: int, count_: int, hours: int = 25, prefix: str = "old-") -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO idempotency_keys (user_id, key, fingerprint, status, body, created_at)"
                " SELECT :user, :prefix || n, 'f', 200, '{}', now() - make_interval(hours => :hours)"
                " FROM generate_series(1, :count) AS n"
            ),
            {"user": user_id, "count": count_, "hours": hours, "prefix": prefix},
        )


def test_keys_older_than_a_day_are_purged_on_write_a_bounded_batch_at_a_time(client, engine, staff):
    age_keys(engine, staff.id, 150)
    age_keys(engine, staff.id, 1, hours=23, prefix="recent-")

    send(client, "POST", "/api/appointments", NEW_CARD, key="fresh")

    assert count(engine, "SELECT count(*) FROM idempotency_keys WHERE created_at < now() - interval '24 hours'") == 50
    assert count(engine, "SELECT count(*) FROM idempotency_keys WHERE key IN ('fresh', 'recent-1')") == 2


def test_an_expired_key_runs_again_as_new(client, engine, staff):
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO idempotency_keys (user_id, key, fingerprint, status, body, created_at)"
                " VALUES (:user, 'key-1', 'other request', 201, '{}', now() - interval '25 hours')"
            ),
            {"user": staff.id},
        )
        # More expired keys than one purge takes, so this one may outlive the purge.
    age_keys(engine, staff.id, 150)

    response = send(client, "POST", "/api/appointments", NEW_CARD)

    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert count(engine, "SELECT count(*) FROM appointments") == 1


# Over a real server: dropped connections and repeats that arrive at the same time.


def raw_request(base_url: str, method: str, path: str, body: bytes, headers: dict) -> bytes:
    host = urlsplit(base_url)
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host.netloc}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@THROUGH_BOTH
def test_a_dropped_connection_then_a_resend_with_the_key_replays_the_new_version(live_server, api_headers, engine):
    card = AppointmentFactory()
    headers = {**api_headers, "Idempotency-Key": "move-42"}
    body = b'{"status": "READY", "version": 1}'
    host = urlsplit(live_server)

    with socket.create_connection((host.hostname, host.port), timeout=10) as sock:
        sock.sendall(raw_request(live_server, "POST", f"/api/appointments/{card.id}/move", body, headers))
    # Cut before reading a byte of the answer: the script never learns whether the move happened.
    assert wait_for(lambda: count(engine, "SELECT count(*) FROM idempotency_keys WHERE status IS NOT NULL") == 1)

    status, answer, response_headers = http_json(
        "POST", f"{live_server}/api/appointments/{card.id}/move", {"status": "READY", "version": 1}, headers=headers
    )

    assert status == 200
    assert answer["data"]["version"] == 2 and answer["data"]["status"] == "READY"
    assert response_headers["Idempotent-Replayed"] == "true"
    assert events_of(engine, card.id) == [(1, "created"), (2, "moved")]


@THROUGH_BOTH
def test_sixteen_threads_sending_the_same_key_at_once_make_exactly_one_change(live_server, api_headers, engine):
    card_id = AppointmentFactory().id
    headers = {**api_headers, "Idempotency-Key": "together"}
    start = threading.Barrier(16)
    answers = []

    def script():
        start.wait()
        answers.append(
            http_json(
                "POST",
                f"{live_server}/api/appointments/{card_id}/move",
                {"status": "READY", "version": 1},
                headers=headers,
            )
        )

    threads = [threading.Thread(target=script) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == 16
    statuses = sorted(status for status, _, _ in answers)
    ran = [answer for status, answer, h in answers if status == 200 and "Idempotent-Replayed" not in h]
    replayed = [answer for status, answer, h in answers if status == 200 and h.get("Idempotent-Replayed") == "true"]
    # Each repeat waits for the first and replays it; on a machine too loaded to finish within the
    # lock timeout, a repeat says so (409 idempotency_in_progress) rather than run again.
    busy = [answer for status, answer, _ in answers if status == 409]
    assert len(ran) == 1, statuses
    assert len(replayed) + len(busy) == 15
    assert all(answer == ran[0] for answer in replayed)
    assert all(answer["error"]["code"] == "idempotency_in_progress" for answer in busy)
    assert events_of(engine, card_id) == [(1, "created"), (2, "moved")]


def test_when_the_answer_cannot_be_stored_the_change_is_rolled_back_with_it(client, engine):
    card = AppointmentFactory()
    before = table_rows(engine)
    with as_operator(), engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION refuse_answer() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN RAISE EXCEPTION 'cannot store the answer'; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER refuse_answer BEFORE UPDATE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION refuse_answer()"
            )
        )
    try:
        response = send(client, "POST", f"/api/appointments/{card.id}/move", {"status": "READY", "version": 1})
    finally:
        with as_operator(), engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse_answer ON idempotency_keys"))
            conn.execute(text("DROP FUNCTION refuse_answer()"))

    assert response.status_code == 500
    assert table_rows(engine) == before, "the move did not commit without its answer"
    assert count(engine, "SELECT count(*) FROM idempotency_keys") == 0
