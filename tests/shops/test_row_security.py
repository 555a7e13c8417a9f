"""Row-level security, in the database itself, as the service's role: each shop sees only its own rows."""

import uuid

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from board.accounts.secrets import secret_hash
from board.config import ConfigError
from board.db import acting_for, as_operator, check_database
from tests import factories

SHOP_TABLES = (
    "shops",
    "appointments",
    "appointment_events",
    "users",
    "api_tokens",
    "sessions",
    "idempotency_keys",
    "status_links",
    "webhooks",
    "webhook_messages",
    "webhook_attempts",
)


@pytest.fixture
def two_shops(app, engine):
    """Shop A (`main`, the test's own) and shop B, each with an account, a token, a session, a card, its status
    link, a stored key and a webhook with a queued message and an attempt."""
    with as_operator(), engine.begin() as conn:
        shop_a = conn.scalar(text("SELECT id FROM shops WHERE slug = 'main'"))
        shop_b = conn.scalar(
            text("INSERT INTO shops (slug, name, timezone) VALUES ('south', 'South', 'UTC') RETURNING id")
        )
    secrets = {}
    for shop, name in ((shop_a, "ana"), (shop_b, "bo")):
        with acting_for(shop):
            user = factories.UserFactory(username=name)
            secrets[shop] = factories.token_for(user)
            with engine.begin() as conn:
                # Before the card: its event is queued for this webhook (a webhook_messages row).
                conn.execute(
                    text(
                        "INSERT INTO webhooks (url, kinds, secret_salt) VALUES ('https://hooks.example/', '{created}', '\\x00')"
                    )
                )
            card = factories.AppointmentFactory()
            with engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO status_links (appointment_id, salt, token_hash) VALUES (:a, 'salt', :h)"),
                    {"a": card.id, "h": secret_hash(f"status link of {name}")},
                )
                conn.execute(
                    text(
                        "INSERT INTO webhook_attempts (message_id, webhook_id, status, duration_ms)"
                        " SELECT id, webhook_id, 200, 5 FROM webhook_messages"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO sessions (user_id, secret_hash, expires_at) VALUES (:u, :h, now() + interval '1 day')"
                    ),
                    {"u": user.id, "h": secret_hash(f"session of {name}")},
                )
                conn.execute(
                    text("INSERT INTO idempotency_keys (user_id, key, fingerprint) VALUES (:u, 'k', 'f')"),
                    {"u": user.id},
                )
            # Reading user.id began a transaction of the factories' session in this shop: end it here.
            factories.Session.commit()
    return shop_a, shop_b, secrets


def shop_ids(conn, table: str) -> set:
    key = "id" if table == "shops" else "shop_id"
    return set(conn.scalars(text(f"SELECT {key} FROM {table}")).all())


def test_with_the_shop_set_to_a_every_shop_table_shows_only_a_rows(engine, two_shops):
    shop_a, shop_b, _ = two_shops

    for shop in (shop_a, shop_b):
        with acting_for(shop), engine.begin() as conn:
            assert conn.scalar(text("SELECT current_user")) == "board_app"
            assert {table: shop_ids(conn, table) for table in SHOP_TABLES} == {table: {shop} for table in SHOP_TABLES}


def test_with_no_shop_set_or_an_empty_one_every_shop_table_is_empty_and_nothing_fails(engine, database_url, two_shops):
    with acting_for(None), engine.begin() as conn:  # the service's transaction with no shop: board.shop_id = ''
        assert conn.scalar(text("SELECT current_setting('board.shop_id')")) == ""
        assert {table: shop_ids(conn, table) for table in SHOP_TABLES} == {table: set() for table in SHOP_TABLES}
    # A session where board.shop_id was never set at all.
    with psycopg.connect(database_url.set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        conn.execute("SET ROLE board_app")
        for table in SHOP_TABLES:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO appointments (shop_id, title, customer, scheduled_at) VALUES (:other, 't', 'c', now())",
        "INSERT INTO users (shop_id, username, name, role, password_hash) VALUES (:other, 'eve', 'Eve', 'admin', 'x')",
        "UPDATE appointments SET shop_id = :other",
        "UPDATE users SET shop_id = :other",
        "INSERT INTO shops (slug, name, timezone) VALUES ('mine', 'Mine', 'UTC')",
    ],
)
def test_a_write_into_another_shop_is_refused_by_row_security(engine, two_shops, statement):
    shop_a, shop_b, _ = two_shops

    with pytest.raises(ProgrammingError) as refused, acting_for(shop_a), engine.begin() as conn:
        conn.execute(text(statement), {"other": shop_b})

    assert refused.value.orig.sqlstate == "42501"
    with as_operator(), engine.begin() as conn:
        assert conn.scalar(text("SELECT count(*) FROM users WHERE username = 'eve'")) == 0
        assert conn.execute(text("SELECT shop_id, count(*) FROM appointments GROUP BY 1 ORDER BY 1")).all() == [
            (shop_a, 1),
            (shop_b, 1),
        ]


