"""The app's own CPU per read-then-move cycle, without a server: requests handed to the WSGI app in this process.

    .venv/bin/python perf/inprocess.py            # 3 rounds of 2,000 cycles, then of the floor and a 404
    .venv/bin/python perf/inprocess.py --profile  # cProfile of 2,000 cycles, by own time

What perf/bench.py measures under Granian, less the server: the difference is what serving a
request costs (Granian, the event loop handing it to an app thread and back, threads sharing the
GIL). Runs are quiet and repeatable enough to tell a 20 us change per cycle, which k6 runs on a
shared 2-core machine cannot. Starts its own embedded PostgreSQL in instance/bench-pgdata (deleted at
the end), as perf/bench.py does: run one of them at a time.
"""

import argparse
import io
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

STATUSES = ["SCHEDULED", "CHECKED_IN", "IN_PROGRESS", "READY", "COMPLETED", "CANCELLED"]


def environ(token: str, method: str, path: str, body: bytes = b"") -> dict:
    """The environ board.rsgi builds for a request from k6."""
    made = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "50000", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.input_terminated": True,
        "HTTP_HOST": "127.0.0.1:8000", "HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_USER_AGENT": "k6",
    }  # fmt: skip
    if body:
        made.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="cProfile the cycles instead of timing them")
    args = parser.parse_args()

    server, url, _ = bench.start_database()
    owner = bench.create_engine(url, pool_size=2, connect_args={"options": "-c board.shop_id=1"})
    bench.seed_cards(owner)
    token = bench.make_token(owner)
    os.environ.update(DATABASE_URL=url.render_as_string(hide_password=False), BOARD_DB_POOL_SIZE="4")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="board-metrics-")
    # The request log goes where the bench's server writes it: to a file, not the terminal.
    log = open(bench.ROOT / "instance" / "inprocess.log", "w")
    os.dup2(log.fileno(), 2)

    from board import create_app
    from board.rsgi import call_wsgi

    app = create_app()

    def cycle() -> None:
        card = random.randint(1, bench.ALL_CARDS)
        status, _, body = call_wsgi(app, environ(token, "GET", f"/api/appointments/{card}"))
        assert status == 200, body
        move = {"status": random.choice(STATUSES), "version": json.loads(body)["data"]["version"]}
        status, _, body = call_wsgi(
            app, environ(token, "POST", f"/api/appointments/{card}/move", json.dumps(move).encode())
        )
        assert status in (200, 409), body

    def floor() -> None:  # perf/k6-floor.js: two one-statement requests a cycle
        for _ in range(2):
            status, _, body = call_wsgi(app, environ(token, "GET", "/api/shop/limits"))
            assert status == 200, body

    def not_found() -> None:
        status, _, body = call_wsgi(app, environ(token, "GET", "/nowhere"))
        assert status == 404, body

    for _ in range(200):
        cycle()
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.cycles):
            cycle()
        profile.disable()
        pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(40)
        return
    info = bench.machine()
    print(f"{info['cpu']}, {info['cores']} cores; commit {info['commit']}; load average {info['load']}")
    print(f"CPU ms per cycle in this process ({args.cycles} cycles a round):")
    for _ in range(3):
        for name, work in (("read-then-move", cycle), ("floor (2 requests)", floor), ("404 (1 request)", not_found)):
            started = time.process_time()
            for _ in range(args.cycles):
                work()
            print(f"  {name:20s} {1000 * (time.process_time() - started) / args.cycles:.3f}", flush=True)


if __name__ == "__main__":
    main()
