"""Bad input gets a clear error in the envelope and changes nothing, history included."""

import json

import pytest

from tests.helpers import table_rows

GOOD_CREATE = {"title": "Oil change", "customer": "Ada", "scheduled_at": "2026-11-22T09:30:00+00:00"}


def send(client, path, body, content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, data=data, content_type=content_type)


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["ok"] is False
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


MOVE_VALIDATION_CASES = [
    ({"status": "TELEPORTED", "version": 1}, "status"),
    ({"status": None, "version": 1}, "status"),
    ({"status": "scheduled", "version": 1}, "status"),
    ({"version": 1}, "status"),
    ({"status": "READY"}, "version"),
    ({"status": "READY", "version": None}, "version"),
    ({"status": "READY", "version": "1"}, "version"),
    ({"status": "READY", "version": True}, "version"),
    ({"status": "READY", "version": 1.0}, "version"),
    ({"status": "READY", "version": 1.5}, "version"),
    ({"status": "READY", "version": 0}, "version"),
    ({"status": "READY", "version": -3}, "version"),
    ({"status": "READY", "version": 2**63}, "version"),
    ({"status": "READY", "version": 1, "force": True}, "force"),
]


@pytest.mark.parametrize("body, field", MOVE_VALIDATION_CASES)
def test_invalid_move_is_422_naming_the_field_and_changes_nothing(client, engine, card, body, field):
    before = table_rows(engine)

    error = assert_error(send(client, f"/api/appointments/{card.id}/move", body), 422, "validation_error")

    assert field in error["details"]
    assert table_rows(engine) == before


CREATE_VALIDATION_CASES = [
    ({**GOOD_CREATE, "title": ""}, "title"),
    ({**GOOD_CREATE, "title": "   "}, "title"),
    ({**GOOD_CREATE, "title": "x" * 201}, "title"),
    ({**GOOD_CREATE, "customer": "y" * 201}, "customer"),
    ({**GOOD_CREATE, "customer": "nul\u0000byte"}, "customer"),
    ({**GOOD_CREATE, "customer": 42}, "customer"),
    ({**GOOD_CREATE, "scheduled_at": "2026-11-22T09:30:00"}, "scheduled_at"),
    ({**GOOD_CREATE, "scheduled_at": "tomorrow"}, "scheduled_at"),
    ({**GOOD_CREATE, "scheduled_at": "0001-01-01T00:00:00+05:00"}, "scheduled_at"),
    ({**GOOD_CREATE, "status": "LOST"}, "status"),
    ({**GOOD_CREATE, "version": 3}, "version"),
    ({"customer": "Ada", "scheduled_at": GOOD_CREATE["scheduled_at"]}, "title"),
]


@pytest.mark.parametrize("body, field", CREATE_VALIDATION_CASES)
def test_invalid_new_appointment_is_422_naming_the_field_and_changes_nothing(client, engine, card, body, field):
    before = table_rows(engine)

    error = assert_error(send(client, "/api/appointments", body), 422, "validation_error")

    assert field in error["details"]
    assert table_rows(engine) == before


def test_text_of_exactly_200_characters_is_accepted(client):
    response = send(client, "/api/appointments", {**GOOD_CREATE, "title": "x" * 200})

    assert response.status_code == 201


def batch_item(card_id, version=1, status="READY"):
    return {"id": card_id, "status": status, "version": version}


BATCH_VALIDATION_CASES = [
    (lambda c: {"moves": []}, "moves"),
    (lambda c: {"moves": [batch_item(c.id)] * 101}, "moves"),
    (lambda c: {"moves": [batch_item(c.id), batch_item(c.id, 2)]}, "moves"),
    (lambda c: {}, "moves"),
    (lambda c: {"moves": None}, "moves"),
    (lambda c: {"moves": "all of them"}, "moves"),
    (lambda c: {"moves": [{"id": c.id, "status": "READY"}]}, "moves"),
    (lambda c: {"moves": [{"id": "1", "status": "READY", "version": 1}]}, "moves"),
    (lambda c: {"moves": [{"id": 2**63, "status": "READY", "version": 1}]}, "moves"),
    (lambda c: {"moves": [batch_item(c.id, status="GONE")]}, "moves"),
    (lambda c: {"moves": [batch_item(c.id)], "dry_run": True}, "dry_run"),
]


@pytest.mark.parametrize("make_body, field", BATCH_VALIDATION_CASES)
def test_invalid_batch_is_422_naming_the_field_and_changes_nothing(client, engine, card, make_body, field):
    before = table_rows(engine)

    error = assert_error(send(client, "/api/moves", make_body(card)), 422, "validation_error")

    assert field in error["details"]
    assert table_rows(engine) == before


def test_batch_error_details_point_at_the_bad_item(client, card):
    body = {"moves": [batch_item(card.id), {"id": card.id + 1, "status": "NOPE", "version": 1}]}

    error = assert_error(send(client, "/api/moves", body), 422, "validation_error")

    assert list(error["details"]["moves"]) == ["1"]
    assert error["details"]["moves"]["1"]["status"][0].startswith("Must be one of: SCHEDULED, CHECKED_IN")


WRITE_PATHS = ["/api/appointments", "/api/appointments/{id}/move", "/api/moves"]


@pytest.mark.parametrize("path", WRITE_PATHS)
@pytest.mark.parametrize("raw", ["{not json", "", "[1, 2]", '"READY"', "null", "42"])
def test_malformed_or_non_object_json_is_400_and_changes_nothing(client, engine, card, path, raw):
    before = table_rows(engine)

    assert_error(send(client, path.format(id=card.id), raw), 400, "bad_request")

    assert table_rows(engine) == before


@pytest.mark.parametrize("path", WRITE_PATHS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_body_that_is_not_json_is_415_and_changes_nothing(client, engine, card, path, content_type):
    before = table_rows(engine)
    body = json.dumps({"status": "READY", "version": 1})

    response = client.post(path.format(id=card.id), data=body, content_type=content_type)

    assert_error(response, 415, "unsupported_media_type")
    assert table_rows(engine) == before


def test_json_with_a_charset_parameter_is_accepted(client, engine, card):
    response = send(
        client,
        f"/api/appointments/{card.id}/move",
        {"status": "READY", "version": 1},
        content_type="application/json; charset=utf-8",
    )

    assert response.status_code == 200


@pytest.mark.parametrize("path", WRITE_PATHS)
def test_body_over_64_kib_is_413_and_changes_nothing(client, engine, card, path):
    before = table_rows(engine)
    body = json.dumps({"status": "READY", "version": 1, "padding": "x" * (64 * 1024)})

    assert_error(send(client, path.format(id=card.id), body), 413, "payload_too_large")

    assert table_rows(engine) == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/appointments/abc/move",
        "/api/appointments/9223372036854775808/move",
        "/api/appointments/-5/move",
        "/api/appointments/1.5/move",
    ],
)
def test_impossible_id_in_move_path_is_404_and_changes_nothing(client, engine, card, path):
    before = table_rows(engine)

    assert_error(send(client, path, {"status": "READY", "version": 1}), 404, "not_found")

    assert table_rows(engine) == before
