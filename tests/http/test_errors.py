"""Every response under /api and /healthz is in the envelope, Flask's own errors included."""

import pytest

from board import create_app


def test_unknown_api_path_is_404_in_envelope(client):
    response = client.get("/api/nothing-here")

    assert response.status_code == 404
    assert response.get_json() == {
        "ok": False,
        "error": {
            "code": "not_found",
            "message": "There is nothing at this address.",
            "request_id": response.headers["X-Request-ID"],
        },
    }


def test_wrong_method_is_405_in_envelope_with_allow(client):
    response = client.delete("/api/moves")

    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_unexpected_error_is_500_in_envelope_without_stack_trace(app, client, caplog):
    @app.get("/api/explode")
    def explode():
        raise ZeroDivisionError("secret internals at line 42")

    response = client.get("/api/explode")

    assert response.status_code == 500
    body = response.get_json()
    assert body["ok"] is False
    assert body["error"]["code"] == "internal_error"
    text_body = response.get_data(as_text=True)
    assert "Traceback" not in text_body and "secret internals" not in text_body
    assert "ZeroDivisionError" in caplog.text, "the server log keeps what the client does not see"


def test_healthz_answers_200_when_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "data": {"database": "ok"}}


def test_healthz_and_api_answer_503_when_database_is_unreachable(tmp_path):
    closed_socket_dir = tmp_path  # nothing listens here
    app = create_app({"DATABASE_URL": f"postgresql+psycopg://postgres@/board?host={closed_socket_dir}"})
    client = app.test_client()

    health = client.get("/healthz")
    # Any token: checking it is what needs the database.
    board = client.get("/api/board", headers={"Authorization": "Bearer board_anything"})

    for response in (health, board):
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "database_unavailable"
    app.extensions["board.engine"].dispose()


@pytest.mark.parametrize(
    "name, value, fragment",
    [
        ("BOARD_TIMEZONE", "Mars/Olympus_Mons", "BOARD_TIMEZONE"),
        ("BOARD_RETRY_MAX_DELAY_MS", "soon", "BOARD_RETRY_MAX_DELAY_MS"),
        ("BOARD_RETRY_MAX_DELAY_MS", "-1", "BOARD_RETRY_MAX_DELAY_MS"),
        ("BOARD_DB_POOLER", "session", "BOARD_DB_POOLER must be unset or 'transaction'"),
    ],
)
def test_bad_settings_stop_the_app_with_a_clear_message(database_url, name, value, fragment):
    from board.config import ConfigError

    with pytest.raises(ConfigError, match=fragment):
        create_app({"DATABASE_URL": database_url.render_as_string(hide_password=False), name: value})


def test_database_url_must_be_postgresql():
    with pytest.raises(ValueError, match="PostgreSQL"):
        create_app({"DATABASE_URL": "sqlite:///board.db"})
