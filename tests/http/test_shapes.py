"""Each function that renders an answer gives exactly the fields of the shape the document names for it.

The routes render with plain functions, fast on the board's hot path; board.http.shapes describes
what they render. These tests hold the two to one list of fields, in the same order.
"""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from board.accounts.identity import Identity, ShopOf
from board.accounts.schemas import account_out, token_out, user_out
from board.appointments.card_json import card_out
from board.http.shapes import Account, Card, Token, UserOut

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
CARD = SimpleNamespace(
    id=1,
    title="Oil change",
    customer="Ada",
    scheduled_at=AT,
    notes="",
    status="SCHEDULED",
    version=1,
    updated_at=AT,
    status_since=AT,
)
USER = SimpleNamespace(id=2, username="ada", name="Ada", role="staff", disabled=False, created_at=AT)
TOKEN = SimpleNamespace(
    id=3,
    label="wall",
    role="viewer",
    owner_username="ada",
    owner_name="Ada",
    created_at=AT,
    last_used_at=None,
    expires_at=None,
    revoked_at=None,
)
SHOP = ShopOf(id=1, slug="main", name="Main shop", timezone="UTC", last_seq=0, settings_version=0)
ASKING = Identity(user_id=2, username="ada", name="Ada", role="viewer", owner_role="staff", shop=SHOP, token_id=3)


def field_names(schema) -> list[str]:
    return [field.data_key or name for name, field in schema().fields.items()]


@pytest.mark.parametrize(
    "rendered, shape",
    [
        (card_out(CARD), Card),
        (account_out(USER), Account),
        (account_out(ASKING), Account),
        (user_out(USER), UserOut),
        (token_out(TOKEN), Token),
    ],
    ids=["card", "account of a user", "account of who is asking", "user", "token"],
)
def test_each_answer_has_exactly_the_fields_of_its_shape(rendered, shape):
    assert list(rendered) == field_names(shape)
    assert shape().validate(rendered) == {}


def test_who_is_asking_is_shown_with_the_role_it_acts_with():
    assert account_out(ASKING) == {"id": 2, "username": "ada", "name": "Ada", "role": "viewer"}
