"""Demo cards and a first admin make a fresh embedded board worth trying; a real database gets neither."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from board.accounts.passwords import verify_password
from board.db import as_operator
from board.demo import board_address
from board.models import STATUSES
from tests.helpers import ROOT


def counts(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT (SELECT count(*) FROM appointments), (SELECT count(*) FROM users)")).one()


def test_on_the_embedded_database_seed_demo_fills_today_once_and_makes_a_first_admin(app, engine, anonymous):
    # The test app runs on DATABASE_URL's scratch database; this flag is what an unset DATABASE_URL sets.
    app.config["BOARD_EMBEDDED_DATABASE"] = True
    with as_operator(), engine.begin() as conn:
        conn.execute(text("TRUNCATE users CASCADE"))
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])

    assert "Added 8 demo appointments" in first.output
    assert "already has appointments" in second.output
    sign_in_line = [line for line in first.output.splitlines() if line.startswith("Sign in at ")]
    assert len(sign_in_line) == 1 and " as admin with password " in sign_in_line[0]
    assert "Sign in at" not in second.output, "the password is printed once, when the admin is made"
    password = sign_in_line[0].rsplit(" ", 1)[1]
    with engine.connect() as conn:
        role, password_hash = conn.execute(text("SELECT role, password_hash FROM users WHERE username = 'admin'")).one()
    assert role == "admin" and password not in password_hash and verify_password(password_hash, password)
    assert anonymous.post("/api/session", json={"username": "admin", "password": password}).status_code == 200
    columns = anonymous.get("/api/board").get_json()["data"]["columns"]
    assert sum(len(column["cards"]) for column in columns) == 8
    assert {column["status"] for column in columns if column["cards"]} == set(STATUSES)


def test_with_database_url_set_seed_demo_adds_nothing_unless_forced(app, engine):
    before = counts(engine)
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"]}
    refused = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "seed-demo"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert refused.returncode == 0, refused.stderr
    assert "DATABASE_URL is set" in refused.stdout
    assert counts(engine) == before

    forced = app.test_cli_runner().invoke(args=["seed-demo", "--force"])
    assert "Added 8 demo appointments" in forced.output
    assert counts(engine) == (before[0] + 8, before[1]), "--force adds cards, never an admin with a printed password"


@pytest.mark.parametrize(
    ("bind", "address"),
    [
        (None, "http://127.0.0.1:8000"),
        ("127.0.0.1:8131", "http://127.0.0.1:8131"),
        (":8131", "http://127.0.0.1:8131"),
        ("0.0.0.0:8131", "http://127.0.0.1:8131"),
        ("[::1]:8131", "http://[::1]:8131"),
        ("[::]:8131", "http://[::1]:8131"),
    ],
)
def test_the_sign_in_address_is_where_board_bind_serves(app, monkeypatch, bind, address):
    if bind is None:
        monkeypatch.delenv("BOARD_BIND", raising=False)
    else:
        monkeypatch.setenv("BOARD_BIND", bind)
    with app.app_context():
        assert board_address() == address


def test_the_sign_in_address_is_board_public_url_when_set(make_app, monkeypatch):
    monkeypatch.setenv("BOARD_BIND", "0.0.0.0:8131")
    with make_app(BOARD_PUBLIC_URL="https://board.example").app_context():
        assert board_address() == "https://board.example"


def test_seed_demo_prints_the_address_of_board_bind(app, engine):
    app.config["BOARD_EMBEDDED_DATABASE"] = True
    with as_operator(), engine.begin() as conn:
        conn.execute(text("TRUNCATE users CASCADE"))

    result = app.test_cli_runner().invoke(args=["seed-demo"], env={"BOARD_BIND": "127.0.0.1:8131"})

    assert "Sign in at http://127.0.0.1:8131 as admin with password " in result.output


def test_a_bad_board_bind_stops_seed_demo_with_one_line(app, engine):
    app.config["BOARD_EMBEDDED_DATABASE"] = True
    with as_operator(), engine.begin() as conn:
        conn.execute(text("TRUNCATE users CASCADE"))

    result = app.test_cli_runner().invoke(args=["seed-demo"], env={"BOARD_BIND": "localhost"})

    assert result.exit_code == 1
    assert "BOARD_BIND must be host:port" in result.output and "Traceback" not in result.output


def test_make_run_hands_its_port_to_seed_demo_as_well_as_to_the_server(monkeypatch):
    monkeypatch.delenv("BOARD_BIND", raising=False)
    planned = subprocess.run(
        ["make", "-n", "run", "PORT=8131"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()

    (seed,) = [line for line in planned if "seed-demo" in line]
    (serve,) = [line for line in planned if "board.serving" in line]
    assert seed.startswith("BOARD_BIND=127.0.0.1:8131 ") and serve.startswith("BOARD_BIND=127.0.0.1:8131 ")
