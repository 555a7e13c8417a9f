"""Small helpers shared by tests: reading the database behind the API's back, counting statements."""

import json
import urllib.error
import urllib.request
from contextlib import contextmanager

from sqlalchemy import event, insert, text

from board.accounts.secrets import secret_hash
from board.models import ApiToken


def table_rows(engine) -> dict:
    """Every row of the cards and their events, so a test can assert that nothing changed."""
    with engine.connect() as conn:
        return {
            table: [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
            for table in ("appointments", "appointment_events")
        }


def add_tokens(engine, user_id: int, count: int, **fields) -> None:
    """`count` more API tokens of `user_id` (fields as in ApiToken), in one statement; their secrets are not kept."""
    rows = [
        {"user_id": user_id, "label": f"bulk {n}", "secret_hash": secret_hash(f"{user_id} {n} {fields}"), **fields}
        for n in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(ApiToken), rows)


def history_rows(engine, appointment_id: int) -> list:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT from_status, to_status, version FROM appointment_events"
                " WHERE appointment_id = :id AND kind = 'moved' ORDER BY version"
            ),
            {"id": appointment_id},
        ).all()


def stored_card(engine, appointment_id: int):
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT status, version FROM appointments WHERE id = :id"), {"id": appointment_id}
        ).one_or_none()


@contextmanager
def counting_statements(engine, fragment: str):
    """Count the statements sent through `engine` whose SQL contains `fragment`."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if fragment in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def http_json(method: str, url: str, body=None, timeout: float = 30, headers: dict | None = None) -> tuple[int, dict, dict]:
    """Send one real HTTP request, with `headers` besides the JSON content type; return (status, body, headers)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read()), dict(error.headers)
