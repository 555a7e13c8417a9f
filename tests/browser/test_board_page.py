"""The board page in a real Chromium against the real app and PostgreSQL: what a person sees and does."""

import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import text

from board.db import as_operator
from board.demo import DEMO_CARDS
from board.models import STATUSES
from tests.browser.board_page import DAY, BoardPage, at, card
from tests.browser.support import ARTIFACTS, SCREENSHOTS
from tests.factories import AppointmentFactory
from tests.helpers import serving, stored_card, table_rows

MOVE_URL = "**/api/appointments/*/move"

# True once a board refresh started after `since` answered 200 and the page went on to the next
# refresh, which it only starts after handling the previous answer.
REFRESH_HANDLED_SINCE = """(since) => {
    const loads = performance.getEntriesByType("resource").filter((e) => e.name.includes("/api/board"));
    const changed = loads.findLast((e) => e.responseStatus === 200 && e.startTime > since);
    return changed !== undefined && loads.some((e) => e.startTime > changed.responseEnd);
}"""


def test_board_shows_six_columns_with_counts_and_cards_in_the_board_timezone(app, new_page, staff_account):
    engine = app.extensions["board.engine"]
    with as_operator(), engine.begin() as conn:
        conn.execute(text("UPDATE shops SET timezone = 'Asia/Tokyo' WHERE slug = 'main'"))
    zone = ZoneInfo("Asia/Tokyo")
    day = datetime.fromisoformat(DAY).date()
    for clock, title, customer, status in DEMO_CARDS:
        AppointmentFactory(
            scheduled_at=datetime.combine(day, time.fromisoformat(clock), tzinfo=zone),
            title=title,
            customer=customer,
            status=status,
        )
    # 23:30 UTC on the 9th is 08:30 on the 10th in Tokyo: on the board, first in its column.
    early = AppointmentFactory(
        scheduled_at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC), title="Early drop-off", customer="Hedy Lamarr"
    )
    page = new_page()
    with serving(app) as url:
        board = BoardPage(page, url, staff_account).open()

        assert page.locator(".column-name").all_inner_texts() == [
            "Scheduled",
            "Checked in",
            "In progress",
            "Ready",
            "Completed",
            "Cancelled",
        ]
        expected_counts = [str(sum(c[3] == s for c in DEMO_CARDS) + (s == "SCHEDULED")) for s in STATUSES]
        expect(page.locator(".count")).to_have_text(expected_counts)
        first = board.column("SCHEDULED").locator(".card").first
        expect(first).to_have_attribute("data-id", str(early.id))
        expect(first.locator(".time")).to_have_text("08:30")
        expect(first.locator(".title")).to_have_text("Early drop-off")
        expect(first.locator(".customer")).to_have_text("Hedy Lamarr")
        ready = board.column("READY").locator(".card")
        expect(ready).to_have_count(1)
        expect(ready.locator(".time")).to_have_text("09:00")
        expect(ready.locator(".title")).to_have_text("Brake inspection")
        expect(page.locator("#day")).to_have_value(DAY)
        expect(page.locator("#sync")).to_contain_text("Asia/Tokyo")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "board.png")


def test_dragging_a_card_moves_it_at_once_saves_it_and_it_stays_after_reload(page, live_server, engine, staff_account):
    oil, brakes = card(9, title="Oil change"), card(10, title="Brake inspection")
    board = BoardPage(page, live_server, staff_account).open()
    expect(board.count("SCHEDULED")).to_have_text("2")

    board.drag(oil.id, "READY")

    board.expect_settled_in("READY", oil.id)
    expect(board.count("READY")).to_have_text("1")
    expect(board.count("SCHEDULED")).to_have_text("1")
    expect(board.card_in("SCHEDULED", brakes.id)).to_be_visible()
    expect(board.announcer()).to_have_text("Oil change moved to Ready.")
    assert stored_card(engine, oil.id) == ("READY", 2)
    assert stored_card(engine, brakes.id) == ("SCHEDULED", 1)

    page.reload()

    board.expect_settled_in("READY", oil.id)
    expect(board.toast()).to_have_count(0)


