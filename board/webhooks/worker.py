"""The delivery worker: finds the endpoints with messages due and sends each endpoint's messages, one at a time.

`python -m board.webhooks.worker` runs one; board.serving starts BOARD_WEBHOOK_WORKERS of them
beside the web workers (one by default, so `make run` delivers). Any number may run, on any
machines that reach the database: a worker sends an endpoint's messages only while it holds that
endpoint's advisory lock, in the transaction that records the attempt, so no two workers ever
send one endpoint's message at once, and a worker that dies mid-delivery lets go with its
connection: the message is sent again, with the same webhook-id, by whoever comes next.

Each endpoint is served by one thread at a time (BOARD_WEBHOOK_CONCURRENCY threads per worker),
so a receiver that hangs holds one thread for at most delivery.TIMEOUT_S while the others keep
delivering to everyone else. The queue is a table rather than a queue library's: the change's
own statement writes its messages (board.appointments.changes.queued_for_webhooks), under the
shop's row security, which a library's own tables and separate enqueue call would not give.
"""

import logging
import os
import random
import select
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psycopg
from flask import Flask
from sqlalchemy import Connection, text, update

from board.db import acting_for, one_statement, transaction
from board.errors import BadWebhookUrl
from board.live.listener import listen_url
from board.models import Webhook, WebhookAttempt, WebhookMessage
from board.status_links import links
from board.webhooks import addresses, delivery, payload, signing
from board.webhooks.metrics import count_attempt

log = logging.getLogger("board.webhooks")

# After the nth failed attempt, wait about this long (within JITTER) before the next; then every RETRY_EVERY_S.
RETRY_DELAYS_S = (5, 30, 120, 600, 1800, 3600)
RETRY_EVERY_S = 7200
JITTER = 0.2
GIVE_UP_AFTER = timedelta(days=3)
DISABLE_AFTER = timedelta(days=5)
# An endpoint's messages sent in one turn before its thread goes back to the pool.
MESSAGES_PER_TURN = 50
# Where a committed change that queued webhook messages rings (a trigger of migration 0013): not at
# every change, so workers sleep while no endpoint wants anything.
WEBHOOKS_CHANNEL = "board_webhooks"
# Without a change to wake it, a worker looks for retries due this often.
SCAN_EVERY_S = 1.0
# ... and, however busy the shops, no more often than this.
SCAN_AT_MOST_EVERY_S = 0.05
# The advisory lock class of "delivering to endpoint n" (the two-key form: apart from board's other locks).
ENDPOINT_LOCK_CLASS = 19019
# Set by board.serving for the workers it starts: they stop when it dies, even by kill -9.
PARENT_PID = "BOARD_WEBHOOK_PARENT_PID"


def retry_delay(attempts: int) -> timedelta:
    """How long after its `attempts`th failed attempt a message is tried again."""
    base = RETRY_DELAYS_S[attempts - 1] if attempts <= len(RETRY_DELAYS_S) else RETRY_EVERY_S
    return timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))


