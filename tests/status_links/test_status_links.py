"""Customers' status links: what staff get, what the page shows (and never shows), replacing, expiry, the throttle."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from board.db import acting_for, as_operator
from board.http.shapes import StatusLink
from board.status_links import links, throttle
from board.status_links.api import link_out
from tests import factories

ZONE = "Asia/Kathmandu"  # +05:45: a time shown in UTC, or rounded to the hour, shows here
SECRET_CUSTOMER = "Zebulon Quartermaine"
SECRET_NOTES = "Gate code 4711, spare key under the mat"
HOSTILE_TITLE = "Brakes <script>alert(1)</script> & pads"


@pytest.fixture
def shop_zone(app, engine):
    with as_operator(), engine.begin() as conn:
        conn.execute(
            text("UPDATE shops SET name = 'Lakeside Garage', timezone = :zone WHERE slug = 'main'"), {"zone": ZONE}
        )


@pytest.fixture
def card(shop_zone):
    return factories.AppointmentFactory(
        title="Brake pads, front",
        customer=SECRET_CUSTOMER,
        notes=SECRET_NOTES,
        scheduled_at=datetime(2027, 1, 14, 3, 45, tzinfo=UTC),  # 09:30 in Kathmandu
    )


def link_of(client, card_id: int) -> str:
    answer = client.get(f"/api/appointments/{card_id}/status-link")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["data"]["url"]


def path_of(url: str) -> str:
    return url[url.index("/s/") :]


def set_card(engine, card_id: int, sql: str, **params) -> None:
    """Change a card behind the service's back, as the operator (times in the past, without sleeping)."""
    with as_operator(), engine.begin() as conn:
        conn.execute(text(f"UPDATE appointments SET {sql} WHERE id = :id"), {"id": card_id, **params})


def test_staff_get_one_absolute_link_per_card_the_same_each_time(client, card):
    first, again = link_of(client, card.id), link_of(client, card.id)
    other = link_of(client, factories.AppointmentFactory().id)

    assert first == again != other
    assert first.startswith("http://localhost/s/")
    assert links.TOKEN_SHAPE.fullmatch(first.rsplit("/", 1)[1])


def test_the_links_base_is_board_public_url_when_set(make_app, client_for, app, card):
    configured = make_app(BOARD_PUBLIC_URL="https://board.example/")

    url = link_of(client_for(configured), card.id)

    assert url.startswith("https://board.example/s/") and "//s/" not in url


def test_the_database_holds_no_usable_link_only_a_salt_and_the_tokens_hash(client, engine, card):
    url = link_of(client, card.id)
    token = url.rsplit("/", 1)[1]

    with as_operator(), engine.begin() as conn:
        row = conn.execute(text("SELECT salt, token_hash FROM status_links")).one()
        everything = conn.scalar(text("SELECT row_to_json(l)::text FROM status_links l"))
    assert token not in everything
    assert len(row.salt) == 16 and row.token_hash != token


def test_the_page_shows_only_the_shop_title_time_and_status_in_the_shops_zone(client, anonymous, engine, card):
    zone = ZoneInfo(ZONE)
    entered_ready = datetime.combine(datetime.now(zone).date(), time(14, 20), zone)
    set_card(engine, card.id, "status = 'READY', status_since = :since", since=entered_ready)
    factories.AppointmentFactory(title="Someone else's timing belt", customer="Other Customer")

    page = anonymous.get(path_of(link_of(client, card.id)))
    html = page.get_data(as_text=True)

    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Lakeside Garage" in html
    assert "Brake pads, front" in html
    assert "Thursday 14 January 2027, 09:30" in html
    assert "Ready for pickup since 14:20" in html
    for never in (SECRET_CUSTOMER, "Zebulon", SECRET_NOTES, "4711", "Someone else", "Other Customer", "version"):
        assert never not in html
    assert '<meta http-equiv="refresh" content="30">' in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Robots-Tag"] == "noindex"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_title_is_shown_as_text_never_as_markup(client, anonymous, shop_zone):
    card = factories.AppointmentFactory(title=HOSTILE_TITLE)

    html = anonymous.get(path_of(link_of(client, card.id))).get_data(as_text=True)

    assert "<script>" not in html
    assert "Brakes &lt;script&gt;alert(1)&lt;/script&gt; &amp; pads" in html


