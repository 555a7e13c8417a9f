"""A database board cannot use as configured is not an outage: refuse to start, or answer 500, saying why."""

import os
import subprocess
import sys

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from alembic import command
from board.config import ConfigError
from board.db import as_operator, check_database
from tests.helpers import ROOT, alembic_config

HEAD = ScriptDirectory.from_config(Config(toml_file=ROOT / "pyproject.toml")).get_current_head()
# Any token: checking it is what reaches the database.
SOME_TOKEN = {"Authorization": "Bearer board_anything"}


def driver_url(url) -> str:
    return url.render_as_string(hide_password=False)


def start_wsgi(database_url: str, **environment) -> subprocess.CompletedProcess:
    """Import wsgi.py as any WSGI server does, in a process of its own; return how it ended."""
    ours = {name: value for name, value in os.environ.items() if not name.startswith("BOARD_")}
    env = {**ours, "DATABASE_URL": database_url, **environment}
    command = [sys.executable, "-c", "import wsgi"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


def the_one_line(started: subprocess.CompletedProcess) -> str:
    assert started.returncode == 4, "gunicorn's 'the app failed to load', so it stops rather than retries"
    lines = started.stderr.strip().splitlines()
    assert len(lines) == 1, started.stderr
    assert lines[0].startswith("board: ")
    return lines[0]


def refusal(app) -> str:
    with pytest.raises(ConfigError) as refused:
        check_database(app.extensions["board.engine"])
    message = str(refused.value)
    assert "\n" not in message, "one line"
    return message


def test_a_wrong_password_refuses_to_start(make_app, pgbouncer, database_url):
    url = pgbouncer.url_for(database_url, password="not-the-password")

    message = refusal(make_app(DATABASE_URL=driver_url(url), BOARD_DB_POOLER="transaction"))

    assert "refused board: password authentication failed (SQLSTATE 28P01)" in message
    assert "not-the-password" not in message, "the password is never printed"


def test_pgbouncer_refusing_startup_options_says_to_set_board_db_pooler(make_app, pgbouncer, database_url):
    message = refusal(make_app(DATABASE_URL=driver_url(pgbouncer.url_for(database_url))))

    assert "unsupported startup parameter: options (SQLSTATE 08P01)" in message
    assert "BOARD_DB_POOLER=transaction" in message


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"database": "no_such_database"}, 'database "no_such_database" does not exist (SQLSTATE 3D000)'),
        ({"username": "no_such_role"}, 'role "no_such_role" does not exist (SQLSTATE 28000)'),
    ],
)
def test_an_unknown_database_or_role_refuses_to_start(make_app, database_url, change, expected):
    message = refusal(make_app(DATABASE_URL=driver_url(database_url.set(**change))))

    assert "refused board" in message and expected in message


def test_an_unmigrated_database_refuses_to_start_until_alembic_upgrade_head(scratch_database, make_app, monkeypatch):
    empty = driver_url(scratch_database())

    line = the_one_line(start_wsgi(empty))
    # As `alembic upgrade head` does with DATABASE_URL set: env.py asks create_app for the URL.
    monkeypatch.setenv("DATABASE_URL", empty)
    command.upgrade(Config(toml_file=ROOT / "pyproject.toml"), "head")

    assert f"schema revision none (an empty database), not at this code's head {HEAD}" in line
    assert "run `alembic upgrade head`" in line
    check_database(make_app(DATABASE_URL=empty).extensions["board.engine"])  # raises if still refused


def test_a_database_behind_the_code_says_which_revision_it_found(make_app, scratch_database):
    behind = scratch_database()
    command.upgrade(alembic_config(behind), "head")
    command.downgrade(alembic_config(behind), "base")
    app = make_app(DATABASE_URL=driver_url(behind))

    with pytest.raises(ConfigError, match=rf"schema revision none .* not at this code's head {HEAD}: run `alembic"):
        check_database(app.extensions["board.engine"])


def test_a_database_ahead_of_the_code_refuses_to_start(make_app, scratch_database):
    ahead = scratch_database()
    command.upgrade(alembic_config(ahead), "head")
    app = make_app(DATABASE_URL=driver_url(ahead))
    engine = app.extensions["board.engine"]
    with as_operator(), engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))

    with pytest.raises(ConfigError, match="revision 9999_from_the_future, which this code does not know"):
        check_database(engine)


def test_a_database_that_is_down_at_start_is_no_reason_to_refuse(make_app, tmp_path, caplog):
    app = make_app(DATABASE_URL=f"postgresql+psycopg://postgres@/board?host={tmp_path}")

    check_database(app.extensions["board.engine"])

    assert "is not answering at start" in caplog.text


def test_misconfigured_at_run_time_is_500_without_retry_after_and_logged_with_its_reason(
    make_app, database_url, caplog
):
    client = make_app(DATABASE_URL=driver_url(database_url.set(database="dropped_meanwhile"))).test_client()

    for response in (client.get("/api/board", headers=SOME_TOKEN), client.get("/healthz")):
        assert response.status_code == 500
        assert "Retry-After" not in response.headers
        error = response.get_json()["error"]
        assert error["code"] == "database_misconfigured"
        assert "dropped_meanwhile" not in error["message"], "the details stay in the log"
    assert "database_misconfigured (SQLSTATE 3D000): connection failed" in caplog.text
    assert 'database "dropped_meanwhile" does not exist' in caplog.text


def test_healthz_logs_why_it_answers_503(make_app, tmp_path, caplog):
    client = make_app(DATABASE_URL=f"postgresql+psycopg://postgres@/board?host={tmp_path}").test_client()

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"
    assert "database_unavailable (SQLSTATE none, no connection)" in caplog.text
    assert str(tmp_path) in caplog.text, "the log says which server did not answer"


def test_the_server_refuses_to_start_on_an_unmigrated_database_before_any_worker(scratch_database):
    empty = driver_url(scratch_database())
    ours = {name: value for name, value in os.environ.items() if not name.startswith("BOARD_")}
    env = {**ours, "DATABASE_URL": empty, "BOARD_BIND": "127.0.0.1:8129"}

    started = subprocess.run(
        [sys.executable, "-m", "board.serving"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert started.returncode != 0
    (line,) = started.stderr.strip().splitlines()
    assert line.startswith("board: ") and f"not at this code's head {HEAD}: run `alembic upgrade head`" in line
