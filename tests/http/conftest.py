"""Fixtures of the HTTP tests: a card on the board to aim requests at."""

import pytest

from tests.factories import AppointmentFactory


@pytest.fixture
def card(app):
    return AppointmentFactory()
