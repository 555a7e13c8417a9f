"""A receiver on 127.0.0.1, endpoints of the test's shop pointing at it, and the queue as the tests read it."""

import threading

import pytest
from sqlalchemy import insert

from board import keys
from board.models import EVENT_KINDS, Webhook
from board.webhooks import signing
from board.webhooks.worker import Worker
from tests.webhooks.receiver import Receiver
from tests.webhooks.support import PUBLIC_URL


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def add_webhook(app, engine, receiver):
    """Make an endpoint of the test's shop pointing at the receiver's `name`; return its id."""

    def add(name: str, behaviour: str = "ok", kinds=EVENT_KINDS, to_statuses=None) -> int:
        salt = keys.new_salt()
        receiver.expect(name, signing.secret_of(salt, app.extensions["board.server_key"]), behaviour)
        with engine.begin() as conn:
            return conn.scalar(
                insert(Webhook)
                .values(url=receiver.url(name), kinds=list(kinds), to_statuses=to_statuses, secret_salt=salt)
                .returning(Webhook.id)
            )

    return add


@pytest.fixture
def deliver(make_app):
    """Start a delivery worker in this process on the test database; it is stopped after the test."""
    running = []

    def start(**settings) -> Worker:
        worker_app = make_app(
            **{
                "BOARD_WEBHOOKS_ALLOW_HTTP": True,
                "BOARD_WEBHOOKS_ALLOW_PRIVATE": True,
                "BOARD_PUBLIC_URL": PUBLIC_URL,
                **settings,
            }
        )
        worker = Worker(worker_app, concurrency=4)
        thread = threading.Thread(target=worker.run)
        thread.start()
        running.append((worker, thread))
        return worker

    yield start
    for worker, thread in running:
        worker.stop()
        thread.join(timeout=30)
