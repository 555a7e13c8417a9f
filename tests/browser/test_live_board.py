"""The live board's page side in Chromium: time in status ticking, late cards, the shop settings panel, wall displays,
the display's fallback to polling, and an open card told of a change by the stream."""

import json
import re
from datetime import UTC, datetime

from playwright.sync_api import expect
from sqlalchemy import text

from board.db import as_operator
from tests.browser.board_page import BoardPage, api_call, card
from tests.factories import AppointmentFactory, Session, UserFactory, token_for
from tests.helpers import stored_card
from tests.served import granian


def waited(engine, card_id: int, minutes: int) -> None:
    """Make a card look as if it entered its status `minutes` ago."""
    with as_operator(), engine.begin() as conn:
        conn.execute(
            text("UPDATE appointments SET status_since = now() - make_interval(mins => :minutes) WHERE id = :id"),
            {"minutes": minutes, "id": card_id},
        )


def set_limits(engine, limits: dict) -> None:
    with as_operator(), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO shop_settings (shop_id, status_limits) SELECT id, CAST(:limits AS jsonb) FROM shops WHERE slug = 'main'"
            ),
            {"limits": json.dumps(limits)},
        )


def card_node(page, card_id: int):
    return page.locator(f'.card[data-id="{card_id}"]')


def test_each_card_shows_its_time_in_status_and_it_ticks(app, new_page, live_server, staff_account):
    ready = card(9, status="READY").id
    Session.commit()
    waited(app.extensions["board.engine"], ready, 80)
    page = new_page()
    page.clock.install(time=datetime.now(UTC))
    board = BoardPage(page, live_server, staff_account).open()

    expect(card_node(page, ready).locator(".waited")).to_have_text(re.compile(r"^Ready for 1 h 20 min"))
    page.clock.run_for("01:00")

    expect(card_node(page, ready).locator(".waited")).to_have_text(re.compile(r"^Ready for 1 h 21 min"))
    expect(card_node(page, ready)).to_have_attribute("aria-label", re.compile(r", Ready for 1 h 21 min$"))
    assert board.page.locator(".card.late").count() == 0


def test_a_card_past_its_status_limit_is_marked_late(app, new_page, live_server, staff_account):
    engine = app.extensions["board.engine"]
    late, fresh = card(9, status="CHECKED_IN").id, card(10, status="CHECKED_IN").id
    Session.commit()
    waited(engine, late, 31)
    set_limits(engine, {"CHECKED_IN": 30})
    page = BoardPage(new_page(), live_server, staff_account).open().page

    expect(card_node(page, late)).to_have_class(re.compile(r"\blate\b"))
    expect(card_node(page, late).locator(".late-mark")).to_be_visible()
    expect(card_node(page, late)).to_have_attribute("aria-label", re.compile(r", late$"))
    expect(card_node(page, fresh)).not_to_have_class(re.compile(r"\blate\b"))
    expect(card_node(page, fresh).locator(".late-mark")).to_be_hidden()


def test_an_admin_sets_a_limit_in_the_panel_and_the_board_marks_late_cards_at_once(
    app, new_page, live_server, make_account
):
    engine = app.extensions["board.engine"]
    waiting = card(9, status="CHECKED_IN").id
    Session.commit()
    waited(engine, waiting, 45)
    page = BoardPage(new_page(), live_server, make_account("admin")).open().page
    expect(card_node(page, waiting)).not_to_have_class(re.compile(r"\blate\b"))

    page.get_by_role("button", name="Shop settings").click()
    dialog = page.locator("#shop-dialog")
    dialog.get_by_label("Checked in (minutes)").fill("30")
    dialog.get_by_role("button", name="Save limits").click()

    expect(dialog.locator("#limits-message")).to_have_text("Limits saved.")
    expect(card_node(page, waiting)).to_have_class(re.compile(r"\blate\b"))
    with as_operator(), engine.connect() as conn:
        assert conn.scalar(text("SELECT status_limits FROM shop_settings")) == {"CHECKED_IN": 30}


