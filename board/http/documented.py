"""What a route answers, said beside the route: `@documented(operation_id, summary, {status: Answer})`.

It marks the view the way `@requires` does; board.http.openapi reads the mark from
app.view_functions when it builds the document. What every route answers alike (the host check,
server errors, a body's or a path's errors, idempotency keys, the credential's 401 and 403) the
builder adds itself, so a declaration says only what is the route's own.
"""

from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import Schema

from board.http.shapes import Error


@dataclass(frozen=True)
class Answer:
    """One documented status: what it means, and the data (success) or the error codes it carries."""

    description: str
    data: type[Schema] | list[type[Schema]] | None = None
    codes: tuple[str, ...] = ()
    # The error schemas its codes come in, richest first (a plain Error last).
    kinds: tuple[type[Schema], ...] = (Error,)
    headers: tuple[str, ...] = ()
    media_type: str = "application/json"
    # False for the one answer that is not in the envelope: the OpenAPI document itself.
    enveloped: bool = True
    # True for a list answered a page at a time: `next` beside `data`.
    paged: bool = False


@dataclass(frozen=True)
class Operation:
    # What it does, in snake_case: the name a generated client gives its function.
    operation_id: str
    summary: str
    answers: dict[int, Answer]
    body: Schema | None = None
    query: Schema | None = None
    tag: str = "appointments"
    description: str = ""
    touches_database: bool = True
    headers_in: tuple[dict, ...] = ()


def documented(operation_id: str, summary: str, answers: dict[int, Answer], **details) -> Callable:
    """Mark a view with its operation in the OpenAPI document; `details` are Operation's other fields."""

    def mark(view: Callable) -> Callable:
        view.operation = Operation(operation_id, summary, answers, **details)
        return view

    return mark
