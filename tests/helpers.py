"""Helpers test modules share: where things are, serving an app, reading the database behind the API's back."""

import json
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from alembic.config import Config
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import URL
from werkzeug.serving import make_server

from board.accounts.secrets import secret_hash
from board.models import ApiToken

ROOT = Path(__file__).resolve().parents[1]
# Every table a test may write to, emptied before each test.
TABLES = (
    "shops",
    "appointments",
    "appointment_events",
    "users",
    "api_tokens",
    "sessions",
    "sign_in_failures",
    "idempotency_keys",
    "shop_settings",
    "displays",
    "webhooks",
    "webhook_messages",
    "webhook_attempts",
    "status_links",
    "status_link_misses",
)


def alembic_config(url: URL) -> Config:
    config = Config(toml_file=ROOT / "pyproject.toml")
    config.attributes["url"] = url.render_as_string(hide_password=False)
    return config


@contextmanager
def serving(app):
    """Serve `app` from a real threaded HTTP server on 127.0.0.1; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval: shutdown() waits for the loop to look, 0.5 s by default, per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        finish_requests_in_flight()


def finish_requests_in_flight(timeout: float = 5) -> None:
    """Wait (boundedly) for the server's request threads, so none still holds a pooled connection
    when the test disposes of the engine (it would be garbage-collected open: a ResourceWarning)."""
    deadline = time.monotonic() + timeout
    for request_thread in threading.enumerate():
        if request_thread.name.endswith("(process_request_thread)"):
            request_thread.join(max(0.0, deadline - time.monotonic()))


def move(client, card_id: int, status: str, version: int, **request):
    """Move a card through a test client; `request` goes to the client's post (headers, ...)."""
    return client.post(f"/api/appointments/{card_id}/move", json={"status": status, "version": version}, **request)


def metric_sample(name: str, **labels) -> float:
    """A metric's value in this process, 0 before anything counted it."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def wait_for(condition, within_s: float = 10, every_s: float = 0.02) -> bool:
    """Poll `condition` until it holds (True) or `within_s` passes (False): the bound keeps a broken server
    from hanging the test."""
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every_s)
    return True


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
def counting_statements(fragment: str):
    """Count the statements this process sends through psycopg whose SQL contains `fragment`.

    Counted where psycopg's cursor turns each statement into what it sends (its private
    _convert_query), under SQLAlchemy: the hot statements (board.db.Prepared) skip SQLAlchemy's
    execution layer and its events, and a transaction's first statement skips psycopg's execute
    (board.db.cursor_in_shop).
    """
    seen = []
    convert = psycopg.Cursor._convert_query

    def counted(cursor, query, params=None):
        if isinstance(query, str) and fragment in query:
            seen.append(query)
        return convert(cursor, query, params)

    psycopg.Cursor._convert_query = counted
    try:
        yield seen
    finally:
        psycopg.Cursor._convert_query = convert


def http_json(
    method: str, url: str, body=None, timeout: float = 30, headers: dict | None = None
) -> tuple[int, dict, dict]:
    """Send one real HTTP request, with `headers` besides the JSON content type; return (status, body, headers)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read()), dict(error.headers)


def api_data(server, method: str, path: str, headers: dict, body=None):
    """Call `server` over HTTP and return its answer's data, asserting a 200 or 201."""
    status, answer, _ = http_json(method, f"{server.url}{path}", body, headers=headers)
    assert status in (200, 201), answer
    return answer["data"]


def in_first_shop(url):
    """An engine whose rows go into the first shop from revision 0007 on (earlier, the setting means nothing)."""
    return create_engine(url, connect_args={"options": "-c board.shop_id=1"})


def skip_unless_required(message: str, required: bool, required_by: str, tests: str) -> None:
    """Skip for want of a tool, or fail when a setting (`required_by`) says these tests must run."""
    if required:
        pytest.fail(f"{message} ({required_by} is set: {tests} must run)", pytrace=False)
    pytest.skip(message)


class EventStream:
    """A real Server-Sent Events client of GET /api/events over one socket: read(), one event at a time."""

    def __init__(self, port: int, headers: dict, after: str | None = None, timeout: float = 10):
        import http.client

        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.connection.request(
            "GET", "/api/events", headers={**headers, **({"Last-Event-ID": after} if after else {})}
        )
        self.response = self.connection.getresponse()
        self.status = self.response.status

    def read(self, within_s: float = 5) -> dict:
        """The next event, as {"id", "event", "data"} (data parsed as JSON); comments and retry lines skipped."""
        self.response.fp.raw._sock.settimeout(within_s)
        event: dict = {}
        while True:
            line = self.response.readline()
            assert line, "the stream ended"
            line = line.decode().rstrip("\n")
            if not line:
                if "event" in event:
                    return event
                event = {}
                continue
            name, _, value = line.partition(": ")
            if name in ("id", "event"):
                event[name] = value
            elif name == "data":
                event["data"] = json.loads(value)

    def close(self) -> None:
        self.response.close()
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
