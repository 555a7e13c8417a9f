"""Signing in and out on the page, what a viewer may do, and who the history says moved a card."""

import re

from playwright.sync_api import expect

from board.accounts.tokens import create_token
from tests.browser.board_page import DAY, BoardPage, api_call, card
from tests.helpers import stored_card, table_rows

SESSION_ENDED = "Your session ended; please sign in again."


def test_the_form_refuses_a_wrong_password_then_signs_in_and_shows_who_is_signed_in(page, live_server, staff_account):
    oil = card(9, title="Oil change")
    board = BoardPage(page, live_server)
    board.goto()
    expect(board.sign_in_form()).to_be_visible()
    expect(page.locator("#columns")).to_be_hidden()
    expect(page.locator("#identity")).to_be_hidden()

    board.sign_in_with_form(staff_account.username, "not the password")
    expect(page.locator("#sign-in-message")).to_have_text("Wrong username or password.")
    board.sign_in_with_form("nobody-at-all", staff_account.password)
    expect(page.locator("#sign-in-message")).to_have_text("Wrong username or password.")
    expect(page.locator("#columns")).to_be_hidden()

    board.sign_in_with_form(staff_account.username, staff_account.password)

    expect(board.card_in("SCHEDULED", oil.id)).to_be_visible()
    expect(board.sign_in_form()).to_be_hidden()
    expect(page.locator("#identity")).to_contain_text(f"Signed in as {staff_account.name} (staff)")
    expect(page.locator("#shop-name")).to_be_visible()
    expect(page.locator("#shop-name")).to_have_text("Main shop")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("button", name="People")).to_be_hidden()  # staff manage no accounts
    expect(page.locator("#read-only")).to_be_hidden()
    [cookie] = [c for c in page.context.cookies() if c["name"] == "board_session"]
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Lax")
    assert "board_session" not in page.evaluate("document.cookie")

    page.reload()  # the session outlives the page

    expect(board.card_in("SCHEDULED", oil.id)).to_be_visible()
    expect(board.sign_in_form()).to_be_hidden()


def test_after_five_wrong_passwords_the_form_says_to_wait_and_refuses_even_the_right_one(
    page, live_server, staff_account
):
    board = BoardPage(page, live_server)
    for _ in range(5):
        status, _body = api_call(
            live_server,
            "POST",
            "/api/session",
            body={"username": staff_account.username, "password": "not the password"},
        )
        assert status == 401
    board.goto()

    board.sign_in_with_form(staff_account.username, staff_account.password)

    message = page.locator("#sign-in-message")
    expect(message).to_contain_text("Too many sign-in attempts.")
    expect(message).to_have_text(re.compile(r"Try again in (1[0-5]|[1-9]) minutes?\.$"))
    expect(page.locator("#columns")).to_be_hidden()
    assert not [c for c in page.context.cookies() if c["name"] == "board_session"]


def test_sign_out_shows_the_form_and_the_old_cookie_no_longer_works(page, new_page, live_server, staff_account):
    board = BoardPage(page, live_server, staff_account).open()
    stolen = page.context.storage_state()

    page.get_by_role("button", name="Sign out").click()

    expect(board.sign_in_form()).to_be_visible()
    expect(page.locator("#sign-in-message")).to_have_text("You are signed out.")
    expect(page.locator("#columns")).to_be_hidden()
    expect(page.locator("#identity")).to_be_hidden()
    replay = new_page(storage_state=stolen).context.request.get(f"{live_server}/api/me")
    assert replay.status == 401
    assert replay.json()["error"]["code"] == "unauthenticated"


