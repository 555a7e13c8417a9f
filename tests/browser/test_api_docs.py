"""The API's docs page in Chromium: Swagger UI renders the document under the board's strict CSP."""

from playwright.sync_api import expect

from board.http.openapi import operations


def test_docs_page_renders_every_operation_without_breaking_its_csp(page, app, live_server):
    page.goto(f"{live_server}/api/docs")

    expect(page.get_by_text("Move one card, if it is still at")).to_be_visible()
    expect(page.locator(".opblock")).to_have_count(len(operations(app)))
    page.get_by_text("Move one card, if it is still at").click()
    expect(page.get_by_text("version_conflict").first).to_be_visible()
