"""Isolation over HTTP: shop A's credentials on shop B's ids answer exactly as for ids that do not exist, and change nothing.

The routes are enumerated from the app's url_map, so a route added later without a case here fails
test_every_api_route_has_an_isolation_case until it has one.
"""

import json
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from board.db import acting_for, as_operator
from tests import factories

# Every table that holds a shop's rows, and the column naming the shop.
SHOP_TABLES = {
    "shops": "id",
    "appointments": "shop_id",
    "appointment_events": "shop_id",
    "users": "shop_id",
    "api_tokens": "shop_id",
    "sessions": "shop_id",
    "idempotency_keys": "shop_id",
    "shop_settings": "shop_id",
    "displays": "shop_id",
    "status_links": "shop_id",
    "webhooks": "shop_id",
    "webhook_messages": "shop_id",
    "webhook_attempts": "shop_id",
}
# No row of any table has this id: the answer to it is the answer for "missing".
MISSING_ID = 987_654_321
# Words only shop B's rows hold: none may appear in any answer to shop A's credentials.
B_MARKERS = (
    "bo-south",
    "bea-south",
    "South garage",
    "B secret title",
    "B secret customer",
    "b-nightly",
    "B lobby screen",
    "b-hooks.example",
)
PASSWORD = factories.PASSWORD


@dataclass
class Shop:
    id: int
    admin_id: int
    staff_id: int
    token_id: int
    card_id: int
    display_id: int
    headers: dict
    webhook_id: int = 0
    delivery_id: int = 0


@pytest.fixture
def shops(app, engine, client_for):
    """Shop A (`main`) and shop B, each with an admin (and its token), a staff account and a moved card."""
    with as_operator(), engine.begin() as conn:
        b_id = conn.scalar(
            text(
                "INSERT INTO shops (slug, name, timezone) VALUES ('south', 'South garage', 'Europe/Lisbon') RETURNING id"
            )
        )
        a_id = conn.scalar(text("SELECT id FROM shops WHERE slug = 'main'"))
    made = {}
    for key, shop_id, prefix, marker in (("a", a_id, "ana", "A"), ("b", b_id, "bo", "B")):
        with acting_for(shop_id):
            admin = factories.UserFactory(username=f"{prefix}-{'south' if key == 'b' else 'main'}", role="admin")
            staff = factories.UserFactory(
                username=f"{'bea' if key == 'b' else 'al'}-{'south' if key == 'b' else 'main'}"
            )
            secret = factories.token_for(admin, label="b-nightly" if key == "b" else "a-nightly")
            card = factories.AppointmentFactory(title=f"{marker} secret title", customer=f"{marker} secret customer")
            token_id = conn_scalar(engine, "SELECT id FROM api_tokens WHERE user_id = :u", u=admin.id)
            made[key] = Shop(shop_id, admin.id, staff.id, token_id, card.id, 0, {"Authorization": f"Bearer {secret}"})
            made[key].webhook_id, made[key].delivery_id = webhook_with_a_delivery(
                engine, f"https://{key}-hooks.example/"
            )
            factories.Session.commit()  # reading the ids began the factories' transaction in this shop: end it
    for key, shop in made.items():
        display = client_for(app, shop.headers).post(
            "/api/displays", json={"name": "B lobby screen" if key == "b" else "A lobby screen"}
        )
        assert display.status_code == 201, display.get_json()
        shop.display_id = display.get_json()["data"]["id"]
        moved = client_for(app, shop.headers).post(
            f"/api/appointments/{shop.card_id}/move", json={"status": "CHECKED_IN", "version": 1}
        )
        assert moved.status_code == 200, moved.get_json()
    return made["a"], made["b"]


def webhook_with_a_delivery(engine, url: str) -> tuple[int, int]:
    """A webhook of the acting shop, its card's creation queued for it, and one attempt: (webhook id, attempt id)."""
    with engine.begin() as conn:
        webhook_id = conn.scalar(
            text("INSERT INTO webhooks (url, kinds, secret_salt) VALUES (:url, '{created}', '\\x00') RETURNING id"),
            {"url": url},
        )
        message_id = conn.scalar(
            text("INSERT INTO webhook_messages (webhook_id, event_seq) VALUES (:w, 1) RETURNING id"), {"w": webhook_id}
        )
        attempt_id = conn.scalar(
            text(
                "INSERT INTO webhook_attempts (message_id, webhook_id, status, duration_ms)"
                " VALUES (:m, :w, 500, 3) RETURNING id"
            ),
            {"m": message_id, "w": webhook_id},
        )
    return webhook_id, attempt_id


