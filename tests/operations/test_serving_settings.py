"""Where the server listens and how many workers it runs: make run, BOARD_BIND and the other settings."""

import os
import subprocess
import sys

import pytest

from board.serving import ServingError, bind_address
from tests.helpers import ROOT


def serve_line(*make_args: str, **environment: str) -> str:
    env = {key: value for key, value in os.environ.items() if key not in ("BOARD_BIND", "HOST", "PORT")}
    env.update(environment)
    dry_run = subprocess.run(
        ["make", "-n", "run", *make_args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    (line,) = [line for line in dry_run.stdout.splitlines() if "board.serving" in line]
    return line


@pytest.mark.parametrize(
    "make_args, environment, bind",
    [
        ((), {}, "127.0.0.1:8000"),
        ((), {"BOARD_BIND": "127.0.0.1:8127"}, "127.0.0.1:8127"),
        (("PORT=8130",), {}, "127.0.0.1:8130"),
        (("HOST=0.0.0.0", "PORT=9000"), {}, "0.0.0.0:9000"),
        (("PORT=8130",), {"BOARD_BIND": "127.0.0.1:8127"}, "127.0.0.1:8127"),
    ],
)
def test_make_run_serves_on_board_bind_else_host_and_port(make_args, environment, bind):
    assert serve_line(*make_args, **environment).startswith(f"BOARD_BIND={bind} ")


@pytest.mark.parametrize(
    "bind, address",
    [
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
        ("[::1]:8443", ("::1", 8443)),
        (":8127", ("127.0.0.1", 8127)),
    ],
)
def test_board_bind_is_host_and_port(bind, address):
    assert bind_address(bind) == address


@pytest.mark.parametrize("bind", ["8000", "localhost", "127.0.0.1:http", "127.0.0.1:0", "127.0.0.1:70000", ""])
def test_a_board_bind_without_a_usable_port_is_refused(bind):
    with pytest.raises(ServingError, match="BOARD_BIND"):
        bind_address(bind)


@pytest.mark.parametrize("name, value", [("BOARD_WORKERS", "0"), ("BOARD_THREADS", "four"), ("BOARD_BIND", "nowhere")])
def test_the_server_will_not_start_on_a_bad_setting_and_says_which(name, value):
    env = {**os.environ, name: value}
    started = subprocess.run(
        [sys.executable, "-m", "board.serving"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert started.returncode == 1
    assert started.stderr.startswith(f"board: {name} must")
