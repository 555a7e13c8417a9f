"""Shops: many on one service, each table's rows tagged with their shop, isolated by row-level security.

Every row there is goes into a first shop (slug `main`, name BOARD_SHOP_NAME, zone BOARD_TIMEZONE),
keeping every id, version and event. Keys and foreign keys gain shop_id, so that no row can
point at another shop's row and the schema can be distributed by shop_id (Citus) as it is.

The service's queries run as BOARD_DB_ROLE (default board_app), made here when missing: it owns
nothing, may not bypass row security, and sees only the rows of the shop named by the
transaction's setting board.shop_id. The role that runs the migrations owns the tables and keeps
an operator policy that sees every shop (the command line's commands run as it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-20
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHOP_TABLES = ("appointments", "appointment_events", "users", "api_tokens", "sessions", "idempotency_keys")
# The setting as the policies and the column defaults read it: missing or '' is NULL, which matches no row.
CURRENT_SHOP = "nullif(current_setting('board.shop_id', true), '')::bigint"

# A one-shop database has no room for a second shop's rows: the downgrade deletes them (forced only).
_FIRST_SHOP = "(SELECT min(id) FROM shops)"
DOWNGRADE_LOSES = {
    f"rows of {table} in shops other than the first": f"SELECT count(*) FROM {table} WHERE shop_id <> {_FIRST_SHOP}"
    for table in SHOP_TABLES
} | {"shops other than the first": f"SELECT count(*) FROM shops WHERE id <> {_FIRST_SHOP}"}


def service_role() -> str:
    role = os.environ.get("BOARD_DB_ROLE") or "board_app"
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError(f"BOARD_DB_ROLE must be a plain lower-case role name, got {role!r}.")
    return role


def upgrade() -> None:
    op.create_table(
        "shops",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("timezone", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
        sa.UniqueConstraint("slug", name=op.f("uq_shops_slug")),
        sa.CheckConstraint("slug ~ '^[a-z0-9-]{1,64}$'", name=op.f("ck_shops_slug_format")),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 200", name=op.f("ck_shops_name_length")),
    )
    op.get_bind().execute(
        sa.text("INSERT INTO shops (slug, name, timezone) VALUES ('main', :name, :zone)"),
        {"name": os.environ.get("BOARD_SHOP_NAME") or "Main shop", "zone": os.environ.get("BOARD_TIMEZONE") or "UTC"},
    )

    # Foreign keys first: the keys they point at are about to change.
    for table, name in (
        ("appointment_events", "fk_appointment_events_appointment_id_appointments"),
        ("appointment_events", "fk_appointment_events_by_user_id_users"),
        ("appointment_events", "fk_appointment_events_by_token_id_api_tokens"),
        ("api_tokens", "fk_api_tokens_user_id_users"),
        ("sessions", "fk_sessions_user_id_users"),
        ("idempotency_keys", "fk_idempotency_keys_user_id_users"),
    ):
        op.drop_constraint(name, table, type_="foreignkey")
    for table in SHOP_TABLES:
        op.add_column(table, sa.Column("shop_id", sa.BigInteger(), nullable=True))
        op.execute(f"UPDATE {table} SET shop_id = {_FIRST_SHOP}")
        # Use cases insert without naming the shop: the transaction's shop is the default, and
        # an insert with no shop set fails NOT NULL.
        op.alter_column(table, "shop_id", nullable=False, server_default=sa.text(CURRENT_SHOP))
        op.create_foreign_key(op.f(f"fk_{table}_shop_id_shops"), table, "shops", ["shop_id"], ["id"])
        op.drop_constraint(f"pk_{table}", table, type_="primary")
    # Ids stay unique across the service (one identity sequence per table); the keys lead with the
    # shop so that every key and reference is local to one shop.
    for table in ("appointments", "appointment_events", "users", "api_tokens", "sessions"):
        op.create_primary_key(op.f(f"pk_{table}"), table, ["shop_id", "id"])
    op.create_primary_key(op.f("pk_idempotency_keys"), "idempotency_keys", ["shop_id", "user_id", "key"])

    op.drop_constraint("uq_appointment_events_appointment_id_version", "appointment_events", type_="unique")
    op.create_unique_constraint(
        op.f("uq_appointment_events_shop_id_appointment_id_version"),
        "appointment_events",
        ["shop_id", "appointment_id", "version"],
    )
    for table in ("api_tokens", "sessions"):
        # The hash leads: the credential lookup finds its row by the hash alone (see board_shop_of_token).
        op.drop_constraint(f"uq_{table}_secret_hash", table, type_="unique")
        op.create_unique_constraint(op.f(f"uq_{table}_secret_hash_shop_id"), table, ["secret_hash", "shop_id"])
        op.drop_index(f"ix_{table}_user_id", table_name=table)
        op.create_index(op.f(f"ix_{table}_shop_id_user_id"), table, ["shop_id", "user_id"])
    op.drop_index("ix_appointments_scheduled_at_id", table_name="appointments")
    op.create_index(op.f("ix_appointments_shop_id_scheduled_at_id"), "appointments", ["shop_id", "scheduled_at", "id"])

    for table, columns, referred, ondelete in (
        ("appointment_events", "appointment_id", "appointments", "CASCADE"),
        ("appointment_events", "by_user_id", "users", None),
        ("appointment_events", "by_token_id", "api_tokens", None),
        ("api_tokens", "user_id", "users", None),
        ("sessions", "user_id", "users", "CASCADE"),
        ("idempotency_keys", "user_id", "users", "CASCADE"),
    ):
        # Named by the models' convention (its first column, shop_id, and the table it points at).
        op.create_foreign_key(
            op.f(f"fk_{table}_shop_id_{referred}"),
            table,
            referred,
            ["shop_id", columns],
            ["shop_id", "id"],
            ondelete=ondelete,
        )

    create_service_role()
    for table in (*SHOP_TABLES, "shops"):
        key = "id" if table == "shops" else "shop_id"
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY current_shop ON {table} USING ({key} = {CURRENT_SHOP}) WITH CHECK ({key} = {CURRENT_SHOP})"
        )
        # The owner runs the migrations and the operators' commands, which act across shops.
        op.execute(f"CREATE POLICY operator ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")
    create_credential_functions()


def create_service_role() -> None:
    role = service_role()
    # Roles belong to the whole server, not to one database: another database (a test's scratch
    # database migrating at the same moment) may create it between the check and the CREATE.
    op.execute(f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END $$""")
    # A migrating role that is not a superuser must be a member to `SET ROLE` to it; the service
    # role is never made a member of the owner.
    op.execute(f"""
        DO $$
        BEGIN
            IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
               AND NOT pg_has_role(current_user, '{role}', 'MEMBER') THEN
                EXECUTE format('GRANT {role} TO %I', current_user);
            END IF;
        END $$""")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    tables = ", ".join((*SHOP_TABLES, "shops", "sign_in_failures"))
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {role}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")