@pytest.mark.parametrize(
    "status, words",
    [
        ("SCHEDULED", "Booked since"),
        ("CHECKED_IN", "Checked in since"),
        ("IN_PROGRESS", "Being worked on since"),
        ("READY", "Ready for pickup since"),
        ("COMPLETED", "Completed at"),
        ("CANCELLED", "Cancelled at"),
    ],
)
def test_each_status_is_said_in_words_with_the_day_when_not_today(client, anonymous, engine, card, status, words):
    set_card(engine, card.id, "status = :status, status_since = now() - interval '3 days'", status=status)
    since = (datetime.now(UTC) - timedelta(days=3)).astimezone(ZoneInfo(ZONE))

    html = anonymous.get(path_of(link_of(client, card.id))).get_data(as_text=True)

    assert f"{words} {since.day} {since:%B}" in html


def test_a_deleted_cards_page_says_it_was_cancelled(client, anonymous, engine, card):
    url = link_of(client, card.id)
    zone = ZoneInfo(ZONE)
    deleted = datetime.combine(datetime.now(zone).date(), time(8, 5), zone)
    set_card(engine, card.id, "deleted_at = :deleted", deleted=deleted)

    html = anonymous.get(path_of(url)).get_data(as_text=True)

    assert "Cancelled: removed from the shop&#39;s schedule at 08:05" in html


def unknown_link_answer(anonymous, path: str):
    answer = anonymous.get(path)
    return answer.status_code, answer.get_data(), answer.headers.get("Cache-Control"), answer.mimetype


def test_unknown_replaced_and_malformed_links_all_answer_the_same_404(client, anonymous, card):
    old = link_of(client, card.id)
    replaced = client.post(f"/api/appointments/{card.id}/status-link/replace")
    new = replaced.get_json()["data"]["url"]

    unknown = unknown_link_answer(anonymous, "/s/" + "A" * 43)
    assert unknown[0] == 404 and b"This link does not work" in unknown[1]
    assert replaced.status_code == 200 and new != old
    assert link_of(client, card.id) == new
    assert anonymous.get(path_of(new)).status_code == 200
    for path in (path_of(old), "/s/short", "/s/" + "A" * 44, "/s/" + "%21" * 43, "/s/" + old.rsplit("/", 1)[1].lower()):
        assert unknown_link_answer(anonymous, path) == unknown, path


def test_another_shops_card_or_a_deleted_one_is_404_exactly_like_an_unknown_id(app, engine, client_for, client, card):
    with as_operator(), engine.begin() as conn:
        south = conn.scalar(
            text("INSERT INTO shops (slug, name, timezone) VALUES ('south', 'South', 'UTC') RETURNING id")
        )
    with acting_for(south):
        their_staff = factories.UserFactory(username="bo", role="staff")
        theirs = client_for(app, {"Authorization": f"Bearer {factories.token_for(their_staff)}"})
        factories.Session.commit()
    gone = factories.AppointmentFactory()
    set_card(engine, gone.id, "deleted_at = now()")

    def answer(asking, card_id, path="status-link", method="GET"):
        response = asking.open(f"/api/appointments/{card_id}/{path}", method=method)
        body = response.get_json()
        body["error"].pop("request_id")
        return response.status_code, body

    for path, method in (("status-link", "GET"), ("status-link/replace", "POST")):
        unknown = answer(client, 987_654_321, path, method)
        assert unknown[0] == 404
        assert answer(theirs, card.id, path, method) == unknown
        assert answer(client, gone.id, path, method) == unknown
    with as_operator(), engine.begin() as conn:
        assert conn.scalar(text("SELECT count(*) FROM status_links")) == 0


def test_viewers_do_not_get_the_link(app, client_for, card):
    viewer = factories.UserFactory(username="vi", role="viewer")
    asking = client_for(app, {"Authorization": f"Bearer {factories.token_for(viewer)}"})

    assert asking.get(f"/api/appointments/{card.id}/status-link").status_code == 403
    assert asking.post(f"/api/appointments/{card.id}/status-link/replace").status_code == 403


