"""The migrations build the schema the models describe, and can be undone and redone."""

import argparse
import shutil
import subprocess
import sys

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, inspect, text

from alembic import command
from tests.helpers import ROOT, TABLES, alembic_config, in_first_shop


def forcing(config: Config) -> Config:
    """The same configuration with `-x force=true`: downgrades may delete data."""
    config.cmd_opts = argparse.Namespace(x=["force=true"])
    return config


def table_names(url) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_on_an_empty_database(scratch_database):
    url = scratch_database()
    config = alembic_config(url)

    command.upgrade(config, "head")
    assert table_names(url) == {"alembic_version", *TABLES}

    command.downgrade(config, "base")
    assert table_names(url) == {"alembic_version"}

    command.upgrade(config, "head")
    assert table_names(url) >= {"appointments", "appointment_events"}


def test_models_and_migrations_agree(database_url):
    """alembic check: autogenerate finds nothing to add, drop or alter."""
    command.check(alembic_config(database_url))


def test_there_is_a_single_head():
    script = ScriptDirectory.from_config(Config(toml_file=ROOT / "pyproject.toml"))

    assert len(script.get_heads()) == 1


def test_accounts_migration_keeps_cards_and_history_both_ways(scratch_database):
    url = scratch_database()
    config = alembic_config(url)
    command.upgrade(config, "0001")
    engine = create_engine(url)
    card = "SELECT id, title, customer, scheduled_at, status, version FROM appointments ORDER BY id"
    moves = "SELECT appointment_id, from_status, to_status, version, moved_at FROM appointment_moves ORDER BY id"
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO appointments (title, customer, scheduled_at, status, version)"
                    " VALUES ('Oil change', 'Ada', '2026-12-02 09:00+00', 'READY', 3)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO appointment_moves (appointment_id, from_status, to_status, version)"
                    " VALUES (1, 'SCHEDULED', 'IN_PROGRESS', 2), (1, 'IN_PROGRESS', 'READY', 3)"
                )
            )
            before = (conn.execute(text(card)).all(), conn.execute(text(moves)).all())

        command.upgrade(config, "0002")
        with engine.begin() as conn:
            assert (conn.execute(text(card)).all(), conn.execute(text(moves)).all()) == before
            assert (
                conn.execute(text("SELECT by_user_id, by_token_id FROM appointment_moves")).all() == [(None, None)] * 2
            )
            conn.execute(
                text("INSERT INTO users (username, name, role, password_hash) VALUES ('ana', 'Ana', 'staff', 'x')")
            )
            conn.execute(
                text(
                    "INSERT INTO appointment_moves (appointment_id, from_status, to_status, version, by_user_id)"
                    " VALUES (1, 'READY', 'COMPLETED', 4, 1)"
                )
            )

        command.downgrade(forcing(config), "0001")
        with engine.connect() as conn:
            assert conn.execute(text(card)).all() == before[0]
            assert [row[:4] for row in conn.execute(text(moves))] == [row[:4] for row in before[1]] + [
                (1, "READY", "COMPLETED", 4)
            ]
        assert "users" not in table_names(url)
    finally:
        engine.dispose()


