"""Property: whatever arrives at any endpoint, the answer is never a 5xx, always the envelope, and a 4xx changes nothing.

Hypothesis builds the requests: nested JSON (also far deeper than the parser allows), odd Unicode
(lone surrogates, control and format characters), huge and negative numbers, and dates and times
across the whole calendar, mixed into otherwise valid bodies so that validation is reached.
"""

import json
import os
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from board.models import STATUSES, VERSION_MAX
from tests.factories import AppointmentFactory
from tests.helpers import table_rows

settings.register_profile(
    "board",
    max_examples=60,
    deadline=None,
    # One app and one card serve every example: they are reset by the property itself, not per example.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# In CI the same examples every run, so a red build can be re-run to the same failure.
settings.register_profile("board-ci", parent=settings.get_profile("board"), derandomize=True)
settings.load_profile("board-ci" if os.environ.get("CI") else "board")

odd_text = st.text(st.characters(codec=None), max_size=40) | st.sampled_from(
    ["\ud800", "a\udfff", "\x1c" + "x" * 200, "\x00", "\u202e", "\ufeff", " \t\n ", "x" * 201, "🦀" * 201, ""]
)
odd_numbers = (
    st.integers(-(2**80), 2**80)
    | st.sampled_from([0, -1, 1, 2**31 - 1, 2**31, VERSION_MAX, VERSION_MAX + 1, -(2**63), 10**400])
    | st.floats(allow_nan=False, allow_infinity=False)
)
calendar_days = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
day_strings = calendar_days.map(date.isoformat) | odd_text | st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30"])
offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
times = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    offsets,
) | st.datetimes().map(datetime.isoformat) | odd_text

scalars = st.none() | st.booleans() | odd_numbers | odd_text
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
                           max_leaves=20)
statuses = st.sampled_from(STATUSES) | odd_text | json_values


def deeply_nested(depth: int, opener: str, closer: str, inner: str = "1") -> str:
    return opener * depth + inner + closer * depth


deep_json = st.tuples(st.integers(500, 30_000), st.sampled_from([("[", "]"), ('{"a":', "}")])).map(
    lambda shape: deeply_nested(shape[0], *shape[1])
)


def maybe(strategy, valid):
    """Mostly a valid value, so validation gets past it to the next field; sometimes a hostile one."""
    return st.one_of(st.just(valid), strategy) if valid is not None else strategy


def body_with(fields: dict) -> st.SearchStrategy:
    """A JSON body: the given fields, some left out, plus stray keys; or any JSON at all; or raw text."""
    shaped = st.fixed_dictionaries({}, optional=fields).flatmap(
        lambda chosen: st.dictionaries(odd_text, json_values, max_size=2).map(lambda extra: {**extra, **chosen})
    )
    return st.one_of(
        shaped.map(json.dumps),
        json_values.map(json.dumps),
        deep_json,
        st.text(max_size=30),
        st.just('{"status": ' + deeply_nested(5_000, "[", "]", '"READY"') + ', "version": 1}'),
    )


create_bodies = body_with({
    "title": maybe(odd_text | json_values, "Oil change"),
    "customer": maybe(odd_text | json_values, "Ada"),
    "scheduled_at": maybe(times | json_values, "2026-11-22T09:30:00+01:00"),
    "status": maybe(statuses, "SCHEDULED"),
})
move_bodies = body_with({"status": maybe(statuses, "READY"), "version": maybe(odd_numbers | json_values, 1)})
batch_items = st.fixed_dictionaries({}, optional={"id": odd_numbers | json_values, "status": statuses,
                                                  "version": odd_numbers | json_values})
batch_bodies = body_with({"moves": st.lists(batch_items, max_size=3) | json_values})
path_text = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#"), min_size=1, max_size=20)
ids = st.integers(-(2**70), 2**70).map(str) | st.sampled_from(["1", "0", "abc", "1.5", "%00", "9" * 40]) | path_text
content_types = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", None])


@pytest.fixture
def card(app):
    return AppointmentFactory()


def assert_envelope_and_nothing_changed_on_4xx(response, engine, before) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    body = response.get_json()
    assert isinstance(body, dict) and isinstance(body.get("ok"), bool), response.get_data(as_text=True)
    if body["ok"]:
        assert "data" in body
        return
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    assert 400 <= response.status_code < 500
    assert table_rows(engine) == before


@given(body=create_bodies, content_type=content_types)
def test_create_appointment_never_fails_badly(client, engine, card, body, content_type):
    before = table_rows(engine)
    response = client.post("/api/appointments", data=body.encode("utf-8", "surrogatepass"), content_type=content_type)
    assert_envelope_and_nothing_changed_on_4xx(response, engine, before)


@given(body=move_bodies, card_id=st.none() | ids, content_type=content_types)
def test_move_never_fails_badly(client, engine, card, body, card_id, content_type):
    before = table_rows(engine)
    path = f"/api/appointments/{card.id if card_id is None else card_id}/move"
    response = client.post(path, data=body.encode("utf-8", "surrogatepass"), content_type=content_type)
    assert_envelope_and_nothing_changed_on_4xx(response, engine, before)


@given(body=batch_bodies, content_type=content_types)
def test_batch_move_never_fails_badly(client, engine, card, body, content_type):
    before = table_rows(engine)
    response = client.post("/api/moves", data=body.encode("utf-8", "surrogatepass"), content_type=content_type)
    assert_envelope_and_nothing_changed_on_4xx(response, engine, before)


@given(first=st.none() | day_strings, last=st.none() | day_strings)
def test_board_never_fails_badly(client, engine, card, first, last):
    before = table_rows(engine)
    query = {name: value for name, value in (("from", first), ("to", last)) if value is not None}
    response = client.get("/api/board", query_string={k: v.encode("utf-8", "surrogatepass") for k, v in query.items()})
    assert_envelope_and_nothing_changed_on_4xx(response, engine, before)


@given(card_id=ids, suffix=st.sampled_from(["", "/history"]), method=st.sampled_from(["GET", "HEAD", "OPTIONS", "PUT", "BREW"]))
def test_reading_a_card_never_fails_badly(client, engine, card, card_id, suffix, method):
    before = table_rows(engine)
    response = client.open(f"/api/appointments/{card_id}{suffix}", method=method)
    assert response.status_code < 500
    if method == "HEAD" or (method == "OPTIONS" and response.status_code == 200):
        assert response.get_data() == b""
    else:
        body = response.get_json()
        assert isinstance(body, dict) and isinstance(body.get("ok"), bool)
    assert table_rows(engine) == before
