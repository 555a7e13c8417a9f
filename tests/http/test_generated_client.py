"""The served OpenAPI document, as a script writer's code generator reads it (openapi-python-client).

A client is generated from the document a real server serves, and a nightly-import script runs
through its typed functions with no raw HTTP: the document stays usable by the tools scripts are
written with, one model per shape, with parsers that accept what the server answers.
"""

import importlib
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from board.models import STATUSES
from tests.helpers import http_json

PACKAGE = "generated_board_client"


@pytest.fixture
def generated(live_server, tmp_path, monkeypatch):
    """Generate the client from the served document; yields (its package folder, the generator's output)."""
    status, served, _ = http_json("GET", f"{live_server}/api/openapi.json")
    assert status == 200
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(served))
    # No post hooks: formatting the generated code (ruff) is not what is tested here.
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\n")
    generator = Path(sys.executable).parent / "openapi-python-client"
    result = subprocess.run(
        [
            generator,
            "generate",
            "--path",
            document,
            "--output-path",
            tmp_path / PACKAGE,
            "--meta",
            "none",
            "--config",
            config,
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path / PACKAGE, result.stdout + result.stderr
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def generated_module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_generator_reads_the_document_without_a_warning(generated):
    _, output = generated

    assert "warning" not in output.lower(), output


def test_the_generated_client_has_one_model_per_shape(generated):
    package, _ = generated
    models = {path.name: path.read_text() for path in (package / "models").glob("*.py") if path.name != "__init__.py"}

    def defining(pattern: str) -> list[str]:
        return sorted(name for name, source in models.items() if re.search(pattern, source, re.MULTILINE))

    assert defining(r"^class Card\b") == ["card.py"]
    assert defining(r"^\s+CHECKED_IN = ") == ["status.py"]
    assert defining(r"^\s+STAFF = ") == ["role.py"]
    assert defining(r"^\s+VERSION_CONFLICT = ") == ["error_code.py"]
    # One model per kind of error: the plain one, and the four that carry more.
    assert defining(r"^\s+request_id: str") == [
        "batch_conflict.py",
        "batch_not_found.py",
        "card_conflict.py",
        "error.py",
        "validation_error.py",
    ]
    # Every other model is a named component of the document, or a map or enum nested in one (an edit's
    # changes, a validation error's details): no envelope or error the generator had to name itself.
    components = json.loads((package.parent / "openapi.json").read_text())["components"]["schemas"]
    named = {re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() + ".py" for name in components}
    unnamed = sorted(set(models) - named)
    assert not [
        name
        for name in unnamed
        if re.search(r"_response_\d{3}|_body\.py$|answer\.py$|error\.py$", name)
        and name != "get_openapi_response_200.py"
    ], unnamed
    assert len(unnamed) <= 8, unnamed


def test_a_nightly_import_runs_through_the_generated_client(generated, live_server, staff_token):
    client_module = generated_module("client")
    models = generated_module("models")
    appointments = "api.appointments."
    create = generated_module(appointments + "create_appointment")
    move = generated_module(appointments + "move_appointment")
    move_many = generated_module(appointments + "move_appointments")
    get_board = generated_module(appointments + "get_board")
    get_history = generated_module(appointments + "get_history")
    get_appointment = generated_module(appointments + "get_appointment")
    get_me = generated_module("api.accounts.get_me")
    # Any status the document does not declare raises: every answer below is a documented one.
    client = client_module.AuthenticatedClient(base_url=live_server, token=staff_token, raise_on_unexpected_status=True)
    anonymous = client_module.Client(base_url=live_server, raise_on_unexpected_status=True)
    scheduled_at = datetime(2026, 11, 23, 15, tzinfo=UTC)

    def new_card(title: str, key: str):
        body = models.AppointmentIn(title=title, customer="Ada Lovelace", scheduled_at=scheduled_at)
        return create.sync_detailed(client=client, body=body, idempotency_key=key)

    created = new_card("Brake pads", "nightly-1")
    resent = new_card("Brake pads", "nightly-1")
    card = created.parsed.data
    assert created.status_code == 201 and isinstance(card, models.Card)
    assert (card.status, card.version) == (models.Status.SCHEDULED, 1)
    assert resent.status_code == 201 and resent.parsed.data.id == card.id
    assert resent.headers["Idempotent-Replayed"] == "true"

    board = get_board.sync(client=client, from_=scheduled_at.date()).data
    assert [column.status.value for column in board.columns] == list(STATUSES)
    assert [c.id for c in board.columns[0].cards] == [card.id]

    moved = move.sync(card.id, client=client, body=models.MoveIn(status=models.Status.CHECKED_IN, version=1))
    assert isinstance(moved, models.CardAnswer) and moved.data.version == 2

    stale = move.sync(card.id, client=client, body=models.MoveIn(status=models.Status.READY, version=1))
    assert isinstance(stale, models.CardConflictAnswer)
    assert stale.error.code == models.ErrorCode.VERSION_CONFLICT
    assert isinstance(stale.error.current, models.Card)
    assert (stale.error.current.status, stale.error.current.version) == (models.Status.CHECKED_IN, 2)

    other = new_card("Oil change", "nightly-2").parsed.data
    batch = models.BatchMoveIn(
        moves=[
            models.BatchMoveItemIn(id=card.id, status=models.Status.IN_PROGRESS, version=2),
            models.BatchMoveItemIn(id=other.id, status=models.Status.IN_PROGRESS, version=1),
        ]
    )
    both = move_many.sync(client=client, body=batch, idempotency_key="nightly-3")
    assert isinstance(both, models.CardListAnswer)
    assert [(c.id, c.status, c.version) for c in both.data] == [
        (card.id, models.Status.IN_PROGRESS, 3),
        (other.id, models.Status.IN_PROGRESS, 2),
    ]
    replayed = move_many.sync_detailed(client=client, body=batch, idempotency_key="nightly-3")
    assert replayed.status_code == 200 and replayed.headers["Idempotent-Replayed"] == "true"
    stale_batch = move_many.sync(client=client, body=batch)
    assert isinstance(stale_batch, models.BatchConflictAnswer)
    assert [(c.id, c.current.version) for c in stale_batch.error.conflicts] == [(card.id, 3), (other.id, 2)]

    history = get_history.sync(card.id, client=client).data
    assert [event.kind for event in history] == [models.EventKind.CREATED, *[models.EventKind.MOVED] * 2]

    # The errors a script meets on the way are typed too.
    missing = get_appointment.sync(999_999, client=client)
    invalid = move.sync(card.id, client=client, body=models.MoveIn(status=models.Status.READY, version=0))
    unauthenticated = get_me.sync(client=anonymous)
    assert isinstance(missing, models.ErrorAnswer) and missing.error.code == models.ErrorCode.NOT_FOUND
    assert isinstance(invalid, models.ValidationErrorAnswer) and "version" in invalid.error.details.to_dict()
    assert unauthenticated.error.code == models.ErrorCode.UNAUTHENTICATED