def conn_scalar(engine, sql: str, **params):
    with engine.begin() as conn:
        return conn.scalar(text(sql), params)


def every_shop_row(engine) -> dict:
    """Every row of every shop table, read as the owner (whose policy sees every shop): {table: {(shop, row)}}."""
    with as_operator(), engine.connect() as conn:
        return {
            table: {(row[0], hashable(row[1:])) for row in conn.execute(text(f"SELECT {shop}, t.* FROM {table} AS t"))}
            for table, shop in SHOP_TABLES.items()
        }


def hashable(values) -> tuple:
    """A row's values, its JSON columns (a shop's limits) written out so that rows can go in a set."""
    return tuple(json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value for value in values)


def rows_of(snapshot: dict, shop_id: int) -> dict:
    return {table: {row for row in rows if row[0] == shop_id} for table, rows in snapshot.items()}


def without_request_id(body: dict) -> dict:
    error = {key: value for key, value in body.get("error", {}).items() if key != "request_id"}
    return {**body, "error": error} if "error" in body else body


def with_path_ids(rule, ids: dict) -> str:
    """The rule's path with each argument ("<row_id:token_id>") replaced by ids[its name]."""
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda argument: str(ids[argument.group(1)]), rule.rule)


# What each route with ids in its path is sent, given shop B (the request a leak would let through).
def requests_with_path_ids(b: Shop) -> dict:
    return {
        "api.get_appointment": {},
        "api.get_history": {},
        "api.edit_appointment": {"json": {"version": 2, "title": "Taken over", "notes": "by shop A"}},
        "api.delete_appointment": {"query_string": {"version": 2}},
        "api.move_appointment": {"json": {"status": "READY", "version": 2}},
        "accounts.revoke_token": {},
        "accounts.update_user": {"json": {"disabled": True, "name": "Taken over"}},
        "shops.revoke_display": {},
        "status_links.get_status_link": {},
        "status_links.replace_status_link": {},
        "webhooks.get_webhook": {},
        "webhooks.update_webhook": {"json": {"enabled": False}},
        "webhooks.delete_webhook": {},
        "webhooks.rotate_webhook_secret": {},
        "webhooks.list_webhook_deliveries": {},
        "webhooks.redeliver_webhook": {},
    }


def path_ids(shop: Shop) -> dict:
    return {
        "appointment_id": shop.card_id,
        "token_id": shop.token_id,
        "user_id": shop.staff_id,
        "display_id": shop.display_id,
        "webhook_id": shop.webhook_id,
        "delivery_id": shop.delivery_id,
    }


# Routes with no id in their path act on the caller's own shop: what shop A's admin sends each.
REQUESTS_WITHOUT_PATH_IDS = {
    "api.board": ("GET", {}),
    "api.create_appointment": (
        "POST",
        {"json": {"title": "New", "customer": "Cy", "scheduled_at": "2026-03-09T10:00:00Z"}},
    ),
    "api.move_many": ("POST", {"json": {"moves": []}}),  # filled in with B's card below
    "accounts.sign_in": ("POST", {"json": {"username": "ana-main", "password": PASSWORD}}),
    "accounts.sign_out": ("DELETE", {}),
    "accounts.me": ("GET", {}),
    "accounts.change_password": (
        "POST",
        {"json": {"current_password": PASSWORD, "new_password": "another long passphrase"}},
    ),
    "accounts.list_tokens": ("GET", {}),
    "accounts.create_token": ("POST", {"json": {"label": "new"}}),
    "accounts.revoke_all_tokens": ("POST", {}),
    "accounts.list_users": ("GET", {}),
    "accounts.create_user": (
        "POST",
        {"json": {"username": "cy", "name": "Cy", "role": "viewer", "password": PASSWORD}},
    ),
    "shops.get_limits": ("GET", {}),
    "shops.set_limits": ("PUT", {"json": {"limits": {"READY": 120}}}),
    "shops.get_display_settings": ("GET", {}),
    "shops.set_display_settings": ("PUT", {"json": {"initials": True}}),
    "shops.list_displays": ("GET", {}),
    "shops.create_display": ("POST", {"json": {"name": "A hall screen"}}),
    "shops.pair_display": ("POST", {"json": {"code": "no-such-pairing-code"}}),
    # Its opening only here (the test client ends it there); what streams carry: tests/operations/test_live_feed.py.
    "live.open_stream": ("GET", {}),
    "webhooks.list_webhooks": ("GET", {}),
    # Refused (422) here, where no name resolves: what matters is that B's rows stay as they were.
    "webhooks.create_webhook": ("POST", {"json": {"url": "https://a-hooks.example/"}}),
}
# Served under /api but about the service, not a shop's rows.
NOT_A_SHOPS = {"openapi.document_json", "openapi.docs"}


