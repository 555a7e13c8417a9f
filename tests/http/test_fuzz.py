"""Schemathesis against the OpenAPI document and a real server on the real database, as a staff script."""

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source
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
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# The document is needed to collect the tests, before any fixture runs; building it reads only
# the app's routes, so this app never opens a connection (schemathesis.pytest.from_fixture,
# which would load it from the live server, fails on pytest 9.2). Each test checks that the
# server serves this very document.
DOCUMENT = build_document(create_app({"DATABASE_URL": "postgresql://unused@127.0.0.1:9/unused", "TESTING": True}))
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
FEEDBACK = FeedbackSources(constants_value_source=make_constants_value_source(schema))


def documented_operations() -> list:
    """Every operation of the document; a malformed one fails the collection with Schemathesis' reason."""
    results = list(schema.get_all_operations())
    for result in results:
        if isinstance(result, Err):
            raise result.err()
    return [result.ok() for result in results]


def operations_in(document: dict) -> int:
    return sum(1 for path_item in document["paths"].values() for key in path_item if key in HTTP_METHODS)


@pytest.fixture
def fuzzed_server(live_server):
    # A few cards, so that reads and moves of small ids find something as well as nothing.
    factories.AppointmentFactory.create_batch(3)
    status, served, _ = http_json("GET", f"{live_server}/api/openapi.json")
    assert (status, served) == (200, DOCUMENT)
    return live_server


# One ordinary pytest test per operation, rather than @schema.parametrize(): on pytest 9.2 that
# gives all its items one node id, so pytest-xdist ran one operation and reported one test.
@pytest.mark.parametrize("operation", documented_operations(), ids=lambda operation: operation.label)
def test_operation_answers_as_documented(operation, fuzzed_server, api_headers):
    # The server and its database are shared by the cases of one operation, as a script's would be.
    @settings(deadline=None)
    def answers_as_documented(case):
        case.call_and_validate(base_url=fuzzed_server, headers=api_headers, checks=CHECKS)

    # What @schema.parametrize() runs for each operation: its examples, boundary cases and
    # max-examples generated cases, from a seed derived from CONFIG's seed and the operation.
    fuzz = build_operation_test(
        config=schema.config,
        operation=operation,
        test_func=answers_as_documented,
        given_kwargs={},
        feedback=FEEDBACK,
    )
    fuzz()


def test_every_served_operation_is_fuzzed_as_its_own_test(request, live_server):
    # Tests of the session, not of this module's list: a runner that merged them would show here.
    status, served, _ = http_json("GET", f"{live_server}/api/openapi.json")
    fuzzed = {
        item.nodeid
        for item in request.session.items
        if getattr(item, "originalname", None) == test_operation_answers_as_documented.__name__
    }
    assert status == 200
    assert len(fuzzed) >= operations_in(served) > 0, f"{len(fuzzed)} fuzzed of {operations_in(served)} served"
