"""Delivery workers as separate processes: killed mid-delivery, two at once under load, started by board.serving."""

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psutil
from sqlalchemy import select

from board.models import EVENT_KINDS, Webhook, WebhookAttempt
from board.serving import GRACEFUL_STOP_S, stop_webhook_workers
from tests.helpers import ROOT, wait_for
from tests.served import granian
from tests.webhooks.support import PUBLIC_URL, attempts, messages, new_card

DELIVERY_SETTINGS = {
    "BOARD_WEBHOOKS_ALLOW_HTTP": "1",
    "BOARD_WEBHOOKS_ALLOW_PRIVATE": "1",
    "BOARD_PUBLIC_URL": PUBLIC_URL,
}


@contextmanager
def worker_processes(database_url, tmp_path: Path, count: int = 1):
    """`count` delivery workers (python -m board.webhooks.worker) on the test database; SIGTERM at the end."""
    env = {
        **{key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"},
        **DELIVERY_SETTINGS,
        "DATABASE_URL": database_url.render_as_string(hide_password=False),
        "BOARD_WEBHOOK_CONCURRENCY": "4",
    }
    processes = []
    for number in range(count):
        with open(tmp_path / f"worker-{len(list(tmp_path.glob('worker-*')))}-{number}.log", "wb") as log:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "board.webhooks.worker"], cwd=ROOT, env=env, stdout=log, stderr=log
                )
            )
    try:
        yield processes
    finally:
        stop_webhook_workers([process for process in processes if process.poll() is None])


def test_a_worker_killed_mid_delivery_loses_nothing_and_repeats_only_that_webhook_id(
    database_url, client, engine, receiver, add_webhook, tmp_path
):
    add_webhook("held", behaviour="hold-first")
    card = new_card(client)
    for version, status in enumerate(("CHECKED_IN", "IN_PROGRESS"), start=1):
        client.post(f"/api/appointments/{card['id']}/move", json={"status": status, "version": version})
    first, *others = [f"msg_{message.id}" for message in messages(engine)]

    with worker_processes(database_url, tmp_path) as (worker,):
        assert wait_for(receiver.first_held.is_set, 30), "the first delivery under way"
        worker.kill()
        worker.wait()
    receiver.release()  # it answers a worker that is gone: a delivery nobody recorded
    assert wait_for(lambda: receiver.ids("held") == [first], 10)
    assert {message.state for message in messages(engine)} == {"pending"}

    with worker_processes(database_url, tmp_path):
        assert wait_for(lambda: {message.state for message in messages(engine)} == {"delivered"}, 30)

    assert Counter(receiver.ids("held")) == Counter({first: 2, **{webhook_id: 1 for webhook_id in others}})
    assert receiver.unverified == []
    assert [len(attempts(engine, message.id)) for message in messages(engine)] == [1, 1, 1]


def test_two_workers_deliver_every_event_of_500_concurrent_changes_once_and_a_hung_receiver_delays_no_one(
    database_url, served, api_headers, engine, receiver, add_webhook, tmp_path
):
    add_webhook("all")
    add_webhook("moves", kinds=["moved"])
    add_webhook("stuck")  # never answers until the test ends
    receiver.behaviour["stuck"] = "hang"
    threads, moves_each = 10, 49  # 10 cards made, 490 moves: 500 changes

    failures = []

    def make_and_move(number: int) -> None:
        try:
            move_a_new_card(number)
        except Exception as failure:
            failures.append(failure)

    def move_a_new_card(number: int) -> None:
        card = call(served.url, api_headers, "POST", "/api/appointments", {
            "title": f"Card {number}", "customer": "Ada Lovelace", "scheduled_at": "2026-03-10T09:00:00+00:00",
        })  # fmt: skip
        version = card["version"]
        for step in range(moves_each):
            path = f"/api/appointments/{card['id']}/move"
            version = call(
                served.url, api_headers, "POST", path, {"status": STATUS_CYCLE[step % 3], "version": version}
            )["version"]

    with worker_processes(database_url, tmp_path, count=2):
        movers = [threading.Thread(target=make_and_move, args=(number,)) for number in range(threads)]
        for mover in movers:
            mover.start()
        for mover in movers:
            mover.join()
        assert failures == []

        assert wait_for(lambda: len(receiver.ids("all")) == 500 and len(receiver.ids("moves")) == 490, 180), (
            len(receiver.ids("all")),
            len(receiver.ids("moves")),
        )
        # All of it while the hung receiver answered nothing.
        assert receiver.ids("stuck") == []
        receiver.release()

    assert len(set(receiver.ids("all"))) == 500, "two workers never send one message twice"
    assert len(set(receiver.ids("moves"))) == 490
    assert receiver.unverified == []
    bodies = receiver.bodies("all")
    assert Counter(body["type"] for body in bodies) == {"appointment.created": 10, "appointment.moved": 490}
    assert {body["type"] for body in receiver.bodies("moves")} == {"appointment.moved"}
    # One attempt at a time to the hung receiver, whichever worker made it: none began before the last ended.
    stuck = stuck_attempts(engine)
    assert stuck, "the hung receiver was tried"
    for earlier, later in zip(stuck, stuck[1:]):
        assert later.attempted_at >= earlier.attempted_at + timedelta(milliseconds=earlier.duration_ms)


def stuck_attempts(engine) -> list:
    with engine.begin() as conn:
        return conn.execute(
            select(WebhookAttempt.attempted_at, WebhookAttempt.duration_ms)
            .join(Webhook, Webhook.id == WebhookAttempt.webhook_id)
            .where(Webhook.url.endswith("/stuck"))
            .order_by(WebhookAttempt.attempted_at)
        ).all()


STATUS_CYCLE = ("CHECKED_IN", "IN_PROGRESS", "READY")


def call(base_url: str, headers: dict, method: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={**headers, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def test_the_served_app_starts_its_delivery_worker_and_stops_it_with_itself(
    database_url, engine, receiver, add_webhook, api_headers, tmp_path
):
    add_webhook("served", kinds=EVENT_KINDS)
    # No BOARD_PUBLIC_URL, as with make run: the payload's status link is on the server's own address.
    settings = {
        "BOARD_WEBHOOKS_ALLOW_HTTP": "1",
        "BOARD_WEBHOOKS_ALLOW_PRIVATE": "1",
        "BOARD_WEBHOOK_WORKERS": "1",
        "TMPDIR": str(tmp_path),
    }
    with granian(database_url, workers=1, threads=2, **settings) as server:
        children = psutil.Process(server.process.pid).children()
        delivering = [child for child in children if "board.webhooks.worker" in " ".join(child.cmdline())]
        assert len(delivering) == 1
        card = call(server.url, api_headers, "POST", "/api/appointments", {
            "title": "Oil change", "customer": "Ada Lovelace", "scheduled_at": "2026-03-10T09:00:00+00:00",
        })  # fmt: skip

        assert wait_for(lambda: len(receiver.bodies("served")) == 1, 30)
        data = receiver.bodies("served")[0]["data"]
        assert data["card"]["id"] == card["id"]
        assert data["status_url"].startswith(f"{server.url}/s/")
        with urllib.request.urlopen(data["status_url"], timeout=10) as page:
            assert "Oil change" in page.read().decode()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=GRACEFUL_STOP_S + 5) == 0

    gone, alive = psutil.wait_procs(children, timeout=GRACEFUL_STOP_S)
    for survivor in alive:
        survivor.kill()
    assert alive == []
