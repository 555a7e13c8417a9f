"""Webhooks (endpoints, the queue of their messages, each delivery attempt) and customers' status links.

All four are shop tables like those of 0007 and 0009: row security (ENABLE and FORCE), the
current-shop policy, the operator's policy, and grants to the service's role. A change queues
its webhook messages in its own statement (board.appointments.changes.with_event), so a change
that rolls back queues nothing. Two narrow paths across shops, as SECURITY DEFINER functions:
the delivery workers' scan for endpoints with messages due (ids only: a worker then acts in that
shop), with the queue's size for the metrics; and a status link's page, found by the hash of its
token, which returns only what the page shows, and nothing once the link has expired. Unknown
links asked for are counted per client address in status_link_misses (no shop's: a miss finds no
shop), which throttles whoever guesses (board.status_links.throttle).

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-10
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("webhooks", "webhook_messages", "webhook_attempts", "status_links")
CURRENT_SHOP = "nullif(current_setting('board.shop_id', true), '')::bigint"

DOWNGRADE_LOSES = {
    "webhook endpoints (each must be made again, with a new secret)": "SELECT count(*) FROM webhooks",
    "webhook messages not delivered yet": "SELECT count(*) FROM webhook_messages WHERE state = 'pending'",
    "customers' status links (each link stops working)": "SELECT count(*) FROM status_links",
}

FUNCTIONS = {
    "board_due_webhooks(how_many integer)": """
RETURNS TABLE (shop_id bigint, webhook_id bigint)
AS $$
    SELECT m.shop_id, m.webhook_id
    FROM webhook_messages m
    JOIN webhooks w ON w.shop_id = m.shop_id AND w.id = m.webhook_id
    WHERE m.state = 'pending' AND m.next_attempt_at <= now() AND w.enabled
    GROUP BY m.shop_id, m.webhook_id
    ORDER BY min(m.next_attempt_at)
    LIMIT how_many
$$""",
    "board_webhook_queue()": """
RETURNS TABLE (depth bigint, oldest timestamptz)
AS $$
    SELECT count(*), min(created_at) FROM webhook_messages WHERE state = 'pending'
$$""",
    # A link works until keep_for after its card is completed, cancelled or deleted.
    "board_status_of_link(link_hash text, keep_for interval)": """
RETURNS TABLE (shop_name text, shop_timezone text, title text, scheduled_at timestamptz,
               status text, status_since timestamptz, deleted_at timestamptz)
AS $$
    SELECT s.name, s.timezone, a.title, a.scheduled_at, a.status, a.status_since, a.deleted_at
    FROM status_links l
    JOIN appointments a ON a.shop_id = l.shop_id AND a.id = l.appointment_id
    JOIN shops s ON s.id = l.shop_id
    WHERE l.token_hash = link_hash
      AND (a.deleted_at IS NULL OR a.deleted_at > now() - keep_for)
      AND (a.status NOT IN ('COMPLETED', 'CANCELLED') OR a.status_since > now() - keep_for)
$$""",
}


def service_role() -> str:
    role = os.environ.get("BOARD_DB_ROLE") or "board_app"
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError(f"BOARD_DB_ROLE must be a plain lower-case role name, got {role!r}.")
    return role


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("shop_id", sa.BigInteger(), server_default=sa.text(CURRENT_SHOP), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kinds", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("to_statuses", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("secret_salt", sa.LargeBinary(), nullable=False),
        sa.Column("previous_salt", sa.LargeBinary(), nullable=True),
        sa.Column("previous_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kinds <@ ARRAY['created', 'moved', 'edited', 'deleted']", name=op.f("ck_webhooks_kinds")),
        sa.CheckConstraint(
            "to_statuses <@ ARRAY['SCHEDULED', 'CHECKED_IN', 'IN_PROGRESS', 'READY', 'COMPLETED', 'CANCELLED']",
            name=op.f("ck_webhooks_to_statuses"),
        ),
        sa.CheckConstraint("char_length(url) BETWEEN 1 AND 2000", name=op.f("ck_webhooks_url_length")),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_webhooks_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "id", name=op.f("pk_webhooks")),
    )
    op.create_table(
        "status_links",
        sa.Column("shop_id", sa.BigInteger(), server_default=sa.text(CURRENT_SHOP), nullable=False),
        sa.Column("appointment_id", sa.BigInteger(), nullable=False),
        sa.Column("salt", sa.LargeBinary(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id", "appointment_id"],
            ["appointments.shop_id", "appointments.id"],
            name=op.f("fk_status_links_shop_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_status_links_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "appointment_id", name=op.f("pk_status_links")),
        sa.UniqueConstraint("token_hash", "shop_id", name=op.f("uq_status_links_token_hash_shop_id")),
    )
    op.create_table(
        "status_link_misses",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("client_address", sa.Text(), nullable=False),
        sa.Column("missed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_link_misses")),
    )
    op.create_index(
        op.f("ix_status_link_misses_client_address_missed_at"),
        "status_link_misses",
        ["client_address", "missed_at"],
        unique=False,
    )
    op.create_index(op.f("ix_status_link_misses_missed_at"), "status_link_misses", ["missed_at"], unique=False)
    op.create_table(
        "webhook_messages",
        sa.Column("shop_id", sa.BigInteger(), server_default=sa.text(CURRENT_SHOP), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("webhook_id", sa.BigInteger(), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'delivered', 'failed')", name=op.f("ck_webhook_messages_state")),
        sa.ForeignKeyConstraint(
            ["shop_id", "event_seq"],
            ["appointment_events.shop_id", "appointment_events.seq"],
            name=op.f("fk_webhook_messages_shop_id_appointment_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id", "webhook_id"],
            ["webhooks.shop_id", "webhooks.id"],
            name=op.f("fk_webhook_messages_shop_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_webhook_messages_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "id", name=op.f("pk_webhook_messages")),
    )
    op.create_index(
        "ix_webhook_messages_due",
        "webhook_messages",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index(
        "ix_webhook_messages_endpoint_due",
        "webhook_messages",
        ["shop_id", "webhook_id", "next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("shop_id", sa.BigInteger(), server_default=sa.text(CURRENT_SHOP), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("webhook_id", sa.BigInteger(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id", "message_id"],
            ["webhook_messages.shop_id", "webhook_messages.id"],
            name=op.f("fk_webhook_attempts_shop_id_webhook_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_webhook_attempts_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(
        op.f("ix_webhook_attempts_shop_id_webhook_id_id"),
        "webhook_attempts",
        ["shop_id", "webhook_id", "id"],
        unique=False,
    )
    role = service_role()
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON status_link_misses TO {role}")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY current_shop ON {table}"
            f" USING (shop_id = {CURRENT_SHOP}) WITH CHECK (shop_id = {CURRENT_SHOP})"
        )
        op.execute(f"CREATE POLICY operator ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")
    for signature, body in FUNCTIONS.items():
        op.execute(f"""
            CREATE FUNCTION {signature} {body}
            LANGUAGE sql STABLE SECURITY DEFINER
            SET search_path = pg_catalog, public""")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {role}")


def downgrade() -> None:
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    op.drop_index(op.f("ix_webhook_attempts_shop_id_webhook_id_id"), table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index(
        "ix_webhook_messages_endpoint_due", table_name="webhook_messages", postgresql_where=sa.text("state = 'pending'")
    )
    op.drop_index(
        "ix_webhook_messages_due", table_name="webhook_messages", postgresql_where=sa.text("state = 'pending'")
    )
    op.drop_table("webhook_messages")
    op.drop_table("status_links")
    op.drop_table("status_link_misses")
    op.drop_table("webhooks")
