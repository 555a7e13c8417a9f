"""Shops: the operators' commands, /api/me's shop, each shop's board days in its own zone, and the migration that adds them."""

from datetime import UTC, datetime

from sqlalchemy import text

from alembic import command
from board.db import acting_for, as_operator
from tests import factories
from tests.helpers import alembic_config, in_first_shop


def run(app, *args, stdin=None):
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def test_shops_create_and_list(app):
    made = run(app, "shops", "create", "south-2", "--name", "South", "--timezone", "Asia/Tokyo")
    default_zone = run(app, "shops", "create", "north", "--name", "North")
    listed = run(app, "shops", "list")

    assert made.exit_code == 0, made.output
    assert default_zone.exit_code == 0, default_zone.output
    assert listed.output.splitlines()[1:] == ["2\tsouth-2\tAsia/Tokyo\tSouth", "3\tnorth\tUTC\tNorth"]


def test_shops_create_refuses_a_taken_or_malformed_slug_and_an_unknown_zone(app):
    taken = run(app, "shops", "create", "main", "--name", "Again")
    malformed = run(app, "shops", "create", "South Side", "--name", "South")
    zone = run(app, "shops", "create", "east", "--name", "East", "--timezone", "Mars/Olympus")

    assert taken.exit_code != 0 and "'main' exists already" in taken.output
    assert malformed.exit_code != 0 and "slug" in malformed.output
    assert zone.exit_code != 0 and "Mars/Olympus" in zone.output
    assert run(app, "shops", "list").output.count("\n") == 1


