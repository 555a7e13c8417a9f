"""The account panel (password, API tokens) and the admins' people panel, in a real Chromium."""

import re

from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser.board_page import BoardPage, api_call
from tests.browser.support import Account
from tests.factories import token_for
from tests.helpers import add_tokens


def account_row(engine, username: str):
    with engine.connect() as conn:
        return conn.execute(text("SELECT role, disabled FROM users WHERE username = :u"), {"u": username}).one()


def test_a_token_made_in_the_account_panel_is_shown_once_works_and_can_be_revoked(new_page, live_server, staff_account):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    BoardPage(page, live_server, staff_account).open()
    page.get_by_role("button", name="Account").click()
    panel = page.locator("#account-dialog")
    expect(panel).to_be_visible()
    expect(panel.locator("#tokens-empty")).to_be_visible()

    panel.get_by_label("Label").fill("till script")
    panel.get_by_label("Role").select_option("viewer")
    panel.get_by_role("button", name="Create token").click()

    secret_box = panel.get_by_label("New token")
    expect(secret_box).to_have_value(re.compile(r"^board_\S{43,}$"))
    expect(panel.locator("#new-token")).to_contain_text("it is shown only this once")
    secret = secret_box.input_value()
    panel.get_by_role("button", name="Copy").click()
    expect(panel.locator("#copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    row = panel.locator("#tokens-body tr", has_text="till script")
    expect(row).to_contain_text("viewer")
    expect(row).to_contain_text("Active")

    # The token works for a script, with the lower role chosen for it.
    assert api_call(live_server, "GET", "/api/me", token=secret)[0] == 200
    status, body = api_call(
        live_server,
        "POST",
        "/api/appointments",
        token=secret,
        body={"title": "Oil", "customer": "Ada", "scheduled_at": "2026-03-10T09:00:00+00:00"},
    )
    assert (status, body["error"]["code"]) == (403, "forbidden")

    panel.get_by_role("button", name="Close").click()
    page.get_by_role("button", name="Account").click()

    expect(panel.locator("#new-token")).to_be_hidden()
    expect(secret_box).to_have_value("")
    assert secret not in page.content()

    panel.get_by_role("button", name="Revoke the token till script").click()

    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button")).to_have_count(0)
    expect(panel.locator("#token-message")).to_contain_text("was revoked")
    assert api_call(live_server, "GET", "/api/me", token=secret)[0] == 401


def test_changing_the_password_in_the_account_panel_keeps_this_page_and_ends_other_sessions(
    new_page, live_server, staff_account
):
    other = BoardPage(new_page(), live_server, staff_account).open()
    page = new_page()
    board = BoardPage(page, live_server, staff_account).open()
    page.get_by_role("button", name="Account").click()
    panel = page.locator("#account-dialog")
    message = panel.locator("#password-message")

    panel.get_by_label("Current password").fill("not my password")
    panel.get_by_label("New password").fill("a much longer passphrase")
    panel.get_by_role("button", name="Change password").click()
    expect(message).to_contain_text("Current password:")

    panel.get_by_label("Current password").fill(staff_account.password)
    panel.get_by_label("New password").fill("short")
    panel.get_by_role("button", name="Change password").click()
    expect(message).to_contain_text("New password:")

    panel.get_by_label("New password").fill("a much longer passphrase")
    panel.get_by_role("button", name="Change password").click()

    expect(message).to_have_text("Your password was changed; your other sessions were signed out.")
    assert other.page.context.request.get(f"{live_server}/api/me").status == 401
    assert page.context.request.get(f"{live_server}/api/me").status == 200
    old = api_call(
        live_server,
        "POST",
        "/api/session",
        body={"username": staff_account.username, "password": staff_account.password},
    )
    new = api_call(
        live_server,
        "POST",
        "/api/session",
        body={"username": staff_account.username, "password": "a much longer passphrase"},
    )
    assert (old[0], new[0]) == (401, 200)
    page.keyboard.press("Escape")
    page.reload()
    expect(page.locator(".column")).to_have_count(6)
    expect(board.sign_in_form()).to_be_hidden()


def test_an_admin_adds_a_person_changes_their_role_and_disables_them(new_page, live_server, make_account, engine):
    admin = make_account("admin", name="Grace Hopper")
    page = new_page()
    BoardPage(page, live_server, admin).open()
    page.get_by_role("button", name="People").click()
    panel = page.locator("#people-dialog")
    expect(panel.locator("#people-body tr", has_text=admin.username)).to_contain_text("admin")

    form = panel.locator("#person-form")
    form.get_by_label("Username").fill("katherine")
    form.get_by_label("Name", exact=True).fill("Katherine Johnson")
    form.get_by_label("Role").select_option("viewer")
    form.get_by_label("Initial password").fill("orbits and trajectories")
    form.get_by_role("button", name="Add person").click()

    expect(panel.locator("#person-message")).to_have_text("katherine was added as viewer.")
    row = panel.locator("#people-body tr", has_text="katherine")
    expect(row).to_contain_text("Katherine Johnson")
    expect(row.get_by_label("Role of katherine")).to_have_value("viewer")
    assert account_row(engine, "katherine") == ("viewer", False)
    theirs = BoardPage(new_page(), live_server, make_person("katherine", "orbits and trajectories")).open()
    expect(theirs.page.locator("#read-only")).to_be_visible()

    row.get_by_label("Role of katherine").select_option("staff")

    expect(panel.locator("#people-message")).to_have_text("katherine is now staff.")
    assert account_row(engine, "katherine") == ("staff", False)

    row.get_by_role("button", name="Disable katherine").click()

    expect(panel.locator("#people-message")).to_have_text("katherine is disabled and signed out everywhere.")
    expect(row).to_contain_text("Disabled")
    assert account_row(engine, "katherine") == ("staff", True)
    assert theirs.page.context.request.get(f"{live_server}/api/me").status == 401

    # The last active admin cannot disable themselves: the server says why, nothing changes.
    panel.get_by_role("button", name=f"Disable {admin.username}").click()

    expect(panel.locator("#people-message")).not_to_have_text("")
    expect(panel.locator("#people-body tr", has_text=admin.username)).to_contain_text("Active")
    assert account_row(engine, admin.username) == ("admin", False)


def make_person(username: str, password: str):
    return Account(0, username, "", "", password)


def test_a_taken_username_is_refused_with_the_servers_reason(page, live_server, make_account, engine):
    admin = make_account("admin", name="Grace Hopper")
    BoardPage(page, live_server, admin).open()
    page.get_by_role("button", name="People").click()
    form = page.locator("#person-form")

    form.get_by_label("Username").fill(admin.username.upper())
    form.get_by_label("Name", exact=True).fill("Someone Else")
    form.get_by_label("Initial password").fill("long enough password")
    form.get_by_role("button", name="Add person").click()

    expect(page.locator("#person-message")).not_to_have_text("")
    expect(page.locator("#person-message")).not_to_contain_text("was added")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM users WHERE lower(username) = :u"), {"u": admin.username}) == 1


def test_an_admin_who_demotes_themselves_loses_the_people_panel_at_once(page, live_server, make_account, engine):
    admin = make_account("admin", name="Grace Hopper")
    make_account("admin", name="Another Admin")  # so Grace is not the last admin
    BoardPage(page, live_server, admin).open()
    page.get_by_role("button", name="People").click()

    page.get_by_label(f"Role of {admin.username}").select_option("staff")

    expect(page.locator("#people-dialog")).to_be_hidden()
    expect(page.get_by_role("button", name="People")).to_be_hidden()
    expect(page.locator("#identity")).to_contain_text("Grace Hopper (staff)")
    assert account_row(engine, admin.username) == ("staff", False)


def test_revoke_all_my_tokens_beside_the_password_change_asks_first_then_ends_every_token(
    new_page, live_server, staff_account, engine
):
    secrets = [token_for(staff_account) for _ in range(2)]
    add_tokens(engine, staff_account.id, 100)  # 102 in all: more than one page
    page = new_page()
    BoardPage(page, live_server, staff_account).open()
    page.get_by_role("button", name="Account").click()
    panel = page.locator("#account-dialog")
    expect(panel.locator("#revoke-all-hint")).to_contain_text("A password change does not revoke your API tokens")
    expect(panel.locator("#tokens-body tr")).to_have_count(100)

    panel.get_by_role("button", name="More tokens").click()

    expect(panel.locator("#tokens-body tr")).to_have_count(102)
    expect(panel.get_by_role("button", name="More tokens")).to_be_hidden()

    panel.get_by_role("button", name="Revoke all my tokens").click()
    expect(panel.locator("#revoke-all-confirm")).to_be_visible()
    panel.get_by_role("button", name="Keep them").click()

    expect(panel.locator("#revoke-all-confirm")).to_be_hidden()
    assert all(api_call(live_server, "GET", "/api/me", token=secret)[0] == 200 for secret in secrets)

    panel.get_by_role("button", name="Revoke all my tokens").click()
    panel.get_by_role("button", name="Yes, revoke them all").click()

    expect(panel.locator("#revoke-all-message")).to_have_text(
        "All 102 of your active tokens were revoked; scripts using them are refused from now on."
    )
    expect(panel.locator("#tokens-body tr", has_text="Active")).to_have_count(0)
    assert all(api_call(live_server, "GET", "/api/me", token=secret)[0] == 401 for secret in secrets)
    assert page.context.request.get(f"{live_server}/api/me").status == 200, "this page stays signed in"
