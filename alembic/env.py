"""Run migrations against DATABASE_URL, or the embedded PostgreSQL when it is unset.

A downgrade that would lose data refuses, unless forced (`alembic -x force=true downgrade ...`):
before each step's downgrade runs, what it would lose is counted on this database. A revision says
what its downgrade loses in DOWNGRADE_LOSES, {what: "SELECT count(*) ..."}; a revision that does
not say is held to the cautious default: every table or column it drops counts its rows or values.
The whole downgrade is one transaction (PostgreSQL's DDL is transactional), so a refusal, raised
after the last step, rolls every step back and leaves the database as it was.
"""

import logging
import sys

from alembic.operations import Operations, ops, toimpl
from alembic.util import CommandError
from sqlalchemy import create_engine, pool, text

from alembic import context
from board.models import Base

config = context.config
target_metadata = Base.metadata

if not logging.getLogger().handlers:
    # No alembic.ini means no logging config; make `alembic upgrade` say what it does.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)-5.5s [%(name)s] %(message)s")
    logging.getLogger("alembic").setLevel(logging.INFO)


def database_url() -> str:
    """The URL the caller gave (tests pass one; `alembic -x url=...`), else the app's own choice."""
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return url
    from board import create_app

    return create_app().config["DATABASE_URL"]


def forced() -> bool:
    return context.get_x_argument(as_dictionary=True).get("force", "").lower() in ("true", "yes", "1")


class DataWouldBeLost(CommandError):
    """A downgrade would lose data; alembic's command line prints this as one line and exits 255."""

    def __init__(self, losses: list[str]):
        super().__init__(
            f"Refusing to downgrade: on this database it would lose {'; '.join(losses)}. Back it up first"
            f" (make backup, or pg_dump), then run `alembic -x force=true downgrade ...` to go ahead."
        )


# What each downgrade step run so far has lost, as "cards (8) below revision 0001". The steps run on
# (in the one transaction) so that the refusal can name everything, then it rolls them all back.
losses: list[str] = []
# The revision whose undeclared downgrade is running: its drops are counted as they come (see below).
counting_drops_of: str | None = None


def count_losses(revision: str, checks: dict[str, str]) -> None:
    bind = context.get_bind()
    lost = [f"{what} ({number})" for what, sql in checks.items() if (number := bind.execute(text(sql)).scalar_one())]
    if lost:
        losses.append(f"{', '.join(lost)} below revision {revision}")


def counted(revision: str, downgrade, checks: dict[str, str] | None):
    """downgrade(), with what it loses on this database counted before it runs."""

    def counted_downgrade(**kw) -> None:
        global counting_drops_of
        if checks is not None:
            count_losses(revision, checks)
            return downgrade(**kw)
        counting_drops_of = revision
        try:
            return downgrade(**kw)
        finally:
            counting_drops_of = None

    counted_downgrade.counted = True
    return counted_downgrade


def count_downgrade_losses() -> None:
    for script in context.script.walk_revisions():
        module = script.module
        if not getattr(module.downgrade, "counted", False):
            module.downgrade = counted(script.revision, module.downgrade, getattr(module, "DOWNGRADE_LOSES", None))


def refuse_if_anything_was_lost() -> None:
    """Raise inside the migrations' transaction, which rolls every step back."""
    if losses:
        raise DataWouldBeLost(losses)


def quoted(operations: Operations, *names: str | None) -> str:
    quote = operations.migration_context.dialect.identifier_preparer.quote
    return ".".join(quote(name) for name in names if name)


@Operations.implementation_for(ops.DropTableOp, replace=True)
def drop_table(operations: Operations, operation: ops.DropTableOp) -> None:
    if counting_drops_of:
        table = quoted(operations, operation.schema, operation.table_name)
        count_losses(counting_drops_of, {f"rows of {operation.table_name}": f"SELECT count(*) FROM {table}"})
    toimpl.drop_table(operations, operation)


@Operations.implementation_for(ops.DropColumnOp, replace=True)
def drop_column(operations: Operations, operation: ops.DropColumnOp) -> None:
    if counting_drops_of:
        table = quoted(operations, operation.schema, operation.table_name)
        column = quoted(operations, operation.column_name)
        what = f"values of {operation.table_name}.{operation.column_name}"
        count_losses(counting_drops_of, {what: f"SELECT count({column}) FROM {table}"})
    toimpl.drop_column(operations, operation)


def run_migrations_offline() -> None:
    # No database to count rows in: the SQL written out is for a person to read before running it.
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    if not forced():
        count_downgrade_losses()
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
            refuse_if_anything_was_lost()
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
            refuse_if_anything_was_lost()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
