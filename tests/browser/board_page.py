"""What a person does on the board page and what they see there, in Playwright terms."""

import json
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, time

from playwright.sync_api import Page, expect

from tests.factories import AppointmentFactory

DAY = "2026-03-10"
SAVING = re.compile(r"\bsaving\b")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(datetime.fromisoformat(DAY).date(), time(hour, minute), tzinfo=UTC)


def card(hour: int = 9, minute: int = 0, **fields):
    """A card on the board of DAY at hour:minute UTC."""
    return AppointmentFactory(scheduled_at=at(hour, minute), **fields)


class BoardPage:
    def __init__(self, page: Page, base_url: str, account=None):
        """`account`: sign the page's browser context in as this account before opening the board."""
        self.page = page
        self.base_url = base_url
        self.account = account

    def open(self, day: str = DAY, refresh_ms: int | None = 600_000, live: bool = True) -> "BoardPage":
        """Open the board of `day`; by default refreshing so rarely that only the test moves things.

        live=False refuses the page its live stream, for a test about a page that holds a stale card:
        with the stream it could hear of the other change first and re-render under the test's hand.
        """
        if not live:
            self.page.route("**/api/events*", lambda route: route.abort("connectionrefused"))
        if self.account is not None:
            self.sign_in_by_api(self.account)
        self.goto(day, refresh_ms)
        expect(self.page.locator(".column")).to_have_count(6)
        return self

    def goto(self, day: str = DAY, refresh_ms: int | None = 600_000) -> None:
        query = f"?date={day}" + (f"&refresh={refresh_ms}" if refresh_ms else "")
        self.page.goto(f"{self.base_url}/{query}")

    def sign_in_by_api(self, account) -> None:
        """Sign the browser context in without the form: the context's request shares its cookies."""
        response = self.page.context.request.post(
            f"{self.base_url}/api/session",
            data={"username": account.username, "password": account.password},
            headers={"Origin": self.base_url},
        )
        assert response.status == 200, response.text()

    def sign_in_form(self):
        return self.page.locator("#sign-in")

    def sign_in_with_form(self, username: str, password: str) -> None:
        form = self.sign_in_form()
        form.get_by_label("Username").fill(username)
        form.get_by_label("Password").fill(password)
        form.get_by_role("button", name="Sign in").click()

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


def api_call(
    base_url: str, method: str, path: str, *, token: str | None = None, body=None, origin: str | None = None
) -> tuple[int, dict]:
    """One real HTTP request to the API, as a script sends it (a bearer token, no cookies)."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if origin:
        headers["Origin"] = origin
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    request = urllib.request.Request(f"{base_url}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())
