"""Fields every feature's schemas share: text without control characters, times on board's calendar."""

import unicodedata
from datetime import UTC, datetime

from marshmallow import ValidationError, fields

from board.models import TEXT_MAX_LENGTH

EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(9999, 1, 1, tzinfo=UTC)


def refuse_invalid_characters(text: str, control_message: str, allowed_controls: str = "") -> None:
    """Refuse control characters (but `allowed_controls`) and lone surrogates in text not yet stripped."""
    # Before stripping: str.strip() removes some control characters (\x1c-\x1f) as whitespace,
    # and would hide them from this rule.
    if any(unicodedata.category(char) == "Cc" and char not in allowed_controls for char in text):
        raise ValidationError(control_message)
    if any(unicodedata.category(char) == "Cs" for char in text):
        raise ValidationError("Must be valid Unicode text: a lone surrogate such as \\ud800 is not a character.")


class Text(fields.String):
    """Text of 1 to 200 characters once surrounding whitespace is stripped, with no control characters."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        refuse_invalid_characters(text, "Must not contain control characters such as tabs, newlines or NUL.")
        text = text.strip()
        if not text:
            raise ValidationError("Must not be empty.")
        if len(text) > TEXT_MAX_LENGTH:
            raise ValidationError(f"Must be at most {TEXT_MAX_LENGTH} characters.")
        return text
