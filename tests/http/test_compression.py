"""Compressed answers for clients that accept them; the board's ETag and 304 hold in every encoding."""

import gzip
import json
from datetime import UTC, datetime

import brotli
from backports import zstd

from tests.factories import AppointmentFactory

DAY = "2026-03-10"
BOARD = f"/api/board?from={DAY}&to={DAY}"


def fill_board(cards: int = 20) -> None:
    for hour in range(cards):
        AppointmentFactory(
            scheduled_at=datetime(2026, 3, 10, 7, hour, tzinfo=UTC), notes="Brake pads, front and rear. " * 4
        )


def test_board_is_gzipped_when_the_client_accepts_gzip_and_decompresses_to_the_same_json(client):
    fill_board()
    plain = client.get(BOARD)

    zipped = client.get(BOARD, headers={"Accept-Encoding": "gzip"})

    assert zipped.status_code == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(plain.data)
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()


def test_board_is_sent_as_is_without_accept_encoding_or_with_identity(client):
    fill_board()

    for headers in ({}, {"Accept-Encoding": "identity"}):
        answer = client.get(BOARD, headers=headers)
        assert "Content-Encoding" not in answer.headers, headers
        assert answer.get_json()["ok"] is True


def test_the_cheapest_encoding_the_client_accepts_is_chosen(client):
    fill_board()
    plain = client.get(BOARD).get_json()

    browser_https = client.get(BOARD, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    brotli_only = client.get(BOARD, headers={"Accept-Encoding": "br"})

    assert browser_https.headers["Content-Encoding"] == "zstd"
    assert json.loads(zstd.decompress(browser_https.data)) == plain
    assert brotli_only.headers["Content-Encoding"] == "br"
    assert json.loads(brotli.decompress(brotli_only.data)) == plain


def test_answers_say_they_vary_by_accept_encoding(client):
    fill_board()

    for headers in ({}, {"Accept-Encoding": "gzip"}):
        assert "Accept-Encoding" in client.get(BOARD, headers=headers).headers["Vary"]
    assert "Accept-Encoding" in client.get("/healthz").headers["Vary"]


def test_small_answers_are_not_compressed(client):
    card = AppointmentFactory()

    answer = client.get(f"/api/appointments/{card.id}", headers={"Accept-Encoding": "gzip"})

    assert "Content-Encoding" not in answer.headers
    assert answer.get_json()["data"]["id"] == card.id


def test_compression_keeps_cache_control_and_security_headers(client):
    fill_board()

    zipped = client.get(BOARD, headers={"Accept-Encoding": "gzip"})

    assert zipped.headers["Cache-Control"] == "no-cache, private"
    assert zipped.headers["X-Content-Type-Options"] == "nosniff"


def test_a_gzipped_board_has_its_own_strong_etag_and_revalidates_with_it(client):
    fill_board()
    plain_etag = client.get(BOARD).headers["ETag"]
    zipped = client.get(BOARD, headers={"Accept-Encoding": "gzip"})
    etag = zipped.headers["ETag"]

    again = client.get(BOARD, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})

    assert etag.startswith('"') and etag != plain_etag
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert again.data == b""
    assert "Content-Encoding" not in again.headers


def test_a_gzipped_boards_etag_changes_with_a_move(client):
    fill_board(1)
    etag = client.get(BOARD, headers={"Accept-Encoding": "gzip"}).headers["ETag"]
    card = client.get(BOARD).get_json()["data"]["columns"][0]["cards"][0]

    client.post(f"/api/appointments/{card['id']}/move", json={"status": "READY", "version": card["version"]})
    after = client.get(BOARD, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})

    assert after.status_code == 200
    assert after.headers["ETag"] != etag


def test_the_board_answers_a_held_gzipped_etag_with_304_before_compressing(client, monkeypatch):
    import flask_compress.flask_compress as library

    fill_board()
    etag = client.get(BOARD, headers={"Accept-Encoding": "gzip"}).headers["ETag"]
    compressed = []
    real = library._compress_data
    monkeypatch.setattr(library, "_compress_data", lambda *args: compressed.append(args[2]) or real(*args))

    again = client.get(BOARD, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})

    assert again.status_code == 304
    assert compressed == []
