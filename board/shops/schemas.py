"""What comes in for a shop's settings and displays (marshmallow), and what goes out (plain dicts)."""

from datetime import UTC, datetime

from marshmallow import Schema, fields, validate

from board.accounts.schemas import StrictBoolean
from board.fields import Text
from board.models import STATUSES
from board.shops.limits import LIMIT_MAX_MINUTES, Settings


class Minutes(fields.Integer):
    """A whole number of minutes as a JSON number: not true, not "30", not 30.5."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class LimitsIn(Schema):
    limits = fields.Dict(
        required=True,
        keys=fields.String(validate=validate.OneOf(STATUSES, error="Must be one of: {choices}.")),
        values=Minutes(
            allow_none=True,
            validate=validate.Range(1, LIMIT_MAX_MINUTES, error="Must be from {min} to {max} minutes."),
        ),
        metadata={
            "description": "Minutes a card may wait in each status before it is late; a status absent or null has no limit."
        },
    )


class DisplaySettingsIn(Schema):
    initials = StrictBoolean(required=True)


class DisplayIn(Schema):
    name = Text(required=True)


class PairIn(Schema):
    code = fields.String(required=True, validate=validate.Length(1, 200))


limits_in = LimitsIn()
display_settings_in = DisplaySettingsIn()
display_in = DisplayIn()
pair_in = PairIn()


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def limits_out(settings: Settings) -> dict:
    return {"limits": settings.limits_out()}


def display_settings_out(settings: Settings) -> dict:
    return {"initials": settings.display_initials}


def display_out(row) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "created_by": row.creator_username,
        "created_at": _iso(row.created_at),
        "paired_at": _iso(row.paired_at),
        "last_seen_at": _iso(row.last_seen_at),
        "pairing_expires_at": _iso(row.pairing_expires_at),
    }