def test_users_create_needs_shop_only_once_there_are_several(app, engine):
    alone = run(app, "users", "create", "ana", "--role", "admin", "--password-stdin", stdin="a long passphrase\n")
    run(app, "shops", "create", "south", "--name", "South")
    unsaid = run(app, "users", "create", "bo", "--role", "admin", "--password-stdin", stdin="a long passphrase\n")
    said = run(
        app,
        "users",
        "create",
        "bo",
        "--role",
        "admin",
        "--shop",
        "south",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    unknown = run(
        app,
        "users",
        "create",
        "cy",
        "--role",
        "admin",
        "--shop",
        "nowhere",
        "--password-stdin",
        stdin="a long passphrase\n",
    )

    assert alone.exit_code == 0, alone.output
    assert unsaid.exit_code != 0 and "--shop" in unsaid.output
    assert said.exit_code == 0 and "in shop south" in said.output
    assert unknown.exit_code != 0 and "nowhere" in unknown.output
    with as_operator(), engine.begin() as conn:
        assert conn.execute(
            text("SELECT username, slug FROM users JOIN shops ON shops.id = users.shop_id ORDER BY users.id")
        ).all() == [("ana", "main"), ("bo", "south")]


def test_tokens_create_makes_the_token_in_its_owners_shop(app, engine, anonymous):
    run(app, "shops", "create", "south", "--name", "South", "--timezone", "Europe/Lisbon")
    run(
        app,
        "users",
        "create",
        "bo",
        "--role",
        "staff",
        "--shop",
        "south",
        "--password-stdin",
        stdin="a long passphrase\n",
    )

    made = run(app, "tokens", "create", "bo", "--label", "import")
    me = anonymous.get("/api/me", headers={"Authorization": f"Bearer {made.output.splitlines()[-1]}"})

    assert me.status_code == 200
    assert me.get_json()["data"]["shop"] == {"slug": "south", "name": "South", "timezone": "Europe/Lisbon"}


def test_api_me_names_the_shop(client):
    me = client.get("/api/me").get_json()["data"]

    assert me["username"] == "sam"
    assert me["shop"] == {"slug": "main", "name": "Main shop", "timezone": "UTC"}


def test_each_shop_sees_its_own_board_in_its_own_zone(app, engine, client_for, staff_token):
    with as_operator(), engine.begin() as conn:
        tokyo = conn.scalar(
            text("INSERT INTO shops (slug, name, timezone) VALUES ('tokyo', 'Tokyo', 'Asia/Tokyo') RETURNING id")
        )
    # 23:30 UTC on the 9th: the 9th in UTC, 08:30 on the 10th in Tokyo.
    near_midnight = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    main_card = factories.AppointmentFactory(scheduled_at=near_midnight).id
    factories.Session.commit()  # reading .id began the factories' transaction in this shop: end it
    with acting_for(tokyo):
        tokyo_card = factories.AppointmentFactory(scheduled_at=near_midnight).id
        tokyo_token = factories.token_for(factories.UserFactory(username="kei"))
        factories.Session.commit()
    main, other = client_for(app), client_for(app, {"Authorization": f"Bearer {tokyo_token}"})

    def scheduled(client, day):
        data = client.get(f"/api/board?from={day}").get_json()["data"]
        return data["timezone"], [card["id"] for column in data["columns"] for card in column["cards"]]

    assert scheduled(main, "2026-03-09") == ("UTC", [main_card])
    assert scheduled(main, "2026-03-10") == ("UTC", [])
    assert scheduled(other, "2026-03-10") == ("Asia/Tokyo", [tokyo_card])
    assert scheduled(other, "2026-03-09") == ("Asia/Tokyo", [])
    assert main.get(f"/api/appointments/{tokyo_card}").status_code == 404


def test_the_migration_puts_a_one_shop_database_into_shop_main_and_back(scratch_database, monkeypatch):
    monkeypatch.setenv("BOARD_SHOP_NAME", "Garage Nord")
    monkeypatch.setenv("BOARD_TIMEZONE", "Europe/Berlin")
    url = scratch_database()
    config = alembic_config(url)
    command.upgrade(config, "0006")
    engine = in_first_shop(url)
    queries = {
        "appointments": "SELECT id, title, status, version, updated_at FROM appointments ORDER BY id",
        "appointment_events": "SELECT id, appointment_id, version, kind, by_user_id, by_token_id FROM appointment_events ORDER BY id",
        "users": "SELECT id, username, role, password_hash FROM users ORDER BY id",
        "api_tokens": "SELECT id, user_id, secret_hash FROM api_tokens ORDER BY id",
        "sessions": "SELECT id, user_id, secret_hash FROM sessions ORDER BY id",
        "idempotency_keys": "SELECT user_id, key, status FROM idempotency_keys ORDER BY key",
    }
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO users (username, name, role, password_hash) VALUES ('ana', 'Ana', 'admin', 'x')")
            )
            conn.execute(text("INSERT INTO api_tokens (user_id, label, secret_hash) VALUES (1, 'nightly', 'h')"))
            conn.execute(text("INSERT INTO sessions (user_id, secret_hash, expires_at) VALUES (1, 's', now())"))
            conn.execute(
                text("INSERT INTO idempotency_keys (user_id, key, fingerprint, status) VALUES (1, 'k', 'f', 200)")
            )
            conn.execute(
                text(
                    "INSERT INTO appointments (title, customer, scheduled_at, status, version)"
                    " VALUES ('Oil change', 'Ada', '2026-12-02 09:00+00', 'READY', 2)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO appointment_events (appointment_id, version, kind, from_status, to_status, by_user_id, by_token_id)"
                    " VALUES (1, 1, 'created', NULL, NULL, 1, NULL), (1, 2, 'moved', 'SCHEDULED', 'READY', 1, 1)"
                )
            )
            before = {table: conn.execute(text(sql)).all() for table, sql in queries.items()}

        command.upgrade(config, "head")
        with engine.begin() as conn:
            assert {table: conn.execute(text(sql)).all() for table, sql in queries.items()} == before
            assert conn.execute(text("SELECT id, slug, name, timezone FROM shops")).all() == [
                (1, "main", "Garage Nord", "Europe/Berlin")
            ]
            for table in queries:
                assert conn.scalar(text(f"SELECT array_agg(DISTINCT shop_id) FROM {table}")) == [1], table

        command.downgrade(config, "0006")  # one shop: nothing is lost, so no force is needed
        with engine.begin() as conn:
            assert {table: conn.execute(text(sql)).all() for table, sql in queries.items()} == before
            assert (
                conn.scalar(text("SELECT count(*) FROM information_schema.columns WHERE column_name = 'shop_id'")) == 0
            )
    finally:
        engine.dispose()