def test_a_401_heard_while_signing_out_is_taken_for_this_sign_out_not_a_session_ended_elsewhere(
    new_page, live_server, staff_account
):
    board = BoardPage(new_page(), live_server, staff_account).open(refresh_ms=300, live=False)
    page = board.page
    held = []
    # The server ends the session at once; the page hears its answer only once a refresh got 401.
    page.route("**/api/session", lambda route: held.append((route, route.fetch())))

    with page.expect_response(lambda response: "/api/board" in response.url and response.status == 401):
        page.get_by_role("button", name="Sign out").click()
    route, answer = held[0]
    route.fulfill(response=answer)

    expect(board.sign_in_form()).to_be_visible()
    expect(page.locator("#sign-in-message")).to_have_text("You are signed out.")
    assert answer.status == 200


def test_signing_out_elsewhere_sends_the_open_page_to_the_sign_in_form(new_page, live_server, staff_account):
    oil = card(9, title="Oil change")
    board = BoardPage(new_page(), live_server, staff_account).open(refresh_ms=300)
    board.page.get_by_role("button", name="Account").click()
    expect(board.page.locator("#account-dialog")).to_be_visible()
    # The same session, from another browser window: signing out there ends it here too.
    elsewhere = new_page(storage_state=board.page.context.storage_state())
    signed_out = elsewhere.context.request.delete(f"{live_server}/api/session", headers={"Origin": live_server})
    assert signed_out.status == 200

    # Only the open page's own refresh can notice; it is never reloaded.
    expect(board.sign_in_form()).to_be_visible()
    expect(board.page.locator("#sign-in-message")).to_have_text(SESSION_ENDED)
    expect(board.page.locator("#account-dialog")).to_be_hidden()  # no panel is left over the form
    expect(board.page.locator("#columns")).to_be_hidden()
    expect(board.page.locator("#load-error")).to_be_hidden()
    expect(board.toast()).to_have_count(0)

    board.sign_in_with_form(staff_account.username, staff_account.password)

    expect(board.card_in("SCHEDULED", oil.id)).to_be_visible()


def test_a_disabled_account_is_sent_to_the_sign_in_form_by_its_next_move(
    page, live_server, staff_account, make_account, engine
):
    oil = card(9, title="Oil change")
    admin = make_account("admin", name="Grace Hopper")
    _row, admin_token = create_token(engine, user_id=admin.id, label="admin script")
    board = BoardPage(page, live_server, staff_account).open()
    before = table_rows(engine)
    status, _body = api_call(
        live_server, "PATCH", f"/api/users/{staff_account.id}", token=admin_token, body={"disabled": True}
    )
    assert status == 200

    board.drag(oil.id, "READY")

    expect(board.sign_in_form()).to_be_visible()
    expect(page.locator("#sign-in-message")).to_have_text(SESSION_ENDED)
    expect(page.locator("#columns")).to_be_hidden()
    expect(board.toast()).to_have_count(0)
    assert table_rows(engine) == before
    # Disabled: the same answer as a wrong password.
    board.sign_in_with_form(staff_account.username, staff_account.password)
    expect(page.locator("#sign-in-message")).to_have_text("Wrong username or password.")


def test_a_move_refused_because_the_account_became_a_viewer_goes_back_with_the_reason(
    page, live_server, staff_account, make_account, engine
):
    oil = card(9, title="Oil change")
    admin = make_account("admin", name="Grace Hopper")
    _row, admin_token = create_token(engine, user_id=admin.id, label="admin script")
    board = BoardPage(page, live_server, staff_account).open()
    status, _body = api_call(
        live_server, "PATCH", f"/api/users/{staff_account.id}", token=admin_token, body={"role": "viewer"}
    )
    assert status == 200
    before = table_rows(engine)

    board.drag(oil.id, "READY")

    expect(board.toast()).to_contain_text("Moving Oil change was refused, so it is back in Scheduled.")
    board.expect_settled_in("SCHEDULED", oil.id)
    # The page learns the new role at once and stops offering moves.
    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("#identity")).to_contain_text("(viewer)")
    expect(board.card(oil.id).get_by_label("Move to")).to_have_count(0)
    expect(board.sign_in_form()).to_be_hidden()
    assert table_rows(engine) == before