class Worker:
    def __init__(self, app: Flask, concurrency: int):
        self.app = app
        self.engine = app.extensions["board.engine"]
        self.key = app.extensions["board.server_key"]
        self.allow_http = app.config["BOARD_WEBHOOKS_ALLOW_HTTP"]
        self.allow_private = app.config["BOARD_WEBHOOKS_ALLOW_PRIVATE"]
        self.public_url = (app.config["BOARD_PUBLIC_URL"] or "").rstrip("/")
        self.concurrency = concurrency
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="webhook")
        self.busy: set[tuple[int, int]] = set()
        # Endpoints another worker was found serving: left to it for a while rather than contended for.
        self.resting: dict[tuple[int, int], float] = {}
        self.busy_lock = threading.Lock()
        self.stopping = threading.Event()
        self.wake = threading.Event()

    # --- finding work -------------------------------------------------------------------------

    def due_endpoints(self) -> list[tuple[int, int]]:
        with acting_for(None), one_statement(self.engine) as conn:
            rows = conn.execute(
                text("SELECT shop_id, webhook_id FROM board_due_webhooks(:how_many)"),
                {"how_many": self.concurrency * 4},
            )
            return [tuple(row) for row in rows]

    def dispatch(self) -> int:
        """Hand each due endpoint that no thread here serves to a thread; return how many were handed."""
        handed = 0
        now = time.monotonic()
        for endpoint in self.due_endpoints():
            with self.busy_lock:
                if endpoint in self.busy or len(self.busy) >= self.concurrency or self.resting.get(endpoint, 0) > now:
                    continue
                self.busy.add(endpoint)
            self.pool.submit(self.serve_endpoint, *endpoint)
            handed += 1
        return handed

    def run(self) -> None:
        """Deliver until stop(): look for due messages whenever one is queued, and every SCAN_EVERY_S."""
        listener = threading.Thread(target=self.listen, name="webhook-listen", daemon=True)
        listener.start()
        while not self.stopping.is_set():
            try:
                self.dispatch()
            except Exception:  # the database away for a moment: look again at the next turn
                log.exception("looking for webhook messages due failed")
            self.wake.wait(SCAN_EVERY_S)
            # However many changes ring meanwhile: one look covers them all.
            self.stopping.wait(SCAN_AT_MOST_EVERY_S)
            self.wake.clear()
        self.pool.shutdown(wait=True)

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def listen(self) -> None:
        """Wake the loop when a committed change queued a message (migration 0013 rings WEBHOOKS_CHANNEL)."""
        url = listen_url(self.app.config)
        while not self.stopping.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {WEBHOOKS_CHANNEL}")
                    while not self.stopping.is_set():
                        if select.select([conn.fileno()], [], [], SCAN_EVERY_S)[0]:
                            if any(True for _ in conn.notifies(timeout=0)):
                                self.wake.set()
            except psycopg.Error:
                self.stopping.wait(SCAN_EVERY_S)

    # --- delivering ---------------------------------------------------------------------------

    def serve_endpoint(self, shop_id: int, webhook_id: int) -> None:
        try:
            with self.app.app_context():
                self.serve_messages(shop_id, webhook_id)
        except Exception:
            log.exception("delivering to webhook %s failed", webhook_id)
        finally:
            with self.busy_lock:
                self.busy.discard((shop_id, webhook_id))
            self.wake.set()

    def serve_messages(self, shop_id: int, webhook_id: int) -> None:
        for _ in range(MESSAGES_PER_TURN):
            if self.stopping.is_set():
                return
            sent = self.deliver_next(shop_id, webhook_id)
            if sent is None:  # another worker holds it
                with self.busy_lock:
                    self.resting[(shop_id, webhook_id)] = time.monotonic() + SCAN_EVERY_S
                return
            if not sent:
                return

    def deliver_next(self, shop_id: int, webhook_id: int) -> bool | None:
        """Send the endpoint's next message due: True if one was attempted, False if none is due, None if
        another worker is delivering to this endpoint."""
        with acting_for(shop_id), transaction(self.engine) as conn:
            held = conn.scalar(
                text("SELECT pg_try_advisory_xact_lock(:class, (:webhook_id % 2147483647)::integer)"),
                {"class": ENDPOINT_LOCK_CLASS, "webhook_id": webhook_id},
            )
            if not held:
                return None
            row = conn.execute(payload.NEXT_DUE, {"webhook_id": webhook_id}).one_or_none()
            if row is None:
                return False
            outcome = self.attempt(shop_id, row)
            self.record(conn, webhook_id, row, outcome)
        return True

    def link_of(self, shop_id: int, appointment_id: int) -> str:
        """The card's status link, made (if it must be) and committed in a transaction of its own.

        Not in the delivery's: a link made there would stay uncommitted while the receiver takes
        its time, and every other endpoint's delivery of that card would wait on it.
        """
        with acting_for(shop_id), transaction(self.engine) as conn:
            return links.status_url(conn, appointment_id, self.public_url)

    def attempt(self, shop_id: int, row) -> delivery.Outcome:
        try:
            target = addresses.resolve(row.url, allow_http=self.allow_http, allow_private=self.allow_private)
        except BadWebhookUrl as refused:
            return delivery.Outcome(None, f"refused: {refused.reason}", 0)
        if row.link_salt is not None:
            link = links.url_of(links.token_of(row.link_salt), self.public_url)
        else:
            link = self.link_of(shop_id, row.appointment_id)
        body = payload.body_of(row, link)
        now = datetime.now(UTC)
        salts = [row.secret_salt] + ([row.previous_salt] if row.previous_in_use else [])
        headers = {
            "webhook-id": payload.message_id(row),
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signing.signature_header(salts, payload.message_id(row), now, body, self.key),
        }
        return delivery.post(target, body, headers)

    def record(self, conn: Connection, webhook_id: int, row, outcome: delivery.Outcome) -> None:
        attempts = row.attempts + 1
        conn.execute(
            WebhookAttempt.__table__.insert().values(
                message_id=row.id,
                webhook_id=webhook_id,
                status=outcome.status,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
        now = datetime.now(UTC)
        message = update(WebhookMessage).where(WebhookMessage.id == row.id).values(attempts=attempts)
        endpoint = update(Webhook).where(Webhook.id == webhook_id)
        if outcome.delivered:
            result = "delivered"
            conn.execute(message.values(state="delivered"))
            if row.failing_since is not None:
                conn.execute(endpoint.values(failing_since=None))
        else:
            gave_up = now - row.created_at >= GIVE_UP_AFTER
            result = "failed" if gave_up else "retry"
            conn.execute(
                message.values(state="failed")
                if gave_up
                else message.values(next_attempt_at=now + retry_delay(attempts))
            )
            failing_since = row.failing_since or now
            if now - failing_since >= DISABLE_AFTER:
                reason = f"Every delivery failed for {DISABLE_AFTER.days} days; the last: {outcome.describe()}."
                conn.execute(endpoint.values(enabled=False, disabled_reason=reason))
            elif row.failing_since is None:
                conn.execute(endpoint.values(failing_since=now))
        count_attempt(result)
        log.info(
            "webhook attempt",
            extra={
                "fields": {
                    "webhook_id": webhook_id,
                    "webhook-id": payload.message_id(row),
                    "type": payload.event_type(row.kind),
                    "attempt": attempts,
                    "status": outcome.status,
                    "error": outcome.error,
                    "duration_ms": outcome.duration_ms,
                    "outcome": result,
                }
            },
        )


def main() -> None:
    from board import create_app, logs
    from board.serving import positive_setting, stop_with_parent

    stop_with_parent(os.environ.get(PARENT_PID))
    concurrency = positive_setting("BOARD_WEBHOOK_CONCURRENCY", 8)
    # Two connections per delivery thread (the attempt's, a status link's), one for the scan.
    os.environ["BOARD_DB_POOL_SIZE"] = str(2 * concurrency + 1)
    app = create_app()
    logs.configure()
    if not app.config["BOARD_PUBLIC_URL"]:
        sys.exit("board: set BOARD_PUBLIC_URL (https://board.example): webhook payloads carry absolute status links.")
    worker = Worker(app, concurrency)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    signal.signal(signal.SIGINT, lambda *_: worker.stop())
    log.info("webhook worker started", extra={"fields": {"pid": os.getpid(), "concurrency": concurrency}})
    worker.run()
    sys.exit(0)


if __name__ == "__main__":
    main()
