"""Demo cards and a first admin make a fresh embedded board worth trying; a real database gets neither."""

import os
import subprocess
import sys

from sqlalchemy import text

from board.accounts.passwords import verify_password
from board.models import STATUSES
from tests.conftest import ROOT


def counts(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT (SELECT count(*) FROM appointments), (SELECT count(*) FROM users)")).one()


def test_on_the_embedded_database_seed_demo_fills_today_once_and_makes_a_first_admin(app, engine, anonymous):
    # The test app runs on DATABASE_URL's scratch database; this flag is what an unset DATABASE_URL sets.
    app.config["BOARD_EMBEDDED_DATABASE"] = True
    with engine.begin() as conn:
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