def test_the_shop_functions_return_only_the_shop_id_of_the_one_matching_row(engine, two_shops):
    shop_a, shop_b, _ = two_shops

    with acting_for(None), engine.begin() as conn:  # the service's role, no shop
        found = conn.execute(
            text("SELECT board_shop_of_username('BO'), board_shop_of_username('ana'), board_shop_of_username('nobody')")
        ).one()
        kinds = conn.scalars(
            text(
                "SELECT format_type(prorettype, NULL) || ' ' || prosecdef || ' ' || array_to_string(proconfig, ',')"
                " FROM pg_proc WHERE proname LIKE 'board_shop_of_%'"
            )
        ).all()
        public_may_run = conn.scalar(
            text(
                "SELECT bool_or(acl::text LIKE '=X/%') FROM pg_proc, unnest(proacl) AS acl"
                " WHERE proname LIKE 'board_shop_of_%'"
            )
        )

    assert tuple(found) == (shop_b, shop_a, None)
    # The username's from 0007, two for displays from 0009 (a display by its secret, a pairing
    # code); 0011 replaced the token's and the session's with the lookups themselves.
    assert kinds == ["bigint true search_path=pg_catalog, public"] * 3
    assert public_may_run is False


def test_the_service_role_owns_nothing_and_cannot_bypass_row_security(engine):
    with as_operator(), engine.begin() as conn:
        role = conn.execute(
            text("SELECT rolsuper, rolbypassrls, rolinherit, rolcanlogin FROM pg_roles WHERE rolname = 'board_app'")
        ).one()
        owned = conn.scalar(text("SELECT count(*) FROM pg_class WHERE relowner = 'board_app'::regrole"))

    assert tuple(role) == (False, False, False, False)
    assert owned == 0


@pytest.fixture
def scratch_role(engine):
    """A role made for one test (roles belong to the whole server), dropped afterwards."""
    names = []

    def make(attributes: str, member_of: str | None = None) -> str:
        name = f"board_test_{uuid.uuid4().hex[:10]}"
        with as_operator(), engine.begin() as conn:
            conn.execute(text(f"CREATE ROLE {name} NOLOGIN {attributes}"))
            if member_of:
                conn.execute(text(f"GRANT {member_of} TO {name}"))
        names.append(name)
        return name

    yield make
    with as_operator(), engine.begin() as conn:
        for name in reversed(names):
            conn.execute(text(f"DROP ROLE {name}"))


def test_the_start_up_check_accepts_the_migrations_service_role(make_app, app):
    check_database(make_app().extensions["board.engine"])


@pytest.mark.parametrize(
    ("make_role", "expected"),
    [
        (lambda make: make("BYPASSRLS"), "allowed to bypass row security"),
        (lambda make: make("SUPERUSER"), "a superuser"),
        (lambda make: make("NOBYPASSRLS", member_of=make("BYPASSRLS")), "allowed to bypass row security through"),
        (lambda make: "board_no_such_role", "does not exist"),
    ],
)
def test_the_start_up_check_refuses_a_role_that_could_see_every_shop(make_app, app, scratch_role, make_role, expected):
    role = make_role(scratch_role)

    with pytest.raises(ConfigError) as refused:
        check_database(make_app(BOARD_DB_ROLE=role).extensions["board.engine"])

    assert expected in str(refused.value) and role in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_start_up_check_refuses_a_role_that_owns_a_table(make_app, app, engine, scratch_role):
    role = scratch_role("NOBYPASSRLS")
    with as_operator(), engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE owned_by_{role} (id int)"))
        conn.execute(text(f"ALTER TABLE owned_by_{role} OWNER TO {role}"))
    try:
        with pytest.raises(ConfigError, match="a table owner"):
            check_database(make_app(BOARD_DB_ROLE=role).extensions["board.engine"])
    finally:
        with as_operator(), engine.begin() as conn:
            conn.execute(text(f"DROP TABLE owned_by_{role}"))


def test_the_credential_lookups_return_the_one_usable_row_of_a_hash_with_its_shop_and_nothing_else(engine, two_shops):
    shop_a, shop_b, secrets = two_shops

    with acting_for(None), engine.begin() as conn:  # the service's role, no shop
        token = conn.execute(
            text("SELECT credential_id, username, shop_id FROM board_token_credential(:h, interval '1 minute')"),
            {"h": secret_hash(secrets[shop_b])},
        ).all()
        session = conn.execute(
            text("SELECT username, shop_id FROM board_session_credential(:h, interval '1 minute', interval '14 days')"),
            {"h": secret_hash("session of ana")},
        ).all()
        unknown = conn.execute(text("SELECT * FROM board_token_credential('no such hash', interval '1 minute')")).all()
        seen_directly = conn.scalar(text("SELECT count(*) FROM api_tokens"))
        kinds = conn.scalars(
            text(
                "SELECT prosecdef || ' ' || array_to_string(proconfig, ',') || ' '"
                " || (SELECT bool_or(acl::text LIKE '=X/%') FROM unnest(proacl) AS acl) FROM pg_proc"
                " WHERE proname IN ('board_token_credential', 'board_session_credential')"
            )
        ).all()
    with as_operator(), engine.begin() as conn:
        revoked = conn.execute(text("UPDATE api_tokens SET revoked_at = now() WHERE shop_id = :b"), {"b": shop_b})
    with acting_for(None), engine.begin() as conn:
        after_revoking = conn.execute(
            text("SELECT * FROM board_token_credential(:h, interval '1 minute')"), {"h": secret_hash(secrets[shop_b])}
        ).all()

    assert [(row.username, row.shop_id) for row in token] == [("bo", shop_b)]
    assert [tuple(row) for row in session] == [("ana", shop_a)]
    assert unknown == [] and seen_directly == 0
    # SECURITY DEFINER, name resolution pinned, and not executable by PUBLIC.
    assert kinds == ["true search_path=pg_catalog, public false"] * 2
    assert revoked.rowcount == 1 and after_revoking == []
