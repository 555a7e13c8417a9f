"""The page and its files: served from the app, under a strict Content-Security-Policy."""

import re

import pytest


def test_page_is_served_at_root_with_a_strict_csp_and_revalidation(client):
    with client.get("/") as response:
        response.get_data()

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_page_has_no_inline_scripts_styles_or_handlers(client):
    with client.get("/") as response:
        html = response.get_data(as_text=True)

    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="module" src="/assets/main.js">']
    assert "<style" not in html
    assert not re.search(r"\sstyle\s*=", html)
    assert not re.search(r"\son[a-z]+\s*=", html)


@pytest.mark.parametrize(
    "asset, mimetype",
    [
        ("main.js", "text/javascript"),
        ("api.js", "text/javascript"),
        ("state.js", "text/javascript"),
        ("board.css", "text/css"),
    ],
)
def test_assets_are_served_with_their_type_and_the_csp(client, asset, mimetype):
    with client.get(f"/assets/{asset}") as response:
        response.get_data()

    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert "Content-Security-Policy" in response.headers
    assert response.headers["ETag"]


def test_unknown_asset_is_404(client):
    with client.get("/assets/nope.js") as response:
        assert response.status_code == 404
