"""Webhook metrics: attempts by outcome (counted by the workers), and the queue as it stands (read at each scrape)."""

from flask import current_app, has_app_context
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text

from board.db import acting_for, one_statement

ATTEMPTS = Counter(
    "board_webhook_attempts",
    "Webhook delivery attempts, by outcome: delivered, retry (failed, tried again later), failed (gave up).",
    ["outcome"],
)
QUEUE = text("SELECT depth, extract(epoch FROM now() - oldest) AS oldest_s FROM board_webhook_queue()")


def count_attempt(outcome: str) -> None:
    ATTEMPTS.labels(outcome).inc()


class QueueCollector:
    """Every shop's undelivered messages: how many, and how long the oldest has waited (0 when none)."""

    def collect(self):
        if not has_app_context():
            return
        with acting_for(None), one_statement(current_app.extensions["board.engine"]) as conn:
            row = conn.execute(QUEUE).one()
        yield GaugeMetricFamily(
            "board_webhook_queue_depth", "Webhook messages queued and not delivered yet (retries included).", row.depth
        )
        yield GaugeMetricFamily(
            "board_webhook_oldest_undelivered_seconds",
            "How long the oldest undelivered webhook message has been queued.",
            float(row.oldest_s or 0),
        )