def test_a_viewer_sees_the_board_read_only_with_no_way_to_move_a_card(page, live_server, make_account, engine):
    oil = card(9, title="Oil change")
    viewer = make_account("viewer", name="Hedy Lamarr")
    moves = []
    page.on("request", lambda request: "/move" in request.url and moves.append(request.url))
    board = BoardPage(page, live_server, viewer).open()

    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("#read-only")).to_contain_text("The board is read-only for you")
    expect(page.locator("#identity")).to_contain_text("Hedy Lamarr (viewer)")
    target = board.card_in("SCHEDULED", oil.id)
    expect(target).to_be_visible()
    expect(target.get_by_label("Move to")).to_have_count(0)
    expect(page.locator(".card select, .move-to, .column-key")).to_have_count(0)
    expect(target).not_to_have_attribute("aria-keyshortcuts", re.compile(".*"))
    expect(target).not_to_have_attribute("aria-describedby", re.compile(".*"))

    target.focus()
    for key in ("ArrowRight", "5", "ArrowLeft"):
        page.keyboard.press(key)
    board.start_drag(oil.id, "READY")
    expect(page.locator(".ghost")).to_have_count(0)
    expect(page.locator(".drop-target")).to_have_count(0)
    page.mouse.up()
    # The History panel opens after the keys and the drag were handled: by then nothing moved.
    target.get_by_role("button", name="History of Oil change").click()

    expect(page.locator("#history-dialog")).to_be_visible()
    expect(page.locator("#history-list")).to_have_attribute("aria-busy", "false")
    expect(page.locator('.history-item[data-kind="moved"]')).to_have_count(0)
    expect(board.card_in("SCHEDULED", oil.id)).to_be_visible()
    assert moves == []
    assert stored_card(engine, oil.id) == ("SCHEDULED", 1)


def test_history_says_who_moved_a_card_through_the_page_and_through_a_token(page, live_server, make_account, engine):
    oil = card(9, title="Oil change")
    ada = make_account("staff", name="Ada Lovelace")
    _row, secret = create_token(engine, user_id=ada.id, label="nightly script")
    status, _body = api_call(
        live_server,
        "POST",
        f"/api/appointments/{oil.id}/move",
        token=secret,
        body={"status": "CHECKED_IN", "version": 1},
    )
    assert status == 200
    board = BoardPage(page, live_server)
    board.goto()
    board.sign_in_with_form(ada.username, ada.password)
    board.card(oil.id).get_by_label("Move to").select_option("READY")
    board.expect_settled_in("READY", oil.id)

    board.card(oil.id).get_by_role("button", name="History of Oil change").click()

    dialog = page.locator("#history-dialog")
    expect(dialog.get_by_role("heading")).to_have_text("History of Oil change")
    items = dialog.locator('.history-item[data-kind="moved"]')
    expect(items).to_have_count(2)
    # Newest first, in words.
    expect(items.nth(0)).to_have_text(re.compile(r"^Moved from Checked in to Ready by Ada Lovelace, \d{2}:\d{2}$"))
    expect(items.nth(1)).to_have_text(
        re.compile(r"^Moved from Scheduled to Checked in by Ada Lovelace with the token “nightly script”, \d{2}:\d{2}$")
    )

    page.keyboard.press("Escape")

    expect(dialog).to_be_hidden()


def test_the_page_itself_is_public_but_the_board_needs_a_session(page, live_server):
    board = BoardPage(page, live_server)
    answers = []
    page.on("response", lambda response: "/api/" in response.url and answers.append((response.url, response.status)))

    board.goto()

    expect(board.sign_in_form()).to_be_visible()
    expect(page.locator("#sign-in-message")).to_have_text("")
    assert answers == [(f"{live_server}/api/me", 401)]
    assert page.url == f"{live_server}/?date={DAY}&refresh=600000"
