"""What every answer carries, as named marshmallow schemas: the data of each success and each kind of error.

The routes build their answers with plain functions (board.appointments.card_json.card_out,
board.accounts.schemas.account_out and the like), which stay fast; these schemas describe them for
the OpenAPI document (board.http.openapi), tests/http/test_shapes.py holds each function to its
schema field for field, and the fuzz test every answer the server gives.
"""

from marshmallow import Schema, fields, validate

from board.models import EVENT_KINDS, ROLES, STATUSES


class Card(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    customer = fields.String(
        required=True,
        metadata={"description": 'To a wall display whose shop shows initials, only those ("Ada Lovelace": "A. L.").'},
    )
    scheduled_at = fields.DateTime(required=True)
    notes = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    version = fields.Integer(required=True)
    updated_at = fields.DateTime(required=True)
    # When the card entered its status: the move that put it there, or its creation.
    status_since = fields.DateTime(required=True)


class BoardCard(Card):
    late = fields.Boolean(
        required=True,
        metadata={
            "description": "It has waited in its status longer than the shop's limit for it (GET /api/shop/limits)."
        },
    )


class Column(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    cards = fields.List(fields.Nested(BoardCard), required=True)


class Board(Schema):
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    timezone = fields.String(required=True)
    columns = fields.List(fields.Nested(Column), required=True)


class MovedBy(Schema):
    username = fields.String(required=True)
    name = fields.String(required=True)
    token = fields.String(
        required=True, allow_none=True, metadata={"description": "The API token's label; null from the page."}
    )


class FieldChange(Schema):
    from_ = fields.Raw(required=True, data_key="from")
    to = fields.Raw(required=True)


class Event(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    version = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    by = fields.Nested(
        MovedBy,
        required=True,
        allow_none=True,
        metadata={"description": "null for events from before accounts existed."},
    )
    from_status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "moved only."})
    to_status = fields.String(validate=validate.OneOf(STATUSES), metadata={"description": "moved only."})
    moved_at = fields.DateTime(metadata={"description": "moved only: the same as `at`, for scripts older than events."})
    changes = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(FieldChange),
        metadata={"description": "edited only: each field that changed."},
    )


class Deleted(Schema):
    id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    deleted = fields.Boolean(required=True, validate=validate.Equal(True))


class Account(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class ShopOut(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    timezone = fields.String(required=True, metadata={"description": "IANA zone the shop's board days are in."})


class Me(Account):
    shop = fields.Nested(ShopOut, required=True, metadata={"description": "The account's shop."})


class UserOut(Account):
    disabled = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class TokenOwner(Schema):
    username = fields.String(required=True)
    name = fields.String(required=True)


class Token(Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    owner = fields.Nested(TokenOwner, required=True)
    created_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(required=True, allow_none=True)
    expires_at = fields.DateTime(required=True, allow_none=True)
    revoked_at = fields.DateTime(required=True, allow_none=True)


class NewToken(Token):
    secret = fields.String(required=True, metadata={"description": "Shown this once; only its hash is kept."})


class RevokedAll(Schema):
    revoked = fields.Integer(required=True, metadata={"description": "How many active tokens were revoked."})


class SignedOut(Schema):
    signed_out = fields.Boolean(required=True, metadata={"description": "false when the caller used an API token."})


class Health(Schema):
    database = fields.String(required=True, validate=validate.OneOf(["ok"]))


def _minutes_per_status() -> dict:
    return {
        status: fields.Integer(required=True, allow_none=True, validate=validate.Range(1, 7 * 24 * 60))
        for status in STATUSES
    }


StatusLimits = Schema.from_dict(_minutes_per_status(), name="StatusLimits")


class Limits(Schema):
    limits = fields.Nested(
        StatusLimits,
        required=True,
        metadata={"description": "Minutes each status may hold a card before it is late; null: no limit."},
    )


class DisplaySettings(Schema):
    initials = fields.Boolean(
        required=True,
        metadata={
            "description": 'Displays receive customers as their initials ("Ada Lovelace": "A. L."), on the board and'
            " in the live stream."
        },
    )


class DisplayOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    created_by = fields.String(
        required=True, metadata={"description": "The admin's username; the display reads as them, capped at viewer."}
    )
    created_at = fields.DateTime(required=True)
    paired_at = fields.DateTime(required=True, allow_none=True)
    last_seen_at = fields.DateTime(required=True, allow_none=True)
    pairing_expires_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "Until when its link pairs a screen; null once paired."},
    )


class NewDisplay(DisplayOut):
    code = fields.String(
        required=True, metadata={"description": "The pairing code, shown this once; only its hash is kept."}
    )
    link = fields.String(
        required=True,
        metadata={
            "description": "The address to open on the screen: /display#<code> (a fragment is never sent to a server)."
        },
    )


class StatusLink(Schema):
    url = fields.String(
        required=True,
        metadata={
            "description": "The customer's status page, absolute (BOARD_PUBLIC_URL, else this request's host):"
            " it shows the shop, the title, the time and the status, to anyone holding it, without signing in."
        },
    )
    expires_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When it stops working: 14 days after completion or cancellation; null until then."},
    )


