"""A real PgBouncer (Debian's package) in front of the test PostgreSQL, in transaction pooling mode.

Without /usr/sbin/pgbouncer the tests that need it are skipped, saying how to install it; with
BOARD_REQUIRE_PGBOUNCER=1 (set by .ci/run) or CI=true a missing PgBouncer fails them instead.
"""

import hashlib
import os
import pwd
import socket
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from tests.helpers import skip_unless_required, wait_for

PGBOUNCER = Path(os.environ.get("BOARD_PGBOUNCER", "/usr/sbin/pgbouncer"))
# Clients log in to PgBouncer with this user and password; PgBouncer logs in to PostgreSQL as the server URL says.
USER = "board_test"
PASSWORD = "pgbouncer-test-password"
START_TIMEOUT_S = 10


def pgbouncer_required() -> bool:
    return os.environ.get("BOARD_REQUIRE_PGBOUNCER", "") not in ("", "0") or os.environ.get("CI") == "true"


def missing_pgbouncer() -> None:
    message = f"PgBouncer not found at {PGBOUNCER}; install it with: apt-get install pgbouncer"
    skip_unless_required(message, pgbouncer_required(), "BOARD_REQUIRE_PGBOUNCER or CI", "the PgBouncer tests")


@dataclass(frozen=True)
class PgBouncer:
    port: int
    log: Path
    pid: int

    def url_for(self, database_url: URL, *, password: str = PASSWORD) -> URL:
        """The URL of `database_url`'s database through this PgBouncer."""
        return URL.create(
            "postgresql+psycopg",
            username=USER,
            password=password,
            host="127.0.0.1",
            port=self.port,
            database=database_url.database,
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def upstream(server_url: URL) -> tuple[str, int]:
    """Where PgBouncer finds PostgreSQL: the unix socket folder or host, and the port."""
    return server_url.query.get("host") or server_url.host or "localhost", server_url.port or 5432


def write_config(folder: Path, server_url: URL, port: int) -> Path:
    """An ini with PgBouncer's defaults but for where to listen, what to serve, and transaction pooling."""
    host, server_port = upstream(server_url)
    login = f"user={server_url.username}" + (f" password={server_url.password}" if server_url.password else "")
    # PgBouncer's default auth_type, md5, accepts the md5 of password + user in the auth file.
    digest = "md5" + hashlib.md5((PASSWORD + USER).encode()).hexdigest()
    (folder / "userlist.txt").write_text(f'"{USER}" "{digest}"\n')
    ini = folder / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"* = host={host} port={server_port} {login}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        f"auth_file = {folder / 'userlist.txt'}\n"
        "pool_mode = transaction\n"
    )
    for path in (ini, folder / "userlist.txt"):
        path.chmod(0o600)
    return ini


def run_as(server_url: URL) -> list[str]:
    """PgBouncer will not run as root: then run it as whoever owns PostgreSQL's socket folder."""
    if os.geteuid() != 0:
        return []
    host, _ = upstream(server_url)
    owner = pwd.getpwuid(Path(host).stat().st_uid).pw_name if host.startswith("/") else "nobody"
    return ["-u", owner]


def wait_until_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    def listening() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    if not wait_for(listening, START_TIMEOUT_S):
        raise RuntimeError(f"pgbouncer did not listen on port {port} within {START_TIMEOUT_S} s:\n{log.read_text()}")


@contextmanager
def running_pgbouncer(server_url: URL, folder: Path):
    """Start PgBouncer in `folder` in front of `server_url`'s server; stop it afterwards."""
    if not PGBOUNCER.exists():
        missing_pgbouncer()
    port = free_port()
    ini = write_config(folder, server_url, port)
    log = folder / "pgbouncer.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen([str(PGBOUNCER), *run_as(server_url), str(ini)], stdout=log_file, stderr=log_file)
    try:
        wait_until_listening(process, port, log)
        yield PgBouncer(port=port, log=log, pid=process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)
