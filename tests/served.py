"""board served by Granian as in production (python -m board.serving), in a subprocess on 127.0.0.1."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
from sqlalchemy.engine import URL

from board.serving import GRACEFUL_STOP_S
from tests.helpers import ROOT, wait_for


@dataclass
class Served:
    url: str
    port: int
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path, within_s: float = 30) -> None:
    def healthy() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"board.serving exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    if not wait_for(healthy, within_s, every_s=0.1):
        raise RuntimeError(f"board.serving did not answer /healthz within {within_s} s:\n{log.read_text()}")


@contextmanager
def granian(database_url: URL, *, workers: int = 1, threads: int = 2, healthy: bool = True, **environment: str):
    """Serve the app on a free port with `database_url`; stop it with SIGTERM afterwards.

    With healthy=False it yields as soon as the server is started, before its workers can answer.
    """
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        {
            "DATABASE_URL": database_url.render_as_string(hide_password=False),
            "BOARD_BIND": f"127.0.0.1:{port}",
            "BOARD_WORKERS": str(workers),
            "BOARD_THREADS": str(threads),
            # Only the tests of webhook delivery want board.serving's delivery worker.
            "BOARD_WEBHOOK_WORKERS": "0",
            **environment,  # may name another DATABASE_URL (PgBouncer's)
        }
    )
    with tempfile.TemporaryDirectory(prefix="board-served-") as folder:
        log = Path(folder) / "server.log"
        with open(log, "wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "board.serving"], cwd=ROOT, env=env, stdout=log_file, stderr=log_file
            )
        url = f"http://127.0.0.1:{port}"
        try:
            if healthy:
                wait_until_healthy(url, process, log)
            yield Served(url, port, process, log)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def left_after_killing(server) -> list:
    """kill -9 the server's main process; its children still alive after GRACEFUL_STOP_S (killed then)."""
    children = psutil.Process(server.process.pid).children()
    server.process.kill()
    server.process.wait(timeout=10)
    gone, alive = psutil.wait_procs(children, timeout=GRACEFUL_STOP_S)
    for survivor in alive:  # leave nothing serving whatever the outcome
        survivor.kill()
    return alive
