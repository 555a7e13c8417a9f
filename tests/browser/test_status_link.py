"""The customer's status link in a card's details: staff copy it and open it, replace it; viewers never see it."""

import re

from playwright.sync_api import expect

from tests.browser.board_page import BoardPage, card

LINK = re.compile(r"^http://127\.0\.0\.1:\d+/s/[A-Za-z0-9_-]{43}$")


def open_details(board: BoardPage, card_id: int):
    board.card(card_id).locator(".title").click()
    dialog = board.page.locator("#card-dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_staff_copy_the_link_from_the_details_and_it_opens_the_customers_page(new_page, live_server, staff_account):
    appointment = card(10, title="Brake pads, front", customer="Zebulon Quartermaine", notes="Gate code 4711")
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    board = BoardPage(page, live_server, staff_account).open()
    dialog = open_details(board, appointment.id)
    url = dialog.get_by_role("textbox", name="Status link to send the customer")
    expect(url).to_have_value(LINK)

    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.locator("#card-link-message")).to_have_text("Copied.")
    copied = page.evaluate("navigator.clipboard.readText()")

    customer = new_page()  # another person, signed in nowhere
    customer.goto(copied)
    assert copied == url.input_value()
    expect(customer.locator("h1")).to_have_text("Brake pads, front")
    expect(customer.locator(".status")).to_contain_text("Booked since")
    expect(customer.locator("body")).not_to_contain_text("Zebulon")
    expect(customer.locator("body")).not_to_contain_text("4711")


def test_replacing_asks_first_and_the_old_link_stops_working(new_page, live_server, staff_account):
    appointment = card(11, title="Timing belt")
    page = new_page()
    board = BoardPage(page, live_server, staff_account).open()
    dialog = open_details(board, appointment.id)
    url = dialog.get_by_role("textbox", name="Status link to send the customer")
    expect(url).to_have_value(LINK)
    old = url.input_value()

    dialog.get_by_role("button", name="Replace").click()
    expect(dialog.locator("#card-link-confirm")).to_be_visible()
    dialog.get_by_role("button", name="Keep it").click()
    expect(url).to_have_value(old)
    dialog.get_by_role("button", name="Replace").click()
    dialog.get_by_role("button", name="Yes, replace").click()
    expect(url).not_to_have_value(old)
    expect(url).to_have_value(LINK)

    customer = new_page()
    gone = customer.goto(old)
    assert gone.status == 404
    expect(customer.locator("h1")).to_have_text("This link does not work")
    assert customer.goto(url.input_value()).status == 200


def test_viewers_do_not_see_the_status_link(page, live_server, make_account):
    appointment = card(12, title="Oil change")
    board = BoardPage(page, live_server, make_account("viewer")).open()

    dialog = open_details(board, appointment.id)

    expect(dialog.locator("#card-history")).to_have_attribute("aria-busy", "false")
    expect(dialog.locator("#card-link")).to_be_hidden()
