"""What serving with Granian keeps from before: metrics summed over workers, the JSON request log, the settings."""

import http.client
import json
import re
import resource

import psutil

from board.serving import CONNECTIONS_PER_WORKER
from tests.factories import AppointmentFactory
from tests.served import granian


def get(port: int, path: str, headers: dict) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def requests_counted(port: int, route: str, headers: dict) -> float:
    status, body = get(port, "/metrics", headers)
    assert status == 200
    labels = f'method="GET",route="{route}",status="200",status_class="2xx"'
    pattern = rf"board_http_requests_total\{{{re.escape(labels)}\}} (\S+)"
    return sum(float(value) for value in re.findall(pattern, body.decode()))


def test_metrics_add_up_the_requests_of_every_worker(served, app, api_headers):
    card = AppointmentFactory()
    route = "/api/appointments/<appointment_id:appointment_id>"
    before = requests_counted(served.port, route, api_headers)

    for _ in range(40):  # one connection each, so the kernel spreads them over both workers
        assert get(served.port, f"/api/appointments/{card.id}", api_headers)[0] == 200

    # Whichever worker answers /metrics, it reports the sum over both.
    assert {requests_counted(served.port, route, api_headers) for _ in range(10)} == {before + 40}


def test_each_request_writes_one_json_line_with_its_request_id(served, api_headers):
    status, _ = get(served.port, "/healthz", {**api_headers, "X-Request-ID": "served-log-check-7"})

    assert status == 200
    lines = [json.loads(line) for line in served.log_text().splitlines() if "served-log-check-7" in line]
    assert [(line["route"], line["status"]) for line in lines] == [("/healthz", 200)]


def test_the_number_of_workers_comes_from_the_settings(served):
    assert len(psutil.Process(served.process.pid).children()) == 2  # BOARD_WORKERS=2, as the fixture asks


def test_workers_may_open_a_file_for_every_connection_they_accept_even_under_a_low_default(database_url):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # What many service managers start a service with; Granian raises it to the hard limit.
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    try:
        with granian(database_url, workers=1, threads=1) as server:
            (worker,) = psutil.Process(server.process.pid).children()
            worker_soft, _ = worker.rlimit(psutil.RLIMIT_NOFILE)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    assert worker_soft >= min(CONNECTIONS_PER_WORKER, hard)