def api_routes(app) -> list:
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def test_every_api_route_has_an_isolation_case(app, shops):
    _, b = shops
    with_ids = requests_with_path_ids(b)
    uncovered = [
        f"{method} {rule.rule}"
        for rule, method in api_routes(app)
        if rule.endpoint
        not in (with_ids if rule.arguments else {**REQUESTS_WITHOUT_PATH_IDS, **dict.fromkeys(NOT_A_SHOPS)})
    ]

    assert uncovered == [], "say what these routes are sent in tests/shops/test_isolation_http.py"


def assert_b_ids_answer_as_missing(app, engine, shops, client_for):
    a, b = shops
    client = client_for(app, a.headers)
    before = every_shop_row(engine)
    checked = []

    for rule, method in api_routes(app):
        if not rule.arguments:
            continue
        request = requests_with_path_ids(b)[rule.endpoint]
        on_b = client.open(with_path_ids(rule, path_ids(b)), method=method, **request)
        on_missing = client.open(
            with_path_ids(rule, dict.fromkeys(rule.arguments, MISSING_ID)), method=method, **request
        )

        assert on_b.status_code == on_missing.status_code == 404, (method, rule.rule, on_b.get_json())
        assert without_request_id(on_b.get_json()) == without_request_id(on_missing.get_json()), (method, rule.rule)
        assert set(on_b.headers.keys()) == set(on_missing.headers.keys()), (method, rule.rule)
        checked.append(f"{method} {rule.rule}")

    assert every_shop_row(engine) == before, "nothing changed in either shop"
    # The routes the issue names, so that an emptied url_map cannot pass this test.
    assert {
        "GET /api/appointments/<appointment_id:appointment_id>",
        "GET /api/appointments/<appointment_id:appointment_id>/history",
        "PATCH /api/appointments/<appointment_id:appointment_id>",
        "DELETE /api/appointments/<appointment_id:appointment_id>",
        "POST /api/appointments/<appointment_id:appointment_id>/move",
        "DELETE /api/tokens/<row_id:token_id>",
        "PATCH /api/users/<row_id:user_id>",
        "DELETE /api/displays/<row_id:display_id>",
    } <= set(checked)


def test_another_shops_ids_in_the_path_answer_exactly_as_missing_ids_and_change_nothing(app, engine, shops, client_for):
    assert_b_ids_answer_as_missing(app, engine, shops, client_for)


@pytest.mark.parametrize("database_route", ["pgbouncer"], indirect=True)
def test_through_pgbouncer_another_shops_ids_answer_as_missing(app, engine, shops, client_for):
    assert_b_ids_answer_as_missing(app, engine, shops, client_for)


@pytest.mark.parametrize("database_route", ["direct", "pgbouncer"], indirect=True)
def test_a_batch_naming_another_shops_card_moves_nothing_and_lists_it_as_missing(app, engine, shops, client_for):
    a, b = shops
    client = client_for(app, a.headers)
    before = every_shop_row(engine)

    def batch(other_id):
        return client.post(
            "/api/moves",
            json={
                "moves": [
                    {"id": a.card_id, "status": "READY", "version": 2},
                    {"id": other_id, "status": "READY", "version": 2},
                ]
            },
        )

    on_b, on_missing = batch(b.card_id), batch(MISSING_ID)

    assert on_b.status_code == on_missing.status_code == 404
    assert on_b.get_json()["error"]["missing"] == [b.card_id]
    as_if_missing = without_request_id(on_missing.get_json())
    as_if_missing["error"]["missing"] = [b.card_id]
    assert without_request_id(on_b.get_json()) == as_if_missing
    assert every_shop_row(engine) == before


