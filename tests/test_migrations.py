"""The migrations build the schema the models describe, and can be undone and redone."""

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from tests.conftest import ROOT, TABLES, alembic_config


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
            conn.execute(text(
                "INSERT INTO appointments (title, customer, scheduled_at, status, version)"
                " VALUES ('Oil change', 'Ada', '2026-12-02 09:00+00', 'READY', 3)"
            ))
            conn.execute(text(
                "INSERT INTO appointment_moves (appointment_id, from_status, to_status, version)"
                " VALUES (1, 'SCHEDULED', 'IN_PROGRESS', 2), (1, 'IN_PROGRESS', 'READY', 3)"
            ))
            before = (conn.execute(text(card)).all(), conn.execute(text(moves)).all())

        command.upgrade(config, "0002")
        with engine.begin() as conn:
            assert (conn.execute(text(card)).all(), conn.execute(text(moves)).all()) == before
            assert conn.execute(text("SELECT by_user_id, by_token_id FROM appointment_moves")).all() == [(None, None)] * 2
            conn.execute(text(
                "INSERT INTO users (username, name, role, password_hash) VALUES ('ana', 'Ana', 'staff', 'x')"
            ))
            conn.execute(text(
                "INSERT INTO appointment_moves (appointment_id, from_status, to_status, version, by_user_id)"
                " VALUES (1, 'READY', 'COMPLETED', 4, 1)"
            ))

        command.downgrade(config, "0001")
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
    engine = create_engine(url)
    moves = "SELECT appointment_id, from_status, to_status, version, moved_at, by_user_id FROM appointment_moves ORDER BY id"
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (username, name, role, password_hash) VALUES ('ana', 'Ana', 'staff', 'x')"))
            conn.execute(text(
                "INSERT INTO appointments (title, customer, scheduled_at, status, version) VALUES"
                " ('Oil change', 'Ada', '2026-12-02 09:00+00', 'READY', 3),"
                " ('Tyre swap', 'Alan', '2026-12-02 10:00+00', 'SCHEDULED', 1)"
            ))
            conn.execute(text(
                "INSERT INTO appointment_moves (appointment_id, from_status, to_status, version, by_user_id)"
                " VALUES (1, 'SCHEDULED', 'IN_PROGRESS', 2, NULL), (1, 'IN_PROGRESS', 'READY', 3, 1)"
            ))
            before_moves = conn.execute(text(moves)).all()
            created = dict(conn.execute(text("SELECT id, created_at FROM appointments")).all())

        command.upgrade(config, "head")
        command.check(config)
        with engine.begin() as conn:
            rows = conn.execute(text(
                "SELECT appointment_id, version, kind, from_status, to_status, by_user_id, at"
                " FROM appointment_events ORDER BY appointment_id, version"
            )).all()
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
            conn.execute(text("INSERT INTO appointment_events (appointment_id, version, kind) VALUES (2, 2, 'deleted')"))

        command.downgrade(config, "0002")
        with engine.connect() as conn:
            assert conn.execute(text(moves)).all() == before_moves
            assert conn.scalars(text("SELECT id FROM appointments")).all() == [1], "the deleted card was gone"
        assert "appointment_events" not in table_names(url)
    finally:
        engine.dispose()
