"""gunicorn settings for board: `gunicorn -c python:board.gunicorn_conf wsgi:app`.

gunicorn reads this module's globals as its settings, so helpers are imported under
underscore names. Workers and threads were chosen by measurement on a 2-core machine
(docs/BENCHMARKS.md); override them with BOARD_WORKERS and BOARD_THREADS.
"""

import os as _os
import shutil as _shutil
import tempfile as _tempfile

bind = _os.environ.get("BOARD_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(_os.environ.get("BOARD_WORKERS", "2"))
threads = int(_os.environ.get("BOARD_THREADS", "4"))
# Requests finish within the database's statement_timeout; this only catches a wedged worker.
timeout = 30
graceful_timeout = 10
keepalive = 5
# Workers touch a heartbeat file all the time; in memory that costs no disk I/O.
worker_tmp_dir = "/dev/shm" if _os.path.isdir("/dev/shm") else None
# board writes its own JSON request line (board/logs.py); gunicorn's access log would double it.
accesslog = None
errorlog = "-"


def on_starting(server):
    """In the master, before any worker: find the database once and set up shared metrics."""
    _prepare_metrics_dir()
    # Each worker holds one connection per thread, never more.
    _os.environ["BOARD_DB_POOL_SIZE"] = str(server.cfg.threads)
    # Resolve the database here, so the embedded PostgreSQL (when DATABASE_URL is unset) starts
    # once and lives as long as the master; the workers inherit the resolved URL.
    from board import create_app

    app = create_app()
    app.extensions["board.engine"].dispose()
    _os.environ["DATABASE_URL"] = app.config["DATABASE_URL"]
    server.log.info("board: database resolved, %d workers x %d threads", server.cfg.workers, server.cfg.threads)


def _prepare_metrics_dir():
    path = _os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        # The folder must start empty: files of an earlier run would be added to this one's counts.
        _shutil.rmtree(path, ignore_errors=True)
        _os.makedirs(path, exist_ok=True)
    else:
        _os.environ["PROMETHEUS_MULTIPROC_DIR"] = _tempfile.mkdtemp(prefix="board-metrics-")


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