def test_a_stale_drag_snaps_back_shows_the_other_move_and_a_second_drag_succeeds(
    page, live_server, client, engine, staff_account
):
    oil = card(9, title="Oil change")
    board = BoardPage(page, live_server, staff_account).open(live=False)
    expect(board.card_in("SCHEDULED", oil.id)).to_have_attribute("data-version", "1")
    # Someone else moves the card; this page still holds version 1.
    assert (
        client.post(f"/api/appointments/{oil.id}/move", json={"status": "CANCELLED", "version": 1}).status_code == 200
    )

    board.drag(oil.id, "READY")

    expect(board.toast()).to_contain_text("Someone else changed this card; the board was refreshed.")
    expect(board.toast()).to_contain_text("It is now in Cancelled.")
    board.expect_settled_in("CANCELLED", oil.id)
    expect(board.card(oil.id)).to_have_attribute("data-version", "2")
    expect(board.count("READY")).to_have_text("0")
    assert stored_card(engine, oil.id) == ("CANCELLED", 2)

    board.drag(oil.id, "READY")

    board.expect_settled_in("READY", oil.id)
    expect(board.toast()).to_have_count(1)
    assert stored_card(engine, oil.id) == ("READY", 3)


def test_a_move_that_cannot_reach_the_server_rolls_back_with_a_toast(page, live_server, engine, staff_account):
    oil = card(9, title="Oil change", status="CHECKED_IN")
    board = BoardPage(page, live_server, staff_account).open()
    before = table_rows(engine)
    page.route(MOVE_URL, lambda route: route.abort("internetdisconnected"))

    board.drag(oil.id, "COMPLETED")

    expect(board.toast()).to_contain_text("Moving Oil change failed, so it is back in Checked in.")
    expect(board.toast()).to_contain_text("You can retry.")
    board.expect_settled_in("CHECKED_IN", oil.id)
    expect(board.count("COMPLETED")).to_have_text("0")
    assert table_rows(engine) == before


def test_a_move_answered_503_rolls_back_with_a_toast_and_can_be_retried(page, live_server, engine, staff_account):
    oil = card(9, title="Oil change", status="CHECKED_IN")
    board = BoardPage(page, live_server, staff_account).open()
    before = table_rows(engine)
    busy = {
        "ok": False,
        "error": {"code": "transient_conflict", "message": "The database was busy; nothing was applied."},
    }
    page.route(MOVE_URL, lambda route: route.fulfill(status=503, json=busy, headers={"Retry-After": "1"}))

    board.drag(oil.id, "COMPLETED")

    expect(board.toast()).to_contain_text("Moving Oil change failed, so it is back in Checked in.")
    expect(board.toast()).to_contain_text("The database was busy; nothing was applied. You can retry.")
    board.expect_settled_in("CHECKED_IN", oil.id)
    assert table_rows(engine) == before

    page.unroute(MOVE_URL)
    board.drag(oil.id, "COMPLETED")

    board.expect_settled_in("COMPLETED", oil.id)
    assert stored_card(engine, oil.id) == ("COMPLETED", 2)


def test_a_card_in_flight_cannot_be_moved_again_while_other_cards_can(page, live_server, engine, staff_account):
    oil, tyres = card(9, title="Oil change"), card(10, title="Tyre swap")
    board = BoardPage(page, live_server, staff_account).open()
    held, sent = [], []

    def hold_oil(route):
        sent.append(route.request.url)
        if f"/appointments/{oil.id}/move" in route.request.url:
            held.append(route)  # answered when the test says so, below
        else:
            route.continue_()

    page.route(MOVE_URL, hold_oil)

    board.drag(oil.id, "READY")
    saving = board.card_in("READY", oil.id)
    expect(saving).to_have_class(re.compile(r"\bsaving\b"))
    expect(saving.locator(".saving-mark")).to_have_text("Saving…")
    expect(saving.locator("select")).to_be_disabled()
    page.screenshot(path=SCREENSHOTS / "in_flight_card_saving.png")

    board.drag(oil.id, "COMPLETED")  # refused: its first move has no answer yet

    expect(board.announcer()).to_have_text("Oil change is still being saved; move it again once it is done.")
    expect(board.card_in("READY", oil.id)).to_have_class(re.compile(r"\bsaving\b"))
    expect(board.count("COMPLETED")).to_have_text("0")

    board.drag(tyres.id, "IN_PROGRESS")  # another card moves meanwhile

    board.expect_settled_in("IN_PROGRESS", tyres.id)
    assert stored_card(engine, tyres.id) == ("IN_PROGRESS", 2)
    assert stored_card(engine, oil.id) == ("SCHEDULED", 1)
    assert len(held) == 1
    assert [url for url in sent if f"/{oil.id}/move" in url] == [held[0].request.url]

    held[0].continue_()

    board.expect_settled_in("READY", oil.id)
    assert stored_card(engine, oil.id) == ("READY", 2)
    expect(board.count("COMPLETED")).to_have_text("0")


