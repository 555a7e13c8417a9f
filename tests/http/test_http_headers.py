"""Response headers, OPTIONS, the allowed hosts, and metric labels no request can multiply."""

import pytest
from prometheus_client import REGISTRY

from tests.helpers import move, table_rows


@pytest.mark.parametrize(
    "path",
    ["/", "/assets/main.js", "/api/board", "/api/appointments/1", "/api/nothing", "/healthz", "/metrics", "/nothing"],
)
def test_every_response_forbids_mime_sniffing(client, card, path):
    with client.get(path) as response:
        response.get_data()

    assert response.headers["X-Content-Type-Options"] == "nosniff"


PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@pytest.mark.parametrize(
    "path, page",
    [
        ("/", True),
        ("/assets/main.js", True),
        ("/assets/nope.js", True),
        ("/api/docs", True),
        ("/api/openapi.json", True),
        ("/assets/swagger-ui/swagger-ui.css", True),
        ("/api/board", False),
        ("/healthz", False),
        ("/metrics", False),
        ("/nothing", False),
    ],
)
def test_the_board_and_the_api_docs_carry_one_strict_csp_and_send_no_referer(client, path, page):
    with client.get(path) as response:
        response.get_data()

    assert response.headers.get("Content-Security-Policy") == (PAGE_POLICY if page else None)
    assert response.headers.get("Referrer-Policy") == ("no-referrer" if page else None)


def test_customer_data_is_never_stored_by_a_cache(client, card):
    responses = [
        client.get(f"/api/appointments/{card.id}"),
        client.get(f"/api/appointments/{card.id}/history"),
        client.post("/api/appointments", json={"title": "T", "customer": "C", "scheduled_at": "2026-11-22T09:30:00Z"}),
        move(client, card.id, "READY", 1),
        move(client, card.id, "READY", 1),  # the 409 carries the current card
        client.post("/api/moves", json={"moves": [{"id": card.id, "status": "READY", "version": 2}]}),
    ]

    assert [r.status_code for r in responses] == [200, 200, 201, 200, 409, 200]
    assert {r.headers["Cache-Control"] for r in responses} == {"no-store"}


def test_the_board_may_be_kept_only_by_the_browser_and_only_to_revalidate(client, card):
    response = client.get("/api/board")

    assert response.headers["Cache-Control"] == "no-cache, private"
    assert response.headers["ETag"]


def test_options_on_an_api_route_is_an_empty_answer_with_allow(client):
    response = client.options("/api/moves")

    assert response.status_code == 200
    assert response.get_data() == b""
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


@pytest.mark.parametrize("path", ["/api/nothing", "/nothing", "/api/appointments/abc"])
def test_options_on_an_unknown_address_is_404_in_the_envelope_not_html(client, path):
    response = client.options(path)

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "not_found"


def http_series() -> set[tuple]:
    return {
        tuple(sorted(sample.labels.items()))
        for metric in REGISTRY.collect()
        if metric.name == "board_http_requests"
        for sample in metric.samples
        if sample.name == "board_http_requests_total"
    }


def test_made_up_methods_do_not_grow_the_metrics(client, card):
    client.open("/api/board", method="BREW")  # the first one may add the "other" series
    before = http_series()

    statuses = {client.open("/api/board", method=f"X{n}").status_code for n in range(300)}

    assert statuses == {405}
    assert http_series() == before
    assert any(dict(labels)["method"] == "other" for labels in before)


@pytest.fixture
def guarded(make_app):
    return make_app(BOARD_ALLOWED_HOSTS="board.example, .shop.example")


@pytest.mark.parametrize("host", ["evil.example", "board.example.evil.example", "127.0.0.1"])
def test_a_host_outside_the_allowed_hosts_is_400_and_changes_nothing(guarded, card, engine, host):
    client = guarded.test_client()
    before = table_rows(engine)

    response = move(client, card.id, "READY", 1, headers={"Host": host})

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "unknown_host" and error["message"]
    assert table_rows(engine) == before


@pytest.mark.parametrize("host", ["board.example", "board.example:8000", "front.shop.example"])
def test_an_allowed_host_is_served(guarded, host):
    response = guarded.test_client().get("/healthz", headers={"Host": host})

    assert response.status_code == 200


def test_without_allowed_hosts_every_host_is_served(client):
    assert client.get("/healthz", headers={"Host": "anything.example"}).status_code == 200
