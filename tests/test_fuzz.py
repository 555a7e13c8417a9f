"""Schemathesis against the OpenAPI document and a real server on the real database, as a staff script."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from board import create_app
from board.http.openapi import build_document
from tests import factories
from tests.helpers import http_json

# Bounded so the suite stays fast: a fixed seed, and at most this many cases per operation.
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261202,
        "generation": {"max-examples": 20, "with-security-parameters": False, "database": "none"},
    }
)
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

# The document is needed to collect the tests, before any fixture runs; building it reads only
# the app's routes, so this app never opens a connection (schemathesis.pytest.from_fixture,
# which would load it from the live server, fails on pytest 9.2). Each test checks that the
# server serves this very document.
DOCUMENT = build_document(create_app({"DATABASE_URL": "postgresql://unused@127.0.0.1:9/unused", "TESTING": True}))
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@pytest.fixture
def fuzzed_server(live_server):
    # A few cards, so that reads and moves of small ids find something as well as nothing.
    factories.AppointmentFactory.create_batch(3)
    status, served, _ = http_json("GET", f"{live_server}/api/openapi.json")
    assert (status, served) == (200, DOCUMENT)
    return live_server


@schema.parametrize()
# The server and its database are shared by the cases of one operation, as a script's would be.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_api_answers_as_documented(case, fuzzed_server, api_headers):
    case.call_and_validate(base_url=fuzzed_server, headers=api_headers, checks=CHECKS)