def test_events_migration_turns_moves_into_events_and_back(scratch_database):
    url = scratch_database()
    config = alembic_config(url)
    command.upgrade(config, "0002")
    engine = in_first_shop(url)
    moves = "SELECT appointment_id, from_status, to_status, version, moved_at, by_user_id FROM appointment_moves ORDER BY id"
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO users (username, name, role, password_hash) VALUES ('ana', 'Ana', 'staff', 'x')")
            )
            conn.execute(
                text(
                    "INSERT INTO appointments (title, customer, scheduled_at, status, version) VALUES"
                    " ('Oil change', 'Ada', '2026-12-02 09:00+00', 'READY', 3),"
                    " ('Tyre swap', 'Alan', '2026-12-02 10:00+00', 'SCHEDULED', 1)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO appointment_moves (appointment_id, from_status, to_status, version, by_user_id)"
                    " VALUES (1, 'SCHEDULED', 'IN_PROGRESS', 2, NULL), (1, 'IN_PROGRESS', 'READY', 3, 1)"
                )
            )
            before_moves = conn.execute(text(moves)).all()
            created = dict(conn.execute(text("SELECT id, created_at FROM appointments")).all())

        command.upgrade(config, "head")
        command.check(config)
        with engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT appointment_id, version, kind, from_status, to_status, by_user_id, at"
                    " FROM appointment_events ORDER BY appointment_id, version"
                )
            ).all()
            assert [row[:6] for row in rows] == [
                (1, 1, "created", None, None, None),
                (1, 2, "moved", "SCHEDULED", "IN_PROGRESS", None),
                (1, 3, "moved", "IN_PROGRESS", "READY", 1),
                (2, 1, "created", None, None, None),
            ]
            assert rows[0].at == created[1] and rows[1].at == before_moves[0].moved_at
            assert conn.execute(text("SELECT notes, deleted_at FROM appointments WHERE id = 1")).one() == ("", None)
            assert "appointment_moves" not in table_names(url)
            conn.execute(text("UPDATE appointments SET deleted_at = now(), version = 2 WHERE id = 2"))
            conn.execute(
                text("INSERT INTO appointment_events (appointment_id, version, kind, seq) VALUES (2, 2, 'deleted', 5)")
            )

        command.downgrade(forcing(config), "0002")
        with engine.connect() as conn:
            assert conn.execute(text(moves)).all() == before_moves
            assert conn.scalars(text("SELECT id FROM appointments")).all() == [1], "the deleted card was gone"
        assert "appointment_events" not in table_names(url)
    finally:
        engine.dispose()


def fill(url) -> None:
    """A board in use: an account with a token, a card that moved, a deleted card, and their events."""
    engine = in_first_shop(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO users (username, name, role, password_hash) VALUES ('ana', 'Ana', 'staff', 'x')")
            )
            conn.execute(text("INSERT INTO api_tokens (user_id, label, secret_hash) VALUES (1, 'nightly', 'h')"))
            conn.execute(
                text(
                    "INSERT INTO appointments (title, customer, scheduled_at, status, version, deleted_at) VALUES"
                    " ('Oil change', 'Ada', '2026-12-02 09:00+00', 'CHECKED_IN', 2, NULL),"
                    " ('Tyre swap', 'Alan', '2026-12-02 10:00+00', 'SCHEDULED', 2, now())"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO appointment_events (appointment_id, version, kind, from_status, to_status, by_user_id, seq)"
                    " VALUES (1, 1, 'created', NULL, NULL, 1, 1), (1, 2, 'moved', 'SCHEDULED', 'CHECKED_IN', 1, 2),"
                    " (2, 1, 'created', NULL, NULL, 1, 3), (2, 2, 'deleted', NULL, NULL, 1, 4)"
                )
            )
    finally:
        engine.dispose()


def snapshot(url) -> tuple:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return (
                conn.scalar(text("SELECT version_num FROM alembic_version")),
                table_names(url),
                conn.execute(text("SELECT * FROM appointments ORDER BY id")).all(),
                conn.execute(text("SELECT * FROM appointment_events ORDER BY id")).all(),
                conn.execute(text("SELECT * FROM users ORDER BY id")).all(),
                conn.execute(text("SELECT * FROM api_tokens ORDER BY id")).all(),
            )
    finally:
        engine.dispose()


