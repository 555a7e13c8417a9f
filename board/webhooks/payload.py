"""What a webhook sends: an event of the shop's history, as the history records it, with the card at that version."""

import json

from sqlalchemy import bindparam, func, select

from board.appointments.card_json import card_from_snapshot, utc_iso
from board.appointments.history import by_out, with_authors
from board.live.feed import CHANGE_COLUMNS
from board.models import AppointmentEvent, Shop, StatusLink, Webhook, WebhookMessage

# One endpoint's next message due, with all its body needs; row security keeps it to the worker's shop.
NEXT_DUE = (
    with_authors(
        select(
            WebhookMessage.id,
            WebhookMessage.attempts,
            WebhookMessage.created_at,
            Webhook.url,
            Webhook.secret_salt,
            Webhook.previous_salt,
            Webhook.failing_since,
            (Webhook.previous_until > func.now()).label("previous_in_use"),
            *CHANGE_COLUMNS,
            Shop.slug.label("shop_slug"),
            Shop.name.label("shop_name"),
            # The card's status link, when it has one already (else the worker makes it).
            StatusLink.salt.label("link_salt"),
        )
        .join(Webhook, (Webhook.shop_id == WebhookMessage.shop_id) & (Webhook.id == WebhookMessage.webhook_id))
        .join(
            AppointmentEvent,
            (AppointmentEvent.shop_id == WebhookMessage.shop_id) & (AppointmentEvent.seq == WebhookMessage.event_seq),
        )
        .join(Shop, Shop.id == WebhookMessage.shop_id)
        .outerjoin(
            StatusLink,
            (StatusLink.shop_id == AppointmentEvent.shop_id)
            & (StatusLink.appointment_id == AppointmentEvent.appointment_id),
        )
    )
    .where(
        WebhookMessage.webhook_id == bindparam("webhook_id"),
        WebhookMessage.state == "pending",
        WebhookMessage.next_attempt_at <= func.now(),
        Webhook.enabled,
    )
    .order_by(WebhookMessage.next_attempt_at, WebhookMessage.id)
    .limit(1)
)


def message_id(row) -> str:
    """The webhook-id header: the same on every attempt of one event to one endpoint."""
    return f"msg_{row.id}"


def event_type(kind: str) -> str:
    return f"appointment.{kind}"


def body_of(row, status_url: str) -> bytes:
    data = {
        "shop": {"slug": row.shop_slug, "name": row.shop_name},
        "card": card_from_snapshot(row.card),
        "kind": row.kind,
        "version": row.version,
        "by": by_out(row),
    }
    if row.kind == "moved":
        data.update(from_status=row.from_status, to_status=row.to_status)
    data["status_url"] = status_url
    envelope = {"type": event_type(row.kind), "timestamp": utc_iso(row.at), "data": data}
    return json.dumps(envelope, separators=(",", ":")).encode()