def test_a_display_made_from_the_page_pairs_a_screen_by_its_link_and_is_revoked_from_it(
    app, new_page, live_server, make_account
):
    today = AppointmentFactory(
        scheduled_at=datetime.now(UTC), customer="Ada Lovelace", title="Brakes", status="READY"
    ).id
    Session.commit()
    admin = BoardPage(
        new_page(permissions=["clipboard-read", "clipboard-write"]), live_server, make_account("admin")
    ).open()
    page = admin.page
    page.get_by_role("button", name="Shop settings").click()
    dialog = page.locator("#shop-dialog")
    dialog.get_by_label("Show customers as initials on displays").check()
    expect(dialog.locator("#initials-message")).to_have_text("Displays show initials.")
    dialog.get_by_label("Name").fill("Workshop TV")
    dialog.get_by_role("button", name="Make a display").click()
    expect(dialog.get_by_label("Display link")).to_have_value(re.compile(r"/display#"))
    link = dialog.get_by_label("Display link").input_value()
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.locator("#copy-link-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == link
    code = link.split("#", 1)[1]
    assert len(code) >= 22 and link.startswith(f"{live_server}/display#")

    tv = new_page()
    # ?refresh: the screen polls quickly while the change stream is down (it is, on a plain test server).
    tv.goto(f"{live_server}/display?refresh=300#{code}")

    expect(tv.locator(".column")).to_have_count(6)
    expect(tv.locator(f'.card[data-id="{today}"] .customer')).to_have_text("A. L.")
    expect(tv.locator(f'.card[data-id="{today}"] .waited')).to_have_text(re.compile(r"^Ready for"))
    expect(tv.locator("button, input, select, textarea, a")).to_have_count(0)
    assert code not in tv.url and "#" not in tv.url
    tv.go_back()
    tv.go_forward()
    expect(tv.locator(".column")).to_have_count(6)
    assert code not in tv.url
    expect(dialog.locator("#displays-body tr")).to_have_count(1)

    dialog.locator("#displays-body").get_by_role("button", name="Revoke Workshop TV").click()

    expect(tv.locator("#display-message")).to_contain_text("This display is signed out")
    expect(tv.locator(".card")).to_have_count(0)
    assert tv.context.request.get(f"{live_server}/api/board").status == 401


def test_a_move_in_one_page_reaches_another_page_and_a_display_within_a_second(
    app, database_url, new_page, make_account
):
    now = datetime.now(UTC)
    moved = AppointmentFactory(scheduled_at=now, customer="Ada Lovelace", title="Brakes").id
    Session.commit()
    admin = make_account("admin")
    # Served as in production (Granian's RSGI holds the streams); polling is off in every page.
    with granian(database_url, workers=1, threads=4) as server:
        one = BoardPage(new_page(), server.url, admin).open(day=now.date().isoformat())
        two = BoardPage(new_page(), server.url, admin).open(day=now.date().isoformat())
        api, origin = one.page.context.request, {"Origin": server.url}
        assert api.put(f"{server.url}/api/shop/display", data={"initials": True}, headers=origin).status == 200
        made = api.post(f"{server.url}/api/displays", data={"name": "Waiting room"}, headers=origin)
        assert made.status == 201, made.text()
        tv = new_page()
        tv.goto(f"{server.url}/display?refresh=600000{made.json()['data']['link']}")
        for page in (one.page, two.page, tv):
            expect(page.locator("html")).to_have_attribute("data-live", "open")
        expect(tv.locator(f'.card[data-id="{moved}"] .customer')).to_have_text("A. L.")

        one.page.locator(f'.card[data-id="{moved}"] select').select_option("READY")

        in_ready = f'[data-status="READY"] .card[data-id="{moved}"]'
        expect(two.page.locator(in_ready)).to_be_visible(timeout=1000)
        expect(tv.locator(in_ready)).to_be_visible(timeout=1000)
        expect(tv.locator(f"{in_ready} .customer")).to_have_text("A. L.")
        assert "Ada Lovelace" not in tv.locator(".board, main").first.inner_text()


def test_a_display_whose_stream_is_down_says_reconnecting_and_follows_the_board_by_polling(
    app, new_page, live_server, staff_token
):
    today = AppointmentFactory(scheduled_at=datetime.now(UTC), title="Brakes").id
    admin = token_for(UserFactory(username="tv-admin", role="admin"))
    Session.commit()
    status, made = api_call(live_server, "POST", "/api/displays", token=admin, body={"name": "Workshop TV"})
    assert status == 201, made
    tv = new_page()
    # Every attempt to open the stream is refused, as by a proxy that cannot hold it.
    tv.route("**/api/events*", lambda route: route.fulfill(status=503, content_type="text/plain", body="down"))
    tv.goto(f"{live_server}/display?refresh=300{made['data']['link']}")
    expect(tv.locator(f'[data-status="SCHEDULED"] .card[data-id="{today}"]')).to_be_visible()
    expect(tv.locator("#display-status")).to_have_text("Reconnecting…")
    expect(tv.locator("html")).to_have_attribute("data-live", "down")

    status, moved = api_call(
        live_server,
        "POST",
        f"/api/appointments/{today}/move",
        token=staff_token,
        body={"status": "READY", "version": 1},
    )

    assert status == 200, moved
    expect(tv.locator(f'[data-status="READY"] .card[data-id="{today}"]')).to_be_visible()
    expect(tv.locator("#display-status")).to_have_text("Reconnecting…")


def test_an_open_cards_details_say_it_changed_when_the_change_arrives_through_the_stream(
    app, database_url, new_page, make_account, staff_token
):
    now = datetime.now(UTC)
    oil = AppointmentFactory(scheduled_at=now, title="Oil change").id
    Session.commit()
    # Served as in production, the page polling only every 10 minutes: the change can come only by the stream.
    with granian(database_url, workers=1, threads=4) as server:
        board = BoardPage(new_page(), server.url, make_account("staff")).open(day=now.date().isoformat())
        expect(board.page.locator("html")).to_have_attribute("data-live", "open")
        board.card(oil).locator(".title").click()
        dialog = board.page.locator("#card-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#card-changed")).to_be_hidden()

        status, edited = api_call(
            server.url,
            "PATCH",
            f"/api/appointments/{oil}",
            token=staff_token,
            body={"notes": "Bring the key", "version": 1},
        )

        assert status == 200, edited
        expect(dialog.locator("#card-changed")).to_have_text(
            re.compile(r"^Someone changed this appointment since you opened it \(it is now at version 2\)"),
            timeout=1000,
        )
        expect(dialog).to_be_visible()


