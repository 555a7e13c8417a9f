"""Two shops under load at once through a real HTTP server: nothing lost or doubled in either, and no event crosses shops."""

import pytest
from sqlalchemy import text

from board.db import acting_for, as_operator
from tests import factories
from tests.concurrency import THREADS, assert_nothing_lost_or_doubled, read_then_change_in_shops


@pytest.mark.parametrize("database_route", ["direct", "pgbouncer"], indirect=True)
def test_two_shops_moving_their_cards_at_once_lose_double_and_mix_nothing(live_server, engine, api_headers):
    with as_operator(), engine.begin() as conn:
        main = conn.scalar(text("SELECT id FROM shops WHERE slug = 'main'"))
        south = conn.scalar(
            text("INSERT INTO shops (slug, name, timezone) VALUES ('south', 'South', 'UTC') RETURNING id")
        )
    main_cards = [card.id for card in factories.AppointmentFactory.create_batch(3)]
    factories.Session.commit()
    with acting_for(south):
        south_cards = [card.id for card in factories.AppointmentFactory.create_batch(3)]
        south_headers = {"Authorization": f"Bearer {factories.token_for(factories.UserFactory(username='bo'))}"}
        factories.Session.commit()

    # Person n works in shop n % 2: half the threads in each shop, all at once.
    answers = read_then_change_in_shops([live_server], [(main_cards, api_headers), (south_cards, south_headers)])

    with as_operator():  # the checks read both shops, as the owner
        for cards in (main_cards, south_cards):
            mine = [answer for answer in answers if answer[0] in cards]
            assert_nothing_lost_or_doubled(engine, cards, mine, people=THREADS // 2)
        with engine.begin() as conn:
            events = conn.execute(
                text(
                    "SELECT e.shop_id, a.shop_id, e.appointment_id FROM appointment_events e"
                    " JOIN appointments a ON a.id = e.appointment_id"
                )
            ).all()
    by_shop = {shop: {card for event_shop, _, card in events if event_shop == shop} for shop in (main, south)}
    assert by_shop == {main: set(main_cards), south: set(south_cards)}, "each shop's events are of its own cards"
    assert all(event_shop == card_shop for event_shop, card_shop, _ in events)
