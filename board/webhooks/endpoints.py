"""A shop's webhook endpoints, for its admins: make, list, change, delete, rotate the secret; read and redo deliveries.

A URL is checked (board.webhooks.addresses) before the transaction opens: resolving a name may
take a while, and no row should be locked meanwhile. The signing secret is derived from a salt
(board.webhooks.signing) and returned only by the two use cases that make one.
"""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Engine, Row, and_, case, delete, func, insert, select, text, update

from board.db import transaction
from board.errors import NotFound, TooManyWebhooks
from board.keys import new_salt
from board.models import AppointmentEvent, Webhook, WebhookAttempt, WebhookMessage
from board.webhooks.addresses import resolve
from board.webhooks.signing import PREVIOUS_SECRET_KEPT, secret_of

# Endpoints per shop: an SMS tool, invoicing, a chat channel or two; more is a mistake or abuse.
MAX_WEBHOOKS = 20
# The newest attempts an endpoint's delivery log shows.
DELIVERIES_SHOWN = 100

NO_WEBHOOK = "No such webhook."
NO_DELIVERY = "No such delivery for this webhook."

# Messages still to send: the panel shows them beside the endpoint.
_pending = (
    select(func.count())
    .where(WebhookMessage.webhook_id == Webhook.id, WebhookMessage.state == "pending")
    .correlate(Webhook)
    .scalar_subquery()
    .label("pending")
)
WEBHOOK_COLUMNS = (
    Webhook.id,
    Webhook.url,
    Webhook.kinds,
    Webhook.to_statuses,
    Webhook.enabled,
    Webhook.disabled_reason,
    Webhook.failing_since,
    # Shown only while the old secret still signs.
    case((Webhook.previous_until > func.now(), Webhook.previous_until)).label("previous_until"),
    Webhook.created_at,
    _pending,
)


@dataclass(frozen=True)
class Filters:
    kinds: list[str]
    to_statuses: list[str] | None


def checked_url(url: str) -> str:
    """`url` if webhooks may go there under this service's settings; BadWebhookUrl (422) if not."""
    config = current_app.config
    resolve(url, allow_http=config["BOARD_WEBHOOKS_ALLOW_HTTP"], allow_private=config["BOARD_WEBHOOKS_ALLOW_PRIVATE"])
    return url


def _one(conn, webhook_id: int) -> Row:
    row = conn.execute(select(*WEBHOOK_COLUMNS).where(Webhook.id == webhook_id)).one_or_none()
    if row is None:
        raise NotFound(NO_WEBHOOK)
    return row


def list_webhooks(engine: Engine) -> list[Row]:
    with transaction(engine) as conn:
        return conn.execute(select(*WEBHOOK_COLUMNS).order_by(Webhook.id)).all()


def get_webhook(engine: Engine, webhook_id: int) -> Row:
    with transaction(engine) as conn:
        return _one(conn, webhook_id)


def create_webhook(engine: Engine, url: str, filters: Filters) -> tuple[Row, str]:
    """Make an endpoint, enabled; return it and its signing secret (shown this once)."""
    checked_url(url)
    salt = new_salt()
    with transaction(engine) as conn:
        # Two admins adding at once must not both see room for one more.
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('board.webhooks'), current_setting('board.shop_id')::int)")
        )
        if conn.scalar(select(func.count()).select_from(Webhook)) >= MAX_WEBHOOKS:
            raise TooManyWebhooks(MAX_WEBHOOKS)
        webhook_id = conn.scalar(
            insert(Webhook)
            .values(url=url, kinds=filters.kinds, to_statuses=filters.to_statuses, secret_salt=salt)
            .returning(Webhook.id)
        )
        row = _one(conn, webhook_id)
    return row, secret_of(salt)