def alembic_cli(url, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alembic", "-x", f"url={url.render_as_string(hide_password=False)}", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_downgrade_that_would_delete_cards_refuses_in_one_line_and_changes_nothing(scratch_database):
    url = scratch_database()
    command.upgrade(alembic_config(url), "head")
    fill(url)
    before = snapshot(url)

    refused = alembic_cli(url, "downgrade", "base")

    assert refused.returncode != 0
    failure = [line for line in refused.stderr.splitlines() if not line.startswith("INFO ")]
    assert failure == [
        "ERROR [alembic.util.messaging] Refusing to downgrade: on this database it would lose soft-deleted cards (1),"
        " card events other than moves (3) below revision 0004; accounts (1), API tokens (1),"
        " moves' authors (1) below revision 0002; cards (1), moves (1) below revision 0001. Back it up first (make backup, or pg_dump), then run"
        " `alembic -x force=true downgrade ...` to go ahead."
    ]
    assert snapshot(url) == before


def test_forced_downgrade_deletes_what_it_said_and_goes_on(scratch_database):
    url = scratch_database()
    command.upgrade(alembic_config(url), "head")
    fill(url)

    forced = alembic_cli(url, "-x", "force=true", "downgrade", "base")

    assert forced.returncode == 0, forced.stderr
    assert table_names(url) == {"alembic_version"}


def test_refusal_at_a_later_step_rolls_back_the_steps_before_it(scratch_database):
    """The whole downgrade is one transaction (PostgreSQL's DDL is transactional): 0005's step, which
    loses nothing here, ran and is undone when 0004's would lose data; the database stays at head."""
    url = scratch_database()
    config = alembic_config(url)
    command.upgrade(config, "head")
    fill(url)
    before = snapshot(url)

    with pytest.raises(
        CommandError,
        match=r"^Refusing to downgrade: on this database it would lose soft-deleted cards \(1\), card events other than moves \(3\) below revision 0004\. ",
    ):
        command.downgrade(config, "0003")

    assert snapshot(url) == before
    assert "idempotency_keys" in before[1]


def test_downgrade_steps_that_lose_nothing_here_run_without_force(scratch_database):
    url = scratch_database()
    config = alembic_config(url)
    command.upgrade(config, "head")
    fill(url)

    command.downgrade(config, "0004")  # no idempotency keys stored: dropping their table loses nothing
    assert "idempotency_keys" not in table_names(url)

    command.downgrade(forcing(alembic_config(url)), "0003")
    command.downgrade(config, "0002")  # bigint to integer: every version fits
    assert "appointments" in table_names(url) and "appointment_events" not in table_names(url)
    with pytest.raises(
        CommandError, match=r"lose accounts \(1\), API tokens \(1\), moves' authors \(1\) below revision 0002\. "
    ):
        command.downgrade(config, "0001")


def test_a_revision_that_does_not_say_what_it_loses_may_not_drop_a_column_holding_data(scratch_database, tmp_path):
    """A later migration without DOWNGRADE_LOSES is held to the cautious default, whatever its number."""
    scripts = tmp_path / "alembic"
    shutil.copytree(ROOT / "alembic", scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "20270101_0099_failure_reason.py").write_text(
        "import sqlalchemy as sa\n"
        "from alembic import op\n"
        'revision = "0099"\n'
        f'down_revision = "{ScriptDirectory.from_config(Config(toml_file=ROOT / "pyproject.toml")).get_current_head()}"\n'
        "def upgrade():\n"
        '    op.add_column("sign_in_failures", sa.Column("reason", sa.Text(), nullable=True))\n'
        "def downgrade():\n"
        '    op.drop_column("sign_in_failures", "reason")\n'
    )
    url = scratch_database()

    def config() -> Config:
        made = alembic_config(url)
        made.set_main_option("script_location", str(scripts))
        return made

    command.upgrade(config(), "head")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO sign_in_failures (username_key, client_address, reason) VALUES ('ana', '', NULL)")
            )
        command.downgrade(config(), "-1")  # the column holds nothing: it goes
        command.upgrade(config(), "head")
        with engine.begin() as conn:
            conn.execute(text("UPDATE sign_in_failures SET reason = 'wrong password'"))

        with pytest.raises(CommandError, match=r"lose values of sign_in_failures.reason \(1\) below revision 0099\. "):
            command.downgrade(config(), "-1")
        assert "reason" in {column["name"] for column in inspect(engine).get_columns("sign_in_failures")}

        command.downgrade(forcing(config()), "-1")
        assert "reason" not in {column["name"] for column in inspect(engine).get_columns("sign_in_failures")}
    finally:
        engine.dispose()
