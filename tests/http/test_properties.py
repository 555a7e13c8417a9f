"""Property: whatever reaches an endpoint, the answer is no 5xx, always the envelope, and a 4xx changes nothing.

Hypothesis builds the requests: nested JSON (also far deeper than the parser allows), odd Unicode
(lone surrogates, control and format characters), huge and negative numbers, and dates and times
across the whole calendar, mixed into otherwise valid bodies so that validation is reached. The
accounts routes get NUL, lone surrogates and other control characters planted inside valid values.
"""

import json
import os
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from board.models import ROLES, STATUSES, VERSION_MAX
from tests.factories import PASSWORD, UserFactory, token_for
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
times = (
    st.builds(
        lambda moment, zone: moment.replace(tzinfo=zone).isoformat(),
        st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
        offsets,
    )
    | st.datetimes().map(datetime.isoformat)
    | odd_text
)

scalars = st.none() | st.booleans() | odd_numbers | odd_text
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4), max_leaves=20
)
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


create_bodies = body_with(
    {
        "title": maybe(odd_text | json_values, "Oil change"),
        "customer": maybe(odd_text | json_values, "Ada"),
        "scheduled_at": maybe(times | json_values, "2026-11-22T09:30:00+01:00"),
        "status": maybe(statuses, "SCHEDULED"),
    }
)
move_bodies = body_with({"status": maybe(statuses, "READY"), "version": maybe(odd_numbers | json_values, 1)})
batch_items = st.fixed_dictionaries(
    {}, optional={"id": odd_numbers | json_values, "status": statuses, "version": odd_numbers | json_values}
)
batch_bodies = body_with({"moves": st.lists(batch_items, max_size=3) | json_values})
path_text = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#"), min_size=1, max_size=20
)
ids = st.integers(-(2**70), 2**70).map(str) | st.sampled_from(["1", "0", "abc", "1.5", "%00", "9" * 40]) | path_text
content_types = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", None])

# Characters no accounts field may hold (NUL, lone surrogates) or that only a password may (other controls),
# planted anywhere in an otherwise valid value so that they reach the field's own check.
unwelcome_characters = st.sampled_from(["\x00", "\ud800", "\udfff", "\x1b", "\x85", "\t"])


def planted_in(valid: str) -> st.SearchStrategy:
    return st.tuples(st.lists(unwelcome_characters, min_size=1, max_size=3), st.integers(0, len(valid))).map(
        lambda plant: valid[: plant[1]] + "".join(plant[0]) + valid[plant[1] :]
    )


def spoilers_of(valid: str) -> st.SearchStrategy:
    return st.booleans().flatmap(lambda plant: planted_in(valid) if plant else odd_text | json_values)


def accounts_body(valid: dict, spoilers: dict) -> st.SearchStrategy:
    """A valid body with one field spoiled, so that field's own check is reached; or any body_with them."""
    one_spoiled = st.sampled_from(sorted(valid)).flatmap(
        lambda name: spoilers[name].map(lambda value: {**valid, name: value})
    )
    anything = body_with({name: maybe(spoilers[name], valid[name]) for name in valid})
    # Half and half: `|` would flatten body_with's five choices beside this one, which it would then rarely get.
    return st.booleans().flatmap(lambda spoil_one: one_spoiled.map(json.dumps) if spoil_one else anything)


def accounts_body_of_text(valid: dict, **other_spoilers) -> st.SearchStrategy:
    spoilers = {name: spoilers_of(value) for name, value in valid.items() if name not in other_spoilers}
    return accounts_body(valid, {**spoilers, **other_spoilers})