def test_the_downgrade_refuses_while_a_second_shop_holds_rows(scratch_database):
    url = scratch_database()
    config = alembic_config(url)
    command.upgrade(config, "head")
    engine = in_first_shop(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shops (slug, name, timezone) VALUES ('south', 'South', 'UTC')"))
            conn.execute(text("SET LOCAL board.shop_id = '2'"))
            conn.execute(
                text("INSERT INTO users (username, name, role, password_hash) VALUES ('bo', 'Bo', 'admin', 'x')")
            )
    finally:
        engine.dispose()

    try:
        command.downgrade(config, "0006")
    except Exception as error:  # alembic's CommandError, raised by alembic/env.py
        assert "rows of users in shops other than the first (1)" in str(error)
        assert "shops other than the first (1)" in str(error)
    else:
        raise AssertionError("the downgrade went ahead")


def test_users_list_and_tokens_list_name_each_rows_shop_last(app, staff):
    run(app, "shops", "create", "south", "--name", "South")
    run(
        app,
        "users",
        "create",
        "bo",
        "--role",
        "admin",
        "--shop",
        "south",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    run(app, "tokens", "create", "sam", "--label", "wall screen")
    run(app, "tokens", "create", "bo", "--label", "nightly import")

    listed_users = run(app, "users", "list")
    listed_tokens = run(app, "tokens", "list")

    assert [line.split("\t")[1::4] for line in listed_users.output.splitlines()] == [["bo", "south"], ["sam", "main"]]
    assert [line.split("\t")[4:] for line in listed_tokens.output.splitlines()] == [
        ["nightly import", "south"],
        ["wall screen", "main"],
    ]


def test_seed_demo_without_shop_main_says_so_in_one_line(app, engine):
    with as_operator(), engine.begin() as conn:
        conn.execute(text("UPDATE shops SET slug = 'renamed' WHERE slug = 'main'"))

    seeded = run(app, "seed-demo", "--force")

    assert seeded.exit_code == 1
    assert seeded.output.strip().splitlines() == [
        "Error: There is no shop 'main' for the demo: make it with"
        " `flask --app wsgi shops create main --name NAME`, then run this again."
    ]
    assert "Traceback" not in seeded.output
    with as_operator(), engine.begin() as conn:
        assert conn.scalar(text("SELECT count(*) FROM appointments")) == 0


def test_every_key_and_foreign_key_of_a_shop_table_includes_shop_id(engine):
    # What distributing by shop_id (Citus, README "Running on several machines") needs of the schema.
    with as_operator(), engine.begin() as conn:
        constraints = conn.execute(
            text(
                "SELECT conrelid::regclass::text, conname, contype,"
                " array(SELECT attname FROM pg_attribute WHERE attrelid = conrelid AND attnum = ANY(conkey))"
                " FROM pg_constraint WHERE contype IN ('p', 'u', 'f')"
                " AND conrelid::regclass::text IN"
                " ('appointments', 'appointment_events', 'api_tokens', 'sessions', 'idempotency_keys', 'users')"
            )
        ).all()
        unique_indexes = (
            conn.execute(
                text(
                    "SELECT indexrelid::regclass::text FROM pg_index WHERE indisunique AND NOT EXISTS"
                    " (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)"
                    " AND indrelid::regclass::text IN ('appointments', 'appointment_events', 'api_tokens', 'sessions',"
                    " 'idempotency_keys', 'users')"
                )
            )
            .scalars()
            .all()
        )

    assert len(constraints) > 12
    without_shop = [
        (table, name)
        for table, name, kind, columns in constraints
        if "shop_id" not in columns and not (kind == "f" and columns == ["shop_id"])
    ]
    assert without_shop == []
    # The one unique index without shop_id: usernames across the service (so users is a reference table).
    assert unique_indexes == ["uq_users_username_lower"]