# The one narrow path across shops. A credential is looked up before its shop is known; as the
# service's role with no shop set, every shop table shows no row. These functions run as their
# owner (who sees every shop) and return one thing only: the shop id of the row matching a
# secret's hash (a 256-bit secret: knowing the hash is holding the credential) or a username
# (which sign-in's answer never tells apart from an unknown one, and which is unique across the
# service anyway). Nothing of the row itself comes back; the service then sets board.shop_id and
# looks the credential up under row security as for any other query. `SET search_path` pins
# name resolution to the catalog and this schema: a SECURITY DEFINER function must not resolve
# `api_tokens` or `lower` through a schema its caller made. EXECUTE is for the service's role
# only.
CREDENTIAL_FUNCTIONS = {
    "board_shop_of_token": "SELECT shop_id FROM public.api_tokens WHERE secret_hash = credential",
    "board_shop_of_session": "SELECT shop_id FROM public.sessions WHERE secret_hash = credential",
    "board_shop_of_username": "SELECT shop_id FROM public.users WHERE lower(username) = lower(credential)",
}


def create_credential_functions() -> None:
    role = service_role()
    for name, body in CREDENTIAL_FUNCTIONS.items():
        op.execute(f"""
            CREATE FUNCTION {name}(credential text) RETURNS bigint
            LANGUAGE sql STABLE SECURITY DEFINER
            SET search_path = pg_catalog, public
            AS $$ {body} LIMIT 1 $$""")
        op.execute(f"REVOKE ALL ON FUNCTION {name}(text) FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name}(text) TO {role}")