class Paired(Schema):
    paired = fields.Boolean(required=True, validate=validate.Equal(True))


class WebhookOut(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    kinds = fields.List(fields.String(validate=validate.OneOf(EVENT_KINDS)), required=True)
    to_statuses = fields.List(
        fields.String(validate=validate.OneOf(STATUSES)),
        required=True,
        allow_none=True,
        metadata={"description": "Moves are sent only to these statuses; null: any."},
    )
    enabled = fields.Boolean(required=True)
    disabled_reason = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Why the service disabled it (every attempt failing for days); null otherwise."},
    )
    failing_since = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "The first failed attempt since the last delivery."}
    )
    previous_secret_until = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "After a rotation: until when the old secret signs beside the new one."},
    )
    pending = fields.Integer(required=True, metadata={"description": "Changes queued for it, not yet delivered."})
    created_at = fields.DateTime(required=True)


class NewWebhook(WebhookOut):
    secret = fields.String(
        required=True,
        metadata={"description": "The signing secret (whsec_...), shown this once; the service never stores it."},
    )


class Delivery(Schema):
    id = fields.Integer(required=True)
    webhook_id = fields.Integer(required=True)
    type = fields.String(required=True, metadata={"description": "The event's type: appointment.<kind>."})
    attempted_at = fields.DateTime(required=True)
    status = fields.Integer(
        required=True, allow_none=True, metadata={"description": "The receiver's HTTP status; null if none came."}
    )
    error = fields.String(
        required=True, allow_none=True, metadata={"description": "Why no answer came (connection, timeout); or null."}
    )
    duration_ms = fields.Integer(required=True)


class Redelivery(Schema):
    message_id = fields.Integer(required=True)
    webhook_id = fields.Integer(required=True)
    type = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(["pending"]))
    next_attempt_at = fields.DateTime(required=True)


class Conflict(Schema):
    id = fields.Integer(required=True)
    current = fields.Nested(Card, required=True)


# The error kinds: every error carries a code, a message and the request's id; some carry more.
# Each kind is one named schema with its own named envelope, so a generated client has one model
# per kind, and an answer that may be of several kinds lists them (`anyOf`), richest first.
class Error(Schema):
    code = fields.String(required=True, metadata={"description": "What went wrong; a client reads it first."})
    message = fields.String(required=True)
    request_id = fields.String(required=True)

    class Meta:
        # Errors may carry more details in later versions.
        unknown = "include"


class ValidationError(Error):
    details = fields.Dict(required=True, metadata={"description": "The messages of each invalid field."})


class CardConflict(Error):
    current = fields.Nested(Card, required=True, metadata={"description": "The card as it is now."})


class BatchConflict(Error):
    conflicts = fields.List(
        fields.Nested(Conflict), required=True, metadata={"description": "Each stale card as it is now."}
    )


class BatchNotFound(Error):
    missing = fields.List(fields.Integer(), required=True, metadata={"description": "The unknown ids."})


ERROR_KINDS = (Error, ValidationError, CardConflict, BatchConflict, BatchNotFound)
ENUMS = {"Status": STATUSES, "Role": ROLES, "EventKind": EVENT_KINDS}