def test_replacing_takes_no_idempotency_key_since_the_answer_carries_the_link(client, card):
    answer = client.post(f"/api/appointments/{card.id}/status-link/replace", headers={"Idempotency-Key": "k1"})

    assert answer.status_code == 400


@pytest.mark.parametrize(
    "ended",
    ["status = 'COMPLETED', status_since = {}", "status = 'CANCELLED', status_since = {}", "deleted_at = {}"],
    ids=["completed", "cancelled", "deleted"],
)
def test_a_link_stops_working_14_days_after_its_card_ended(client, anonymous, engine, card, ended):
    path = path_of(link_of(client, card.id))
    unknown = unknown_link_answer(anonymous, "/s/" + "B" * 43)

    set_card(engine, card.id, ended.format("now() - interval '13 days 23 hours'"))
    still = anonymous.get(path)
    set_card(engine, card.id, ended.format("now() - interval '14 days 1 minute'"))

    assert still.status_code == 200
    assert unknown_link_answer(anonymous, path) == unknown


def test_a_card_under_way_keeps_its_link_however_long_it_waits_and_has_no_expiry(client, anonymous, engine, card):
    set_card(engine, card.id, "status = 'IN_PROGRESS', status_since = now() - interval '90 days'")
    answer = client.get(f"/api/appointments/{card.id}/status-link").get_json()["data"]

    assert answer["expires_at"] is None
    assert anonymous.get(path_of(answer["url"])).status_code == 200


def test_staff_see_when_a_link_expires(client, engine, card):
    set_card(engine, card.id, "status = 'COMPLETED', status_since = '2027-01-14T10:00:00Z'")

    answer = client.get(f"/api/appointments/{card.id}/status-link").get_json()["data"]

    assert answer["expires_at"] == "2027-01-28T10:00:00+00:00"
    assert StatusLink().validate(answer) == {} and set(answer) == set(StatusLink().fields)


def test_the_answer_has_exactly_the_fields_of_its_shape():
    rendered = link_out(links.Link("https://board.example/s/x", None))

    assert list(rendered) == list(StatusLink().fields)
    assert StatusLink().validate(rendered) == {}


def from_address(anonymous, address: str, path: str):
    return anonymous.get(path, environ_base={"REMOTE_ADDR": address})


def test_unknown_links_from_one_address_are_throttled_while_another_address_still_gets_404(client, anonymous, card):
    working = path_of(link_of(client, card.id))
    unknown = "/s/" + "C" * 43
    not_found = unknown_link_answer(anonymous, "/s/" + "D" * 43)  # from 127.0.0.1, the test client's own

    misses = [from_address(anonymous, "203.0.113.7", unknown).status_code for _ in range(throttle.MAX_MISSES)]
    refused = from_address(anonymous, "203.0.113.7", unknown)
    refused_working = from_address(anonymous, "203.0.113.7", working)

    assert misses == [404] * throttle.MAX_MISSES
    assert refused.status_code == refused_working.status_code == 429
    assert refused.get_data() == refused_working.get_data() == not_found[1]
    assert 1 <= int(refused.headers["Retry-After"]) <= throttle.WINDOW.total_seconds()
    assert from_address(anonymous, "203.0.113.8", unknown).status_code == 404
    assert from_address(anonymous, "203.0.113.8", working).status_code == 200


def test_a_working_link_viewed_often_is_never_throttled(client, anonymous, card):
    working = path_of(link_of(client, card.id))

    answers = {from_address(anonymous, "203.0.113.9", working).status_code for _ in range(throttle.MAX_MISSES + 5)}

    assert answers == {200}


def test_the_workers_status_url_is_the_link_staff_see_and_is_made_in_its_transaction(app, engine, client, card):
    gone = factories.AppointmentFactory()
    set_card(engine, gone.id, "deleted_at = now()")
    shop_id = card.shop_id

    with app.app_context(), acting_for(shop_id), engine.begin() as conn:
        made = links.status_url(conn, card.id, "http://localhost")
        again = links.status_url(conn, card.id, "http://localhost/")
        of_deleted = links.status_url(conn, gone.id, "https://board.example")

    assert made == again == link_of(client, card.id)
    assert of_deleted.startswith("https://board.example/s/")