def test_a_change_from_the_stream_keeps_the_focus_and_a_drag_in_progress(app, database_url, new_page, make_account):
    held, focused, other = card(9, title="Held").id, card(10, title="Focused").id, card(11, title="Other").id
    Session.commit()
    staff = make_account("staff")
    with granian(database_url, workers=1, threads=4) as server:
        board = BoardPage(new_page(), server.url, staff).open()
        page = board.page
        expect(page.locator("html")).to_have_attribute("data-live", "open")
        api = page.context.request
        origin = {"Origin": server.url}

        page.locator(f'.card[data-id="{focused}"]').focus()
        moved = api.post(
            f"{server.url}/api/appointments/{other}/move", data={"status": "CHECKED_IN", "version": 1}, headers=origin
        )
        assert moved.status == 200
        expect(board.card_in("CHECKED_IN", other)).to_be_visible(timeout=1000)
        assert page.evaluate("document.activeElement.dataset.id") == str(focused)

        board.start_drag(held, "READY")
        moved = api.post(
            f"{server.url}/api/appointments/{other}/move", data={"status": "IN_PROGRESS", "version": 2}, headers=origin
        )
        assert moved.status == 200
        page.mouse.up()

        board.expect_settled_in("READY", held)
        expect(board.card_in("IN_PROGRESS", other)).to_be_visible(timeout=1000)
        assert stored_card(app.extensions["board.engine"], held) == ("READY", 2)
