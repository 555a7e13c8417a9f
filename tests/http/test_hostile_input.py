"""Hostile input on the real server (Granian, as in production): a clear error in the envelope, nothing changed."""

import http.client
import json
import socket

import pytest
from sqlalchemy import text

from board.models import VERSION_MAX
from tests.factories import AppointmentFactory
from tests.helpers import table_rows

LIMIT = 64 * 1024
GOOD_CREATE = {"title": "Oil change", "customer": "Ada", "scheduled_at": "2026-11-22T09:30:00+00:00"}


@pytest.fixture
def server(served):
    return served


def exchange(port: int, raw: bytes, timeout: float = 10) -> tuple[int, dict, bytes]:
    """Send raw bytes as one request; return the status, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def head(method: str, path: str, headers: dict) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(body: bytes, chunk_size: int = 8192) -> bytes:
    pieces = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def post_chunked(server, path: str, body: bytes, api_headers: dict) -> tuple[int, dict]:
    headers = {**api_headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    status, _, answer = exchange(server.port, head("POST", path, headers) + chunked(body))
    return status, json.loads(answer)


def send(server, method: str, path: str, body: str | bytes | None, api_headers: dict) -> tuple[int, dict, dict]:
    """One request with a Content-Length, the body sent exactly as given."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        connection.request(method, path, body=data, headers={**api_headers, "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read()), {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def assert_error(answer: dict, code: str) -> dict:
    assert answer["ok"] is False
    assert answer["error"]["code"] == code
    assert answer["error"]["message"]
    return answer["error"]


def test_a_chunked_body_over_64_kib_is_413_even_when_its_start_is_a_valid_move(server, engine, card, api_headers):
    move = json.dumps({"status": "READY", "version": 1}).encode()
    body = move + b" " * (LIMIT - len(move)) + b"and then anything at all"
    before = table_rows(engine)

    status, answer = post_chunked(server, f"/api/appointments/{card.id}/move", body, api_headers)

    assert status == 413
    assert_error(answer, "payload_too_large")
    assert table_rows(engine) == before


def test_a_chunked_body_of_exactly_64_kib_is_read_whole(server, engine, card, api_headers):
    move = json.dumps({"status": "READY", "version": 1}).encode()

    status, answer = post_chunked(
        server, f"/api/appointments/{card.id}/move", move + b" " * (LIMIT - len(move)), api_headers
    )

    assert status == 200, answer
    assert answer["data"]["version"] == 2


def test_a_small_chunked_move_is_applied(server, engine, card, api_headers):
    status, answer = post_chunked(
        server, f"/api/appointments/{card.id}/move", b'{"status": "CHECKED_IN", "version": 1}', api_headers
    )

    assert status == 200, answer
    assert answer["data"]["status"] == "CHECKED_IN"


def test_a_counted_body_over_64_kib_is_413(server, engine, card, api_headers):
    before = table_rows(engine)
    body = json.dumps({"status": "READY", "version": 1, "padding": "x" * LIMIT})

    status, answer, _ = send(server, "POST", f"/api/appointments/{card.id}/move", body, api_headers)

    assert status == 413
    assert_error(answer, "payload_too_large")
    assert table_rows(engine) == before


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


DEEP_BODIES = [
    pytest.param(nested(1_000), id="array-1000-as-body"),
    pytest.param('{"a":' * 1_000 + "1" + "}" * 1_000, id="object-1000-as-body"),
    pytest.param(nested(30_000), id="array-30000-as-body"),
    pytest.param('{"status": "READY", "version": 1, "note": ' + nested(1_000) + "}", id="array-1000-in-a-field"),
    pytest.param('{"status": ' + nested(20_000, '"READY"') + ', "version": 1}', id="array-20000-in-status"),
]


@pytest.mark.parametrize("body", DEEP_BODIES)
@pytest.mark.parametrize("path", ["/api/appointments", "/api/appointments/{id}/move", "/api/moves"])
def test_deeply_nested_json_is_400_with_a_message(server, engine, card, api_headers, body, path):
    before = table_rows(engine)

    status, answer, _ = send(server, "POST", path.format(id=card.id), body, api_headers)

    assert status == 400, answer
    assert_error(answer, "bad_request")
    assert table_rows(engine) == before


@pytest.mark.parametrize(
    "template, path",
    [
        ('{"status": "READY", "version": 1, "x": %s}', "/api/appointments/{id}/move"),
        ('{"status": %s, "version": 1}', "/api/appointments/{id}/move"),
        ('{"moves": %s}', "/api/moves"),
        ('{"moves": [{"id": 1, "status": "READY", "version": %s}]}', "/api/moves"),
        ('{"title": %s, "customer": "Ada", "scheduled_at": "2026-11-22T09:30:00+00:00"}', "/api/appointments"),
    ],
)
@pytest.mark.parametrize("depth", [500, 990])
def test_json_nested_just_within_what_the_parser_reads_is_an_ordinary_error(
    server, engine, card, api_headers, template, path, depth
):
    before = table_rows(engine)

    status, answer, _ = send(server, "POST", path.format(id=card.id), template % nested(depth), api_headers)

    assert status in (400, 422), answer
    assert_error(answer, "bad_request" if status == 400 else "validation_error")
    assert table_rows(engine) == before


@pytest.mark.parametrize("field", ["title", "customer"])
@pytest.mark.parametrize("value", ["\\ud800", "Ada \\udfff", "\\udc00\\ud800"])
def test_a_lone_surrogate_in_a_text_field_is_422_naming_the_field(server, engine, card, api_headers, field, value):
    before = table_rows(engine)
    body = json.dumps({**GOOD_CREATE, field: "PLACEHOLDER"}).replace("PLACEHOLDER", value)

    status, answer, _ = send(server, "POST", "/api/appointments", body, api_headers)

    assert status == 422, answer
    assert field in assert_error(answer, "validation_error")["details"]
    assert table_rows(engine) == before


@pytest.mark.parametrize(
    "query",
    [
        "from=9999-12-31",
        "to=9999-12-31",
        "from=9999-12-30&to=9999-12-31",
        "from=0001-01-01",
        "to=0001-01-01",
        "from=1899-12-31",
    ],
)
def test_a_board_day_at_the_edge_of_the_calendar_is_422(server, engine, card, api_headers, query):
    status, answer, _ = send(server, "GET", f"/api/board?{query}", None, api_headers)

    assert status == 422, answer
    details = assert_error(answer, "validation_error")["details"]
    assert set(details) <= {"from", "to"} and details


def test_the_last_day_of_the_calendar_board_still_answers(server, api_headers):
    status, answer, _ = send(server, "GET", "/api/board?from=9998-12-31", None, api_headers)

    assert status == 200, answer
    assert answer["data"]["from"] == "9998-12-31"


@pytest.mark.parametrize(
    "scheduled_at",
    [
        "9999-12-31T23:59:59+00:00",
        "1899-12-31T23:59:59+00:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
    ],
)
def test_a_time_outside_years_1900_to_9999_is_422(server, engine, card, api_headers, scheduled_at):
    before = table_rows(engine)

    status, answer, _ = send(
        server, "POST", "/api/appointments", json.dumps({**GOOD_CREATE, "scheduled_at": scheduled_at}), api_headers
    )

    assert status == 422, answer
    assert "scheduled_at" in assert_error(answer, "validation_error")["details"]
    assert table_rows(engine) == before


@pytest.mark.parametrize("field", ["title", "customer"])
@pytest.mark.parametrize(
    "value",
    ["\x1c" + "y" * 200, "\x1cAda", "Ada\x1f", "A\x00da", "Ada\nLovelace", "Ada\tLovelace", "\x7fAda", "Ada\x85"],
)
def test_a_control_character_in_a_text_field_is_422_naming_the_field(server, engine, card, api_headers, field, value):
    before = table_rows(engine)

    status, answer, _ = send(
        server, "POST", "/api/appointments", json.dumps({**GOOD_CREATE, field: value}), api_headers
    )

    assert status == 422, answer
    assert field in assert_error(answer, "validation_error")["details"]
    assert table_rows(engine) == before


def test_the_length_rule_counts_what_is_stored(server, engine, api_headers):
    status, answer, _ = send(
        server,
        "POST",
        "/api/appointments",
        json.dumps({**GOOD_CREATE, "customer": "  " + "z" * 200 + "  "}),
        api_headers,
    )

    assert status == 201, answer
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT char_length(customer) FROM appointments")) == 200


def set_version(engine, card_id: int, version: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE appointments SET version = :v WHERE id = :id"), {"v": version, "id": card_id})


def test_a_card_past_the_old_integer_range_moves_on(server, engine, card, api_headers):
    set_version(engine, card.id, 2**31 - 1)

    status, answer, _ = send(
        server,
        "POST",
        f"/api/appointments/{card.id}/move",
        json.dumps({"status": "READY", "version": 2**31 - 1}),
        api_headers,
    )

    assert status == 200, answer
    assert answer["data"]["version"] == 2**31
    with engine.connect() as conn:
        assert (
            conn.scalar(
                text("SELECT version FROM appointment_events WHERE appointment_id = :id AND kind = 'moved'"),
                {"id": card.id},
            )
            == 2**31
        )


def test_a_card_at_the_top_version_answers_409_version_exhausted_and_changes_nothing(server, engine, card, api_headers):
    set_version(engine, card.id, VERSION_MAX)
    before = table_rows(engine)

    status, answer, _ = send(
        server,
        "POST",
        f"/api/appointments/{card.id}/move",
        json.dumps({"status": "READY", "version": VERSION_MAX}),
        api_headers,
    )

    assert status == 409, answer
    error = assert_error(answer, "version_exhausted")
    assert error["current"]["version"] == VERSION_MAX
    assert table_rows(engine) == before


def test_a_batch_with_a_card_at_the_top_version_moves_nothing(server, engine, app, api_headers):
    exhausted, other = AppointmentFactory(), AppointmentFactory()
    set_version(engine, exhausted.id, VERSION_MAX)
    before = table_rows(engine)
    moves = [
        {"id": exhausted.id, "status": "READY", "version": VERSION_MAX},
        {"id": other.id, "status": "READY", "version": 1},
    ]

    status, answer, _ = send(server, "POST", "/api/moves", json.dumps({"moves": moves}), api_headers)

    assert status == 409, answer
    error = assert_error(answer, "version_exhausted")
    assert [conflict["id"] for conflict in error["conflicts"]] == [exhausted.id]
    assert table_rows(engine) == before


@pytest.mark.parametrize("version", [VERSION_MAX + 1, -(2**63) - 1, 10**30])
def test_a_version_beyond_bigint_is_422(server, engine, card, api_headers, version):
    before = table_rows(engine)

    status, answer, _ = send(
        server,
        "POST",
        f"/api/appointments/{card.id}/move",
        json.dumps({"status": "READY", "version": version}),
        api_headers,
    )

    assert status == 422, answer
    assert "version" in assert_error(answer, "validation_error")["details"]
    assert table_rows(engine) == before


SERVER_REFUSALS = [
    pytest.param(b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 431, id="request-line-too-long"),
    pytest.param(
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Pad: " + b"v" * 20_000 + b"\r\n\r\n",
        431,
        id="headers-too-large",
    ),
    pytest.param(b"G@T /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, id="malformed-method"),
    pytest.param(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, id="tls-hello-on-plain-http"),
]


@pytest.mark.parametrize("raw, status", SERVER_REFUSALS)
def test_what_the_server_refuses_before_the_app_sees_it_has_an_empty_body(server, raw, status):
    answer_status, headers, body = exchange(server.port, raw)

    assert answer_status == status
    assert body == b""
    assert headers.get("content-type") is None


@pytest.mark.parametrize(
    "method, path, status, code",
    [
        ("OPTIONS", "*", 404, "not_found"),
        ("OPTIONS", "/no/such/page", 404, "not_found"),
        ("BREW", "/api/board", 405, "method_not_allowed"),
        ("GET", "/api/board?from=" + "9" * 5000, 422, "validation_error"),
    ],
)
def test_odd_requests_the_app_sees_are_answered_in_the_envelope(server, api_headers, method, path, status, code):
    answer_status, headers, body = exchange(server.port, head(method, path, api_headers))

    assert answer_status == status
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    assert_error(json.loads(body), code)
