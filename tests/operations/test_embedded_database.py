"""The embedded PostgreSQL stops with the last process using it, even after one was killed outright."""

import signal
import subprocess
import sys
from pathlib import Path

import psutil

from tests.helpers import wait_for

SERVE_UNTIL_KILLED = """
import sys
from pathlib import Path
from board.db import start_embedded
print(start_embedded(Path(sys.argv[1])), flush=True)
sys.stdin.read()
"""


def start_user(pgdata: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_UNTIL_KILLED, str(pgdata)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().startswith("postgresql+psycopg://")
    return process


def postmaster(pgdata: Path) -> psutil.Process:
    return psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))


def test_server_stops_on_sigterm_of_its_last_user_even_after_a_user_was_killed(tmp_path):
    pgdata = tmp_path / "pgdata"
    with start_user(pgdata) as killed:
        server = postmaster(pgdata)
        killed.kill()  # SIGKILL: no atexit, its pid stays in the wheel's list of users
    assert server.is_running()

    with start_user(pgdata) as last:
        assert postmaster(pgdata).pid == server.pid, "the second user joined the running server"
        last.send_signal(signal.SIGTERM)

    wait_for(lambda: not server.is_running(), 30, every_s=0.05)
    assert not server.is_running(), "no stray server left behind"
