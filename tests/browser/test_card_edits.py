"""Adding, editing and deleting cards on the page, and the three-way merge when someone saved first."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from board.accounts.tokens import create_token
from tests.browser.board_page import DAY, BoardPage, api_call, card
from tests.browser.support import SCREENSHOTS
from tests.helpers import table_rows

CLOCK = r"\d{2}:\d{2}"


def stored(engine, card_id: int) -> dict | None:
    with engine.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT title, customer, scheduled_at, notes, status, version, deleted_at IS NOT NULL AS deleted"
                    " FROM appointments WHERE id = :id"
                ),
                {"id": card_id},
            )
            .mappings()
            .one_or_none()
        )
    return dict(row) if row else None


@pytest.fixture
def sam(make_account, engine):
    """Another member of staff, Sam, who changes cards through the API with a token."""
    account = make_account("staff", name="Sam")
    _row, secret = create_token(engine, user_id=account.id, label="Sam's script")
    return secret


def sam_says(live_server, token, method, path, body=None):
    status, envelope = api_call(live_server, method, path, token=token, body=body)
    assert status == 200, envelope
    return envelope["data"]


def open_details(board: BoardPage, card_id: int):
    board.card(card_id).locator(".title").click()
    dialog = board.page.locator("#card-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#card-history")).to_have_attribute("aria-busy", "false")
    return dialog


def field(dialog, label: str):
    return dialog.get_by_label(label, exact=True)


def test_a_card_created_from_the_form_is_checked_shows_server_errors_beside_fields_and_lands_on_the_board(
    page, live_server, engine, staff_account
):
    board = BoardPage(page, live_server, staff_account).open()
    page.get_by_role("button", name="New appointment").click()
    form = page.locator("#new-dialog")
    expect(field(form, "Date")).to_have_value(DAY)
    before = table_rows(engine)

    form.get_by_role("button", name="Create").click()

    expect(form.locator("#new-title-error")).to_have_text("Must not be empty.")
    expect(form.locator("#new-customer-error")).to_have_text("Must not be empty.")
    expect(form.locator("#new-time-error")).to_have_text("Enter a date and a time.")
    expect(field(form, "Title")).to_be_focused()

    field(form, "Title").fill("Timing belt")
    field(form, "Customer").fill("Grace Hopper")
    field(form, "Date").fill("9999-12-31")
    field(form, "Time").fill("10:30")
    form.get_by_role("button", name="Create").click()

    # Only the server knows its latest time: its field error is shown beside the time.
    expect(form.locator("#new-time-error")).to_contain_text("Must be")
    expect(form.locator("#new-title-error")).to_have_text("")
    assert table_rows(engine) == before

    field(form, "Date").fill(DAY)
    field(form, "Notes").fill("Customer waits.\nCall when done.")
    form.get_by_role("button", name="Create").click()

    expect(form).to_be_hidden()
    new = board.column("SCHEDULED").locator(".card", has_text="Timing belt")
    expect(new).to_be_visible()
    expect(new.locator(".time")).to_have_text("10:30")
    expect(new.locator(".customer")).to_have_text("Grace Hopper")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT customer, scheduled_at, notes, version FROM appointments")).one()
    assert tuple(row) == (
        "Grace Hopper",
        datetime(2026, 3, 10, 10, 30, tzinfo=UTC),
        "Customer waits.\nCall when done.",
        1,
    )


def test_editing_a_card_saves_it_and_its_history_says_what_changed_in_words(page, live_server, engine, staff_account):
    oil = card(9, title="Oil change", customer="Jon")
    board = BoardPage(page, live_server, staff_account).open()

    dialog = open_details(board, oil.id)
    expect(field(dialog, "Customer")).to_have_value("Jon")
    expect(field(dialog, "Time")).to_have_value("09:00")
    field(dialog, "Customer").fill("John")
    field(dialog, "Time").fill("11:15")
    dialog.get_by_role("button", name="Save").click()

    expect(dialog).to_be_hidden()
    expect(board.card(oil.id).locator(".customer")).to_have_text("John")
    expect(board.card(oil.id).locator(".time")).to_have_text("11:15")
    expect(board.card(oil.id)).to_have_attribute("data-version", "2")
    now = stored(engine, oil.id)
    assert (now["customer"], now["scheduled_at"], now["version"]) == (
        "John",
        datetime(2026, 3, 10, 11, 15, tzinfo=UTC),
        2,
    )

    dialog = open_details(board, oil.id)

    items = dialog.locator("#card-history .history-item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_text(
        re.compile(rf"^Customer changed from Jon to John and Time changed from 09:00 to 11:15 by Sam Staff, {CLOCK}$")
    )
    expect(items.nth(1)).to_have_text(re.compile(rf"^Created by someone before sign-in existed, {CLOCK}$"))


def test_history_reads_newest_first_in_plain_words_saying_who(page, live_server, engine, make_account, staff_account):
    oil = card(9, title="Oil change", customer="Jon", status="CHECKED_IN")
    ana = make_account("staff", name="Ana")
    _row, ana_token = create_token(engine, user_id=ana.id, label="Ana's tablet")
    sam = make_account("staff", name="Sam")
    _row, sam_token = create_token(engine, user_id=sam.id, label="Sam's laptop")
    sam_says(
        live_server, ana_token, "POST", f"/api/appointments/{oil.id}/move", {"status": "IN_PROGRESS", "version": 1}
    )
    sam_says(live_server, sam_token, "PATCH", f"/api/appointments/{oil.id}", {"customer": "John", "version": 2})
    board = BoardPage(page, live_server, staff_account).open()

    dialog = open_details(board, oil.id)

    items = dialog.locator("#card-history .history-item")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_have_text(
        re.compile(rf"^Customer changed from Jon to John by Sam with the token “Sam's laptop”, {CLOCK}$")
    )
    expect(items.nth(1)).to_have_text(
        re.compile(rf"^Moved from Checked in to In progress by Ana with the token “Ana's tablet”, {CLOCK}$")
    )
    expect(items.nth(2)).to_have_attribute("data-kind", "created")


def test_a_conflict_on_another_field_merges_by_itself_and_says_who_changed_what(
    page, live_server, engine, sam, staff_account
):
    oil = card(9, title="Oil change", customer="Jon")
    board = BoardPage(page, live_server, staff_account).open()
    dialog = open_details(board, oil.id)
    # Sam reschedules the card while this person writes a note on the version they opened.
    sam_says(
        live_server,
        sam,
        "PATCH",
        f"/api/appointments/{oil.id}",
        {"scheduled_at": "2026-03-10T14:00:00+00:00", "version": 1},
    )

    field(dialog, "Notes").fill("Key under the mat")
    dialog.get_by_role("button", name="Save").click()

    expect(board.toast().locator("p")).to_have_text("Sam changed the time meanwhile; your note was saved too")
    expect(dialog).to_be_hidden()
    now = stored(engine, oil.id)
    assert (now["notes"], now["scheduled_at"], now["version"]) == (
        "Key under the mat",
        datetime(2026, 3, 10, 14, tzinfo=UTC),
        3,
    )
    expect(board.card(oil.id).locator(".time")).to_have_text("14:00")
    expect(board.card(oil.id)).to_have_attribute("data-version", "3")


def test_a_conflict_on_the_same_field_shows_both_values_and_keep_mine_saves_mine(
    page, live_server, engine, sam, staff_account
):
    oil = card(9, title="Oil change", customer="Jon")
    board = BoardPage(page, live_server, staff_account).open()
    dialog = open_details(board, oil.id)
    sam_says(live_server, sam, "PATCH", f"/api/appointments/{oil.id}", {"customer": "Johan", "version": 1})

    field(dialog, "Customer").fill("John")
    dialog.get_by_role("button", name="Save").click()

    clash = dialog.locator("#card-clash")
    expect(clash).to_be_visible()
    row = clash.locator('tr[data-field="customer"]')
    expect(row.locator(".theirs")).to_have_text("Johan")
    expect(row.locator(".mine")).to_have_text("John")
    expect(clash.locator("tbody tr")).to_have_count(1)
    expect(field(dialog, "Customer")).not_to_be_editable()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "edit-conflict-on-the-same-field.png")
    # Nothing is overwritten before the person chooses.
    assert (stored(engine, oil.id)["customer"], stored(engine, oil.id)["version"]) == ("Johan", 2)

    clash.get_by_role("button", name="Keep mine").click()

    expect(dialog).to_be_hidden()
    expect(board.card(oil.id).locator(".customer")).to_have_text("John")
    assert (stored(engine, oil.id)["customer"], stored(engine, oil.id)["version"]) == ("John", 3)


def test_use_theirs_drops_my_value_and_saves_nothing_over_theirs(page, live_server, engine, sam, staff_account):
    oil = card(9, title="Oil change", customer="Jon")
    board = BoardPage(page, live_server, staff_account).open()
    dialog = open_details(board, oil.id)
    sam_says(live_server, sam, "PATCH", f"/api/appointments/{oil.id}", {"customer": "Johan", "version": 1})
    field(dialog, "Customer").fill("John")
    dialog.get_by_role("button", name="Save").click()

    dialog.get_by_role("button", name="Use theirs").click()

    expect(dialog).to_be_hidden()
    expect(board.toast().locator("p")).to_have_text("Their version was kept; yours was dropped.")
    expect(board.card(oil.id).locator(".customer")).to_have_text("Johan")
    assert (stored(engine, oil.id)["customer"], stored(engine, oil.id)["version"]) == ("Johan", 2)


def test_saving_a_card_deleted_meanwhile_says_so_and_closes(page, live_server, engine, sam, staff_account):
    oil = card(9, title="Oil change")
    board = BoardPage(page, live_server, staff_account).open()
    dialog = open_details(board, oil.id)
    sam_says(live_server, sam, "DELETE", f"/api/appointments/{oil.id}?version=1")

    field(dialog, "Title").fill("Oil and filter")
    dialog.get_by_role("button", name="Save").click()

    expect(dialog).to_be_hidden()
    expect(board.toast().locator("p")).to_have_text(
        "Someone deleted Oil change meanwhile, so your changes could not be saved."
    )
    expect(board.card(oil.id)).to_have_count(0)
    assert stored(engine, oil.id)["title"] == "Oil change"


def test_delete_asks_to_confirm_then_removes_the_card_and_keeps_its_history(page, live_server, engine, staff_account):
    oil, brakes = card(9, title="Oil change"), card(10, title="Brake inspection")
    board = BoardPage(page, live_server, staff_account).open()
    dialog = open_details(board, oil.id)
    before = table_rows(engine)

    dialog.get_by_role("button", name="Delete").click()

    confirm = dialog.locator("#card-confirm")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("Delete this appointment?")
    confirm.get_by_role("button", name="Keep it").click()
    expect(confirm).to_be_hidden()
    assert table_rows(engine) == before

    dialog.get_by_role("button", name="Delete").click()
    confirm.get_by_role("button", name="Yes, delete").click()

    expect(dialog).to_be_hidden()
    expect(board.card(oil.id)).to_have_count(0)
    expect(board.count("SCHEDULED")).to_have_text("1")
    expect(board.card(brakes.id)).to_be_visible()
    assert stored(engine, oil.id)["deleted"] is True
    page.reload()
    expect(board.card(brakes.id)).to_be_visible()
    expect(board.card(oil.id)).to_have_count(0)


def test_deleting_a_card_someone_changed_meanwhile_shows_their_version_and_asks_again(
    page, live_server, engine, sam, staff_account
):
    oil = card(9, title="Oil change", customer="Jon")
    board = BoardPage(page, live_server, staff_account).open()
    dialog = open_details(board, oil.id)
    sam_says(live_server, sam, "PATCH", f"/api/appointments/{oil.id}", {"customer": "Johan", "version": 1})

    dialog.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Yes, delete").click()

    expect(dialog.locator("#card-message")).to_have_text(
        "Someone changed this appointment meanwhile; it now shows their version. Delete again if you still want to."
    )
    expect(field(dialog, "Customer")).to_have_value("Johan")
    expect(dialog.locator("#card-history .history-item").first).to_contain_text("Customer changed from Jon to Johan")
    assert (stored(engine, oil.id)["deleted"], stored(engine, oil.id)["version"]) == (False, 2)

    dialog.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Yes, delete").click()

    expect(dialog).to_be_hidden()
    expect(board.card(oil.id)).to_have_count(0)
    assert (stored(engine, oil.id)["deleted"], stored(engine, oil.id)["version"]) == (True, 3)


def test_changes_made_elsewhere_show_within_one_refresh_and_an_open_dialog_says_so(
    page, live_server, sam, staff_account
):
    oil, brakes = card(9, title="Oil change"), card(10, title="Brake inspection")
    board = BoardPage(page, live_server, staff_account).open(refresh_ms=300)
    dialog = open_details(board, oil.id)
    expect(dialog.locator("#card-changed")).to_be_hidden()

    sam_says(live_server, sam, "PATCH", f"/api/appointments/{oil.id}", {"title": "Oil and filter", "version": 1})
    sam_says(live_server, sam, "POST", f"/api/appointments/{brakes.id}/move", {"status": "READY", "version": 1})

    expect(dialog.locator("#card-changed")).to_contain_text("Someone changed this appointment since you opened it")
    expect(dialog.locator("#card-history .history-item").first).to_contain_text(
        "Title changed from Oil change to Oil and filter"
    )
    expect(board.card(oil.id).locator(".title")).to_have_text("Oil and filter")
    board.expect_settled_in("READY", brakes.id)

    sam_says(live_server, sam, "DELETE", f"/api/appointments/{oil.id}?version=2")

    expect(board.card(oil.id)).to_have_count(0)
    expect(dialog.locator("#card-changed")).to_have_text(
        "Someone deleted this appointment meanwhile: it is no longer on the board."
    )
    expect(dialog.get_by_role("button", name="Save")).to_be_hidden()
    expect(dialog.locator("#card-history .history-item").first).to_have_text(
        re.compile(rf"^Deleted by Sam with the token “Sam's script”, {CLOCK}$")
    )


def test_a_drag_that_lost_only_to_an_edit_of_another_field_is_sent_again_without_a_word(
    page, live_server, engine, sam, staff_account
):
    oil = card(9, title="Oil change")
    board = BoardPage(page, live_server, staff_account).open(live=False)
    expect(board.card(oil.id)).to_have_attribute("data-version", "1")
    sam_says(live_server, sam, "PATCH", f"/api/appointments/{oil.id}", {"notes": "Squeaky brakes", "version": 1})
    moves = []
    page.on("request", lambda request: "/move" in request.url and moves.append(request.post_data_json["version"]))

    board.drag(oil.id, "READY")

    board.expect_settled_in("READY", oil.id)
    expect(board.card(oil.id)).to_have_attribute("data-version", "3")
    expect(board.announcer()).to_have_text("Oil change moved to Ready.")
    expect(board.toast()).to_have_count(0)
    expect(page.locator("#card-dialog")).to_be_hidden()  # the click that ends a drag opens nothing
    assert moves == [1, 2]
    now = stored(engine, oil.id)
    assert (now["status"], now["notes"], now["version"]) == ("READY", "Squeaky brakes", 3)


def test_a_viewer_opens_a_card_read_only_with_no_new_save_or_delete(page, live_server, make_account):
    oil = card(9, title="Oil change", customer="Jon")
    viewer = make_account("viewer", name="Hedy Lamarr")
    board = BoardPage(page, live_server, viewer).open()
    expect(page.get_by_role("button", name="New appointment")).to_be_hidden()

    board.card(oil.id).focus()
    page.keyboard.press("Enter")

    dialog = page.locator("#card-dialog")
    expect(dialog).to_be_visible()
    expect(field(dialog, "Customer")).to_have_value("Jon")
    expect(field(dialog, "Customer")).not_to_be_editable()
    expect(dialog.get_by_role("button", name="Save")).to_be_hidden()
    expect(dialog.get_by_role("button", name="Delete")).to_be_hidden()
    expect(dialog.locator("#card-history .history-item")).to_have_count(1)