def test_refreshes_keep_a_move_in_flight_and_wait_for_a_drag_to_end(page, live_server, client, staff_account):
    oil, tyres = card(9, title="Oil change"), card(10, title="Tyre swap")
    board = BoardPage(page, live_server, staff_account).open(refresh_ms=300)
    held = []
    page.route(
        MOVE_URL, lambda route: held.append(route) if f"/{oil.id}/move" in route.request.url else route.continue_()
    )
    board.drag(oil.id, "READY")
    expect(board.card_in("READY", oil.id).locator(".saving-mark")).to_be_visible()

    created = client.post(
        "/api/appointments",
        json={"title": "Battery check", "customer": "Katherine Johnson", "scheduled_at": at(11).isoformat()},
    )
    battery = created.get_json()["data"]["id"]

    # A refresh brings the new card and leaves the move in flight where the person put it.
    expect(board.card_in("SCHEDULED", battery)).to_be_visible()
    expect(board.card_in("READY", oil.id).locator(".saving-mark")).to_be_visible()

    board.start_drag(tyres.id, "COMPLETED")
    expect(page.locator(".ghost")).to_be_visible()
    since = page.evaluate("performance.now()")
    client.post(f"/api/appointments/{battery}/move", json={"status": "CANCELLED", "version": 1})
    page.wait_for_function(REFRESH_HANDLED_SINCE, arg=since)

    # The page has the refresh that saw Battery check cancelled, mid-drag: nothing is redrawn yet.
    expect(page.locator(".ghost")).to_be_visible()
    expect(board.card_in("SCHEDULED", tyres.id)).to_have_class(re.compile(r"\bdrag-source\b"))
    expect(board.card_in("SCHEDULED", battery)).to_be_visible()
    page.mouse.up()

    board.expect_settled_in("COMPLETED", tyres.id)
    expect(board.card_in("CANCELLED", battery)).to_be_visible()
    held[0].continue_()
    board.expect_settled_in("READY", oil.id)


def test_the_day_picker_puts_the_day_in_the_url_and_a_reload_keeps_it(page, live_server, staff_account):
    today_card = card(9, title="Oil change")
    tomorrow_card = AppointmentFactory(scheduled_at=datetime(2026, 3, 11, 9, tzinfo=UTC), title="Tyre swap")
    board = BoardPage(page, live_server, staff_account).open()
    expect(board.card(today_card.id)).to_be_visible()

    page.get_by_role("button", name="Next day").click()

    expect(page).to_have_url(re.compile(r"[?&]date=2026-03-11\b"))
    expect(board.card(tomorrow_card.id)).to_be_visible()
    expect(board.card(today_card.id)).to_have_count(0)
    page.reload()
    expect(board.card(tomorrow_card.id)).to_be_visible()
    expect(page.locator("#day")).to_have_value("2026-03-11")

    page.go_back()

    expect(board.card(today_card.id)).to_be_visible()
    expect(page.locator("#day")).to_have_value(DAY)


def test_a_card_can_be_moved_with_the_keyboard_only(page, live_server, engine, staff_account):
    oil = card(9, title="Oil change")
    board = BoardPage(page, live_server, staff_account).open()
    target = board.card(oil.id)
    for _ in range(20):  # Tab through the day picker and the account buttons to the first card
        page.keyboard.press("Tab")
        if target.evaluate("card => card === document.activeElement"):
            break
    expect(target).to_be_focused()
    expect(target).to_have_attribute("aria-describedby", "move-help")

    page.keyboard.press("ArrowRight")

    board.expect_settled_in("CHECKED_IN", oil.id)
    expect(board.announcer()).to_have_text("Oil change moved to Checked in.")
    expect(board.card(oil.id)).to_be_focused()

    page.keyboard.press("5")

    board.expect_settled_in("COMPLETED", oil.id)
    expect(board.card(oil.id)).to_be_focused()
    expect(board.announcer()).to_have_text("Oil change moved to Completed.")
    assert stored_card(engine, oil.id) == ("COMPLETED", 3)


