"""What every route module needs: the id in a path, a JSON body or a query read and validated, the success envelope.

Route modules import this; it imports no route module.
"""

import json

from flask import Response, request
from marshmallow import Schema, ValidationError
from werkzeug.routing import IntegerConverter

from board.errors import BadRequest, UnsupportedMediaType, ValidationFailed, envelope
from board.models import ID_MAX


def decimal_up_to(limit: int) -> str:
    """A regular expression for the decimal numbers 1..limit, without leading zeros."""
    digits = str(limit)
    shorter = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same_length = [
        f"{digits[:i]}[{'1' if i == 0 else '0'}-{int(digit) - 1}][0-9]{{{len(digits) - i - 1}}}"
        for i, digit in enumerate(digits)
        if int(digit) > (1 if i == 0 else 0)
    ]
    return "(?:" + "|".join([*shorter, *same_length, digits]) + ")"


class AppointmentIdConverter(IntegerConverter):
    """A positive bigint; anything else in the path is simply not found.

    The range is in the regex, not only in to_python: werkzeug answers 405 rather than 404 when
    a path matches another method's rule and this one's conversion fails (PATCH /api/appointments/0).
    """

    regex = decimal_up_to(ID_MAX)

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=ID_MAX)


def ok(data, status: int = 200, headers: dict | None = None) -> Response:
    return envelope({"ok": True, "data": data}, status, headers)


def load_body(schema: Schema) -> dict:
    """Return the request's JSON object, validated by `schema`."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    try:
        body = json.loads(request.get_data())
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    except RecursionError:
        raise BadRequest("The request body nests arrays or objects too deeply to be read.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    try:
        return schema.load(body)
    except ValidationError as error:
        raise ValidationFailed(error.normalized_messages()) from None


def load_query(schema: Schema) -> dict:
    """Return the query string's parameters, validated by `schema`."""
    try:
        return schema.load(request.args)
    except ValidationError as error:
        raise ValidationFailed(error.normalized_messages()) from None
