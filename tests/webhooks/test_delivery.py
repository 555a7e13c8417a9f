"""Webhook delivery: every change's event reaches every endpoint that wants it, signed, retried, never lost."""

from datetime import timedelta

import psycopg
from sqlalchemy import func, select, update

from board.appointments.changes import CHANGES_CHANNEL
from board.db import as_operator
from board.models import AppointmentEvent, Webhook, WebhookMessage
from board.webhooks.worker import RETRY_DELAYS_S, WEBHOOKS_CHANNEL
from tests.helpers import wait_for
from tests.webhooks.support import PUBLIC_URL, attempts, messages, new_card


def test_creates_moves_edits_and_deletes_arrive_signed_as_history_records_them_filters_respected(
    client, anonymous, engine, receiver, add_webhook, deliver
):
    add_webhook("everything")
    add_webhook("ready", kinds=["moved"], to_statuses=["READY"])
    add_webhook("edits", kinds=["edited", "deleted"])
    card = client.post(
        "/api/appointments",
        json={"title": "Oil change", "customer": "Ada Lovelace", "scheduled_at": "2026-03-10T09:00:00+00:00"},
    ).get_json()["data"]
    assert (
        client.post(f"/api/appointments/{card['id']}/move", json={"status": "IN_PROGRESS", "version": 1}).status_code
        == 200
    )
    assert (
        client.post(f"/api/appointments/{card['id']}/move", json={"status": "READY", "version": 2}).status_code == 200
    )
    assert client.patch(f"/api/appointments/{card['id']}", json={"notes": "Squeaky", "version": 3}).status_code == 200
    assert client.delete(f"/api/appointments/{card['id']}?version=4").status_code in (200, 204)

    deliver()

    assert wait_for(lambda: len(receiver.bodies("everything")) == 5, 30), receiver.bodies("everything")
    assert wait_for(lambda: len(receiver.bodies("edits")) == 2, 10)
    assert wait_for(lambda: len(receiver.bodies("ready")) == 1, 10)
    assert receiver.unverified == []
    everything = receiver.bodies("everything")
    assert [body["type"] for body in everything] == [
        "appointment.created",
        "appointment.moved",
        "appointment.moved",
        "appointment.edited",
        "appointment.deleted",
    ]
    assert [body["data"]["version"] for body in everything] == [1, 2, 3, 4, 5]
    assert [body["data"]["card"]["version"] for body in everything] == [1, 2, 3, 4, 5]
    moved = everything[2]["data"]
    assert (moved["from_status"], moved["to_status"], moved["card"]["status"]) == ("IN_PROGRESS", "READY", "READY")
    assert moved["shop"] == {"slug": "main", "name": "Main shop"}
    assert moved["by"] == {"username": "sam", "name": "Sam Staff", "token": "tests"}
    assert moved["card"]["customer"] == "Ada Lovelace" and moved["card"]["id"] == card["id"]
    assert moved["status_url"].startswith(f"{PUBLIC_URL}/s/")
    assert len({body["data"]["status_url"] for body in everything}) == 1, "one link per appointment"
    assert client.get(f"/api/appointments/{card['id']}/status-link").status_code == 404, "deleted by now"
    page = anonymous.get(moved["status_url"].removeprefix(PUBLIC_URL))
    assert page.status_code == 200 and "Oil change" in page.get_data(as_text=True)
    assert "from_status" not in everything[3]["data"]
    assert everything[3]["data"]["card"]["notes"] == "Squeaky"
    assert receiver.bodies("ready") == [everything[2]]
    assert [body["type"] for body in receiver.bodies("edits")] == ["appointment.edited", "appointment.deleted"]
    # One webhook-id per event per endpoint.
    assert len(set(receiver.ids("everything") + receiver.ids("ready") + receiver.ids("edits"))) == 8
    # The receiver answers before the worker commits what it answered.
    assert wait_for(lambda: {(m.state, m.attempts) for m in messages(engine)} == {("delivered", 1)}, 10)


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt_with_the_same_webhook_id(
    client, admin_client, engine, receiver, add_webhook, deliver, caplog
):
    endpoint = add_webhook("flaky", behaviour="fail-twice")
    card = client.post(
        "/api/appointments",
        json={"title": "Brakes", "customer": "Grace Hopper", "scheduled_at": "2026-03-10T10:00:00+00:00"},
    ).get_json()["data"]
    deliver()
    (message,) = messages(engine)

    for failed, delay_s in ((1, RETRY_DELAYS_S[0]), (2, RETRY_DELAYS_S[1])):
        assert wait_for(lambda: len(attempts(engine, message.id)) == failed, 30)
        (now,) = messages(engine)
        last = attempts(engine, message.id)[-1]
        assert (now.state, now.attempts, last.status, last.error) == ("pending", failed, 500, None)
        waited = (now.next_attempt_at - last.attempted_at).total_seconds()
        assert delay_s * 0.8 - 0.5 <= waited <= delay_s * 1.2 + 0.5, waited
        # The retry's time comes: as if its delay had passed.
        with as_operator(), engine.begin() as conn:
            conn.execute(update(WebhookMessage).values(next_attempt_at=func.now()))

    assert wait_for(lambda: len(attempts(engine, message.id)) == 3, 30)
    assert [attempt.status for attempt in attempts(engine, message.id)] == [500, 500, 200]
    log = admin_client.get(f"/api/webhooks/{endpoint}/deliveries").get_json()["data"]
    assert [(item["status"], item["type"]) for item in log] == [(200, "appointment.created")] + [
        (500, "appointment.created")
    ] * 2
    # One log line per attempt, naming the message and never the secret or the URL.
    lines = [record for record in caplog.records if record.getMessage() == "webhook attempt"]
    assert [(line.fields["webhook-id"], line.fields["status"]) for line in lines] == [
        (f"msg_{message.id}", 500),
        (f"msg_{message.id}", 500),
        (f"msg_{message.id}", 200),
    ]
    assert not any(receiver.secrets["flaky"] in str(line.fields) or "127.0.0.1" in str(line.fields) for line in lines)

    assert receiver.attempts[f"msg_{message.id}"] == 3
    assert receiver.ids("flaky") == [f"msg_{message.id}"]
    assert receiver.bodies("flaky")[0]["data"]["card"]["id"] == card["id"]
    assert messages(engine)[0].state == "delivered"

    # Sent again on request, as the same message.
    redone = admin_client.post(f"/api/webhooks/{endpoint}/deliveries/{log[0]['id']}/redeliver")
    assert redone.status_code == 202
    assert wait_for(lambda: len(attempts(engine, message.id)) == 4, 30)
    assert receiver.ids("flaky") == [f"msg_{message.id}"] * 2