def update_webhook(engine: Engine, webhook_id: int, changes: dict) -> Row:
    """Change an endpoint's URL, filters or enabled; enabling clears why the service disabled it."""
    values = dict(changes)
    if "url" in values:
        checked_url(values["url"])
    if values.get("enabled") is True:
        # A new start: its failing streak begins again (an endpoint already enabled keeps its own).
        values["failing_since"] = case((Webhook.enabled, Webhook.failing_since), else_=None)
    if "enabled" in values:
        # An admin's choice either way: no longer the service's reason.
        values["disabled_reason"] = None
    with transaction(engine) as conn:
        changed = conn.scalar(update(Webhook).where(Webhook.id == webhook_id).values(**values).returning(Webhook.id))
        if changed is None:
            raise NotFound(NO_WEBHOOK)
        return _one(conn, webhook_id)


def delete_webhook(engine: Engine, webhook_id: int) -> Row:
    """Delete an endpoint with its queue and delivery log; answer it as it was."""
    with transaction(engine) as conn:
        row = _one(conn, webhook_id)
        conn.execute(delete(Webhook).where(Webhook.id == webhook_id))
    return row


def rotate_secret(engine: Engine, webhook_id: int) -> tuple[Row, str]:
    """Give an endpoint a new secret (returned, shown once); the current one keeps signing beside it for 24 hours.

    A second rotation within those hours drops the oldest secret: only two ever sign.
    """
    salt = new_salt()
    with transaction(engine) as conn:
        rotated = conn.scalar(
            update(Webhook)
            .where(Webhook.id == webhook_id)
            .values(
                previous_salt=Webhook.secret_salt,
                previous_until=func.now() + PREVIOUS_SECRET_KEPT,
                secret_salt=salt,
            )
            .returning(Webhook.id)
        )
        if rotated is None:
            raise NotFound(NO_WEBHOOK)
        row = _one(conn, webhook_id)
    return row, secret_of(salt)


def list_deliveries(engine: Engine, webhook_id: int) -> list[Row]:
    """The endpoint's newest DELIVERIES_SHOWN attempts, newest first, each with its event's kind."""
    statement = (
        select(
            WebhookAttempt.id,
            WebhookAttempt.webhook_id,
            AppointmentEvent.kind,
            WebhookAttempt.attempted_at,
            WebhookAttempt.status,
            WebhookAttempt.error,
            WebhookAttempt.duration_ms,
        )
        .join(
            WebhookMessage,
            and_(WebhookMessage.shop_id == WebhookAttempt.shop_id, WebhookMessage.id == WebhookAttempt.message_id),
        )
        .join(
            AppointmentEvent,
            and_(AppointmentEvent.shop_id == WebhookMessage.shop_id, AppointmentEvent.seq == WebhookMessage.event_seq),
        )
        .where(WebhookAttempt.webhook_id == webhook_id)
        .order_by(WebhookAttempt.id.desc())
        .limit(DELIVERIES_SHOWN)
    )
    with transaction(engine) as conn:
        _one(conn, webhook_id)
        return conn.execute(statement).all()


def redeliver(engine: Engine, webhook_id: int, attempt_id: int) -> Row:
    """Queue an attempt's message again, due now, with a fresh retry window and the same webhook-id."""
    message_id = (
        select(WebhookAttempt.message_id)
        .where(WebhookAttempt.id == attempt_id, WebhookAttempt.webhook_id == webhook_id)
        .scalar_subquery()
    )
    requeued = (
        update(WebhookMessage)
        .where(WebhookMessage.id == message_id, WebhookMessage.webhook_id == webhook_id)
        .values(state="pending", attempts=0, next_attempt_at=func.now(), created_at=func.now())
        .returning(
            WebhookMessage.shop_id,
            WebhookMessage.id,
            WebhookMessage.webhook_id,
            WebhookMessage.event_seq,
            WebhookMessage.state,
            WebhookMessage.next_attempt_at,
        )
        .cte("requeued")
    )
    statement = select(
        requeued.c.id, requeued.c.webhook_id, requeued.c.state, requeued.c.next_attempt_at, AppointmentEvent.kind
    ).join(
        AppointmentEvent,
        and_(AppointmentEvent.shop_id == requeued.c.shop_id, AppointmentEvent.seq == requeued.c.event_seq),
    )
    with transaction(engine) as conn:
        _one(conn, webhook_id)
        row = conn.execute(statement).one_or_none()
        if row is None:
            raise NotFound(NO_DELIVERY)
    return row
