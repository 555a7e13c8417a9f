"""Accounts, API tokens, sessions, sign-in failures, and who made each move.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here rather than imported: a migration must keep meaning what it meant when written.
ROLES = "'viewer', 'staff', 'admin'"


# What the downgrade deletes, each counted on the database before it runs (alembic/env.py refuses while any is there).
DOWNGRADE_LOSES = {
    "accounts": "SELECT count(*) FROM users",
    "API tokens": "SELECT count(*) FROM api_tokens",
    "sessions": "SELECT count(*) FROM sessions",
    "sign-in failures": "SELECT count(*) FROM sign_in_failures",
    "moves' authors": "SELECT count(*) FROM appointment_moves WHERE by_user_id IS NOT NULL OR by_token_id IS NOT NULL",
}


def _timestamp(name: str, **kwargs) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **kwargs)


def _now(name: str) -> sa.Column:
    return _timestamp(name, server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        _now("created_at"),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.CheckConstraint(f"role IN ({ROLES})", name=op.f("ck_users_role")),
        sa.CheckConstraint("username ~ '^[A-Za-z0-9._-]{1,64}$'", name=op.f("ck_users_username_format")),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 200", name=op.f("ck_users_name_length")),
    )
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        _now("created_at"),
        _timestamp("last_used_at", nullable=True),
        _timestamp("expires_at", nullable=True),
        _timestamp("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_tokens_secret_hash")),
        sa.CheckConstraint(f"role IN ({ROLES})", name=op.f("ck_api_tokens_role")),
        sa.CheckConstraint("char_length(label) BETWEEN 1 AND 200", name=op.f("ck_api_tokens_label_length")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        _now("created_at"),
        _now("last_seen_at"),
        _timestamp("expires_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users"), ondelete="CASCADE"),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_sessions_secret_hash")),
    )
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("username_key", sa.Text(), nullable=False),
        _now("failed_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(
        op.f("ix_sign_in_failures_username_key_failed_at"), "sign_in_failures", ["username_key", "failed_at"]
    )
    op.add_column("appointment_moves", sa.Column("by_user_id", sa.BigInteger(), nullable=True))
    op.add_column("appointment_moves", sa.Column("by_token_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_appointment_moves_by_user_id_users"), "appointment_moves", "users", ["by_user_id"], ["id"]
    )
    op.create_foreign_key(
        op.f("fk_appointment_moves_by_token_id_api_tokens"),
        "appointment_moves",
        "api_tokens",
        ["by_token_id"],
        ["id"],
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_appointment_moves_by_token_id_api_tokens"), "appointment_moves", type_="foreignkey")
    op.drop_constraint(op.f("fk_appointment_moves_by_user_id_users"), "appointment_moves", type_="foreignkey")
    op.drop_column("appointment_moves", "by_token_id")
    op.drop_column("appointment_moves", "by_user_id")
    op.drop_table("sign_in_failures")
    op.drop_table("sessions")
    op.drop_table("api_tokens")
    op.drop_table("users")