def test_a_change_that_is_refused_as_stale_queues_nothing(client, engine, add_webhook):
    add_webhook("everything")
    card = client.post(
        "/api/appointments",
        json={"title": "Tyres", "customer": "Alan Turing", "scheduled_at": "2026-03-10T11:00:00+00:00"},
    ).get_json()["data"]
    assert (
        client.post(f"/api/appointments/{card['id']}/move", json={"status": "READY", "version": 1}).status_code == 200
    )

    stale = client.post(f"/api/appointments/{card['id']}/move", json={"status": "CANCELLED", "version": 1})

    assert stale.status_code == 409
    assert [message.event_seq for message in messages(engine)] == [1, 2]


def test_a_disabled_endpoint_is_sent_nothing_and_queued_nothing(client, engine, receiver, add_webhook, deliver):
    endpoint = add_webhook("off")
    with engine.begin() as conn:
        conn.execute(update(Webhook).where(Webhook.id == endpoint).values(enabled=False))
    client.post(
        "/api/appointments",
        json={"title": "Tyres", "customer": "Alan Turing", "scheduled_at": "2026-03-10T11:00:00+00:00"},
    )
    assert messages(engine) == []


def test_an_address_that_now_resolves_inside_is_refused_at_delivery(client, engine, receiver, add_webhook, deliver):
    add_webhook("inside")
    client.post(
        "/api/appointments",
        json={"title": "Tyres", "customer": "Alan Turing", "scheduled_at": "2026-03-10T11:00:00+00:00"},
    )
    deliver(BOARD_WEBHOOKS_ALLOW_PRIVATE=False)
    (message,) = messages(engine)

    assert wait_for(lambda: len(attempts(engine, message.id)) == 1, 30)
    (attempt,) = attempts(engine, message.id)
    assert attempt.status is None and attempt.error.startswith("refused: The host 127.0.0.1 is on an internal network")
    assert receiver.attempts == {}
    assert messages(engine)[0].state == "pending"


