"""Two people of two shops, side by side: each sees only their own board, in their own shop's zone, under their shop's name."""

from datetime import UTC, datetime

from playwright.sync_api import expect
from sqlalchemy import text

from board.db import acting_for, as_operator
from tests import factories
from tests.browser.board_page import DAY, BoardPage, card
from tests.browser.support import Account


def test_each_shop_sees_only_its_board_in_its_zone_under_its_name(new_page, live_server, engine, staff_account):
    with as_operator(), engine.begin() as conn:
        tokyo = conn.scalar(
            text("INSERT INTO shops (slug, name, timezone) VALUES ('tokyo', 'Tokyo garage', 'Asia/Tokyo') RETURNING id")
        )
    # Both cards are on DAY in either zone, so a leak would show on the other's board.
    main_card = card(9, title="Main oil change").id  # 09:00 UTC; 18:00 in Tokyo
    factories.Session.commit()
    with acting_for(tokyo):
        tokyo_card = factories.AppointmentFactory(
            title="Tokyo tyre swap", scheduled_at=datetime.fromisoformat(f"{DAY}T01:00:00+00:00").astimezone(UTC)
        ).id  # 10:00 in Tokyo; 01:00 UTC
        kei = factories.UserFactory(username="kei", name="Kei Tanaka", role="staff")
        kei_account = Account(kei.id, kei.username, kei.name, kei.role, factories.PASSWORD)
        factories.Session.commit()
    # Both browsers in a third zone: what the page shows is the shop's zone, not the browser's.
    browser_zone = {"timezone_id": "America/New_York"}
    main = BoardPage(new_page(**browser_zone), live_server, staff_account).open()
    other = BoardPage(new_page(**browser_zone), live_server, kei_account).open()

    for board, shop_name, zone, own, foreign, clock in (
        (main, "Main shop", "UTC", main_card, tokyo_card, "09:00"),
        (other, "Tokyo garage", "Asia/Tokyo", tokyo_card, main_card, "10:00"),
    ):
        expect(board.page.locator("#shop-name")).to_have_text(shop_name)
        expect(board.card_in("SCHEDULED", own)).to_be_visible()
        expect(board.card_in("SCHEDULED", own).locator("time")).to_have_text(clock)
        expect(board.page.locator(".card")).to_have_count(1)
        expect(board.card(foreign)).to_have_count(0)
        expect(board.page.locator("#sync")).to_contain_text(f"Times in {zone}")
        assert "Tokyo tyre swap" not in main.page.content() and "Main oil change" not in other.page.content()
