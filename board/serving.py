"""Serve board with Granian: the database found once before the workers start, shared metrics, a bounded graceful stop.

    .venv/bin/python -m board.serving        # what `make run` starts; settings from the environment

BOARD_BIND (host:port), BOARD_WORKERS and BOARD_THREADS choose the address, the worker processes and
the threads per worker that run the app. The limits below are set here on purpose rather than left
at Granian's defaults: each one bounds what a slow or hostile client can hold.
"""

import ctypes
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_BIND = "127.0.0.1:8000"
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 4
# Webhook delivery processes started beside the web workers; 0 when they run elsewhere (board.webhooks.worker).
DEFAULT_WEBHOOK_WORKERS = 1

# A client has this long to send its request line and headers; then its connection is closed.
# Idle and trickling connections wait in Rust, never in an app thread, and are dropped after it.
HEADER_READ_TIMEOUT_MS = 5_000
# The largest request head (request line and headers) a connection may buffer; more is refused
# by the server itself. Requests to board need well under 8 KiB.
MAX_HEAD_BYTES = 16 * 1024
# Connections one worker holds open at once. An idle one costs a few KiB in Rust, so this is
# generous: past it, new connections wait in the kernel's backlog instead of being refused.
CONNECTIONS_PER_WORKER = 4096
BACKLOG = 4096
# SIGTERM: stop accepting, let requests in flight finish, then exit. A request ends within the
# database's statement and lock timeouts (5 s and 2 s by default), a trickling head within
# HEADER_READ_TIMEOUT_MS; a worker still busy after this many seconds is killed.
GRACEFUL_STOP_S = 15

PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ServingError(RuntimeError):
    """A serving setting has a value the server cannot start with."""


def bind_address(bind: str) -> tuple[str, int]:
    """Split BOARD_BIND's host:port; a bare :port means 127.0.0.1."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ServingError(f"BOARD_BIND must be host:port, such as 127.0.0.1:8000, got {bind!r}.")
    return host.strip("[]") or "127.0.0.1", int(port)


def positive_setting(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise ServingError(f"{name} must be a whole number of at least 1, got {raw!r}.")
    return int(raw)


def whole_setting(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit():
        raise ServingError(f"{name} must be a whole number, got {raw!r}.")
    return int(raw)


def prepare_metrics_dir() -> Path | None:
    """Give prometheus-client an empty folder shared by all workers; return it if this run made it."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        # Files of an earlier run would be added to this one's counts.
        shutil.rmtree(given, ignore_errors=True)
        os.makedirs(given, exist_ok=True)
        return None
    made = Path(tempfile.mkdtemp(prefix="board-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(made)
    return made


def resolve_database(threads: int) -> None:
    """Find the database once, here in the main process, and hand the workers its URL.

    When DATABASE_URL is unset this starts the embedded PostgreSQL, which then lives exactly as
    long as this process: it stops when the server does, not when a worker exits.
    """
    os.environ["BOARD_DB_POOL_SIZE"] = str(threads)
    from board import create_app
    from board.config import ConfigError
    from board.db import check_database

    app = create_app()
    try:
        # Refuse once, here, with one line, rather than in every worker as it boots.
        check_database(app.extensions["board.engine"])
    except ConfigError as error:
        raise ServingError(str(error)) from None
    finally:
        app.extensions["board.engine"].dispose()
    os.environ["DATABASE_URL"] = app.config["DATABASE_URL"]


def worker_app():
    """Build the app in a Granian worker; the worker is told to stop if the main process dies.

    Without this, a `kill -9` of the main process would leave its workers serving on the port
    with no one to stop them. SIGTERM lets them finish the requests they hold first.
    """
    main_process = multiprocessing.parent_process()  # Granian's workers are multiprocessing children
    if main_process is not None:
        # A forked worker inherits the main process's stop handler, which only flags the main process's
        # loop: a stop asked for while the worker boots would be lost. It holds no request yet, so it may
        # just end; Granian installs the worker's graceful handler once it serves.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        stop_with_parent(main_process.pid)
    from board import create_app
    from board.rsgi import BoardRSGI

    return BoardRSGI(create_app(), positive_setting("BOARD_THREADS", DEFAULT_THREADS))


def stop_with_parent(parent_pid: int | str | None) -> None:
    """Have the kernel send this process SIGTERM when `parent_pid`, its parent, dies (Linux)."""
    if parent_pid is None or sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != int(parent_pid):  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def start_webhook_workers(count: int, own_url: str) -> list[subprocess.Popen]:
    """Start the webhook delivery workers (board.webhooks.worker), which stop with this process.

    Their payloads' status_url is absolute: on BOARD_PUBLIC_URL, else this server's own address.
    (Only theirs: the web workers' BOARD_PUBLIC_URL is also the origin cookie-signed writes must
    come from, and an unset one lets the page be opened at any of the server's names.)
    """
    from board.webhooks.worker import PARENT_PID

    environment = {
        **os.environ,
        PARENT_PID: str(os.getpid()),
        "BOARD_PUBLIC_URL": os.environ.get("BOARD_PUBLIC_URL") or own_url,
    }
    return [subprocess.Popen([sys.executable, "-m", "board.webhooks.worker"], env=environment) for _ in range(count)]


def stop_webhook_workers(workers: list[subprocess.Popen]) -> None:
    """SIGTERM: each finishes the attempts it has in flight (at most delivery.TIMEOUT_S), then exits."""
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=GRACEFUL_STOP_S)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def granian_logging() -> dict:
    """Granian's own lines as JSON on stderr, beside board's; no access log (board writes its own)."""
    console = {"class": "board.logs.StderrHandler", "formatter": "json"}
    return {
        "formatters": {"json": {"()": "board.logs.JsonLines"}},
        "handlers": {"console": console},
        "loggers": {
            "_granian": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "granian.access": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        },
    }


def make_server(host: str, port: int, workers: int, threads: int):
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    return Granian(
        "board.serving:worker_app",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        http=HTTPModes.http1,
        websockets=False,
        workers=workers,
        # One thread runs the worker's event loop; Flask runs on BOARD_THREADS of board.rsgi's own.
        blocking_threads=1,
        backlog=BACKLOG,
        backpressure=CONNECTIONS_PER_WORKER,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS, max_buffer_size=MAX_HEAD_BYTES),
        workers_kill_timeout=GRACEFUL_STOP_S,
        respawn_failed_workers=True,
        log_dictconfig=granian_logging(),
        log_access=False,
        working_dir=Path(__file__).resolve().parent.parent,
    )


def main() -> None:
    host, port = bind_address(os.environ.get("BOARD_BIND") or DEFAULT_BIND)
    workers = positive_setting("BOARD_WORKERS", DEFAULT_WORKERS)
    threads = positive_setting("BOARD_THREADS", DEFAULT_THREADS)
    webhook_workers = whole_setting("BOARD_WEBHOOK_WORKERS", DEFAULT_WEBHOOK_WORKERS)
    made_metrics_dir = prepare_metrics_dir()
    delivering: list[subprocess.Popen] = []
    try:
        resolve_database(threads)
        delivering = start_webhook_workers(webhook_workers, f"http://{host}:{port}")
        make_server(host, port, workers, threads).serve()
    finally:
        stop_webhook_workers(delivering)
        if made_metrics_dir is not None:
            shutil.rmtree(made_metrics_dir, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except ServingError as error:
        sys.exit(f"board: {error}")