def test_retries_end_after_three_days_and_five_failing_days_disable_the_endpoint(
    client, engine, receiver, add_webhook, deliver
):
    endpoint = add_webhook("down", behaviour="fail-twice")
    client.post(
        "/api/appointments",
        json={"title": "Tyres", "customer": "Alan Turing", "scheduled_at": "2026-03-10T11:00:00+00:00"},
    )
    with as_operator(), engine.begin() as conn:
        conn.execute(update(WebhookMessage).values(created_at=func.now() - timedelta(days=3, minutes=1)))
        conn.execute(update(Webhook).values(failing_since=func.now() - timedelta(days=5, minutes=1)))
    deliver()
    (message,) = messages(engine)

    assert wait_for(lambda: messages(engine)[0].state == "failed", 30)
    with engine.begin() as conn:
        disabled = conn.execute(select(Webhook.enabled, Webhook.disabled_reason).where(Webhook.id == endpoint)).one()
    assert disabled.enabled is False
    assert disabled.disabled_reason == "Every delivery failed for 5 days; the last: HTTP 500."
    assert len(attempts(engine, message.id)) == 1


def test_metrics_count_attempts_and_show_the_queue(client, engine, receiver, add_webhook, deliver, app):
    add_webhook("flaky", behaviour="fail-twice")
    client.post(
        "/api/appointments",
        json={"title": "Tyres", "customer": "Alan Turing", "scheduled_at": "2026-03-10T11:00:00+00:00"},
    )
    with as_operator(), engine.begin() as conn:
        conn.execute(update(WebhookMessage).values(created_at=func.now() - timedelta(minutes=5)))

    metrics = client.get("/metrics").get_data(as_text=True)

    assert "board_webhook_queue_depth 1.0" in metrics
    oldest = next(line for line in metrics.splitlines() if line.startswith("board_webhook_oldest_undelivered_seconds"))
    assert 300 <= float(oldest.split()[1]) < 400


def test_workers_are_rung_only_by_a_change_that_queued_a_message_once_for_all_its_endpoints(
    client, engine, add_webhook, database_url
):
    add_webhook("deletions", kinds=["deleted"])
    add_webhook("also deletions", kinds=["deleted"])
    rung = []
    with psycopg.connect(database_url.render_as_string(hide_password=False).replace("+psycopg", "")) as listener:
        listener.autocommit = True
        listener.execute(f"LISTEN {CHANGES_CHANNEL}")
        listener.execute(f"LISTEN {WEBHOOKS_CHANNEL}")

        card = new_card(client)  # no endpoint wants a creation
        assert client.delete(f"/api/appointments/{card['id']}?version=1").status_code == 200

        for notify in listener.notifies(timeout=10):
            rung.append((notify.channel, notify.payload))
            if notify.channel == WEBHOOKS_CHANNEL:
                break
    with engine.begin() as conn:
        seqs = dict(
            conn.execute(
                select(AppointmentEvent.kind, AppointmentEvent.seq).where(AppointmentEvent.appointment_id == card["id"])
            ).all()
        )
    shop_id, created_seq, deleted_seq = messages(engine)[0].shop_id, seqs["created"], seqs["deleted"]
    assert rung == [
        (CHANGES_CHANNEL, f"{shop_id}:{created_seq}"),
        (CHANGES_CHANNEL, f"{shop_id}:{deleted_seq}"),
        (WEBHOOKS_CHANNEL, f"{shop_id}:{deleted_seq}"),
    ]
    assert len(messages(engine)) == 2
