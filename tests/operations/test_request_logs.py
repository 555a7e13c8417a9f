"""One JSON line per request on stderr, and the X-Request-ID that ties a line to a response."""

import json
import re

import pytest
from sqlalchemy import text

from board.db import acting_for, as_operator
from board.logs import REQUEST_ID_MAX_LENGTH, request_id_from
from tests.factories import AppointmentFactory, Session, UserFactory, token_for


def request_lines(stderr: str) -> list[dict]:
    return [line for line in map(json.loads, filter(None, stderr.splitlines())) if "route" in line]


def test_each_request_writes_one_json_line_with_route_status_and_duration(client, capsys):
    card = AppointmentFactory()
    capsys.readouterr()

    response = client.get(f"/api/appointments/{card.id}", headers={"X-Request-ID": "req-42"})

    (line,) = request_lines(capsys.readouterr().err)
    assert line["request_id"] == "req-42" == response.headers["X-Request-ID"]
    assert line["method"] == "GET"
    assert line["route"] == "/api/appointments/<appointment_id:appointment_id>"
    assert line["status"] == 200
    assert line["appointment_id"] == card.id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert (line["shop"], line["user"], line["token"]) == ("main", "sam", "tests")
    assert "outcome" not in line


def test_a_move_line_names_the_card_and_the_outcome(client, capsys):
    card = AppointmentFactory()
    client.post(f"/api/appointments/{card.id}/move", json={"status": "READY", "version": 1})
    capsys.readouterr()

    client.post(f"/api/appointments/{card.id}/move", json={"status": "READY", "version": 1})

    (line,) = request_lines(capsys.readouterr().err)
    assert (line["appointment_id"], line["status"], line["outcome"]) == (card.id, 409, "conflict")


def test_an_unmatched_path_is_logged_without_a_route(client, capsys):
    client.get("/api/nowhere")

    (line,) = request_lines(capsys.readouterr().err)
    assert (line["route"], line["status"]) == (None, 404)


def test_a_request_without_an_id_gets_a_new_one_in_header_and_error_body(client):
    first = client.get("/api/appointments/999")
    second = client.get("/api/appointments/999")

    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{16}", request_id) for request_id in ids)
    assert ids[0] != ids[1]
    assert first.get_json()["error"]["request_id"] == ids[0]


def test_a_hostile_request_id_is_stripped_to_safe_characters_and_cut(client):
    response = client.get("/api/appointments/999", headers={"X-Request-ID": '<script>"x"</script> ' + "a" * 200})

    echoed = response.headers["X-Request-ID"]
    assert echoed.startswith("scriptx/scriptaaa")
    assert len(echoed) == REQUEST_ID_MAX_LENGTH
    assert response.get_json()["error"]["request_id"] == echoed


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("abc-123_X.y:z", "abc-123_X.y:z"),
        ("trace=1/2+3@host", "trace=1/2+3@host"),
        ("a b\tc", "abc"),
        ("ünïcode-ok", "ncode-ok"),
    ],
)
def test_request_id_keeps_only_safe_characters(header, expected):
    assert request_id_from(header) == expected


@pytest.mark.parametrize("header", [None, "", "<>;\"' "])
def test_request_id_is_made_when_nothing_usable_came(header):
    assert re.fullmatch(r"[0-9a-f]{16}", request_id_from(header))


def test_the_line_names_no_one_when_no_one_signed_in_and_never_holds_a_secret(anonymous, staff_token, capsys):
    capsys.readouterr()

    anonymous.get("/api/board")
    anonymous.get("/api/board", headers={"Authorization": f"Bearer {staff_token}"})
    anonymous.post("/api/session", json={"username": "sam", "password": "a wrong password"})

    stderr = capsys.readouterr().err
    refused, allowed, sign_in = request_lines(stderr)
    assert refused["status"] == 401 and "user" not in refused and "shop" not in refused
    assert (allowed["status"], allowed["user"]) == (200, "sam")
    assert sign_in["status"] == 401
    assert staff_token not in stderr and "a wrong password" not in stderr


def test_the_line_names_the_shop_of_the_credential(app, engine, client_for, capsys):
    with as_operator(), engine.begin() as conn:
        south = conn.scalar(
            text("INSERT INTO shops (slug, name, timezone) VALUES ('south', 'South', 'UTC') RETURNING id")
        )
    with acting_for(south):
        token = token_for(UserFactory(username="bo"), label="south screen")
        Session.commit()
    capsys.readouterr()

    client_for(app, {"Authorization": f"Bearer {token}"}).get("/api/board")

    (line,) = request_lines(capsys.readouterr().err)
    assert (line["shop"], line["user"], line["token"]) == ("south", "bo", "south screen")
