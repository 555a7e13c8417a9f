"""The migrations build the schema the models describe, and can be undone and redone."""

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from tests.conftest import ROOT, alembic_config


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
    assert table_names(url) == {"alembic_version", "appointments", "appointment_moves"}

    command.downgrade(config, "base")
    assert table_names(url) == {"alembic_version"}

    command.upgrade(config, "head")
    assert table_names(url) >= {"appointments", "appointment_moves"}


def test_models_and_migrations_agree(database_url):
    """alembic check: autogenerate finds nothing to add, drop or alter."""
    command.check(alembic_config(database_url))


def test_there_is_a_single_head():
    script = ScriptDirectory.from_config(Config(toml_file=ROOT / "pyproject.toml"))

    assert len(script.get_heads()) == 1
