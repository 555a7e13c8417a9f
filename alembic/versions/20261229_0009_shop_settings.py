"""Shop settings and wall displays: per-status waiting limits, initials on displays, display credentials.

shop_settings holds one row per shop (none until an admin changes something: no limits, full
names). displays holds each wall screen's credential: a pairing code's hash until the screen
pairs, then the hash of the secret its cookie carries. Both are shop tables like those of 0007:
row security (ENABLE and FORCE), the current-shop policy, the operator's policy, and grants to
the service's role. A display's shop is found by hash alone through SECURITY DEFINER functions,
as tokens' and sessions' are.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-25
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0009"
# Re-pointed to the live stream's 0008 when both are merged.
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("shop_settings", "displays")
CURRENT_SHOP = "nullif(current_setting('board.shop_id', true), '')::bigint"

DOWNGRADE_LOSES = {
    "shops' waiting limits and display settings": "SELECT count(*) FROM shop_settings",
    "wall displays (each screen must be paired again)": "SELECT count(*) FROM displays",
}

DISPLAY_FUNCTIONS = {
    "board_shop_of_display": "SELECT shop_id FROM public.displays WHERE secret_hash = credential",
    "board_shop_of_pairing_code": "SELECT shop_id FROM public.displays WHERE pairing_code_hash = credential",
}


def service_role() -> str:
    role = os.environ.get("BOARD_DB_ROLE") or "board_app"
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError(f"BOARD_DB_ROLE must be a plain lower-case role name, got {role!r}.")
    return role


def upgrade() -> None:
    op.create_table(
        "shop_settings",
        sa.Column("shop_id", sa.BigInteger(), server_default=sa.text(CURRENT_SHOP), nullable=False),
        sa.Column(
            "status_limits",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("display_initials", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "jsonb_typeof(status_limits) = 'object'", name=op.f("ck_shop_settings_status_limits_object")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shop_settings_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_shop_settings")),
    )
    op.create_table(
        "displays",
        sa.Column("shop_id", sa.BigInteger(), server_default=sa.text(CURRENT_SHOP), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("pairing_code_hash", sa.Text(), nullable=True),
        sa.Column("pairing_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("secret_hash", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("paired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 200", name=op.f("ck_displays_name_length")),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_displays_shop_id_shops")),
        sa.ForeignKeyConstraint(
            ["shop_id", "created_by"],
            ["users.shop_id", "users.id"],
            name=op.f("fk_displays_shop_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shop_id", "id", name=op.f("pk_displays")),
        sa.UniqueConstraint("secret_hash", "shop_id", name=op.f("uq_displays_secret_hash_shop_id")),
        sa.UniqueConstraint("pairing_code_hash", "shop_id", name=op.f("uq_displays_pairing_code_hash_shop_id")),
    )
    role = service_role()
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY current_shop ON {table}"
            f" USING (shop_id = {CURRENT_SHOP}) WITH CHECK (shop_id = {CURRENT_SHOP})"
        )
        op.execute(f"CREATE POLICY operator ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")
    op.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    # As 0007's credential functions: only the shop id of the row with this hash comes back.
    for name, body in DISPLAY_FUNCTIONS.items():
        op.execute(f"""
            CREATE FUNCTION {name}(credential text) RETURNS bigint
            LANGUAGE sql STABLE SECURITY DEFINER
            SET search_path = pg_catalog, public
            AS $$ {body} LIMIT 1 $$""")
        op.execute(f"REVOKE ALL ON FUNCTION {name}(text) FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name}(text) TO {role}")


def downgrade() -> None:
    for name in DISPLAY_FUNCTIONS:
        op.execute(f"DROP FUNCTION {name}(text)")
    op.drop_table("displays")
    op.drop_table("shop_settings")
