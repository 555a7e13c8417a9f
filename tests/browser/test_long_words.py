"""Shop-entered text may be one 200-character word: it wraps inside its card and dialogs, never over the neighbours."""

from datetime import UTC, datetime

from playwright.sync_api import expect

from tests.browser.board_page import BoardPage, api_call
from tests.factories import AppointmentFactory

TITLE = "Timingbeltandwaterpump" * 9 + "xx"  # 200 characters, no space
CUSTOMER = "W" * 200  # wide letters: the worst case for a card's width

TEXT_EXTENT = """element => {
    const range = document.createRange();
    range.selectNodeContents(element);
    const box = range.getBoundingClientRect();
    return {left: box.left, right: box.right};
}"""


def box(locator) -> dict:
    found = locator.bounding_box()
    return {"left": found["x"], "right": found["x"] + found["width"]}


def text_box(locator) -> dict:
    """Where the text's glyphs are drawn, which may be past the box of the element that holds them."""
    return locator.evaluate(TEXT_EXTENT)


def assert_inside(inner: dict, outer: dict, what: str) -> None:
    # Half a pixel for subpixel layout.
    assert outer["left"] - 0.5 <= inner["left"] and inner["right"] <= outer["right"] + 0.5, (what, inner, outer)


def test_a_200_character_word_wraps_inside_its_card_and_stays_out_of_the_next_column(page, live_server, staff_account):
    long = AppointmentFactory(title=TITLE, customer=CUSTOMER, scheduled_at=datetime(2026, 3, 10, 9, tzinfo=UTC))
    neighbour = AppointmentFactory(status="CHECKED_IN", scheduled_at=datetime(2026, 3, 10, 10, tzinfo=UTC))
    board = BoardPage(page, live_server, staff_account).open()
    card = board.card_in("SCHEDULED", long.id)
    expect(card.locator(".title")).to_have_text(TITLE)

    card_box, column, next_column = box(card), box(board.column("SCHEDULED")), box(board.column("CHECKED_IN"))
    assert_inside(text_box(card.locator(".title")), card_box, "the title")
    assert_inside(text_box(card.locator(".customer")), card_box, "the customer")
    assert_inside(card_box, column, "the card")
    assert card_box["right"] < next_column["left"]
    assert_inside(box(board.card(neighbour.id)), next_column, "the neighbouring card")
    # Wrapped, not cut off: the card grew taller instead.
    assert card.locator(".title").evaluate("element => element.scrollWidth <= element.clientWidth")
    assert card.bounding_box()["height"] > 4 * board.card(neighbour.id).bounding_box()["height"] / 2


def test_a_200_character_word_wraps_inside_the_details_and_history_dialogs(
    page, live_server, staff_account, staff_token
):
    long = AppointmentFactory(title="Oil change", customer="Ada", scheduled_at=datetime(2026, 3, 10, 9, tzinfo=UTC))
    status, answer = api_call(
        live_server,
        "PATCH",
        f"/api/appointments/{long.id}",
        token=staff_token,
        body={"version": 1, "title": TITLE, "customer": CUSTOMER},
    )
    assert status == 200, answer
    board = BoardPage(page, live_server, staff_account).open()

    board.card(long.id).locator(".title").click()
    details = page.locator("#card-dialog")
    expect(details.locator("#card-history .history-item")).to_have_count(2)
    assert_inside(text_box(details.locator("#card-heading")), box(details), "the details heading")
    for item in details.locator("#card-history .history-item").all():
        assert_inside(text_box(item), box(details), "a history line")
    assert details.evaluate("element => element.scrollWidth <= element.clientWidth"), "no sideways scrolling"
    details.get_by_role("button", name="Close").click()

    board.card(long.id).get_by_role("button", name=f"History of {TITLE}").click()
    history = page.locator("#history-dialog")
    expect(history.locator(".history-item")).to_have_count(2)
    assert_inside(text_box(history.locator("#history-title")), box(history), "the history heading")
    for item in history.locator(".history-item").all():
        assert_inside(text_box(item), box(history), "a history line")
    assert history.evaluate("element => element.scrollWidth <= element.clientWidth"), "no sideways scrolling"