NEW_PASSWORD = "a new password of enough length"
LATER = "2100-01-01T00:00:00+00:00"
roles = st.sampled_from(ROLES) | odd_text | json_values
sign_in_bodies = accounts_body_of_text({"username": "sam", "password": PASSWORD})
password_change_bodies = accounts_body_of_text({"current_password": PASSWORD, "new_password": NEW_PASSWORD})
user_bodies = accounts_body_of_text(
    {"username": "robin", "name": "Robin", "role": "staff", "password": NEW_PASSWORD}, role=roles
)
user_patch_bodies = accounts_body_of_text(
    {"name": "Pat", "role": "viewer", "password": NEW_PASSWORD, "disabled": False},
    role=roles,
    disabled=st.booleans() | json_values,
)
token_bodies = accounts_body_of_text(
    {"label": "a script", "role": "viewer", "expires_at": LATER},
    role=roles,
    expires_at=planted_in(LATER) | times | json_values,
)
ACCOUNT_TABLES = ("users", "api_tokens", "sessions")


def assert_envelope_and_nothing_changed_on_4xx(response, engine, before, rows=table_rows) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    body = response.get_json()
    assert isinstance(body, dict) and isinstance(body.get("ok"), bool), response.get_data(as_text=True)
    if body["ok"]:
        assert "data" in body
        return
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    assert 400 <= response.status_code < 500
    assert rows(engine) == before


@pytest.fixture
def accounts(app, card):
    """Sam (staff) changes his own password and makes tokens; Ada (admin) makes people and changes Pat."""
    sam = UserFactory(username="sam", name="Sam Staff", role="staff")
    ada = UserFactory(username="ada", name="Ada Admin", role="admin")
    pat = UserFactory(username="pat", name="Pat", role="staff")
    clients = {}
    for name, user in (("sam", sam), ("ada", ada)):
        clients[name] = app.test_client()
        clients[name].environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(user, label='tests')}"
        # The first use notes last_used_at; later ones within the minute change nothing.
        assert clients[name].get("/api/me").status_code == 200
    clients["anonymous"] = app.test_client()
    return {**clients, "pat": pat}


def every_row(engine) -> dict:
    """The cards, their events and the accounts; not the sign-in failures, which a refused guess adds to."""
    with engine.connect() as conn:
        accounts = {table: conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all() for table in ACCOUNT_TABLES}
    return {**table_rows(engine), **accounts}


def post_raw(client, path: str, body: str, content_type, method: str = "POST"):
    # json.dumps has escaped any lone surrogate as \ud800; raw text keeps it as undecodable bytes.
    return client.open(path, method=method, data=body.encode("utf-8", "surrogatepass"), content_type=content_type)


@given(body=sign_in_bodies, content_type=content_types)
def test_sign_in_never_fails_badly(engine, accounts, body, content_type):
    before = every_row(engine)
    response = post_raw(accounts["anonymous"], "/api/session", body, content_type)
    assert_envelope_and_nothing_changed_on_4xx(response, engine, before, rows=every_row)


@given(body=password_change_bodies, content_type=content_types)
def test_password_change_never_fails_badly(engine, accounts, body, content_type):
    before = every_row(engine)
    response = post_raw(accounts["sam"], "/api/me/password", body, content_type)
    assert_envelope_and_nothing_changed_on_4xx(response, engine, before, rows=every_row)


@given(body=user_bodies, content_type=content_types)
def test_creating_a_user_never_fails_badly(engine, accounts, body, content_type):
    before = every_row(engine)
    response = post_raw(accounts["ada"], "/api/users", body, content_type)
    assert_envelope_and_nothing_changed_on_4xx(response, engine, before, rows=every_row)


@given(body=user_patch_bodies, content_type=content_types)
def test_changing_a_user_never_fails_badly(engine, accounts, body, content_type):
    before = every_row(engine)
    response = post_raw(accounts["ada"], f"/api/users/{accounts['pat'].id}", body, content_type, method="PATCH")
    assert_envelope_and_nothing_changed_on_4xx(response, engine, before, rows=every_row)


@given(body=token_bodies, content_type=content_types)
def test_creating_a_token_never_fails_badly(engine, accounts, body, content_type):
    before = every_row(engine)
    response = post_raw(accounts["sam"], "/api/tokens", body, content_type)
    assert_envelope_and_nothing_changed_on_4xx(response, engine, before, rows=every_row)


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


@given(
    card_id=ids,
    suffix=st.sampled_from(["", "/history"]),
    method=st.sampled_from(["GET", "HEAD", "OPTIONS", "PUT", "BREW"]),
)
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
