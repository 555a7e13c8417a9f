"""What a request costs in round trips to PostgreSQL, counted on the wire (a guard on the hot path, not a timing)."""

from tests.factories import AppointmentFactory
from tests.helpers import move
from tests.round_trips import counting_round_trips


def test_a_read_and_a_move_each_cost_two_round_trips_the_credential_lookup_and_the_statement(
    app, make_app, client_for, database_url
):
    # The shop, the role and the use of the token travel with the statements (issue 16); no ping
    # before them (issue 18). Two: one to look the token up, one for the read or the move.
    card = AppointmentFactory()
    with counting_round_trips(database_url) as trips:
        client = client_for(make_app(DATABASE_URL=trips.url.render_as_string(hide_password=False)))
        assert client.get("/healthz").status_code == 200  # connects, outside the count
        costs = []
        for request in (
            lambda: client.get(f"/api/appointments/{card.id}"),
            lambda: move(client, card.id, "READY", 1),
            lambda: client.get(f"/api/appointments/{card.id}"),
            lambda: move(client, card.id, "CHECKED_IN", 2),
        ):
            trips.reset()
            assert request().status_code == 200
            costs.append(trips.count)

    assert costs == [2, 2, 2, 2]


def test_a_stale_move_costs_one_more_round_trip_to_read_the_current_card(app, make_app, client_for, database_url):
    card = AppointmentFactory()
    with counting_round_trips(database_url) as trips:
        client = client_for(make_app(DATABASE_URL=trips.url.render_as_string(hide_password=False)))
        assert client.get("/healthz").status_code == 200
        trips.reset()
        assert move(client, card.id, "READY", 7).status_code == 409
        cost = trips.count

    assert cost == 3


def test_a_transactions_shop_setting_rides_with_its_begin(app, make_app, client_for, database_url):
    # A move with an Idempotency-Key is a transaction (the change and its stored answer commit
    # together): the lookup; BEGIN with the setting and the expired keys' purge; the key,
    # SAVEPOINT, the change, RELEASE, the stored answer; COMMIT. It was 10 while the setting went
    # alone, 9 while psycopg's pipeline sent BEGIN with a Sync of its own.
    card = AppointmentFactory()
    with counting_round_trips(database_url) as trips:
        client = client_for(make_app(DATABASE_URL=trips.url.render_as_string(hide_password=False)))
        assert client.get("/healthz").status_code == 200
        trips.reset()
        assert move(client, card.id, "READY", 1, headers={"Idempotency-Key": "once"}).status_code == 200
        cost = trips.count

    assert cost == 8