@pytest.mark.parametrize("endpoint", sorted(REQUESTS_WITHOUT_PATH_IDS))
def test_routes_without_ids_touch_and_tell_only_the_callers_shop(app, engine, shops, client_for, endpoint):
    a, b = shops
    method, request = REQUESTS_WITHOUT_PATH_IDS[endpoint]
    if endpoint == "api.move_many":
        request = {"json": {"moves": [{"id": b.card_id, "status": "READY", "version": 2}]}}
    path = next(rule.rule for rule, _ in api_routes(app) if rule.endpoint == endpoint)
    before = every_shop_row(engine)

    answer = client_for(app, a.headers).open(path, method=method, **request)

    assert answer.status_code < 500, answer.get_data(as_text=True)
    assert not any(marker in answer.get_data(as_text=True) for marker in B_MARKERS), answer.get_data(as_text=True)
    after = every_shop_row(engine)
    assert rows_of(after, b.id) == rows_of(before, b.id), "shop B's rows are as they were"
    changed = {table: after[table] ^ before[table] for table in SHOP_TABLES}
    assert {row[0] for rows in changed.values() for row in rows} <= {a.id}, "whatever changed is shop A's"


def test_an_idempotency_key_used_in_another_shop_is_a_new_request(app, engine, shops, client_for):
    a, b = shops
    card = {"title": "Same", "customer": "Same", "scheduled_at": "2026-03-09T10:00:00Z"}
    key = {"Idempotency-Key": "nightly-import-1"}

    first = client_for(app, b.headers).post("/api/appointments", json=card, headers=key)
    replayed_in_b = client_for(app, b.headers).post("/api/appointments", json=card, headers=key)
    in_a = client_for(app, a.headers).post("/api/appointments", json=card, headers=key)

    assert first.status_code == replayed_in_b.status_code == in_a.status_code == 201
    assert replayed_in_b.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in in_a.headers
    assert in_a.get_json()["data"]["id"] != first.get_json()["data"]["id"]
    with as_operator(), engine.begin() as conn:
        assert conn.execute(
            text("SELECT shop_id, count(*) FROM appointments WHERE title = 'Same' GROUP BY 1 ORDER BY 1")
        ).all() == [(a.id, 1), (b.id, 1)]


def test_another_shops_changes_never_change_a_board_or_its_etag(app, shops, client_for):
    a, b = shops
    mine, theirs = client_for(app, a.headers), client_for(app, b.headers)
    day = mine.get(f"/api/appointments/{a.card_id}").get_json()["data"]["scheduled_at"][:10]

    first = mine.get(f"/api/board?from={day}")
    theirs.post(f"/api/appointments/{b.card_id}/move", json={"status": "READY", "version": 2})
    theirs.post("/api/appointments", json={"title": "B new", "customer": "B", "scheduled_at": f"{day}T12:00:00Z"})
    again = mine.get(f"/api/board?from={day}")
    revalidated = mine.get(f"/api/board?from={day}", headers={"If-None-Match": first.headers["ETag"]})

    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json() and again.headers["ETag"] == first.headers["ETag"]
    assert revalidated.status_code == 304


def test_ids_are_unique_across_the_service(app, engine, shops, client_for):
    a, b = shops
    for shop in (a, b, a, b):
        made = client_for(app, shop.headers).post(
            "/api/appointments", json={"title": "t", "customer": "c", "scheduled_at": "2026-03-09T10:00:00Z"}
        )
        assert made.status_code == 201

    with as_operator(), engine.begin() as conn:
        for table in ("appointments", "appointment_events", "users", "api_tokens"):
            ids = conn.scalars(text(f"SELECT id FROM {table}")).all()
            assert len(ids) == len(set(ids)), table
