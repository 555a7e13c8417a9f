"""Idempotency-Key on writes: a repeat of the same request replays its stored answer instead of running again.

The first request with a key claims it, runs, and stores its answer in one transaction with the
change it made, so both commit or neither does. A repeat finds the committed answer and replays
it; a repeat that arrives while the first still runs waits on the key's row (its unique index
entry) and then replays, or after the lock timeout answers 409 idempotency_in_progress. A 5xx is
not stored: its transaction is rolled back, key and all, and the request may run again.
"""

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import Flask, Response, request
from sqlalchemy import bindparam, delete, func, literal_column, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from board.accounts.permissions import WRITE_METHODS, current_identity
from board.db import get_engine, use_cases_join
from board.errors import (
    BadRequest,
    BoardError,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    handle_board_error,
    handle_http_exception,
)
from board.models import IDEMPOTENCY_KEY_MAX_LENGTH, IdempotencyKey
from board.sqlstates import LOCK_NOT_AVAILABLE, sqlstate_of

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_FOR = timedelta(hours=24)
# Each keyed write deletes at most this many expired keys: the table stays small without a job,
# and no write pays for a large backlog at once.
PURGE_BATCH = 100
# The headers of an answer that are part of it; the rest (request id, security) belong to each response.
STORED_HEADERS = ("Location", "Retry-After")

# Writes whose answers carry a secret (a session cookie, a token's secret): storing their answer
# would store the secret in plain text, so a key is refused there.
ANSWERS_WITH_SECRETS = frozenset(
    {
        "accounts.sign_in",
        "accounts.create_token",
        "accounts.change_password",
        "shops.create_display",
        "shops.pair_display",
        "status_links.replace_status_link",
    }
)

_KEY = re.compile(rf"[\x20-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}")

_table = IdempotencyKey.__table__
_expired = IdempotencyKey.created_at < func.now() - KEPT_FOR

# Claim the key: insert it, or take over an expired one. When another transaction holds the key
# uncommitted, this waits for it (up to lock_timeout); nothing returned means a live answer exists.
CLAIM = (
    insert(IdempotencyKey)
    .values(user_id=bindparam("owner"), key=bindparam("idempotency_key"), fingerprint=bindparam("request_fingerprint"))
    .on_conflict_do_update(
        # The shop is the transaction's (board.db): keys are scoped by (shop, account, key).
        index_elements=[_table.c.shop_id, _table.c.user_id, _table.c.key],
        set_={"fingerprint": bindparam("request_fingerprint"), "status": None, "body": None, "headers": None,
              "created_at": func.now()},
        where=_expired,
    )
    .returning(literal_column("1"))
)  # fmt: skip
STORED = select(IdempotencyKey.fingerprint, IdempotencyKey.status, IdempotencyKey.body, IdempotencyKey.headers).where(
    IdempotencyKey.user_id == bindparam("owner"), IdempotencyKey.key == bindparam("idempotency_key")
)
STORE = (
    update(IdempotencyKey)
    .where(IdempotencyKey.user_id == bindparam("owner"), IdempotencyKey.key == bindparam("idempotency_key"))
    .values(status=bindparam("answer_status"), body=bindparam("answer_body"), headers=bindparam("answer_headers"))
)
# SKIP LOCKED: two writers purging at once split the expired rows instead of waiting on each other.
PURGE_EXPIRED = delete(IdempotencyKey).where(
    tuple_(IdempotencyKey.user_id, IdempotencyKey.key).in_(
        select(IdempotencyKey.user_id, IdempotencyKey.key)
        .where(_expired)
        .order_by(IdempotencyKey.created_at)
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
)


class _Unstored(Exception):
    """A 5xx answer: roll the transaction back, key and all, and send it."""

    def __init__(self, response: Response):
        self.response = response


def key_of_request() -> str | None:
    """The request's Idempotency-Key, if it has one; BadRequest if it is not 1-255 printable ASCII."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise BadRequest(f"{HEADER} must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters.")
    return key


def fingerprint_of_request() -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.full_path.encode(), request.get_data()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def replay(status: int, body: str, headers: dict | None) -> Response:
    response = Response(body, status=status, mimetype="application/json")
    response.headers.update(headers or {})
    response.headers[REPLAYED_HEADER] = "true"
    return response


def answer_of(view: Callable, args, kwargs) -> Response:
    """Run the view; turn an error it raised into its answer (an answer that changed nothing is stored too)."""
    try:
        return view(*args, **kwargs)
    except BoardError as error:
        if error.status >= 500:
            raise
        return handle_board_error(error)
    except HTTPException as error:
        if error.code is None or error.code >= 500:
            raise
        return handle_http_exception(error)


def run_once(view: Callable, key: str, args, kwargs) -> Response:
    params = {"owner": current_identity().user_id, "idempotency_key": key}
    fingerprint = fingerprint_of_request()
    try:
        with get_engine().begin() as conn:
            conn.execute(PURGE_EXPIRED)
            try:
                claimed = conn.execute(CLAIM, {**params, "request_fingerprint": fingerprint}).first() is not None
            except DBAPIError as error:
                if sqlstate_of(error) == LOCK_NOT_AVAILABLE:
                    raise IdempotencyInProgress() from None
                raise
            if not claimed:
                stored = conn.execute(STORED, params).one()
                if stored.fingerprint != fingerprint:
                    raise IdempotencyKeyReused()
                return replay(stored.status, stored.body, stored.headers)
            with use_cases_join(conn):
                response = answer_of(view, args, kwargs)
            if response.status_code >= 500:
                raise _Unstored(response)
            headers = {name: response.headers[name] for name in STORED_HEADERS if name in response.headers}
            conn.execute(
                STORE,
                {
                    **params,
                    "answer_status": response.status_code,
                    "answer_body": response.get_data(as_text=True),
                    "answer_headers": headers,
                },
            )
            return response
    except _Unstored as unstored:
        return unstored.response


def idempotent(view: Callable) -> Callable:
    """Let a write view take an Idempotency-Key; without one it runs as it always did."""

    @wraps(view)
    def keyed(*args, **kwargs):
        if request.method not in WRITE_METHODS:
            return view(*args, **kwargs)
        key = key_of_request()
        if key is None:
            return view(*args, **kwargs)
        return run_once(view, key, args, kwargs)

    return keyed


def refuses_key(view: Callable) -> Callable:
    @wraps(view)
    def refusing(*args, **kwargs):
        if request.headers.get(HEADER) is not None:
            raise BadRequest(
                f"This write does not take an {HEADER}: its answer carries a secret, which is never stored."
            )
        return view(*args, **kwargs)

    return refusing


def keyed_endpoints(app: Flask) -> list[str]:
    """The endpoints of writes under /api that take an Idempotency-Key."""
    return sorted(
        {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/")
            and rule.methods & WRITE_METHODS
            and rule.endpoint not in ANSWERS_WITH_SECRETS
        }
    )


def init_app(app: Flask) -> None:
    for endpoint in keyed_endpoints(app):
        app.view_functions[endpoint] = idempotent(app.view_functions[endpoint])
    for endpoint in ANSWERS_WITH_SECRETS:
        app.view_functions[endpoint] = refuses_key(app.view_functions[endpoint])