def test_the_move_to_control_moves_a_card(page, live_server, engine, staff_account):
    oil = card(9, title="Oil change")
    board = BoardPage(page, live_server, staff_account).open()
    control = board.card(oil.id).get_by_label("Move to")
    expect(control).to_be_visible()

    control.select_option("IN_PROGRESS")

    board.expect_settled_in("IN_PROGRESS", oil.id)
    expect(board.card(oil.id).get_by_label("Move to")).to_have_value("IN_PROGRESS")
    assert stored_card(engine, oil.id) == ("IN_PROGRESS", 2)


def test_a_move_in_one_page_appears_in_another_within_the_refresh_interval(new_page, live_server, staff_account):
    refresh_ms = 400
    oil = card(9, title="Oil change")
    mine = BoardPage(new_page(), live_server, staff_account).open(refresh_ms=refresh_ms)
    theirs = BoardPage(new_page(), live_server, staff_account).open(refresh_ms=refresh_ms)
    expect(theirs.card_in("SCHEDULED", oil.id)).to_be_visible()
    with theirs.page.expect_response(lambda r: "/api/board" in r.url and r.status == 304) as unchanged:
        pass  # while nothing changes, a refresh is a 304 for the ETag the page holds
    assert unchanged.value.request.headers["if-none-match"] == unchanged.value.headers["etag"]

    mine.drag(oil.id, "READY")
    mine.expect_settled_in("READY", oil.id)

    # Only the other page's timer can bring the move (it is never reloaded). The bound is two
    # intervals plus slack for a loaded CI machine, so it fails if refreshing stops, not if CI is slow.
    expect(theirs.card_in("READY", oil.id)).to_be_visible(timeout=2 * refresh_ms + 5000)
    expect(theirs.count("READY")).to_have_text("1")
    expect(theirs.count("SCHEDULED")).to_have_text("0")


def test_a_touch_drag_moves_a_card_on_a_tablet(new_page, live_server, engine, staff_account):
    oil = card(9, title="Oil change")
    page = new_page(viewport={"width": 820, "height": 1180}, has_touch=True, is_mobile=True)
    board = BoardPage(page, live_server, staff_account).open()
    page.evaluate("""() => {
        window.pointerTypes = new Set();
        document.addEventListener('pointermove', (e) => window.pointerTypes.add(e.pointerType));
    }""")

    board.touch_drag(oil.id, "CHECKED_IN")

    board.expect_settled_in("CHECKED_IN", oil.id)
    assert page.evaluate("[...window.pointerTypes]") == ["touch"]
    assert stored_card(engine, oil.id) == ("CHECKED_IN", 2)


def test_a_failed_load_shows_an_error_with_retry_instead_of_an_empty_board(page, live_server, staff_account):
    oil = card(9, title="Oil change")
    page.route(
        "**/api/board*",
        lambda route: route.fulfill(
            status=500,
            json={
                "ok": False,
                "error": {"code": "internal_error", "message": "Something went wrong on our side; try again later."},
            },
        ),
    )
    board = BoardPage(page, live_server, staff_account)
    board.sign_in_by_api(staff_account)
    board.goto()

    error = page.locator("#load-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("The board could not be loaded")
    expect(error).to_contain_text("Something went wrong on our side")
    expect(page.locator("#columns")).to_be_hidden()

    page.unroute("**/api/board*")
    page.get_by_role("button", name="Retry").click()

    expect(board.card_in("SCHEDULED", oil.id)).to_be_visible()
    expect(error).to_be_hidden()


def test_an_unattended_error_state_recovers_by_itself_once_the_server_answers(page, live_server, staff_account):
    oil = card(9, title="Oil change")
    page.route("**/api/board*", lambda route: route.abort("connectionrefused"))
    board = BoardPage(page, live_server, staff_account)
    board.sign_in_by_api(staff_account)
    board.goto(refresh_ms=300)
    expect(page.locator("#load-error")).to_contain_text("The server could not be reached.")

    page.unroute("**/api/board*")  # nobody clicks Retry

    expect(board.card_in("SCHEDULED", oil.id)).to_be_visible()
    expect(page.locator("#load-error")).to_be_hidden()
