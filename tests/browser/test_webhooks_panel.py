"""The admins' webhooks panel, in a real Chromium: add (the secret shown once), filters, disable, deliveries, redeliver."""

import re

from playwright.sync_api import expect
from sqlalchemy import text

from tests import factories
from tests.browser.board_page import BoardPage

HOOK = "https://127.0.0.1:9/sms"


def failed_attempt(engine) -> None:
    """The newest event's message for the one webhook, failed, with one attempt answered 500."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "WITH m AS (INSERT INTO webhook_messages (webhook_id, event_seq, state, attempts)"
                " SELECT w.id, (SELECT max(seq) FROM appointment_events), 'failed', 1 FROM webhooks w RETURNING id, webhook_id)"
                " INSERT INTO webhook_attempts (message_id, webhook_id, status, duration_ms) SELECT id, webhook_id, 500, 42 FROM m"
            )
        )


def test_an_admin_adds_a_webhook_sees_its_secret_once_and_redelivers_a_failed_attempt(
    new_page, app, live_server, make_account, engine
):
    # The receiver here is on 127.0.0.1, as the tests' own are.
    app.config["BOARD_WEBHOOKS_ALLOW_PRIVATE"] = True
    admin = make_account("admin", name="Grace Hopper")
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    BoardPage(page, live_server, admin).open()
    page.get_by_role("button", name="Webhooks").click()
    panel = page.locator("#webhooks-dialog")
    expect(panel.locator("#webhooks-empty")).to_be_visible()

    # Refused with the server's reason: http is not allowed.
    panel.get_by_label("URL", exact=True).fill("http://127.0.0.1:9/sms")
    panel.get_by_role("button", name="Add webhook").click()
    expect(panel.locator("#webhook-form-message")).to_contain_text("URL: ")

    panel.get_by_label("URL", exact=True).fill(HOOK)
    for kind in ("created", "edited", "deleted"):
        panel.locator("#webhook-kinds").get_by_label(kind).uncheck()
    panel.locator("#webhook-statuses").get_by_label("Ready").check()
    panel.get_by_role("button", name="Add webhook").click()

    secret_box = panel.get_by_label("Signing secret")
    expect(secret_box).to_have_value(re.compile(r"^whsec_\S{40,}$"))
    secret = secret_box.input_value()
    panel.get_by_role("button", name="Copy").click()
    expect(panel.locator("#copy-secret-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    row = panel.locator("#webhooks-body tr", has_text=HOOK)
    expect(row).to_contain_text("moved; moves to Ready only")
    expect(row).to_contain_text("Enabled")

    panel.get_by_role("button", name="Close").click()
    page.get_by_role("button", name="Webhooks").click()
    expect(panel.locator("#webhook-secret-box")).to_be_hidden()
    assert secret not in page.content()

    # The service disabled it: the panel says why; enabling clears it.
    with engine.begin() as conn:
        conn.execute(text("UPDATE webhooks SET enabled = false, disabled_reason = 'Every attempt failed for 5 days.'"))
    panel.get_by_role("button", name="Close").click()
    page.get_by_role("button", name="Webhooks").click()
    expect(row).to_contain_text("Disabled by the service: Every attempt failed for 5 days.")
    panel.get_by_role("button", name=f"Enable {HOOK}").click()
    expect(row).to_contain_text("Enabled")
    panel.get_by_role("button", name=f"Disable {HOOK}").click()
    expect(panel.locator("#webhooks-message")).to_contain_text("is disabled")
    expect(row).to_contain_text("Disabled")

    factories.AppointmentFactory()
    failed_attempt(engine)
    panel.get_by_role("button", name=f"Deliveries {HOOK}").click()
    delivery = panel.locator("#deliveries-body tr")
    expect(delivery).to_have_count(1)
    expect(delivery).to_contain_text("appointment.created")
    expect(delivery).to_contain_text("Failed: the receiver answered 500")
    delivery.get_by_role("button", name=re.compile("^Redeliver")).click()
    expect(panel.locator("#webhooks-message")).to_contain_text("appointment.created is queued to be sent again")
    expect(row.locator("td").nth(3)).to_have_text("1")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT state, attempts FROM webhook_messages")).one() == ("pending", 0)

    panel.get_by_role("button", name=f"Rotate secret {HOOK}").click()
    expect(secret_box).to_have_value(re.compile(r"^whsec_"))
    expect(secret_box).not_to_have_value(secret)

    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name=f"Delete {HOOK}").click()
    expect(panel.locator("#webhooks-empty")).to_be_visible()
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM webhooks")) == 0
