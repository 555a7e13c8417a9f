"""What a person does on the board page and what they see there, in Playwright terms."""

import re

from playwright.sync_api import Page, expect

DAY = "2026-03-10"
SAVING = re.compile(r"\bsaving\b")


class BoardPage:
    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url

    def open(self, day: str = DAY, refresh_ms: int | None = 600_000) -> "BoardPage":
        """Open the board of `day`; by default refreshing so rarely that only the test moves things."""
        query = f"?date={day}" + (f"&refresh={refresh_ms}" if refresh_ms else "")
        self.page.goto(f"{self.base_url}/{query}")
        expect(self.page.locator(".column")).to_have_count(6)
        return self

    def column(self, status: str):
        return self.page.locator(f'.column[data-status="{status}"]')

    def card(self, card_id: int):
        return self.page.locator(f'.card[data-id="{card_id}"]')

    def card_in(self, status: str, card_id: int):
        return self.column(status).locator(f'.card[data-id="{card_id}"]')

    def count(self, status: str):
        return self.column(status).locator(".count")

    def toast(self):
        return self.page.locator(".toast")

    def announcer(self):
        return self.page.locator("#announcer")

    def expect_settled_in(self, status: str, card_id: int) -> None:
        """The card is in that column and no longer saving."""
        card = self.card_in(status, card_id)
        expect(card).to_be_visible()
        expect(card).not_to_have_class(SAVING)
        expect(card.locator(".saving-mark")).to_have_count(0)

    def drop_point(self, status: str) -> tuple[float, float]:
        box = self.column(status).locator(".column-title").bounding_box()
        return box["x"] + box["width"] / 2, box["y"] + box["height"] + 20

    def drag(self, card_id: int, status: str) -> None:
        """Drag a card with the mouse and drop it on a column."""
        self.start_drag(card_id, status)
        self.page.mouse.up()

    def start_drag(self, card_id: int, status: str) -> None:
        """Pick a card up with the mouse and hold it over a column, without dropping it."""
        box = self.card(card_id).bounding_box()
        x, y = self.drop_point(status)
        mouse = self.page.mouse
        mouse.move(box["x"] + box["width"] / 2, box["y"] + 15)
        mouse.down()
        mouse.move(x, y, steps=8)

    def touch_drag(self, card_id: int, status: str) -> None:
        """Drag a card with a finger: real touch input through the DevTools protocol."""
        box = self.card(card_id).bounding_box()
        start = (box["x"] + box["width"] / 2, box["y"] + 15)
        end = self.drop_point(status)
        cdp = self.page.context.new_cdp_session(self.page)
        steps = 8
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point(*start)]})
        for step in range(1, steps + 1):
            x = start[0] + (end[0] - start[0]) * step / steps
            y = start[1] + (end[1] - start[1]) * step / steps
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point(x, y)]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        cdp.detach()


def point(x: float, y: float) -> dict:
    return {"x": round(x), "y": round(y)}
