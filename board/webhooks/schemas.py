"""What comes in for a shop's webhook endpoints (marshmallow), and what goes out (plain dicts)."""

from datetime import datetime

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from board.accounts.schemas import StrictBoolean
from board.appointments.card_json import utc_iso
from board.fields import refuse_invalid_characters
from board.models import EVENT_KINDS, STATUSES
from board.webhooks.addresses import URL_MAX_LENGTH
from board.webhooks.payload import event_type


class WebhookUrl(fields.String):
    """An absolute URL of 1 to 2000 characters with no whitespace or control characters.

    urlsplit drops tabs and newlines silently, so a URL holding one would be checked as one
    address and stored as another; it is refused instead. Where it may go is board.webhooks.addresses'.
    """

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        refuse_invalid_characters(text, "A webhook URL may not hold control characters.")
        if any(char.isspace() for char in text):
            raise ValidationError("A webhook URL may not hold spaces.")
        return text


def _url(**options) -> WebhookUrl:
    return WebhookUrl(
        validate=validate.Length(1, URL_MAX_LENGTH, error="A webhook URL is {min} to {max} characters."),
        metadata={"description": "https only (unless BOARD_WEBHOOKS_ALLOW_HTTP), to a public address."},
        **options,
    )


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class Kinds(fields.List):
    def _deserialize(self, value, attr, data, **kwargs):
        return _distinct(super()._deserialize(value, attr, data, **kwargs))


def _kinds(**options) -> fields.List:
    return Kinds(
        fields.String(validate=validate.OneOf(EVENT_KINDS, error="Must be one of: {choices}.")),
        validate=validate.Length(1, len(EVENT_KINDS), error="Name at least one kind of change."),
        metadata={"description": "The kinds of change sent to it (default: all four)."},
        **options,
    )


def _to_statuses(**options) -> fields.List:
    return Kinds(
        fields.String(validate=validate.OneOf(STATUSES, error="Must be one of: {choices}.")),
        allow_none=True,
        validate=validate.Length(1, len(STATUSES), error="Name at least one status, or send null for every one."),
        metadata={"description": "Moves are sent only when they go to one of these statuses; null (default): any."},
        **options,
    )


class WebhookIn(Schema):
    url = _url(required=True)
    kinds = _kinds(load_default=list(EVENT_KINDS))
    to_statuses = _to_statuses(load_default=None)


class WebhookPatchIn(Schema):
    url = _url()
    kinds = _kinds()
    to_statuses = _to_statuses()
    enabled = StrictBoolean(
        metadata={"description": "false stops queueing changes for it; true also clears why the service disabled it."}
    )

    @validates_schema
    def changes_something(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one of: url, kinds, to_statuses, enabled.", "_schema")


webhook_in = WebhookIn()
webhook_patch_in = WebhookPatchIn()


def _iso(moment: datetime | None) -> str | None:
    return utc_iso(moment) if moment is not None else None


def webhook_out(row) -> dict:
    return {
        "id": row.id,
        "url": row.url,
        "kinds": list(row.kinds),
        "to_statuses": list(row.to_statuses) if row.to_statuses is not None else None,
        "enabled": row.enabled,
        "disabled_reason": row.disabled_reason,
        "failing_since": _iso(row.failing_since),
        "previous_secret_until": _iso(row.previous_until),
        "pending": row.pending,
        "created_at": _iso(row.created_at),
    }


def new_webhook_out(row, secret: str) -> dict:
    return {**webhook_out(row), "secret": secret}


def delivery_out(row) -> dict:
    return {
        "id": row.id,
        "webhook_id": row.webhook_id,
        "type": event_type(row.kind),
        "attempted_at": _iso(row.attempted_at),
        "status": row.status,
        "error": row.error,
        "duration_ms": row.duration_ms,
    }


def redelivery_out(row) -> dict:
    return {
        "message_id": row.id,
        "webhook_id": row.webhook_id,
        "type": event_type(row.kind),
        "state": row.state,
        "next_attempt_at": _iso(row.next_attempt_at),
    }
