"""Run migrations against DATABASE_URL, or the embedded PostgreSQL when it is unset."""

import logging
import sys

from alembic import context
from sqlalchemy import create_engine, pool

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


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
