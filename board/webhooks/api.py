"""Routes for a shop's webhook endpoints and their delivery logs (admins)."""

from flask import Blueprint

from board.accounts.permissions import requires
from board.db import get_engine
from board.http.documented import Answer, documented
from board.http.route_io import load_body, ok
from board.http.shapes import Delivery, NewWebhook, Redelivery, WebhookOut
from board.webhooks import endpoints
from board.webhooks.schemas import (
    delivery_out,
    new_webhook_out,
    redelivery_out,
    webhook_in,
    webhook_out,
    webhook_patch_in,
)

bp = Blueprint("webhooks", __name__)

NOT_FOUND = Answer("No such webhook in this shop.", codes=("not_found",))
URL_RULE = (
    "The URL must be https (http too with BOARD_WEBHOOKS_ALLOW_HTTP=1), carry no user name or password, and its host"
    " must resolve to public addresses only (BOARD_WEBHOOKS_ALLOW_PRIVATE=1 allows internal ones); a refused URL"
    " answers 422 with the reason in details.url."
)


@bp.get("/api/webhooks")
@documented(
    "list_webhooks",
    "The shop's webhook endpoints (never their secrets)",
    {200: Answer("The endpoints, oldest first.", [WebhookOut])},
    tag="webhooks",
)
@requires("admin", full_credential=True)
def list_webhooks():
    return ok([webhook_out(row) for row in endpoints.list_webhooks(get_engine())])


@bp.post("/api/webhooks")
@documented(
    "create_webhook",
    "Add a webhook endpoint: the shop's changes are sent to it, signed with a secret shown once",
    {
        201: Answer("The endpoint and its signing secret, shown only this once.", NewWebhook),
        409: Answer(f"The shop already has {endpoints.MAX_WEBHOOKS} webhooks.", codes=("too_many_webhooks",)),
    },
    body=webhook_in,
    tag="webhooks",
    description=URL_RULE,
)
@requires("admin", full_credential=True)
def create_webhook():
    fields = load_body(webhook_in)
    row, secret = endpoints.create_webhook(
        get_engine(), fields["url"], endpoints.Filters(fields["kinds"], fields["to_statuses"])
    )
    return ok(new_webhook_out(row, secret), 201)


@bp.get("/api/webhooks/<row_id:webhook_id>")
@documented(
    "get_webhook",
    "One webhook endpoint (never its secret)",
    {200: Answer("The endpoint.", WebhookOut), 404: NOT_FOUND},
    tag="webhooks",
)
@requires("admin", full_credential=True)
def get_webhook(webhook_id: int):
    return ok(webhook_out(endpoints.get_webhook(get_engine(), webhook_id)))


@bp.patch("/api/webhooks/<row_id:webhook_id>")
@documented(
    "update_webhook",
    "Change a webhook endpoint's URL or filters, or disable or enable it",
    {200: Answer("The endpoint as it is now.", WebhookOut), 404: NOT_FOUND},
    body=webhook_patch_in,
    tag="webhooks",
    description="Changes made while it is disabled are never sent to it. " + URL_RULE,
)
@requires("admin", full_credential=True)
def update_webhook(webhook_id: int):
    changes = load_body(webhook_patch_in)
    return ok(webhook_out(endpoints.update_webhook(get_engine(), webhook_id, changes)))


@bp.delete("/api/webhooks/<row_id:webhook_id>")
@documented(
    "delete_webhook",
    "Delete a webhook endpoint, with its queued changes and delivery log",
    {200: Answer("The deleted endpoint.", WebhookOut), 404: NOT_FOUND},
    tag="webhooks",
)
@requires("admin", full_credential=True)
def delete_webhook(webhook_id: int):
    return ok(webhook_out(endpoints.delete_webhook(get_engine(), webhook_id)))


@bp.post("/api/webhooks/<row_id:webhook_id>/rotate-secret")
@documented(
    "rotate_webhook_secret",
    "Give a webhook endpoint a new signing secret; the old one keeps signing beside it for 24 hours",
    {200: Answer("The endpoint and its new secret, shown only this once.", NewWebhook), 404: NOT_FOUND},
    tag="webhooks",
    description=(
        "For 24 hours every request carries both signatures, so the receiver can switch at its own pace;"
        " a second rotation within them drops the oldest secret."
    ),
)
@requires("admin", full_credential=True)
def rotate_webhook_secret(webhook_id: int):
    row, secret = endpoints.rotate_secret(get_engine(), webhook_id)
    return ok(new_webhook_out(row, secret))


@bp.get("/api/webhooks/<row_id:webhook_id>/deliveries")
@documented(
    "list_webhook_deliveries",
    f"A webhook endpoint's newest {endpoints.DELIVERIES_SHOWN} delivery attempts, newest first",
    {200: Answer("The attempts.", [Delivery]), 404: NOT_FOUND},
    tag="webhooks",
)
@requires("admin", full_credential=True)
def list_webhook_deliveries(webhook_id: int):
    return ok([delivery_out(row) for row in endpoints.list_deliveries(get_engine(), webhook_id)])


@bp.post("/api/webhooks/<row_id:webhook_id>/deliveries/<row_id:delivery_id>/redeliver")
@documented(
    "redeliver_webhook",
    "Send an attempt's change to the endpoint again, with the same webhook-id",
    {
        202: Answer("Queued again, due now, with a new 3-day retry window.", Redelivery),
        404: Answer("No such webhook, or no such delivery of it.", codes=("not_found",)),
    },
    tag="webhooks",
)
@requires("admin", full_credential=True)
def redeliver_webhook(webhook_id: int, delivery_id: int):
    return ok(redelivery_out(endpoints.redeliver(get_engine(), webhook_id, delivery_id)), 202)