def downgrade() -> None:
    role = service_role()
    for name in CREDENTIAL_FUNCTIONS:
        op.execute(f"DROP FUNCTION {name}(text)")
    for table in (*SHOP_TABLES, "shops"):
        op.execute(f"DROP POLICY operator ON {table}")
        op.execute(f"DROP POLICY current_shop ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    # The role stays: other databases on this server may use it.
    tables = ", ".join((*SHOP_TABLES, "shops", "sign_in_failures"))
    op.execute(f"REVOKE ALL ON {tables} FROM {role}")
    op.execute(f"REVOKE USAGE ON ALL SEQUENCES IN SCHEMA public FROM {role}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {role}")

    # Only a forced downgrade gets here with other shops' rows (alembic/env.py counts them first).
    for table in ("idempotency_keys", "appointment_events", "sessions", "api_tokens", "appointments", "users"):
        op.execute(f"DELETE FROM {table} WHERE shop_id <> {_FIRST_SHOP}")

    for table, columns, referred in (
        ("appointment_events", "appointment_id", "appointments"),
        ("appointment_events", "by_user_id", "users"),
        ("appointment_events", "by_token_id", "api_tokens"),
        ("api_tokens", "user_id", "users"),
        ("sessions", "user_id", "users"),
        ("idempotency_keys", "user_id", "users"),
    ):
        op.drop_constraint(f"fk_{table}_shop_id_{referred}", table, type_="foreignkey")
    op.drop_index("ix_appointments_shop_id_scheduled_at_id", table_name="appointments")
    op.create_index("ix_appointments_scheduled_at_id", "appointments", ["scheduled_at", "id"])
    for table in ("api_tokens", "sessions"):
        op.drop_index(f"ix_{table}_shop_id_user_id", table_name=table)
        op.create_index(f"ix_{table}_user_id", table, ["user_id"])
        op.drop_constraint(f"uq_{table}_secret_hash_shop_id", table, type_="unique")
        op.create_unique_constraint(f"uq_{table}_secret_hash", table, ["secret_hash"])
    op.drop_constraint("uq_appointment_events_shop_id_appointment_id_version", "appointment_events", type_="unique")
    op.create_unique_constraint(
        "uq_appointment_events_appointment_id_version", "appointment_events", ["appointment_id", "version"]
    )
    for table in SHOP_TABLES:
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.drop_constraint(f"fk_{table}_shop_id_shops", table, type_="foreignkey")
        op.drop_column(table, "shop_id")
    for table in ("appointments", "appointment_events", "users", "api_tokens", "sessions"):
        op.create_primary_key(f"pk_{table}", table, ["id"])
    op.create_primary_key("pk_idempotency_keys", "idempotency_keys", ["user_id", "key"])
    for table, column, referred, ondelete in (
        ("appointment_events", "appointment_id", "appointments", "CASCADE"),
        ("appointment_events", "by_user_id", "users", None),
        ("appointment_events", "by_token_id", "api_tokens", None),
        ("api_tokens", "user_id", "users", None),
        ("sessions", "user_id", "users", "CASCADE"),
        ("idempotency_keys", "user_id", "users", "CASCADE"),
    ):
        op.create_foreign_key(f"fk_{table}_{column}_{referred}", table, referred, [column], ["id"], ondelete=ondelete)
    op.drop_table("shops")
